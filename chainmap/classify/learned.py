"""The learned component of segment assignment: a text classifier trained on the review
queue's decisions, blended with the rule/vocabulary engine as decisions accumulate.

:class:`ReviewModel` follows scikit-learn's estimator conventions (``fit(X, y)``,
``predict``, ``predict_proba``, ``classes_``, ``get_params`` / ``set_params``, no work in
``__init__``; it passes ``parametrize_with_checks``).  ``X`` is either

* a 1-D sequence of texts or of records (mappings with the fields ``name``, ``products``,
  ``scope``, ``industry_code``, ``industry_name``: what
  :func:`chainmap.census.review.review_labels` returns): each becomes one text
  (:func:`record_text`: the products, the 经营范围 items without boilerplate and generic
  items (:func:`chainmap.classify.text.parse_scope`), the industry name and code, the
  name), vectorised by character 1-3-gram TF-IDF (no segmenter is needed for Chinese); or
* a 2-D numeric feature matrix (dense or sparse), used as it is.

The classifier is a multinomial logistic regression (SAGA solver, stopped early).  Labels are segment ids, plus
:data:`OUT_OF_SCOPE` for firms a planner decided belong to no chain.

**Blend** (:func:`blend`).  With ``n`` labels (training rows: confirmed segments and firms
confirmed out of scope), the model is off below :data:`MIN_LABELS` rows or
:data:`MIN_SEGMENTS` distinct segments (:func:`blend_weight` is 0 and the engine's result
is returned unchanged).  Above, the model's weight is::

    w = min(W_MAX, n / (n + N0))          # 30 labels: 0.13; 100: 0.33; 300 and more: 0.5

and for each firm, with ``c`` the engine's confidence of a segment, ``p`` the model's
probability of it and ``q`` the model's probability that the firm is out of scope:

* a produced segment the engine proposes: ``(1 - (1 - c) * (1 - w * p)) * (1 - w * q)``
  (the model's support adds to the engine's as independent evidence, a "noisy OR", so a
  model that has seen few examples of a segment never pulls the engine's confidence down;
  the out-of-scope probability damps every segment of the firm alike; a segment the model
  never saw has ``p = 0``);
* a segment the engine does not propose, with ``p >= MIN_PROBA`` (0.3) and
  ``w * p >= MIN_MODEL_CONFIDENCE`` (0.1): ``w * p * (1 - w * q)``,
  ``method = model``, evidence ``复核模型：N 条已确认标注，概率 p / review model: N
  confirmed labels, p`` (never auto-accepted: the census import makes it ``pending``);
* produced segments are then ordered by confidence (ties keep the engine's order) and cut
  to ``k``; the engine's other roles (``user``) follow unchanged.

>>> m = ReviewModel().fit(["镁合金压铸件", "镁合金轮毂", "白酒酿造", "白酒销售"], ["cai.mg", "cai.mg", "-", "-"])
>>> [str(c) for c in m.classes_], str(m.predict(["镁合金压铸"])[0])
(['-', 'cai.mg'], 'cai.mg')
>>> blend_weight(29, 5), blend_weight(30, 1), blend_weight(100, 5), blend_weight(10_000, 5)
(0.0, 0.0, 0.333, 0.5)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from chainmap.models import AssignmentMethod, Role

__all__ = [
    "ReviewModel",
    "BlendedAssignment",
    "record_text",
    "blend_weight",
    "blend",
    "model_evidence",
    "OUT_OF_SCOPE",
    "MIN_LABELS",
    "MIN_SEGMENTS",
    "N0",
    "W_MAX",
    "MIN_PROBA",
    "MIN_MODEL_CONFIDENCE",
]

#: The label of a firm confirmed to belong to no chain.
OUT_OF_SCOPE = "-"
#: Below this many labels (training rows) the model is off.
MIN_LABELS = 30
#: ... or below this many distinct segments among them.
MIN_SEGMENTS = 2
#: Half weight at ``N0`` labels (before the cap).
N0 = 200.0
#: The model's weight never exceeds this: the engine keeps at least half of every confidence.
W_MAX = 0.5
#: A segment the engine does not propose is added only with at least this probability ...
MIN_PROBA = 0.3
#: ... and at least this blended confidence ``w * p`` (with few labels, so only a very sure
#: model proposes: 30 labels need p >= 0.77, 60 labels p >= 0.43, 100 labels and more p >= 0.3).
MIN_MODEL_CONFIDENCE = 0.1

_FIELDS = ("products", "scope", "industry_name", "industry_code", "name")


def record_text(rec: str | Mapping[str, Any]) -> str:
    """The text a record is vectorised from: products; the 经营范围 items (boilerplate and
    generic items removed); the industry name; the industry code as ``行业3841``; the name.

    >>> record_text({"name": "甲镁业有限公司", "products": "镁合金", "industry_code": 3391,
    ...              "scope": "一般项目：镁合金压铸件制造；技术服务、技术开发。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"})
    '镁合金 | 镁合金压铸件制造 | 行业3391 | 甲镁业有限公司'
    >>> record_text("磷酸铁锂电芯")
    '磷酸铁锂电芯'
    """
    if isinstance(rec, str):
        return rec
    from chainmap.classify.text import parse_scope

    parts: list[str] = []
    for f in _FIELDS:
        v = rec.get(f)
        if v is None or (isinstance(v, float) and v != v):
            continue
        text = str(v).strip()
        if not text:
            continue
        if f == "scope":
            text = "；".join(i.text for i in parse_scope(text))
        elif f == "industry_code":
            text = f"行业{text}"
        if text:
            parts.append(text)
    return " | ".join(parts)


def _text_input(X: Any) -> list[str] | None:
    """The texts of a 1-D sequence of strings / records, or None when ``X`` is an array input."""
    if sp.issparse(X):
        return None
    if isinstance(X, str | bytes | Mapping):
        raise ValueError(
            f"expected a list of texts or records (one per firm), got a single {type(X).__name__}"
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 1 or X.dtype.kind not in "OUS":
            return None
        items = list(X)
    elif isinstance(X, list | tuple):
        items = list(X)
    elif hasattr(X, "ndim") and getattr(X, "ndim", 2) == 1:  # e.g. a pandas Series
        items = list(X)
    else:
        return None
    if not items or not all(isinstance(x, str | Mapping) for x in items):
        return None
    return [record_text(x) for x in items]


class ReviewModel(ClassifierMixin, BaseEstimator):
    """Character n-gram TF-IDF + logistic regression over firm texts (see the module notes).

    Parameters
    ----------
    ngram_range : tuple (min_n, max_n), default=(1, 3)
        Character n-grams of the text input.
    min_df : int, default=1
        Ignore n-grams found in fewer texts.
    sublinear_tf : bool, default=True
        ``1 + log(tf)`` term frequencies.
    C : float, default=20.0
        Inverse regularisation strength of the logistic regression.
    class_weight : dict, "balanced" or None, default=None
    max_iter : int, default=200
        Epochs of the SAGA solver at most.
    tol : float, default=1e-3
        Stopping tolerance of the solver (an early stop smooths the probabilities of labels
        seen once or twice).
    random_state : int or None, default=0
        Shuffling of the SAGA solver (fixed by default: the same labels give the same model).

    Attributes
    ----------
    classes_ : ndarray of labels
    vectorizer_ : TfidfVectorizer or None (None: fitted on a numeric matrix)
    estimator_ : LogisticRegression
    n_iter_ : ndarray, the iterations of the logistic regression's solver
    n_features_in_ : int (numeric input only)
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 1,
        sublinear_tf: bool = True,
        C: float = 20.0,
        class_weight: dict[Any, float] | str | None = None,
        max_iter: int = 200,
        tol: float = 1e-3,
        random_state: int | None = 0,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        return tags

    def fit(self, X: Any, y: Any) -> ReviewModel:
        """Fit on texts / records (1-D) or a numeric matrix (2-D) and their labels ``y``."""
        texts = _text_input(X)
        if texts is not None:
            y_arr = np.asarray(y)
            if y_arr.ndim != 1 or len(y_arr) != len(texts):
                raise ValueError(f"y must hold one label per text: {len(texts)} texts, y of shape {y_arr.shape}")
            vec = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range, min_df=self.min_df,
                                  sublinear_tf=self.sublinear_tf, lowercase=True)
            Xm = vec.fit_transform(texts)
            self.vectorizer_: TfidfVectorizer | None = vec
            if hasattr(self, "n_features_in_"):
                del self.n_features_in_
        else:
            Xm, y_arr = validate_data(self, X, y, accept_sparse="csr", reset=True)
            self.vectorizer_ = None
        est = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, tol=self.tol,
                                 solver="saga", random_state=self.random_state)
        with warnings.catch_warnings():
            # review labels name many segments once each (not a regression target); the
            # early stop is on purpose (see ``tol``)
            warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            check_classification_targets(y_arr)
            est.fit(Xm, y_arr)
        self.estimator_ = est
        self.classes_ = est.classes_
        self.n_iter_ = est.n_iter_
        return self

    def _features(self, X: Any) -> Any:
        check_is_fitted(self, "estimator_")
        texts = _text_input(X)
        if self.vectorizer_ is not None:
            if texts is None:
                raise ValueError("this ReviewModel was fitted on texts: expected a list of texts or records")
            return self.vectorizer_.transform(texts)
        if texts is not None:
            raise ValueError("this ReviewModel was fitted on a numeric matrix: expected a 2-D array")
        return validate_data(self, X, accept_sparse="csr", reset=False)

    def decision_function(self, X: Any) -> Any:
        X = self._features(X)
        return self.estimator_.decision_function(X)

    def predict_proba(self, X: Any) -> Any:
        """Probabilities, one column per label of ``classes_``."""
        X = self._features(X)
        return self.estimator_.predict_proba(X)

    def predict_log_proba(self, X: Any) -> Any:
        X = self._features(X)
        return self.estimator_.predict_log_proba(X)

    def predict(self, X: Any) -> Any:
        X = self._features(X)
        return self.estimator_.predict(X)


