"""Product text -> segments through the chain-map engine, on hand-made segments."""

from __future__ import annotations

import pytest

from chainmap.exceptions import InvalidInput
from matching.candidates import read_candidates
from matching.mapping import SegmentMapper, split_phrases


@pytest.fixture
def mapper(toy_data):
    return SegmentMapper().fit(toy_data.segments)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("湿法隔膜", ["qi.separator"]),
        ("干法隔膜生产线", ["qi.separator"]),  # keyword inside a longer phrase
        ("湿法锂电隔膜", ["qi.separator"]),  # variant: the name 隔膜 inside it
        ("动力电池、电池模组", ["qi.cell", "qi.pack"]),  # main product first
        ("Battery separator film", ["qi.separator"]),  # English phrase kept whole
        ("permanent-magnet traction motors", ["qi.motor"]),
        ("农产品加工", []),
        ("", []),
    ],
)
def test_expected_matches(mapper, text, expected):
    got = mapper.transform([text])[0]
    assert [s for s, _c in got] == expected
    assert all(0.0 <= c <= 1.0 for _s, c in got)


def test_methods_reported(mapper):
    assert mapper.transform_detailed(["干法隔膜生产线"])[0][0][2] == "text"


def test_longer_keyword_is_more_confident(mapper):
    [(_s1, short)] = mapper.transform(["隔膜"])[0]
    [(_s2, long_)] = mapper.transform(["湿法隔膜"])[0]
    assert short < long_


def test_ascii_terms_need_word_boundaries(toy_data):
    from chainmap.models import Segment

    segs = [
        *toy_data.segments,
        Segment(id="qi.ev", chain="qi", name_zh="电动车", name_en="EV", stage="downstream"),
    ]
    m = SegmentMapper().fit(segs)
    assert m.transform(["smart device maker"])[0] == []
    assert [s for s, _c in m.transform(["EV maker"])[0]] == ["qi.ev"]


def test_split_phrases():
    assert split_phrases("湿法隔膜、涂覆隔膜；电解液") == ["湿法隔膜", "涂覆隔膜", "电解液"]


def test_top_n(toy_data):
    m = SegmentMapper(top_n=1).fit(toy_data.segments)
    assert [s for s, _c in m.transform(["动力电池、电池模组"])[0]] == ["qi.cell"]


def test_fit_errors(toy_data):
    with pytest.raises(InvalidInput):
        SegmentMapper().fit([])
    with pytest.raises(InvalidInput):
        SegmentMapper(top_n=0).fit(toy_data.segments)


def test_fit_on_chain_data_uses_the_seed_vocabulary(toy_data):
    """Fitted on ChainData the engine adds the seed's vocabulary for these segment ids:
    锂离子电池隔膜 is a separator term there (longest match beats the cell's 锂离子电池)."""
    m = SegmentMapper().fit(toy_data)
    assert [s for s, _c in m.transform(["锂离子电池隔膜"])[0]] == ["qi.separator"]


def test_explicit_segments_win_over_mapping(toy_data):
    text = "name,segments,main_products\n甲,qi.motor,湿法隔膜\n乙,,湿法隔膜\n"
    r = read_candidates(text.encode(), filename="m.csv", data=toy_data)
    a, b = r.candidates
    assert a["segments"] == ["qi.motor"] and a["mapped_segments"] == []
    assert [(m["segment"], m["method"]) for m in b["mapped_segments"]] == [("qi.separator", "text")]
    assert b["mapped_segments"][0]["confidence"] == 0.9
    assert b["mapped_segments"][0]["evidence"] == ["主要产品第1项「湿法隔膜」: 湿法隔膜"]
