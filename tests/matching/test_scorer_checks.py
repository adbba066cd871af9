"""scikit-learn's estimator checks on LeadScorer."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from matching.scoring import LeadScorer


@parametrize_with_checks([LeadScorer(), LeadScorer(calibrate_min_per_class=3)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
