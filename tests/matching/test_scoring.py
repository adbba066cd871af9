"""Prior, LeadScorer and blending."""

from __future__ import annotations

import numpy as np
import pytest

from chainmap.exceptions import InvalidInput
from matching.features import FEATURE_NAMES
from matching.scoring import (
    BlendedScorer,
    LeadScorer,
    PriorScorer,
    ScoringInputError,
    blend_weight,
    fit_lead_scorer,
    load_config,
)

F = len(FEATURE_NAMES)


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, F))
    logit = 3 * X[:, 0] - 2 * X[:, 5] + X[:, 10] - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_weights_yaml_loads_and_documents_every_weight():
    cfg = load_config()
    assert set(cfg.weights) == set(FEATURE_NAMES)
    assert cfg.weights["risk_penalty"] < 0
    assert all(cfg.weights[f] == 0 for f in FEATURE_NAMES if f.endswith("_missing"))


def test_weights_yaml_refuses_unknown_feature(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("weights:\n  fit_exact: 1\n  fit_exactt: 2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as ei:
        load_config(p)
    assert "fit_exactt" in str(ei.value)


def test_config_overrides():
    cfg = load_config(ranking={"max_per_city": 1})
    assert cfg.ranking.max_per_city == 1 and cfg.ranking.max_per_group == load_config().ranking.max_per_group


def test_prior_contributions_sum_to_score():
    X, _y = _data(50)
    prior = PriorScorer.from_config()
    np.testing.assert_allclose(prior.contributions(X).sum(axis=1), prior.score(X))


def test_prior_refuses_nan_with_actionable_message():
    X = np.zeros((2, F))
    X[1, FEATURE_NAMES.index("scale_revenue")] = np.nan
    with pytest.raises(ScoringInputError) as ei:
        PriorScorer.from_config().score(X)
    assert "scale_revenue" in str(ei.value) and isinstance(ei.value, ValueError | InvalidInput)
    with pytest.raises(ScoringInputError, match="one column per feature"):
        PriorScorer.from_config().score(np.zeros((2, 3)))


def test_lead_scorer_contributions_and_linear_terms():
    X, y = _data()
    m = LeadScorer().fit(X, y)
    assert m.calibrator_ is not None  # enough of each class
    c = m.contributions(X)
    np.testing.assert_allclose(c.sum(axis=1) + m.intercept_, m.decision_function(X), atol=1e-9)
    w, b = m.linear_terms()
    np.testing.assert_allclose(X @ w + b, m.decision_function(X), atol=1e-9)
    p = m.predict_proba(X)
    assert p.shape == (len(X), 2) and np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p[:, 1], m.proba_from_decision(m.decision_function(X)))


def test_lead_scorer_uncalibrated_when_few_positives():
    X, y = _data(30, seed=1)
    m = LeadScorer(calibrate_min_per_class=50).fit(X, y)
    assert m.calibrator_ is None
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], 1 / (1 + np.exp(-m.decision_function(X))))


def test_lead_scorer_errors_are_actionable():
    X, y = _data(20)
    with pytest.raises(ScoringInputError, match="both classes"):
        LeadScorer().fit(X, np.ones(20, dtype=int))
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ScoringInputError, match="impute"):
        LeadScorer().fit(Xn, y)


def test_fit_lead_scorer_needs_enough_outcomes():
    X, y = _data(5)
    assert fit_lead_scorer(X, y) is None
    X, y = _data(60)
    assert isinstance(fit_lead_scorer(X, y), LeadScorer)


def test_blend_weight_and_explanations_add_up():
    assert blend_weight(0, 50) == 0 and blend_weight(150, 50) == 0.75
    X, y = _data()
    model = LeadScorer().fit(X, y)
    bs = BlendedScorer(PriorScorer.from_config(), model, n_outcomes=len(y), n0=50)
    assert bs.w == pytest.approx(200 / 250)
    score, contrib, base = bs.explain(X)
    np.testing.assert_allclose(contrib.sum(axis=1) + base, score, atol=1e-9)
    np.testing.assert_allclose(score, bs.score(X), atol=1e-12)
    expected = (1 - bs.w) * bs.prior.score(X) + bs.w * model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(score, expected, atol=1e-12)
    # without a model the blend is the prior
    bp = BlendedScorer(PriorScorer.from_config())
    np.testing.assert_allclose(bp.score(X), bp.prior.score(X))
