"""Lead scores: a transparent prior, a learned estimator, and their blend.

* :class:`PriorScorer` — the weighted sum of :mod:`matching.features` with the
  weights of ``matching/weights.yaml``; contribution of feature *f* =
  ``weight[f] × x[f]``; the contributions add up to the score.
* :class:`LeadScorer` — ``LeadScorer(ClassifierMixin, BaseEstimator)``: a
  standardised logistic regression trained on past leads (1 = signed or later,
  0 = dropped; :func:`chainmap.projects.lead_outcomes`).  Contributions to the
  log-odds are ``coef · (x − mean) / scale``.  Probabilities are calibrated by
  **sigmoid (Platt) calibration** — ``CalibratedClassifierCV(method="sigmoid",
  ensemble=False)`` — once each class has ``calibrate_min_per_class`` samples;
  with fewer, the regularised logistic regression's own probabilities are used
  (isotonic calibration needs far more positives than a task force has).
* :class:`BlendedScorer` — ``score = (1 − w) · prior + w · p_model`` with
  ``w = n / (n + n0)`` (n labelled outcomes); with no model, ``w = 0`` and the
  score is the prior.  Contributions of the blend add up to the score: the
  prior's are scaled by ``1 − w``; the model's share ``p − p₀`` (p₀ = the
  probability at the training mean, reported as ``baseline``) is split in
  proportion to the log-odds contributions.

>>> import numpy as np
>>> from matching.features import FEATURE_NAMES
>>> prior = PriorScorer.from_config()
>>> x = np.zeros((1, len(FEATURE_NAMES))); x[0, FEATURE_NAMES.index("fit_exact")] = 1.0
>>> round(float(prior.score(x)[0]), 2)
0.15
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from chainmap.exceptions import InvalidInput
from matching.features import FEATURE_NAMES

__all__ = [
    "ScoringInputError",
    "BlendConfig",
    "RankingSettings",
    "MatchingConfig",
    "load_config",
    "default_config",
    "PriorScorer",
    "LeadScorer",
    "BlendedScorer",
    "blend_weight",
    "fit_lead_scorer",
]


class ScoringInputError(InvalidInput, ValueError):
    """Bad numbers given to a scorer: an :class:`InvalidInput` with an actionable
    message that is also a ``ValueError`` (as scikit-learn expects)."""


class BlendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n0: float = Field(50, gt=0)
    min_outcomes: int = Field(10, ge=2)
    calibrate_min_per_class: int = Field(15, ge=2)


class RankingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_per_city: int = Field(3, ge=1)
    max_per_group: int = Field(2, ge=1)
    max_per_gap: int = Field(2, ge=1)
    include_rivals: bool = False
    min_fit: float = Field(0.0, ge=0)
    max_list: int = Field(500, ge=1, le=10000)
    max_page: int = Field(200, ge=1, le=10000)
    oversample: int = Field(3, ge=1, le=20)
    chunk_size: int = Field(65536, ge=256)
    include_local: bool = False


class MatchingConfig(BaseModel):
    """Contents of ``weights.yaml``: prior weights, blend and ranking settings."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    blend: BlendConfig = Field(default_factory=BlendConfig)
    ranking: RankingSettings = Field(default_factory=RankingSettings)

    def weight_vector(self) -> np.ndarray:
        return np.array([self.weights.get(f, 0.0) for f in FEATURE_NAMES], dtype=np.float64)


def load_config(path: str | Path | None = None, **overrides: Any) -> MatchingConfig:
    """Read ``weights.yaml`` (default: the shipped one); unknown feature names are refused.

    ``overrides`` replace top-level sections, e.g. ``ranking={"max_per_city": 1}``
    (merged into the file's section).
    """
    if path is None:
        text = files("matching").joinpath("weights.yaml").read_text(encoding="utf-8")
        where = "matching/weights.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise InvalidInput(f"cannot read weights file: {err.strerror}", file=str(path)) from None
        where = str(path)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise InvalidInput(f"not valid YAML: {err}", file=where) from None
    for key, val in overrides.items():
        if isinstance(val, Mapping) and isinstance(doc.get(key), Mapping):
            doc[key] = {**doc[key], **val}
        else:
            doc[key] = val
    try:
        cfg = MatchingConfig.model_validate(doc)
    except ValidationError as err:
        e = err.errors()[0]
        raise InvalidInput(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}", file=where, field=".".join(map(str, e["loc"]))
        ) from None
    unknown = sorted(set(cfg.weights) - set(FEATURE_NAMES))
    if unknown:
        raise InvalidInput(
            f"unknown feature(s) in weights: {', '.join(unknown)}",
            file=where,
            field="weights",
            hint="feature names are listed by matching.features.FEATURE_NAMES",
        )
    return cfg


