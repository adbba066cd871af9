"""What the CLI loads at start-up (not how long it takes: benchmarks/bench_startup.py times it).

`chainmap --help` and `chainmap chains` must not pull in the heavy stacks: each is checked in a
fresh interpreter, through sys.modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("networkx", "numpy", "scipy", "pandas", "sklearn", "fastapi", "openpyxl", "uvicorn")

PROBE = """
import json, sys
args = json.loads(sys.argv[1])
import api.cli
if args:
    try:
        api.cli.app(args)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in set(json.loads(sys.argv[2])))), file=sys.stderr)
"""


def _loaded(args: list[str], watch: tuple[str, ...], tmp_path: Path) -> list[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CHAINMAP_STORE": "sqlite",
        "CHAINMAP_SQLITE_PATH": str(tmp_path / "startup.db"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(watch)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_import_api_cli_loads_no_heavy_module(tmp_path: Path) -> None:
    assert _loaded([], (*HEAVY, "chainmap.projects"), tmp_path) == []


def test_help_loads_no_heavy_module_nor_rich_nor_pydantic(tmp_path: Path) -> None:
    # plain help (no rich); the project context is mounted lazily (its pydantic models stay unloaded)
    loaded = _loaded(["--help"], (*HEAVY, "rich", "pydantic", "chainmap"), tmp_path)
    assert [m for m in loaded if not m.startswith("chainmap")] == []
    assert "chainmap.cli" in loaded and not [m for m in loaded if m.startswith("chainmap.projects")]


def test_chains_loads_no_graph_or_analysis_stack(tmp_path: Path) -> None:
    assert _loaded(["init"], (), tmp_path) == []
    assert _loaded(["chains"], HEAVY, tmp_path) == []
    # ...and the command still works: the graph is built only when a command needs it
    assert "networkx" in _loaded(["chain", "show", "qi"], ("networkx",), tmp_path)


def test_the_lazy_projects_group_is_the_projects_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api import cli as root
    from chainmap.projects import cli as projects_cli

    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "p.db"))
    assert root.PROJECTS_HELP == projects_cli.app.info.help
    runner = CliRunner()
    res = runner.invoke(root.app, ["projects", "--help"])
    assert res.exit_code == 0, res.output
    for name in ("add", "move", "update", "log", "show", "list", "kpi", "export", "targets"):
        assert f"  {name} " in res.stdout, name
    res = runner.invoke(root.app, ["projects", "targets", "list", "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    res = runner.invoke(root.app, ["projects", "nope"])
    assert res.exit_code == 2 and "nope" in res.output


def test_graph_formats_of_the_service_are_the_exports_plus_svg() -> None:
    from chainmap import service
    from chainmap.graph import EXPORT_FORMATS

    assert service.GRAPH_FORMATS == (*EXPORT_FORMATS, "svg")


def test_chains_loads_only_its_own_command_module(tmp_path: Path) -> None:
    # the core's commands and the matching layer's groups are mounted lazily (chainmap.cli.main.COMMANDS)
    _loaded(["init"], (), tmp_path)
    loaded = _loaded(["chains"], ("chainmap", "matching"), tmp_path)
    assert "chainmap.cli.chains" in loaded
    for other in ("chainmap.cli.gaps", "chainmap.cli.graph", "chainmap.cli.transfer", "chainmap.analysis.gaps_text", "matching.cli"):
        assert other not in loaded, other
    # ...while --help still lists every command (each loaded to show its help)
    assert {"chainmap.cli.gaps", "chainmap.cli.seed", "matching.cli"} <= set(_loaded(["--help"], ("chainmap", "matching"), tmp_path))


def test_chains_output_is_the_locality_rule_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`chainmap chains` (lazily mounted) prints, per chain, the enterprises that the locality rule
    (chainmap.data.local_enterprises) and the presence rule (Enterprise.presences) give, counted
    here independently of ChainData.summary, for the city and for a county."""
    from api import cli as root
    from chainmap.data import local_enterprises
    from chainmap.seed import load_seed

    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "c.db"))
    data = load_seed()
    runner = CliRunner()
    for region in ("yuncheng", "yanhu"):
        res = runner.invoke(root.app, ["chains", "--format", "json", "--region", region])
        assert res.exit_code == 0, res.output
        rows = {r["id"]: r for r in json.loads(res.stdout)}
        assert set(rows) == {c.id for c in data.chains}
        for c in data.chains:
            in_chain = {s.id for s in data.segments if (data.chain_root[s.chain] == c.id if not c.parent else s.chain == c.id)}
            firms = [e for e in local_enterprises(data, region) if any(p.segment in in_chain for p in e.presences())]
            assert rows[c.id]["enterprises"] == len(firms), (region, c.id)
            assert rows[c.id]["segments"] == len(in_chain), (region, c.id)
        if region == "yuncheng":
            city = rows
    table = runner.invoke(root.app, ["chains"])  # the table shows the city's counts
    assert table.exit_code == 0
    shown = {line.split()[0]: line.split()[-1] for line in table.stdout.splitlines()[2:] if line.strip()}
    assert shown == {cid: str(r["enterprises"]) for cid, r in city.items()}


