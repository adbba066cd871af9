"""`chainmap demo` and `chainmap leads --chain C -k 3` rank the same leads, with the same scores,
for every chain -- before any project exists and after signed and dropped projects have given
the lead scorer outcomes to learn from (real SQLite file, real commands)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()
LEAD_LINE = re.compile(r"^  (\d+)\. (.+?)  得分 (\d+\.\d\d) → (.+)$")


@pytest.fixture(autouse=True)
def _store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "demo.db"))


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _demo_rankings(k: int) -> dict[str, list[tuple[str, str, str]]]:
    """Chain name -> [(lead name, score with 2 decimals, gap segment name)] from the demo's leads part."""
    text = _ok("demo", "-k", str(k))
    part = text.split("三、招商线索", 1)[1].split("下一步：", 1)[0]
    out: dict[str, list[tuple[str, str, str]]] = {}
    current: list[tuple[str, str, str]] = []
    for line in part.splitlines():
        if line.startswith("  【") and line.endswith("】"):
            current = out.setdefault(line.strip()[1:-1], [])
        elif m := LEAD_LINE.match(line):
            assert int(m.group(1)) == len(current) + 1
            current.append((m.group(2), m.group(3), m.group(4)))
    return out


def _leads(chain: str, k: int) -> dict:
    return json.loads(_ok("leads", "--chain", chain, "-k", str(k), "--format", "json"))


def _assert_same_rankings(k: int = 3) -> list[dict]:
    chains = json.loads(_ok("gaps", "--format", "json"))
    demo = _demo_rankings(k)
    assert list(demo) == [chains["chain_names"][c] for c in chains["chains"]]
    pages = []
    for chain in chains["chains"]:
        page = _leads(chain, k)
        want = [(ld["name"], f"{ld['score']:.2f}", ld["gap_segment_name"]) for ld in page["items"]]
        assert len(want) == min(k, page["total"])  # chains whose gaps are all 待核实 have none (chainmap.census)
        assert demo[chains["chain_names"][chain]] == want, chain
        pages.append(page)
    return pages


def _add_outcomes(n: int) -> list[str]:
    """Register the top ``n`` leads as projects; move every other one to 签约, drop the rest."""
    from chainmap.projects.service import create_project, transition_project
    from chainmap.storage.factory import open_store

    top = json.loads(_ok("leads", "-k", str(n), "--format", "json"))["items"]
    start = date(2021, 3, 1)
    store = open_store()
    try:
        for i, lead in enumerate(top):
            pid = f"p-{i}"
            create_project(
                store=store,
                project_in={"id": pid, "enterprise": {"name": lead["name"]}, "task_force": "专班",
                            "task_force_kind": "squad", "owner": "张三", "created": start,
                            "segment": lead["gap_segment_id"]},
            )  # fmt: skip
            if i % 2 == 0:
                for step, stage in enumerate(("contacted", "negotiating", "signed"), start=1):
                    transition_project(store=store, project_id=pid, to=stage,
                                       on=start + timedelta(days=10 * step + i), actor="张三")  # fmt: skip
            else:
                transition_project(store=store, project_id=pid, to="dropped", on=start + timedelta(days=20 + i),
                                   actor="张三", reason="选址他处")  # fmt: skip
    finally:
        store.close()
    return [ld["name"] for ld in top]


def test_demo_and_leads_rank_alike_before_and_after_outcomes() -> None:
    assert _ok("init")
    before = _assert_same_rankings()
    assert all(p["model"] == "prior" and p["n_outcomes"] == 0 for p in before)

    _add_outcomes(12)  # 6 signed, 6 dropped: enough for the learned model to take part
    after = _assert_same_rankings()
    assert all(p["n_outcomes"] == 12 and p["model"] != "prior" for p in after), [
        (p["model"], p["n_outcomes"]) for p in after
    ]
    # the outcomes change the scores, so the agreement above is not the prior agreeing with itself
    assert [ld["score"] for p in before for ld in p["items"]] != [ld["score"] for p in after for ld in p["items"]]