# ---------------------------------------------------------------- the blend


def blend_weight(n_labels: int, n_segments: int) -> float:
    """The model's weight: 0 below :data:`MIN_LABELS` labels or :data:`MIN_SEGMENTS` segments,
    else ``min(W_MAX, n / (n + N0))`` (rounded to 3 decimals)."""
    if n_labels < MIN_LABELS or n_segments < MIN_SEGMENTS:
        return 0.0
    return round(min(W_MAX, n_labels / (n_labels + N0)), 3)


@dataclass(frozen=True)
class BlendedAssignment:
    """An assignment after the blend: the fields of ``chainmap.classify.Assignment``, and the
    engine's own confidence (None for a segment the model alone proposes) and the model's
    probability (None for a segment the model does not know)."""

    segment: str
    chain: str
    role: Role
    confidence: float
    method: AssignmentMethod
    evidence: tuple[str, ...]
    engine_confidence: float | None = None
    model_probability: float | None = None


def model_evidence(n_labels: int, p: float) -> str:
    """The evidence item of the review model.

    >>> model_evidence(36, 0.8321)
    '复核模型：36 条已确认标注，概率 0.83 / review model: 36 confirmed labels, p=0.83'
    """
    return f"复核模型：{n_labels} 条已确认标注，概率 {p:.2f} / review model: {n_labels} confirmed labels, p={p:.2f}"


