"""Per-chain slots (issue 18.3): a second, large chain whose vocabulary overlaps does not crowd out others."""

from __future__ import annotations

from chainmap.classify import SegmentClassifier
from chainmap.models import Chain, Segment


def seg(i: str, chain: str, zh: str, kw) -> Segment:
    return Segment(id=i, chain=chain, name_zh=zh, name_en=i, stage="midstream", keywords_zh=list(kw))


SMALL = [
    seg("qi.separator", "qi", "锂电池隔膜", ["湿法隔膜", "隔膜"]),
    seg("qi.cell", "qi", "电芯", ["动力电池", "锂离子电池"]),
    seg("qi.motor", "qi", "驱动电机", ["驱动电机", "永磁同步电机"]),
    seg("sheng.api", "sheng", "原料药", ["原料药"]),
]
# a large chain (120 segments) that reuses the small chains' words and adds longer ones
BIG = [seg(f"big.s{i:03d}", "big", f"大链环节{i}", kw) for i, kw in enumerate(
    [["隔膜"], ["动力电池"], ["驱动电机"], ["原料药"], ["电池"], ["电机"], ["湿法"], ["锂离子"]] * 15)]
CHAINS = [Chain(id="qi", name_zh="汽", name_en="Q", letter="汽"), Chain(id="sheng", name_zh="生", name_en="S", letter="生"),
          Chain(id="big", name_zh="大", name_en="B", letter="汽")]
TEXTS = ["湿法隔膜", "动力电池、驱动电机", "永磁同步电机", "原料药", "锂离子电池、湿法隔膜、原料药"]


def test_per_chain_ranking_does_not_depend_on_other_chains():
    alone = SegmentClassifier(SMALL, chains=CHAINS[:2])
    both = SegmentClassifier(SMALL + BIG, chains=CHAINS)
    for t in TEXTS:
        for chain in ("qi", "sheng"):
            assert both.assign(products=t, chain=chain) == alone.assign(products=t, chain=chain), (t, chain)


def test_overall_slots_keep_each_chains_best():
    alone = SegmentClassifier(SMALL, chains=CHAINS[:2])
    both = SegmentClassifier(SMALL + BIG, chains=CHAINS)
    for t in TEXTS:
        best = alone.assign(products=t)[0].segment
        got = [a.segment for a in both.assign(products=t)]
        assert best in got, (t, got)
        # the big chain takes at most one slot of three while the small chains have candidates
        assert sum(s.startswith("big.") for s in got) <= 1, (t, got)


def test_ties_go_to_the_chain_with_more_evidence_then_the_chain_order():
    both = SegmentClassifier(SMALL + BIG, chains=CHAINS)
    # 湿法隔膜: qi has the 4-character term, big only 湿法/隔膜 (2 characters): qi first
    assert both.assign(products="湿法隔膜")[0].segment == "qi.separator"
    # 原料药 scores the same in sheng.api and big.s003/...: sheng is listed before big
    assert both.assign(products="原料药")[0].segment == "sheng.api"


def test_best_segments_per_chain():
    both = SegmentClassifier(SMALL + BIG, chains=CHAINS)
    assert [a.segment for a in both.assign(products="动力电池、驱动电机", chain="qi")] == ["qi.cell", "qi.motor"]
    # in the big chain each word names 15 segments: too ambiguous to assign any one of them
    assert both.assign(products="动力电池、驱动电机", chain="big") == []
    # a word that names one big segment is assigned there
    uniq = SegmentClassifier([*SMALL, *BIG, seg("big.pack", "big", "电池包", ["动力电池包"])], chains=CHAINS)
    assert [a.segment for a in uniq.assign(products="动力电池包", chain="big")] == ["big.pack"]
    assert [a.segment for a in uniq.assign(products="动力电池包")] == ["big.pack"]
