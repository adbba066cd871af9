"""Vocabulary files and the industry-code concordance: loading, validation through the seed loader,
and the shipped seed's behaviour on the cases the census issue names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainmap.classify import SegmentClassifier
from chainmap.exceptions import InvalidInput
from chainmap.seed import load_seed, seed_dir


@pytest.fixture(scope="module")
def shipped() -> SegmentClassifier:
    return SegmentClassifier.from_data(load_seed())


def _copy_seed(tmp_path: Path) -> Path:
    dst = tmp_path / "seed"
    shutil.copytree(seed_dir(), dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dst


def _problems(root: Path) -> list[str]:
    with pytest.raises(InvalidInput) as e:
        load_seed(root)
    return e.value.context["problems"]


def test_every_segment_file_has_a_vocabulary_file_with_sources():
    root = seed_dir()
    stems = {p.stem for p in (root / "segments").glob("*.yaml")}
    assert {p.stem for p in (root / "vocabulary").glob("*.yaml")} == stems


def test_bad_vocabulary_entries_name_file_segment_and_field(tmp_path):
    root = _copy_seed(tmp_path)
    with open(root / "vocabulary" / "qi.yaml", "a", encoding="utf-8") as fh:
        fh.write("qi.nonexistent:\n  terms: [甲]\n  sources: [x]\n")
        fh.write("cai.cu.rod:\n  terms: [乙]\n  sources: [x]\n")
    text = (root / "vocabulary" / "he.yaml").read_text(encoding="utf-8")
    text = text.replace("he.sensor:\n", "he.sensor:\n  colour: red\n  weak: 3\n", 1)
    (root / "vocabulary" / "he.yaml").write_text(text, encoding="utf-8")
    (root / "vocabulary" / "zz.yaml").write_text("zz.a:\n  terms: [丙]\n", encoding="utf-8")
    probs = _problems(root)
    assert any(p.startswith("vocabulary/qi.yaml:") and "qi.nonexistent" in p and "unknown segment id" in p
               for p in probs), probs
    assert any("cai.cu.rod" in p and "defined in segments/cai.yaml" in p for p in probs), probs
    assert any(p.startswith("vocabulary/he.yaml:") and "he.sensor.colour: unknown field" in p for p in probs), probs
    assert any("he.sensor.weak: expected a list of non-empty strings, got 3" in p for p in probs), probs
    assert any(p.startswith("vocabulary/zz.yaml") and "no segment file segments/zz.yaml" in p for p in probs), probs


def test_missing_sources_and_contradictory_terms(tmp_path):
    root = _copy_seed(tmp_path)
    (root / "vocabulary" / "qi.yaml").write_text(
        "qi.cell:\n  terms: [电芯]\nqi.pack:\n  terms: [电池包]\n  negative: [电池包]\n  sources: [x]\n",
        encoding="utf-8")
    probs = _problems(root)
    assert any("vocabulary/qi.yaml:1: qi.cell.sources: missing" in p for p in probs), probs
    assert any("qi.pack.negative: term(s) both positive and negative: 电池包" in p for p in probs), probs


def test_yaml_syntax_error_has_its_line(tmp_path):
    root = _copy_seed(tmp_path)
    (root / "vocabulary" / "sheng.yaml").write_text("sheng.api:\n  terms: [原料药\n  sources: [x]\n", encoding="utf-8")
    probs = _problems(root)
    assert any(p.startswith("vocabulary/sheng.yaml:") and "YAML syntax error" in p for p in probs), probs


def test_bad_concordance_rows(tmp_path):
    root = _copy_seed(tmp_path)
    with open(root / "industry_codes.csv", "a", encoding="utf-8") as fh:
        fh.write("32,铜,cai.cu.cathode,1,producer,GB/T 4754-2017,high,\n")
        fh.write("3211,铜冶炼,cai.nope,1,producer,GB/T 4754-2017,high,\n")
        fh.write("3212,铅锌冶炼,cai.cu.cathode,1.5,producer,GB/T 4754-2017,high,\n")
        fh.write("3219,其他,cai.cu.cathode,0.5,producer,,high,\n")
    probs = _problems(root)
    assert any("industry_codes.csv:" in p and "code: expected a GB/T 4754-2017 four-digit code, got '32'" in p
               for p in probs), probs
    assert any("cai.nope.segment: unknown segment 'cai.nope'" in p for p in probs), probs
    assert any("weight: expected a number in (0, 1], got 1.5" in p for p in probs), probs
    assert any("source: missing" in p for p in probs), probs


def test_keywords_stay_a_fallback_without_vocabulary(tmp_path):
    root = _copy_seed(tmp_path)
    shutil.rmtree(root / "vocabulary")
    (root / "industry_codes.csv").unlink()
    clf = SegmentClassifier.from_data(load_seed(root), seed_path=root)
    assert clf.codes == {}
    assert [a.segment for a in clf.assign(products="湿法隔膜")] == ["qi.separator"]


@pytest.mark.parametrize(
    ("kw", "first"),
    [
        ({"products": "锂离子电池隔膜"}, "qi.separator"),
        ({"products": "铜线材、铜杆"}, "cai.cu.rod"),
        ({"products": "阴极铜、硫酸"}, "cai.cu.cathode"),
        ({"products": "新能源汽车驱动电机"}, "qi.motor"),
        ({"products": "化学药品制剂、原料药"}, "sheng.chem_drug"),
        ({"industry_code": "3217", "name": "闻喜县某镁业有限公司"}, "cai.mg.primary"),
        # the licence category 药品生产 is generic; the specific item names the segment
        ({"scope": "许可项目：药品生产。一般项目：中药饮片加工"}, "sheng.tcm.pieces"),
    ],
)
def test_shipped_seed_first_segment(shipped, kw, first):
    assert shipped.assign(**kw)[0].segment == first


@pytest.mark.parametrize(
    "kw",
    [
        {"scope": "一般项目：机械设备租赁；日用百货销售；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"},
        {"products": "新能源"},
        {"products": "白酒、饮料", "name": "山西某酒业有限公司"},
        {"scope": "许可项目：房地产开发经营。一般项目：物业管理；住房租赁"},
        {"scope": "许可项目：银行业务。一般项目：吸收公众存款；发放短期、中期和长期贷款"},
        {"products": "保健食品(预包装)销售"},
        {"products": "玉米淀粉、食用淀粉"},
    ],
)
def test_shipped_seed_out_of_scope_gets_nothing(shipped, kw):
    assert [a.segment for a in shipped.assign(**kw) if a.role.value == "producer"] == []