def blend(
    assignments: Sequence[Any],
    proba: Mapping[str, float],
    *,
    weight: float,
    n_labels: int,
    k: int = 3,
    chain_of: Mapping[str, str] | None = None,
    min_proba: float = MIN_PROBA,
) -> list[Any]:
    """The engine's ``assignments`` of one firm blended with the model's probabilities
    ``proba`` (segment -> p, :data:`OUT_OF_SCOPE` included) by the rules of the module notes.
    ``weight`` 0 returns ``assignments`` unchanged (the same objects); ``chain_of`` gives the
    chain of a segment the model alone proposes (segments without one are not proposed).

    >>> from chainmap.classify import Assignment
    >>> eng = [Assignment("qi.cell", "qi", Role.producer, 0.9, AssignmentMethod.text, ("产品:电芯",))]
    >>> out = blend(eng, {"qi.cell": 0.2, "qi.sep": 0.7, "-": 0.1}, weight=0.5, n_labels=40,
    ...             chain_of={"qi.sep": "qi", "qi.cell": "qi"})
    >>> [(a.segment, a.confidence, a.method.value) for a in out]
    [('qi.cell', 0.8645, 'text'), ('qi.sep', 0.3325, 'model')]
    """
    if weight <= 0:
        return list(assignments)
    produced = [a for a in assignments if a.role is Role.producer]
    others = [a for a in assignments if a.role is not Role.producer]
    damp = 1.0 - weight * float(proba.get(OUT_OF_SCOPE, 0.0))
    out: list[Any] = []
    for a in produced:
        p = proba.get(a.segment)
        c = float(a.confidence)
        if p is None:
            if damp >= 1.0:
                out.append(a)
                continue
            conf, ev = c * damp, tuple(a.evidence)
        else:
            conf = (1.0 - (1.0 - c) * (1.0 - weight * float(p))) * damp
            ev = (*a.evidence, model_evidence(n_labels, float(p)))
        out.append(BlendedAssignment(
            segment=a.segment, chain=getattr(a, "chain", (chain_of or {}).get(a.segment, "")), role=a.role,
            confidence=round(conf, 4), method=a.method, evidence=ev,
            engine_confidence=c, model_probability=None if p is None else float(p),
        ))
    taken = {a.segment for a in assignments}
    chains = chain_of or {}
    floor = max(min_proba, MIN_MODEL_CONFIDENCE / weight)
    for seg, p in sorted(proba.items(), key=lambda x: -x[1]):
        if p < floor:
            break
        if seg == OUT_OF_SCOPE or seg in taken or seg not in chains:
            continue
        out.append(BlendedAssignment(
            segment=seg, chain=chains[seg], role=Role.producer, confidence=round(weight * float(p) * damp, 4),
            method=AssignmentMethod.model, evidence=(model_evidence(n_labels, float(p)),),
            engine_confidence=None, model_probability=float(p),
        ))
    order = sorted(range(len(out)), key=lambda i: (-float(out[i].confidence), i))
    return [out[i] for i in order[:k]] + others
