"""Product text -> segments on hand-made segments."""

from __future__ import annotations

import pytest

from chainmap.exceptions import InvalidInput
from matching.candidates import read_candidates
from matching.mapping import SegmentMapper, keyword_confidence, split_phrases


@pytest.fixture
def mapper(toy_data):
    return SegmentMapper().fit(toy_data.segments)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("湿法隔膜", [("qi.separator", 1.0)]),  # exact phrase = keyword
        ("干法隔膜生产线", [("qi.separator", 0.95)]),  # keyword hit inside a phrase
        ("湿法锂电隔膜", ["qi.separator"]),  # variant: TF-IDF only
        ("动力电池、电池模组", ["qi.cell", "qi.pack"]),
        ("Battery separator film", ["qi.separator"]),  # English phrase kept whole
        ("permanent-magnet traction motors", ["qi.motor"]),
        ("农产品加工", []),
        ("", []),
    ],
)
def test_expected_matches(mapper, text, expected):
    got = mapper.transform([text])[0]
    if expected and isinstance(expected[0], tuple):
        assert got[: len(expected)] == expected
    else:
        assert sorted(s for s, _c in got) == sorted(expected)
    assert all(0.0 <= c <= 1.0 for _s, c in got)


def test_methods_reported(mapper):
    assert mapper.transform_detailed(["干法隔膜生产线"])[0][0][2] == "keyword"
    assert mapper.transform_detailed(["湿法锂电隔膜"])[0][0][2] == "tfidf"


def test_ascii_terms_need_word_boundaries(toy_data):
    from chainmap.models import Segment

    segs = [
        *toy_data.segments,
        Segment(id="qi.ev", chain="qi", name_zh="电动车", name_en="EV", stage="downstream"),
    ]
    m = SegmentMapper().fit(segs)
    assert m.keyword_hits("smart device maker") == {}
    assert m.keyword_hits("EV maker") == {len(segs) - 1: keyword_confidence("ev")}


def test_keyword_confidence_grows_with_length():
    assert keyword_confidence("镁") < keyword_confidence("隔膜") < keyword_confidence("湿法隔膜") == 0.95


def test_split_phrases():
    assert split_phrases("湿法隔膜、涂覆隔膜及电解液") == ["湿法隔膜", "涂覆隔膜", "电解液"]


def test_top_n_and_order(toy_data):
    m = SegmentMapper(top_n=1).fit(toy_data.segments)
    assert (
        m.transform(["动力电池、电池模组"])[0] == [("qi.cell", 1.0)]
        or len(m.transform(["动力电池、电池模组"])[0]) == 1
    )


def test_fit_errors():
    with pytest.raises(InvalidInput):
        SegmentMapper().fit([])


def test_explicit_segments_win_over_mapping(toy_data):
    text = "name,segments,main_products\n甲,qi.motor,湿法隔膜\n乙,,湿法隔膜\n"
    r = read_candidates(text.encode(), filename="m.csv", data=toy_data)
    a, b = r.candidates
    assert a["segments"] == ["qi.motor"] and a["mapped_segments"] == []
    assert b["mapped_segments"] == [{"segment": "qi.separator", "confidence": 1.0, "method": "tfidf"}]