@lru_cache(maxsize=1)
def default_config() -> MatchingConfig:
    """The shipped ``weights.yaml``, read once per process (treat it as read-only)."""
    return load_config()


def _check_matrix(X: Any, what: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES):
        raise ScoringInputError(
            f"{what} must have one column per feature ({len(FEATURE_NAMES)}), got shape {X.shape}",
            field=what,
            hint="build it with matching.features.pair_features",
        )
    if not np.isfinite(X).all():
        bad = sorted({FEATURE_NAMES[j] for j in np.argwhere(~np.isfinite(X))[:, 1]})
        raise ScoringInputError(
            f"{what} has missing or infinite values in {', '.join(bad)}",
            field=what,
            hint="missing inputs must be imputed by matching.features (neutral value + *_missing flag)",
        )
    return X


class PriorScorer:
    """Transparent weighted sum of the features (weights from ``weights.yaml``)."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.weights = dict(weights)
        self.w = np.array([float(self.weights.get(f, 0.0)) for f in FEATURE_NAMES])

    @classmethod
    def from_config(cls, config: MatchingConfig | None = None) -> PriorScorer:
        return cls((config or default_config()).weights)

    def score(self, X: Any) -> np.ndarray:
        return _check_matrix(X) @ self.w

    def contributions(self, X: Any) -> np.ndarray:
        """n × features matrix of ``weight × value``; rows sum to :meth:`score`."""
        return _check_matrix(X) * self.w


class LeadScorer(ClassifierMixin, BaseEstimator):
    """Standardised logistic regression on lead features, with sigmoid calibration.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularisation strength (small data: keep it moderate).
    calibrate_min_per_class : int, default=15
        Calibrate with ``CalibratedClassifierCV(method="sigmoid", cv=3,
        ensemble=False)`` when each class has at least this many samples.
    max_iter : int, default=1000

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    scaler_ : StandardScaler
    model_ : LogisticRegression on standardised inputs
    calibrator_ : CalibratedClassifierCV or None
    coef_ : ndarray (n_features,), log-odds per standard deviation
    intercept_ : float
    mean_, scale_ : ndarray (n_features,)
    n_features_in_ : int
    n_iter_ : ndarray, iterations of the logistic regression
    """

    def __init__(self, C: float = 1.0, calibrate_min_per_class: int = 15, max_iter: int = 1000) -> None:
        self.C = C
        self.calibrate_min_per_class = calibrate_min_per_class
        self.max_iter = max_iter

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any) -> LeadScorer:
        try:
            X, y = validate_data(self, X, y)
        except ValueError as err:
            raise ScoringInputError(_actionable(err), field="X") from err
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ScoringInputError(
                f"LeadScorer needs both classes (signed = 1 and dropped = 0); got one class only ({classes[0]!r})",
                field="y",
                hint="record outcomes of dropped as well as signed leads before training",
            )
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ScoringInputError(
                f"Only binary classification is supported. The type of the target is {y_type}.", field="y"
            )
        if not (isinstance(self.C, int | float) and self.C > 0):
            raise ScoringInputError(f"C must be a positive number, got {self.C!r}", field="C")
        self.classes_ = np.unique(y)
        yb = (y == self.classes_[1]).astype(int)
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(Z, yb)
            counts = np.bincount(yb, minlength=2)
            self.calibrator_ = None
            if counts.min() >= max(3, self.calibrate_min_per_class):
                self.calibrator_ = CalibratedClassifierCV(
                    LogisticRegression(C=self.C, max_iter=self.max_iter),
                    method="sigmoid",
                    cv=3,
                    ensemble=False,
                ).fit(Z, yb)
        self.n_iter_ = self.model_.n_iter_
        self.coef_ = self.model_.coef_.ravel().copy()
        self.intercept_ = float(self.model_.intercept_[0])
        self.mean_ = self.scaler_.mean_.copy()
        self.scale_ = self.scaler_.scale_.copy()
        return self

    def _z(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        try:
            X = validate_data(self, X, reset=False)
        except ValueError as err:
            raise ScoringInputError(_actionable(err), field="X") from err
        return self.scaler_.transform(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the positive class (before calibration)."""
        check_is_fitted(self)
        return self.model_.decision_function(self._z(X))

    def proba_from_decision(self, f: Any) -> np.ndarray:
        """Calibrated probability of the positive class from log-odds ``f``
        (monotone; used by the vectorised ranking)."""
        check_is_fitted(self)
        f = np.asarray(f, dtype=np.float64)
        if self.calibrator_ is None:
            return 1.0 / (1.0 + np.exp(-np.clip(f, -500, 500)))
        cal = self.calibrator_.calibrated_classifiers_[0].calibrators[0]
        return np.asarray(cal.predict(f.ravel()), dtype=np.float64).reshape(f.shape)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        p = self.proba_from_decision(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def linear_terms(self) -> tuple[np.ndarray, float]:
        """``(w, b)`` with ``decision_function(X) == X @ w + b`` on raw features."""
        check_is_fitted(self)
        w = self.coef_ / self.scale_
        return w, float(self.intercept_ - np.dot(w, self.mean_))

    def contributions(self, X: Any) -> np.ndarray:
        """Log-odds contributions ``coef · (x − mean) / scale`` (rows sum to
        ``decision_function(X) − intercept_``)."""
        return self._z(X) * self.coef_

    def baseline_proba(self) -> float:
        """Probability at the training mean (all contributions zero)."""
        return float(self.proba_from_decision(np.array([self.intercept_]))[0])


def _actionable(err: ValueError) -> str:
    msg = str(err)
    if "NaN" in msg or "infinity" in msg:
        return (
            "the feature matrix has missing (NaN) or infinite values; impute missing inputs with "
            f"matching.features (neutral value + *_missing flag) before scoring [{msg}]"
        )
    if "features" in msg and "expecting" in msg:
        return f"the feature columns differ from those the model was trained on; rebuild with pair_features [{msg}]"
    if "0 sample" in msg or "minimum of 1 is required" in msg:
        return f"no labelled leads to learn from; record outcomes of past leads first [{msg}]"
    return msg


def blend_weight(n: int, n0: float) -> float:
    """``n / (n + n0)``: the learned model's share of the score.

    >>> blend_weight(0, 50), blend_weight(50, 50)
    (0.0, 0.5)
    """
    return n / (n + n0) if n > 0 else 0.0


class BlendedScorer:
    """Prior blended with an optional fitted :class:`LeadScorer`."""

    def __init__(
        self, prior: PriorScorer, model: LeadScorer | None = None, n_outcomes: int = 0, n0: float = 50
    ):
        self.prior = prior
        self.model = model
        self.n_outcomes = n_outcomes
        self.w = blend_weight(n_outcomes, n0) if model is not None else 0.0

    def linear_parts(self) -> tuple[np.ndarray, np.ndarray | None, float]:
        """(prior weights, model raw weights or None, model bias) for vectorised scoring."""
        if self.model is None or self.w == 0.0:
            return self.prior.w, None, 0.0
        wm, bm = self.model.linear_terms()
        return self.prior.w, wm, bm

    def combine(self, prior_score: np.ndarray, decision: np.ndarray | None) -> np.ndarray:
        if decision is None:
            return prior_score
        return (1.0 - self.w) * prior_score + self.w * self.model.proba_from_decision(decision)  # type: ignore[union-attr]

    def score(self, X: Any) -> np.ndarray:
        X = _check_matrix(X)
        if self.model is None or self.w == 0.0 or len(X) == 0:  # an empty list needs no model
            return self.prior.score(X)
        return self.combine(self.prior.score(X), self.model.decision_function(X))

    def explain(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(score, contributions n × features, baseline n)``; each row of
        contributions plus its baseline sums to the score."""
        X = _check_matrix(X)
        pc = self.prior.contributions(X)
        if self.model is None or self.w == 0.0 or len(X) == 0:  # an empty list needs no model
            return pc.sum(axis=1), pc, np.zeros(len(X))
        t = self.model.contributions(X)
        f = t.sum(axis=1) + self.model.intercept_
        f0 = self.model.intercept_
        p = self.model.proba_from_decision(f)
        p0 = self.model.baseline_proba()
        df = f - f0
        eps = 1e-9
        slope = np.where(
            np.abs(df) > eps,
            (p - p0) / np.where(np.abs(df) > eps, df, 1.0),
            (self.model.proba_from_decision(np.array([f0 + 1e-4]))[0] - p0) / 1e-4,
        )
        mc = t * slope[:, None]
        contrib = (1.0 - self.w) * pc + self.w * mc
        base = np.full(len(X), self.w * p0)
        score = (1.0 - self.w) * pc.sum(axis=1) + self.w * p
        return score, contrib, base


def fit_lead_scorer(
    X: np.ndarray, y: Sequence[int] | np.ndarray, config: MatchingConfig | None = None
) -> LeadScorer | None:
    """A fitted LeadScorer, or None when there are fewer than ``min_outcomes``
    outcomes or only one label (the prior alone is used then)."""
    cfg = config or default_config()
    y = np.asarray(y, dtype=int)
    if len(y) < cfg.blend.min_outcomes or len(np.unique(y)) < 2:
        return None
    return LeadScorer(calibrate_min_per_class=cfg.blend.calibrate_min_per_class).fit(X, y)
