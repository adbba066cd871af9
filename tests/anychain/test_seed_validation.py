"""Validation that helps: one root error per cause, syntax errors alone, one link count, the id rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from chainmap.exceptions import InvalidInput
from chainmap.seed import link_counts, load_seed, seed_dir
from tests.anychain.conftest import MINIMAL_SEED, ROOT

runner = CliRunner()


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "seed"
    shutil.copytree(seed_dir(), dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dst


def _problems(seed: Path) -> list[str]:
    with pytest.raises(InvalidInput) as err:
        load_seed(seed)
    return list(err.value.context["problems"])


def _edit(path: Path, old: str, new: str, count: int = -1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_unknown_chain_of_many_segments_is_one_error_listing_valid_chains(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    _edit(seed / "segments" / "qi.yaml", "  chain: qi\n", "  chain: ckg\n")
    problems = _problems(seed)
    assert len(problems) == 1, problems
    assert "unknown chain 'ckg'" in problems[0] and "used by 42 entries" in problems[0]
    assert problems[0].startswith("segments/qi.yaml:")
    assert "valid: cai, cai.al," in problems[0] and ", qi, sheng" in problems[0]


def test_a_chain_that_fails_its_own_validation_does_not_cascade(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    _edit(seed / "chains.yaml", "- id: qi\n", "- id: QI\n")
    _edit(seed / "segments" / "qi.yaml", "  chain: qi\n", "  chain: QI\n")
    problems = _problems(seed)
    # the chain's own error, and the policy that names the (now unknown) id qi: no error per segment
    assert problems[0] == (
        "chains.yaml:12: id: 'QI' is not a valid id: lower-case ASCII letters, digits, '_' or '-', "
        "parts joined by '.' (e.g. qi.battery)"
    )
    assert len(problems) == 2 and problems[1].startswith("policies.yaml:") and "unknown chain 'qi'" in problems[1]


def test_a_bad_segment_does_not_make_its_links_fail_too(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    text = (seed / "segments" / "qi.yaml").read_text(encoding="utf-8")
    first_stage = re.search(r"  stage: upstream\n", text)
    assert first_stage is not None
    _edit(seed / "segments" / "qi.yaml", "  stage: upstream\n", "  stage: sideways\n", 1)
    problems = _problems(seed)
    assert len(problems) == 1, problems
    assert "unknown stage 'sideways'; valid: upstream, midstream, downstream, 上游, 中游, 下游" in problems[0]


def test_yaml_syntax_error_is_reported_alone_with_file_and_line(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    lines = (seed / "segments" / "qi.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, ln in enumerate(lines) if ln.startswith("  stage:"))
    lines[n] = "\t" + lines[n].lstrip()
    (seed / "segments" / "qi.yaml").write_text("".join(lines), encoding="utf-8")
    problems = _problems(seed)
    assert problems == [f"segments/qi.yaml:{n + 1}: YAML syntax error, column 1: found character '\\t' that cannot start any token"]


def test_no_valid_chain_at_all_says_so_instead_of_an_empty_list(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    (seed / "chains.yaml").write_text("[]\n", encoding="utf-8")
    problems = _problems(seed)
    assert any("unknown chain 'qi'" in p and "no valid chain is defined" in p for p in problems), problems
    assert not any(p.rstrip().endswith("valid:") for p in problems)


def test_segment_id_must_start_with_its_chain_id(tmp_path: Path) -> None:
    seed = _copy(tmp_path)
    _edit(seed / "segments" / "qi.yaml", "- id: qi.separator\n", "- id: cai.separator\n")
    _edit(seed / "links.csv", "qi.separator", "cai.separator")
    _edit(seed / "enterprises.yaml", "qi.separator", "cai.separator")
    problems = _problems(seed)
    assert len(problems) == 1, problems
    assert "segment id 'cai.separator' must start with its chain id: qi.<name>" in problems[0]


def test_check_load_and_readme_give_one_link_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_seed()
    lc = link_counts(data)
    assert lc["total"] == data.graph.number_of_edges() == lc["links"] + lc["parent_links"]
    assert lc["links"] == len(data.links)
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "c.db"))
    counts = []
    for args in (["seed", "check"], ["seed", "load"], ["seed", "check", "--lang", "en"], ["seed", "load", "--lang", "en"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        counts.append(res.output)
    zh = f"{lc['total']}条关联（关联表{lc['links']}条 + 上级环节隐含{lc['parent_links']}条；跨链{lc['cross_chain']}条）"
    en = f"{lc['total']} links ({lc['links']} in links.csv + {lc['parent_links']} implicit parent links"
    assert zh in counts[0] and zh in counts[1]
    assert en in counts[2] and en in counts[3]
    assert "0records" not in counts[1] and not re.search(r"\d+records", counts[1])
    readme = (ROOT / "graph_seed" / "README.md").read_text(encoding="utf-8")
    assert f"{lc['total']} links ({lc['links']} in `links.csv` + {lc['parent_links']} implicit parent links" in readme


def test_minimal_example_seed_passes_check() -> None:
    res = runner.invoke(app, ["seed", "check", str(MINIMAL_SEED), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "Seed OK: 1 chains, 3 segments, 2 links" in res.output
    data = load_seed(MINIMAL_SEED)
    assert data.chains[0].letter is None and data.segments[0].name_en == "矿石（zh）"


def test_readme_names_required_and_optional_files() -> None:
    readme = (ROOT / "graph_seed" / "README.md").read_text(encoding="utf-8")
    for f in ("chains.yaml", "regions.yaml", "segments/"):
        assert re.search(rf"`{re.escape(f)}[^`]*`\s*\|\s*required", readme), f
    for f in ("links.csv", "enterprises.yaml", "policies.yaml"):
        assert re.search(rf"`{re.escape(f)}`\s*\|\s*optional", readme), f
    assert "docs/examples/minimal_seed" in readme
