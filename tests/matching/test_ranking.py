"""Ranking: scope, pagination, diversity, exclusions, reasons, lead JSON."""

from __future__ import annotations

import pytest

from chainmap.exceptions import InvalidInput, NotFound
from matching.ranking import Lead, apply_diversity, rank_leads
from matching.scoring import load_config


def _rec(i, **kw):
    base = {
        "id": f"cand.t{i:03d}",
        "name": f"企业{i:03d}",
        "segments": [],
        "mapped_segments": [],
        "tags": [],
        "risk_flags": [],
        "attributes": {},
    }
    base.update(kw)
    return base


@pytest.fixture
def pool():
    recs = [
        _rec(
            1, segments=["qi.separator"], hq_province="江苏", hq_city="常州", expansions_3y=3, tags=["listed"]
        ),
        _rec(2, segments=["qi.separator"], hq_province="广东", hq_city="深圳", attributes={"group": "G"}),
        _rec(3, segments=["qi.separator"], hq_province="广东", hq_city="深圳", attributes={"group": "G"}),
        _rec(4, segments=["qi.separator"], hq_province="广东", hq_city="深圳"),
        _rec(5, segments=["qi.separator"], hq_province="广东", hq_city="深圳"),
        _rec(6, segments=["qi.separator"], risk_flags=["dishonest"], tags=["global500"]),
        _rec(7, segments=["qi.electrolyte"], hq_province="北京", hq_city="北京"),
        _rec(8, segments=["qi.motor"], tags=["global500", "china500"], revenue_cny_100m=5000.0),
        _rec(9, hq_province="上海"),  # no segment: never a lead
        _rec(10, segments=["qi.separator"], hq_city="运城"),  # local: not a lead
    ]
    return recs


def test_gap_list_diversity_and_exclusions(toy_data, toy_gaps, pool):
    page = rank_leads(toy_data, toy_gaps, pool, k=20, gap="qi.separator")
    names = [ld.name for ld in page.items]
    assert "企业006" not in names  # dishonest: excluded
    assert "企业010" not in names  # local firm
    assert "企业009" not in names  # no relation to the gap
    assert names[0] == "企业001"  # exact fit, expanding, listed, YRD
    # diversity re-ranks, never hides: the 4th 深圳 firm is listed, after the first round (max_per_city = 3)
    sz = [(ld.rank, ld.round) for ld in page.items if ld.hq_city == "深圳"]
    assert [r for _rank, r in sz] == [1, 1, 1, 2] and sz[-1][0] == 5
    assert sum(1 for ld in page.items if ld.group == "G" and ld.round == 1) <= 2
    assert page.total == len(page.items) == 5
    assert all(ld.gap_segment_id == "qi.separator" and ld.gap_status == "fill" for ld in page.items)


def test_diversity_is_configurable(toy_data, toy_gaps, pool):
    cfg = load_config(ranking={"max_per_city": 1, "max_per_group": 1})
    page = rank_leads(toy_data, toy_gaps, pool, k=20, gap="qi.separator", config=cfg)
    assert [ld.hq_city for ld in page.items if ld.round == 1].count("深圳") == 1
    assert [ld.hq_city for ld in page.items].count("深圳") == 4  # all reachable, in later rounds
    assert [ld.round for ld in page.items] == sorted(ld.round for ld in page.items)


def test_apply_diversity_by_group():
    assert apply_diversity(["a", "b", "c"], ["g", "g", "g"], max_per_city=5, max_per_group=2, limit=9) == [0, 1, 2]
    assert apply_diversity(["a", "a", "b"], [None] * 3, max_per_city=1, max_per_group=1, limit=9) == [0, 2, 1]
    assert apply_diversity([None] * 4, [None] * 4, max_per_city=1, max_per_group=1, limit=3) == [0, 1, 2]


def test_overall_list_each_candidate_once_and_pages(toy_data, toy_gaps, pool):
    all_ = rank_leads(toy_data, toy_gaps, pool, k=20)
    ids = [ld.candidate_id for ld in all_.items]
    assert len(ids) == len(set(ids))
    assert all_.scope == "overall" and all_.total == len(ids)
    # electrolyte maker supplies the cell gap; motor maker fits the extend gap
    by = {ld.name: ld for ld in all_.items}
    assert by["企业007"].gap_segment_id == "qi.cell" and by["企业008"].gap_segment_id == "qi.motor"
    rounds = [ld.round for ld in all_.items]
    assert rounds == sorted(rounds)  # diversity rounds, each in score order
    for r in set(rounds):
        sc = [ld.score for ld in all_.items if ld.round == r]
        assert sc == sorted(sc, reverse=True)
    p1 = rank_leads(toy_data, toy_gaps, pool, k=2, page=1)
    p2 = rank_leads(toy_data, toy_gaps, pool, k=2, page=2)
    assert p1.total == p2.total == all_.total and p1.page_size == 2
    assert [ld.candidate_id for ld in p1.items + p2.items] == ids[:4]
    assert [ld.rank for ld in p2.items] == [3, 4]
    sound = [ld for ld in all_.items if ld.gap_status == "sound"]
    assert sound == []