#: What `chainmap chains` must not load: the graph, analysis, census, project and matching
#: stacks, the seed reader (the store is initialised), the name resolver (the region is an id),
#: OpenSSL (hashlib: only version tags need it) -- each of them cost start-up time once
NOT_FOR_CHAINS = (
    *HEAVY, "yaml", "hashlib", "_hashlib", "matching",
    "chainmap.graph", "chainmap.analysis", "chainmap.classify", "chainmap.census", "chainmap.projects",
    "chainmap.resolve", "chainmap.seed", "chainmap.reports", "chainmap.tabular", "chainmap.names",
    "chainmap.limits", "chainmap.editing", "chainmap.storage.transfer", "chainmap.storage.neo4j",
)  # fmt: skip

STATE_PROBE = """
import io, json, sys, contextlib
import api.cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        api.cli.app(json.loads(sys.argv[1]))
    except SystemExit as exc:
        code = exc.code
import tokenize
from chainmap import text_hygiene
print(json.dumps({
    "code": code,
    "stdout": out.getvalue(),
    "modules": sorted(sys.modules),
    # compiled on first use only: a builtin default_factory (list, dict) in a model makes pydantic
    # parse the builtin's text signature with tokenize, compiling tokenize's patterns
    "tokenize_patterns": tokenize._compile.cache_info().currsize,
    "escape_pattern": text_hygiene._escape_re.cache_info().currsize,
    "number_patterns": text_hygiene._number_re.cache_info().currsize,
}), file=sys.stderr)
"""


def _state(args: list[str], tmp_path: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CHAINMAP_STORE": "sqlite",
        "CHAINMAP_SQLITE_PATH": str(tmp_path / "startup.db"),
    }
    out = subprocess.run(
        [sys.executable, "-c", STATE_PROBE, json.dumps(args)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    state: dict[str, Any] = json.loads(out.stderr.strip().splitlines()[-1])
    return state


def _under(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_chains_loads_none_of_what_it_does_not_need(tmp_path: Path) -> None:
    """Regression guard of the start-up work (benchmarks/bench_startup.py times it): what
    `chainmap chains` loads and compiles, checked in a fresh interpreter."""
    assert _state(["init"], tmp_path)["code"] in (0, None)
    state = _state(["chains", "--region", "yanhu"], tmp_path)
    assert state["code"] in (0, None) and "qi" in state["stdout"]
    assert _under(state["modules"], NOT_FOR_CHAINS) == []
    assert state["tokenize_patterns"] == 0
    assert state["escape_pattern"] == 0 and state["number_patterns"] == 0
    # ...while the probe does see what the command loads (the store, the models, the policies)
    assert {"chainmap.storage.sqlite", "chainmap.models", "chainmap.policies", "sqlite3"} <= set(state["modules"])


def test_chains_answers_from_the_kept_summary_without_models(tmp_path: Path) -> None:
    """The second `chainmap chains` reads the summary the first one kept in the store: the same
    output, with neither pydantic nor the models loaded; a graph write retires it."""
    assert _state(["init"], tmp_path)["code"] in (0, None)
    first = _state(["chains", "--format", "json"], tmp_path)
    assert "chainmap.models" in first["modules"]  # computed from the read model, then kept
    again = _state(["chains", "--format", "json"], tmp_path)
    assert again["stdout"] == first["stdout"]
    assert _under(again["modules"], ("pydantic", "pydantic_core", "chainmap.models", "chainmap.data", "chainmap.service")) == []
    table = _state(["chains"], tmp_path)  # the table comes from the same kept rows
    assert "chainmap.models" not in table["modules"] and "qi" in table["stdout"]

    # a new local enterprise in 汽 (a graph write): the summary is computed again and counts it
    from chainmap.models import Enterprise, SegmentPresence
    from chainmap.storage.sqlite import SQLiteStore

    with SQLiteStore(tmp_path / "startup.db") as store:
        seg = next(s.id for s in store.list_segments("qi"))
        store.upsert_enterprise(Enterprise(id="kept-test", name="测试汽车零部件有限公司", county="yanhu",
                                           segments=[SegmentPresence(segment=seg)]))
    changed = _state(["chains", "--format", "json"], tmp_path)
    assert "chainmap.models" in changed["modules"]
    before = {r["id"]: r["enterprises"] for r in json.loads(first["stdout"])}
    after = {r["id"]: r["enterprises"] for r in json.loads(changed["stdout"])}
    assert after["qi"] == before["qi"] + 1
    assert {k: v for k, v in after.items() if k != "qi" and not k.startswith("qi.")} == {
        k: v for k, v in before.items() if k != "qi" and not k.startswith("qi.")
    }


def test_chains_on_a_read_only_store_answers_without_keeping(tmp_path: Path) -> None:
    """A store that cannot be written still answers `chainmap chains` (the summary is
    computed, not kept), with the same rows as a writable one."""
    assert _state(["init"], tmp_path)["code"] in (0, None)
    db = tmp_path / "startup.db"
    expected = _state(["chains", "--format", "json"], tmp_path)["stdout"]
    from chainmap.storage.sqlite import SQLiteStore

    with SQLiteStore(db) as store:  # retire the kept summary (a graph write) ...
        store.upsert_chain(store.get_chain("qi"))
    uri = "file:" + str(db) + "?mode=ro"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "CHAINMAP_STORE": "sqlite", "CHAINMAP_SQLITE_PATH": uri}
    for _ in range(2):  # ... and read it read-only, twice: computed each time, never kept
        out = subprocess.run([sys.executable, "-c", STATE_PROBE, json.dumps(["chains", "--format", "json"])],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        state = json.loads(out.stderr.strip().splitlines()[-1])
        assert state["code"] in (0, None) and state["stdout"] == expected
        assert "chainmap.models" in state["modules"]
