"""Feature values on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching import geo
from matching.features import (
    CANDIDATE_FEATURES,
    FEATURE_NAMES,
    FEATURES,
    build_candidate_matrix,
    build_segment_context,
    gap_specs,
    pair_features,
    pair_features_for,
)


def _rec(name, **kw):
    base = {
        "id": f"cand.{name}",
        "name": name,
        "segments": [],
        "mapped_segments": [],
        "tags": [],
        "risk_flags": [],
        "attributes": {},
    }
    base.update(kw)
    return base


@pytest.fixture
def ctx(toy_data):
    return build_segment_context(toy_data)


def _features(ctx, recs, gaps, seg):
    cm = build_candidate_matrix(recs, ctx)
    spec = next(g for g in gap_specs(ctx, gaps, include_sound=True) if g.segment_id == seg)
    X = pair_features(cm, ctx, spec)
    return cm, [dict(zip(FEATURE_NAMES, row, strict=True)) for row in X]


def test_every_feature_documented():
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    for f in FEATURES:
        assert f.zh and f.en and f.family in ("pair", "gap", "candidate")


def test_segment_graph(ctx):
    i = ctx.index
    assert ctx.A[i["qi.separator"], i["qi.cell"]] == 1 and ctx.A[i["qi.cell"], i["qi.separator"]] == 0
    assert ctx.R[i["qi.separator"], i["qi.pack"]] == 0.5  # two supply steps
    assert ctx.tie_local.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]  # only qi.cell trades with qi.pack (local)
    assert ctx.tie_leader[i["qi.cell"]] == 1.0


def test_segment_fit_values(ctx, toy_gaps):
    recs = [
        _rec("sep", segments=["qi.separator"]),
        _rec("cell", mapped_segments=[{"segment": "qi.cell", "confidence": 0.8}]),
        _rec("pack", segments=["qi.pack"]),
        _rec("motor", segments=["qi.motor"]),
    ]
    _cm, f = _features(ctx, recs, toy_gaps, "qi.cell")
    assert (f[0]["fit_exact"], f[0]["fit_supplies"], f[0]["fit_buys"], f[0]["fit_related"]) == (0, 1, 0, 0)
    assert f[1]["fit_exact"] == pytest.approx(0.8) and f[1]["fit_supplies"] == 0
    assert (f[2]["fit_exact"], f[2]["fit_supplies"], f[2]["fit_buys"]) == (0, 0, 1)
    assert sum(f[3][k] for k in ("fit_exact", "fit_supplies", "fit_buys", "fit_related")) == 0
    assert (
        f[0]["gap_priority"] == pytest.approx(0.6) and f[0]["gap_strengthen"] == 1 and f[0]["gap_fill"] == 0
    )
    _cm, g = _features(ctx, recs, toy_gaps, "qi.pack")
    assert g[0]["fit_related"] == 0.5  # separator -> cell -> pack
    # ties weighted by the match confidence (0.8 for the mapped cell maker)
    assert g[1]["tie_local"] == pytest.approx(0.8) and g[1]["tie_leader"] == pytest.approx(0.8)
    assert g[0]["tie_local"] == 0


def test_scale_growth_geo_values(ctx, toy_gaps):
    recs = [
        _rec(
            "big",
            revenue_cny_100m=100.0,
            employees=999,
            revenue_growth=2.0,
            expansions_3y=7,
            hq_province="上海",
            hq_city="上海",
            tags=["global500", "unicorn"],
            valuation_usd_bn=9.0,
            shanxi_presence=True,
        ),
        _rec("blank"),
        _rec(
            "zero",
            revenue_cny_100m=0.0,
            employees=0,
            hq_province="广东",
            hq_city="汕头",
            shanxi_presence=False,
        ),
    ]
    _cm, (b, m, z) = _features(ctx, recs, toy_gaps, "qi.separator")
    assert b["scale_revenue"] == pytest.approx(math.log10(101) / 4)
    assert b["scale_employees"] == pytest.approx(3 / 6)
    assert b["growth_revenue"] == 1.0 and b["growth_missing"] == 0
    assert b["expansions"] == 1.0 and b["valuation"] == pytest.approx(0.5)
    assert b["tag_global500"] == 1 and b["tag_unicorn"] == 1 and b["tag_china500"] == 0
    assert b["hq_yrd"] == 1 and b["hq_jjj"] == 0 and b["hq_gba"] == 0
    d = geo.haversine_km((31.23, 121.47), geo.YUNCHENG)
    assert b["proximity"] == pytest.approx(1 - d / 3000) and b["distance_missing"] == 0
    assert b["shanxi_presence"] == 1 and b["shanxi_missing"] == 0
    # missing revenue is imputed neutrally (10 亿元) and flagged — not zero
    assert m["scale_revenue"] == pytest.approx(math.log10(11) / 4) and m["revenue_missing"] == 1
    assert m["scale_employees"] == pytest.approx(math.log10(501) / 6) and m["employees_missing"] == 1
    assert m["proximity"] == 0.5 and m["distance_missing"] == 1 and m["shanxi_missing"] == 1
    assert m["growth_revenue"] == 0 and m["growth_missing"] == 1 and m["expansions_missing"] == 1
    # a real zero is zero and not missing
    assert z["scale_revenue"] == 0 and z["revenue_missing"] == 0 and z["employees_missing"] == 0
    assert z["hq_gba"] == 0  # 汕头 is in Guangdong but not in the Greater Bay Area
    assert z["shanxi_presence"] == 0 and z["shanxi_missing"] == 0


def test_missing_revenue_scores_above_zero_revenue(ctx, toy_gaps):
    from matching.scoring import PriorScorer

    recs = [
        _rec("blank", segments=["qi.separator"]),
        _rec("zero", segments=["qi.separator"], revenue_cny_100m=0.0),
    ]
    cm = build_candidate_matrix(recs, ctx)
    spec = gap_specs(ctx, toy_gaps)[0]
    s = PriorScorer.from_config().score(pair_features(cm, ctx, spec))
    assert s[0] > s[1]


def test_risk_flags(ctx, toy_gaps):
    recs = [
        _rec("ok"),
        _rec("bad", risk_flags=["dishonest"]),
        _rec("odd", risk_flags=["abnormal_operation"]),
        _rec("pen", risk_flags=["env_penalty", "major_litigation"]),
    ]
    cm = build_candidate_matrix(recs, ctx)
    assert cm.excluded.tolist() == [False, True, True, False]
    col = CANDIDATE_FEATURES.index("risk_penalty")
    assert cm.X[:, col].tolist() == [0, 0, 0, 2]


def test_local_firms_flagged(ctx):
    recs = [_rec("运城本地电池包股份有限公司"), _rec("x", hq_city="运城"), _rec("y", hq_city="太原")]
    cm = build_candidate_matrix(recs, ctx)
    assert cm.local.tolist() == [True, True, False]


def test_pair_features_for_matches_pair_features(ctx, toy_gaps):
    recs = [
        _rec("a", segments=["qi.separator", "qi.electrolyte"]),
        _rec("b", segments=["qi.pack"], expansions_3y=2),
    ]
    cm = build_candidate_matrix(recs, ctx)
    specs = gap_specs(ctx, toy_gaps)
    for spec in specs:
        full = pair_features(cm, ctx, spec)
        some = pair_features_for(cm, ctx, [1, 0], [spec, spec])
        np.testing.assert_allclose(some, full[[1, 0]], rtol=1e-6)
    # clipped to 1 even when two of its segments supply the gap segment
    cell = next(s for s in specs if s.segment_id == "qi.cell")
    assert pair_features(cm, ctx, cell)[0, FEATURE_NAMES.index("fit_supplies")] == 1.0