def test_chain_scope_and_errors(toy_data, toy_gaps, pool):
    assert rank_leads(toy_data, toy_gaps, pool, chain="qi").total > 0
    with pytest.raises(NotFound):
        rank_leads(toy_data, toy_gaps, pool, chain="zz")
    with pytest.raises(NotFound):
        rank_leads(toy_data, toy_gaps, pool, gap="qi.nope")
    with pytest.raises(NotFound, match="sound"):
        rank_leads(toy_data, toy_gaps, pool, gap="qi.pack")
    with pytest.raises(InvalidInput):
        rank_leads(toy_data, toy_gaps, pool, k=0)
    with pytest.raises(InvalidInput):
        rank_leads(toy_data, toy_gaps, pool, page=0)
    with pytest.raises(InvalidInput):
        rank_leads(toy_data, toy_gaps, pool, lang="fr")


def test_lead_fields_contributions_and_reasons(toy_data, toy_gaps, pool):
    page = rank_leads(toy_data, toy_gaps, pool, k=1, gap="qi.separator")
    ld = page.items[0]
    doc = ld.model_dump(mode="json")
    for key in (
        "name",
        "credit_code",
        "gap_segment_id",
        "gap_status",
        "score",
        "contributions",
        "reason",
        "candidate_id",
        "chain_id",
        "gap_priority",
        "blend_weight",
    ):
        assert key in doc
    assert ld.blend_weight == 0 and page.model == "prior"
    assert sum(ld.contributions.values()) + ld.baseline == pytest.approx(ld.score, abs=1e-5)
    assert ld.score == pytest.approx(ld.prior_score)
    assert ld.reason == "补链：本地缺少隔膜；该企业生产隔膜，近三年新建3个基地，总部位于长三角"
    en = rank_leads(toy_data, toy_gaps, pool, k=1, gap="qi.separator", lang="en").items[0]
    assert en.reason == (
        "Fill: Yuncheng lacks Separator; the firm makes Separator, opened 3 new bases in three years, "
        "headquartered in the Yangtze River Delta"
    )
    cell = rank_leads(toy_data, toy_gaps, pool, k=5, gap="qi.cell").items
    sup = next(x for x in cell if x.name == "企业007")
    assert sup.relation == "supplier"
    assert sup.reason.startswith("强链：本地电芯环节薄弱；该企业生产电解液，是电芯的直接上游，可为本地电芯企业配套")


def test_risk_penalty_noted_in_reason(toy_data, toy_gaps):
    pool = [_rec(1, segments=["qi.motor"], risk_flags=["env_penalty"])]
    ld = rank_leads(toy_data, toy_gaps, pool, gap="qi.motor").items[0]
    assert ld.contributions["risk_penalty"] == pytest.approx(-0.10)
    assert ld.reason.endswith("（注意：有1项风险记录）")


def test_outcomes_train_model_and_blend(toy_data, toy_gaps):
    pool = [_rec(i, segments=["qi.separator" if i % 2 else "qi.electrolyte"],
                 hq_province="江苏" if i % 3 else "广东", expansions_3y=i % 4) for i in range(60)]  # fmt: skip
    outcomes = [{"enterprise_name": r["name"], "segment": "qi.separator" if i % 2 else "qi.cell",
                 "label": int(i % 3 != 0), "date": f"2023-01-{i % 28 + 1:02d}"} for i, r in enumerate(pool)]  # fmt: skip
    page = rank_leads(toy_data, toy_gaps, pool, k=5, outcomes=outcomes)
    assert page.model == "prior+model" and page.n_outcomes == 60
    assert page.blend_weight == pytest.approx(60 / 110, abs=1e-4)
    for ld in page.items:
        assert ld.blend_weight == page.blend_weight
        assert sum(ld.contributions.values()) + ld.baseline == pytest.approx(ld.score, abs=1e-4)
    assert isinstance(page.items[0], Lead)
