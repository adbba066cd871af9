"""scikit-learn's estimator checks on ReviewModel (numeric input; the text input is tested in
tests/classify/test_learned.py)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from chainmap.classify.learned import ReviewModel


@parametrize_with_checks([ReviewModel(), ReviewModel(C=1.0, class_weight="balanced", tol=1e-4)])
def test_sklearn_compatible(estimator, check):  # type: ignore[no-untyped-def]
    check(estimator)
