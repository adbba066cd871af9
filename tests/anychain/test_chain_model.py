"""Chains are data: any id, an optional letter, Chinese or English stages, optional English names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chainmap.labels import ZH_FALLBACK_MARK, english_name
from chainmap.models import Chain, Segment, Stage


def test_chain_without_letter_or_english_name() -> None:
    c = Chain(id="ckg", name_zh="产业知识图谱链")
    assert c.letter is None
    assert c.name_en == "产业知识图谱链" + ZH_FALLBACK_MARK and not c.has_english_name
    assert Chain(id="pv", name_zh="光伏", name_en="PV", letter="光").has_english_name


def test_any_short_letter_but_not_a_sentence() -> None:
    assert Chain(id="x", name_zh="x", letter="能").letter == "能"
    with pytest.raises(ValidationError, match="at most 4"):
        Chain(id="x", name_zh="x", letter="太长的标签")


@pytest.mark.parametrize(
    ("given", "stage"),
    [("上游", Stage.upstream), ("中游", Stage.midstream), ("下游", Stage.downstream),
     ("upstream", Stage.upstream), ("Midstream", Stage.midstream), (" downstream ", Stage.downstream)],
)  # fmt: skip
def test_stage_in_chinese_or_english(given: str, stage: Stage) -> None:
    assert Segment(id="c.a", chain="c", name_zh="甲", stage=given).stage is stage


def test_bad_stage_lists_every_valid_value() -> None:
    with pytest.raises(ValidationError) as err:
        Segment(id="c.a", chain="c", name_zh="甲", stage="顶层")
    msg = str(err.value)
    for v in ("upstream", "midstream", "downstream", "上游", "中游", "下游"):
        assert v in msg


def test_fallback_is_stable_on_round_trip() -> None:
    s = Segment(id="c.a", chain="c", name_zh="硅料", stage="上游")
    again = Segment.model_validate_json(s.model_dump_json())
    assert again.name_en == english_name(None, "硅料") == "硅料（zh）"
    assert not again.has_english_name
