"""Ranking metrics on a hand-computed toy ranking; backtest runs."""

from __future__ import annotations

import math

import pytest

from chainmap.exceptions import InvalidInput
from matching.backtest import (
    average_precision,
    backtest,
    dcg_at_k,
    format_table,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    synthetic_outcomes,
)
from matching.candidates import load_demo_candidates
from matching.features import build_candidate_matrix, build_segment_context

# ranked labels: hits at ranks 1, 3, 6; 3 positives in all
Y = [1, 0, 1, 0, 0, 1, 0]


def test_precision_recall_at_k():
    assert precision_at_k(Y, 1) == 1.0
    assert precision_at_k(Y, 3) == pytest.approx(2 / 3)
    assert precision_at_k(Y, 5) == pytest.approx(2 / 5)
    assert recall_at_k(Y, 3) == pytest.approx(2 / 3)
    assert recall_at_k(Y, 7) == 1.0
    assert recall_at_k([0, 0], 1) == 0.0
    with pytest.raises(InvalidInput):
        precision_at_k(Y, 0)


def test_ndcg_at_k():
    # DCG@5 = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) + 1/log2(4)
    assert dcg_at_k(Y, 5) == pytest.approx(1.5)
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at_k(Y, 5) == pytest.approx(1.5 / ideal)
    assert ndcg_at_k(Y, 5) == pytest.approx(0.7039, abs=1e-4)
    assert ndcg_at_k([1, 1, 0], 2) == 1.0 and ndcg_at_k([0, 0], 2) == 0.0


def test_average_precision():
    # (1/1 + 2/3 + 3/6) / 3
    assert average_precision(Y) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert average_precision([0, 0, 0]) == 0.0


def test_ranking_metrics_sorts_by_score():
    scores = [0.9, 0.1, 0.8, 0.2, 0.3, 0.4, 0.0]  # order: 0, 2, 5, 4, 3, 1, 6 -> labels 1, 1, 1, 0, ...
    m = ranking_metrics(scores, Y, 3)
    assert m == {"precision_at_k": 1.0, "recall_at_k": 1.0, "ndcg_at_k": 1.0, "average_precision": 1.0}


@pytest.fixture(scope="module")
def demo():
    from chainmap.analysis.gaps import analyze_gaps
    from chainmap.seed import load_seed

    data = load_seed()
    items = analyze_gaps(data).items
    ctx = build_segment_context(data)
    cm = build_candidate_matrix(load_demo_candidates(data).candidates, ctx)
    return cm, ctx, items


def test_synthetic_history_is_labelled_and_backtest_runs(demo):
    cm, ctx, items = demo
    outs = synthetic_outcomes(cm, ctx, items, n=300, seed=1)
    assert len(outs) == 300 and all(o["synthetic"] is True for o in outs)
    assert outs == synthetic_outcomes(cm, ctx, items, n=300, seed=1)  # fixed seed
    res = backtest(cm, ctx, items, outs, k=10, synthetic=True)
    assert res.synthetic and res.n_train + res.n_test == 300 and res.unmatched == 0
    assert [r["method"] for r in res.rows] == ["model", "prior", "random"]
    by = {r["method"]: r for r in res.rows}
    assert by["model"]["average_precision"] > by["random"]["average_precision"]
    # The prior orders by gap priority first since the lead-order rule (issue 15), while the
    # synthetic outcomes are drawn from candidate fit: on them it is only about as good as random.
    # Printed, not asserted; the learned model must still beat random (above).
    print(f"\nsynthetic backtest AP: model {by['model']['average_precision']:.3f}, "
          f"prior {by['prior']['average_precision']:.3f}, random {by['random']['average_precision']:.3f}")
    text = format_table(res, "zh")
    assert text.startswith("【合成数据】") and "并非真实" in text
    assert res.to_dict()["label"].startswith("SYNTHETIC")
    grp = backtest(cm, ctx, items, outs, k=10, split="group", synthetic=True)
    assert grp.split == "group" and grp.n_test > 0


def test_time_split_trains_on_the_past(demo):
    cm, ctx, items = demo
    outs = synthetic_outcomes(cm, ctx, items, n=100, seed=2)
    res = backtest(cm, ctx, items, outs, k=5, test_fraction=0.25)
    assert (res.n_train, res.n_test) == (75, 25) and not res.synthetic


def test_backtest_needs_outcomes(demo):
    cm, ctx, items = demo
    with pytest.raises(InvalidInput, match="at least 4"):
        backtest(
            cm,
            ctx,
            items,
            [{"enterprise_name": "nobody", "segment": "qi.pack", "label": 1, "date": "2024-01-01"}],
        )
