"""The seed loader: a good mini seed loads; each kind of bad file is refused
with the file, the line and the field named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput
from chainmap.seed import load_seed

MINI = Path(__file__).parent / "fixtures" / "mini_seed"


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    dst = tmp_path / "seed"
    shutil.copytree(MINI, dst)
    return dst


def _refused(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        load_seed(path)
    return info.value


def test_mini_seed_loads(seed: Path) -> None:
    data = load_seed(seed)
    assert [c.id for c in data.chains] == ["qi", "cai", "cai.mg"]
    assert len(data.segments) == 5
    G = data.graph
    assert G.edges["qi.door", "qi.body"]["kind"] == "part_of"
    assert G.edges["cai.mg.diecast", "qi.body"]["cross_chain"] is True
    assert G.edges["cai.mg.diecast", "qi.body"]["weight"] == 0.4
    assert G.edges["cai.mg.primary", "cai.mg.diecast"]["cross_chain"] is False
    summary = {r["id"]: r for r in data.summary()}
    assert summary["cai"]["segments"] == 2 and summary["cai.mg"]["segments"] == 2
    assert summary["qi"]["enterprises"] == 1  # 大运 (producer and user, counted once)
    assert summary["cai"]["enterprises"] == 1


def test_duplicate_segment_id_names_file_line_field(seed: Path) -> None:
    p = seed / "segments" / "qi.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "- id: qi.vehicle\n  chain: qi\n  name_zh: 重复\n  name_en: dup\n  stage: downstream\n", encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "segments/qi.yaml"
    assert err.context["field"] == "id"
    assert err.context["line"] == 19  # qi.yaml has 18 lines; the duplicate item starts on line 19
    assert "duplicate id 'qi.vehicle'" in str(err)


def test_dangling_link_names_row_and_field(seed: Path) -> None:
    p = seed / "links.csv"
    p.write_text(p.read_text(encoding="utf-8") + "qi.vehicle,qi.nowhere,supplies,,,\n", encoding="utf-8")
    err = _refused(seed)
    assert (err.context["file"], err.context["line"], err.context["field"]) == ("links.csv", 6, "target")
    assert "qi.nowhere" in str(err)


def test_bad_enum_value(seed: Path) -> None:
    p = seed / "segments" / "cai.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("stage: midstream", "stage: sideways"), encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "segments/cai.yaml"
    assert err.context["field"] == "stage"
    assert err.context["line"] == 11
    assert "upstream" in str(err)  # says what was expected


def test_bad_link_weight_and_kind(seed: Path) -> None:
    p = seed / "links.csv"
    p.write_text(p.read_text(encoding="utf-8") + "qi.body,qi.door,feeds,1.5,,\n", encoding="utf-8")
    err = _refused(seed)
    problems = err.context["problems"]
    assert any(s.startswith("links.csv:6: kind:") for s in problems)
    assert any(s.startswith("links.csv:6: weight:") for s in problems)


def test_part_of_cycle(seed: Path) -> None:
    p = seed / "segments" / "qi.yaml"
    text = p.read_text(encoding="utf-8").replace(
        "  stage: midstream\n- id: qi.vehicle", "  stage: midstream\n  parent: qi.door\n- id: qi.vehicle"
    )
    p.write_text(text, encoding="utf-8")
    err = _refused(seed)
    assert "part_of cycle" in str(err)
    assert err.context["field"] == "parent"


def test_unknown_chain_lists_valid(seed: Path) -> None:
    p = seed / "segments" / "qi.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("chain: qi\n  name_zh: 整车", "chain: qq\n  name_zh: 整车"), encoding="utf-8")
    err = _refused(seed)
    assert err.context["field"] == "chain"
    assert err.context["line"] == 6
    assert "valid: cai, cai.mg, qi" in str(err)


def test_bad_credit_code(seed: Path) -> None:
    p = seed / "enterprises.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  county: wenxi\n", "  county: wenxi\n  credit_code: 91350100M000100Y44\n"), encoding="utf-8")
    err = _refused(seed)
    assert (err.context["file"], err.context["field"], err.context["line"]) == ("enterprises.yaml", "credit_code", 4)
    assert "GB 32100-2015" in str(err)


def test_unknown_enterprise_tag(seed: Path) -> None:
    p = seed / "enterprises.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("[链主]", "[链主, 巨头]"), encoding="utf-8")
    err = _refused(seed)
    assert str(err).startswith("enterprises.yaml:7: tags: unknown tag '巨头'; allowed: chain_leader(链主)")


def test_unknown_enterprise_segment(seed: Path) -> None:
    p = seed / "enterprises.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("segment: cai.mg.diecast", "segment: cai.mg.nothing"), encoding="utf-8")
    err = _refused(seed)
    assert str(err).startswith("enterprises.yaml:1: segments.1.segment: unknown segment 'cai.mg.nothing'; valid: ")


def test_zone_county_mismatch(seed: Path) -> None:
    p = seed / "enterprises.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  county: yanhu\n  zone:", "  county: wenxi\n  zone:"), encoding="utf-8")
    err = _refused(seed)
    assert err.context["field"] == "zone"


def test_yaml_syntax_error_has_line(seed: Path) -> None:
    (seed / "chains.yaml").write_text("- id: qi\n  letter: [汽\n", encoding="utf-8")
    err = _refused(seed)
    assert err.context["file"] == "chains.yaml"
    assert err.context.get("line") is not None


def test_missing_folder() -> None:
    with pytest.raises(InvalidInput, match="seed folder not found"):
        load_seed("/nonexistent/seed")


def test_nothing_half_loaded(seed: Path) -> None:
    """A seed with one bad file yields no data at all (an exception, not a partial ChainData)."""
    (seed / "links.csv").write_text("source,target\nqi.body,missing\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_seed(seed)
