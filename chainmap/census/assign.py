"""Segment assignment for the census: the interface the importer calls, and a small real
keyword assigner so the import works on its own.

The importer takes any :class:`Assigner`: a callable with the keyword arguments of
``chainmap.classify.SegmentClassifier.assign`` returning :class:`AssignmentLike` objects
(segment, chain, role, confidence, method, evidence).  :func:`default_assigner` returns the
classification engine (``chainmap.classify``) when it is installed, else
:class:`KeywordAssigner`.

:class:`KeywordAssigner` matches the segment vocabulary (``Segment.name_zh``,
``keywords_zh``, ``aliases``) in the product text, the 经营范围 and the name with an
Aho–Corasick automaton (pyahocorasick), keeps only the longest of overlapping matches (so
``镁合金`` inside ``镁合金压铸件`` does not win over a longer term), and scores a segment by
where its words were found: products 0.8, name 0.5, 经营范围 0.45 (+0.1 for a term of four
characters or more, +0.05 per further distinct term, at most 0.95).  It knows no industry
codes (the concordance belongs to the engine).

**Review decisions** (:func:`review_training`, :class:`ReviewBlend`): given the labels of the
review queue (:func:`chainmap.census.review.review_labels` and
:func:`~chainmap.census.review.review_out_of_scope`), :func:`default_assigner` blends the
engine with :class:`chainmap.classify.learned.ReviewModel` fitted on them, by the rule of
:func:`chainmap.classify.learned.blend` (off below 30 labels or 2 segments: the engine's
result as it is).  A fitted model is reused while the labels are the same (:func:`review_model`).
``CHAINMAP_CENSUS_REVIEW_MODEL=off`` turns the blend off.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chainmap.models import AssignmentMethod, Role

if TYPE_CHECKING:
    from chainmap.data import ChainData
    from chainmap.storage.base import Store

__all__ = [
    "Assigner", "AssignmentLike", "KeywordAssignment", "KeywordAssigner", "default_assigner",
    "Label", "review_training", "review_model", "review_model_enabled", "ReviewBlend",
]  # fmt: skip


class AssignmentLike(Protocol):
    """One proposed segment of a firm (``chainmap.classify.Assignment`` has these fields)."""

    @property
    def segment(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def confidence(self) -> float: ...

    @property
    def method(self) -> AssignmentMethod: ...

    @property
    def evidence(self) -> tuple[str, ...]: ...


class Assigner(Protocol):
    """``assign(name=..., industry_code=..., industry_name=..., products=..., scope=..., k=3)``."""

    def __call__(
        self,
        *,
        name: str,
        industry_code: str | None,
        industry_name: str | None,
        products: str | None,
        scope: str | None,
        k: int = 3,
    ) -> Sequence[AssignmentLike]: ...


@dataclass(frozen=True)
class KeywordAssignment:
    segment: str
    chain: str
    role: Role
    confidence: float
    method: AssignmentMethod
    evidence: tuple[str, ...]


_WEIGHT = {"products": 0.8, "name": 0.5, "scope": 0.45}
_LABEL = {"products": "产品", "name": "名称", "scope": "经营范围"}


class KeywordAssigner:
    """Vocabulary matching over products, name and 经营范围 (see the module notes).

    >>> from chainmap.seed import load_seed
    >>> a = KeywordAssigner.from_data(load_seed())
    >>> best = a(name="某某镁业有限公司", industry_code=None, industry_name=None, products="镁合金", scope=None)[0]
    >>> best.segment, best.confidence >= 0.6, best.evidence[0]
    ('cai.mg.alloy', True, '产品:镁合金')
    """

    def __init__(self, vocabulary: dict[str, list[tuple[str, str]]]) -> None:
        import ahocorasick  # pyahocorasick

        self._auto = ahocorasick.Automaton()
        for word, owners in vocabulary.items():
            self._auto.add_word(word, (word, tuple(owners)))
        self._empty = not vocabulary
        self._cache: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
        if not self._empty:
            self._auto.make_automaton()

    @classmethod
    def from_data(cls, data: ChainData) -> KeywordAssigner:
        vocab: dict[str, list[tuple[str, str]]] = {}
        for s in data.segments:
            words = [s.name_zh, *s.keywords_zh, *s.aliases]
            for w in dict.fromkeys(w.strip() for w in words):
                if len(w) >= 2:
                    vocab.setdefault(w, []).append((s.id, s.chain))
        return cls(vocab)

    _CACHE_SIZE = 50_000

    def _matches(self, text: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        if self._empty or not text:
            return []
        hit = self._cache.get(text)
        if hit is not None:
            return hit  # registers repeat the same product and 经营范围 wording a lot
        out = self._scan(text)
        if len(self._cache) < self._CACHE_SIZE:
            self._cache[text] = out
        return out

    def _scan(self, text: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        found = []  # (start, end, word, owners)
        for end, (word, owners) in self._auto.iter(text):
            found.append((end - len(word) + 1, end, word, owners))
        found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
        taken: list[tuple[int, int]] = []
        out = []
        for start, end, word, owners in found:  # longest first; drop those inside a longer match
            if any(s <= start and end <= e for s, e in taken):
                continue
            taken.append((start, end))
            out.append((word, owners))
        return out

    def __call__(
        self,
        *,
        name: str,
        industry_code: str | None = None,
        industry_name: str | None = None,
        products: str | None = None,
        scope: str | None = None,
        k: int = 3,
    ) -> list[KeywordAssignment]:
        scores: dict[str, float] = {}
        words: dict[str, list[str]] = {}
        chain_of: dict[str, str] = {}
        for where, text in (("products", products), ("name", name), ("scope", scope)):
            for word, owners in self._matches(text or ""):
                for seg, chain in owners:
                    chain_of[seg] = chain
                    base = _WEIGHT[where] + (0.1 if len(word) >= 4 else 0.0)
                    ev = f"{_LABEL[where]}:{word}"
                    seen = words.setdefault(seg, [])
                    if ev in seen:
                        continue
                    if seg in scores:
                        scores[seg] = min(0.95, max(scores[seg], base) + 0.05)
                    else:
                        scores[seg] = min(0.95, base)
                    seen.append(ev)
        ranked = sorted(scores, key=lambda s: (-scores[s], s))[:k]
        return [
            KeywordAssignment(
                segment=s,
                chain=chain_of[s],
                role=Role.producer,
                confidence=round(scores[s], 3),
                method=AssignmentMethod.text,
                evidence=tuple(words[s]),
            )
            for s in ranked
        ]


#: Classifiers built for recent chain data (see :func:`_classifier`), most recent last.
_CLASSIFIERS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CLASSIFIERS_KEPT = 4
_CLASSIFIERS_LOCK = threading.Lock()


def _classifier(data: ChainData) -> Any:
    """``SegmentClassifier.from_data(data)``, reused while what it is built from is the same:
    the segments and chains of ``data`` (their JSON), the segment files they come from, and the
    vocabulary and concordance files of the shipped seed (name, size, mtime).  Building it reads
    and compiles the vocabulary (~1 s); a register import or a re-import then skips that."""
    from chainmap.classify import SegmentClassifier
    from chainmap.classify.vocabulary import segment_file_stems
    from chainmap.seed import seed_dir

    root = seed_dir()
    files = [*sorted((root / "vocabulary").glob("*.yaml")), root / "industry_codes.csv"]
    stats = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        stats.append((f.name, st.st_size, st.st_mtime_ns))
    digest = hashlib.sha1()
    for model in (*data.chains, *data.segments):
        digest.update(model.model_dump_json().encode())
        digest.update(b"\n")
    key = (digest.hexdigest(), tuple(sorted(segment_file_stems(data).items())), tuple(stats))
    with _CLASSIFIERS_LOCK:
        clf = _CLASSIFIERS.get(key)
        if clf is not None:
            _CLASSIFIERS.move_to_end(key)
            return clf
    clf = SegmentClassifier.from_data(data)
    with _CLASSIFIERS_LOCK:
        _CLASSIFIERS[key] = clf
        while len(_CLASSIFIERS) > _CLASSIFIERS_KEPT:
            _CLASSIFIERS.popitem(last=False)
    return clf


def default_assigner(data: ChainData, labels: Sequence[Label] | None = None) -> Assigner:
    """The classification engine (``chainmap.classify``) when installed, else :class:`KeywordAssigner`;
    with ``labels`` (:func:`review_training`) enough to fit the review model, the engine
    blended with it (:class:`ReviewBlend`).

    The engine is built once per chain data and vocabulary (:func:`_classifier`); the returned
    assigner's ``clear_cache()`` forgets what it memoised of the texts it saw (the importer calls
    it when done, so a server keeps no import's texts)."""
    try:
        clf = _classifier(data)
    except ImportError:  # pragma: no cover - the engine ships with the package
        return KeywordAssigner.from_data(data)
    if labels:
        model = review_model(labels)
        if model is not None:
            return ReviewBlend(clf, model, labels, {s.id: s.chain for s in data.segments})

    def assign(
        *, name: str, industry_code: str | None, industry_name: str | None, products: str | None,
        scope: str | None, k: int = 3,
    ) -> Sequence[AssignmentLike]:
        return clf.assign(
            name=name, industry_code=industry_code, industry_name=industry_name or "", products=products or "",
            scope=scope or "", k=k,
        )

    assign.clear_cache = clf.clear_cache  # type: ignore[attr-defined]
    return assign


# ---------------------------------------------------------------------------
# the review model: labels, fitting, the blended assigner
# ---------------------------------------------------------------------------

#: One training row: the firm's text fields (name, products, scope, industry_code,
#: industry_name) and its segment, or ``"-"`` (:data:`chainmap.classify.learned.OUT_OF_SCOPE`)
#: for a firm of no chain.
Label = tuple[dict[str, str], str]

_OUT = "-"  # chainmap.classify.learned.OUT_OF_SCOPE (that module imports scikit-learn)


REVIEW_MODEL_ENV = "CHAINMAP_CENSUS_REVIEW_MODEL"
_OFF = ("off", "0", "false", "no")
_ON = ("", "on", "1", "true", "yes")


def review_model_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``CHAINMAP_CENSUS_REVIEW_MODEL`` is ``off`` / ``0`` / ``false`` / ``no``; True when
    unset or ``on`` / ``1`` / ``true`` / ``yes``; any other value (a typo would silently do nothing)
    is refused naming the variable.

    >>> review_model_enabled({}), review_model_enabled({"CHAINMAP_CENSUS_REVIEW_MODEL": "OFF"})
    (True, False)
    >>> review_model_enabled({"CHAINMAP_CENSUS_REVIEW_MODEL": "of"})
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: CHAINMAP_CENSUS_REVIEW_MODEL: expected on or off (1/0, true/false, yes/no), got 'of'
    """
    raw = (os.environ if environ is None else environ).get(REVIEW_MODEL_ENV, "")
    value = raw.strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    from chainmap.exceptions import InvalidInput

    raise InvalidInput(f"expected on or off (1/0, true/false, yes/no), got {raw!r}", field=REVIEW_MODEL_ENV)


def review_training(store: Store, data: ChainData | None = None) -> list[Label]:
    """The review queue's decisions as training rows: every confirmed segment
    (:func:`~chainmap.census.review.review_labels`), then every firm confirmed out of scope
    (:func:`~chainmap.census.review.review_out_of_scope`) labelled ``"-"``.  With ``data`` read
    from ``store`` and still current, the firms' texts come from it (no read per label)."""
    from chainmap.census.review import review_labels, review_out_of_scope
    from chainmap.data import data_revision

    known = None
    if data is not None and data.revision is not None and data.revision == data_revision(store):
        known = {e.key: e for e in data.enterprises}
    return [*review_labels(store, known), *((t, _OUT) for t in review_out_of_scope(store, known))]


#: Fitted review models by the digest of their labels, most recent last.
_MODELS: OrderedDict[str, Any] = OrderedDict()
_MODELS_KEPT = 4


def review_model(labels: Sequence[Label]) -> Any | None:
    """A :class:`~chainmap.classify.learned.ReviewModel` fitted on ``labels``, or None when
    they are too few (:func:`chainmap.classify.learned.blend_weight` is 0).  Fitted once per
    set of labels (the same labels: the same model, from a cache of the last four)."""
    if not labels:
        return None
    segments = {s for _t, s in labels if s != _OUT}
    from chainmap.classify.learned import ReviewModel, blend_weight

    if blend_weight(len(labels), len(segments)) <= 0:
        return None
    digest = hashlib.sha1(json.dumps([[sorted(t.items()), s] for t, s in labels], ensure_ascii=False).encode()).hexdigest()
    with _CLASSIFIERS_LOCK:
        hit = _MODELS.get(digest)
        if hit is not None:
            _MODELS.move_to_end(digest)
            return hit
    model = ReviewModel().fit([t for t, _s in labels], [s for _t, s in labels])
    with _CLASSIFIERS_LOCK:
        _MODELS[digest] = model
        while len(_MODELS) > _MODELS_KEPT:
            _MODELS.popitem(last=False)
    return model


_KEY_FIELDS = ("name", "industry_code", "industry_name", "products", "scope")


def _key(rec: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(rec.get(f) or "") for f in _KEY_FIELDS)


class ReviewBlend:
    """The engine blended with a fitted review model (an :class:`Assigner`).

    ``prepare(records)`` computes the model's probabilities of many firms at once (the
    importer calls it before assigning them one by one); ``stats`` counts what the blend did
    over the calls: ``added`` (segments the model alone proposed), ``displaced`` (engine
    proposals pushed out of the top ``k``), ``reranked`` (firms whose first segment changed);
    ``info()`` is the summary the import report shows."""

    _CACHE_SIZE = 200_000

    def __init__(self, engine: Any, model: Any, labels: Sequence[Label], chain_of: dict[str, str]) -> None:
        from chainmap.classify.learned import blend_weight

        self.engine = engine
        self.model = model
        self.n_labels = len(labels)
        self.n_segments = len({s for _t, s in labels if s != _OUT})
        self.weight = blend_weight(self.n_labels, self.n_segments)
        self.chain_of = chain_of
        self.classes = [str(c) for c in model.classes_]
        self.stats = {"added": 0, "displaced": 0, "reranked": 0}
        self._proba: dict[tuple[str, ...], dict[str, float]] = {}

    def info(self) -> dict[str, Any]:
        return {"active": True, "labels": self.n_labels, "segments": self.n_segments, "weight": self.weight,
                **self.stats}  # fmt: skip

    def prepare(self, records: Sequence[dict[str, Any]]) -> None:
        todo: dict[tuple[str, ...], dict[str, Any]] = {}
        for r in records:
            key = _key(r)
            if key not in self._proba and key not in todo:
                todo[key] = {f: v for f, v in zip(_KEY_FIELDS, key, strict=True) if v}
        if not todo:
            return
        keys = list(todo)
        for start in range(0, len(keys), 10_000):
            part = keys[start : start + 10_000]
            rows = self.model.predict_proba([todo[k] for k in part])
            for key, row in zip(part, rows, strict=True):
                self._remember(key, row)

    def _remember(self, key: tuple[str, ...], row: Any) -> dict[str, float]:
        got = {c: float(p) for c, p in zip(self.classes, row, strict=True) if p >= 0.001}
        if len(self._proba) < self._CACHE_SIZE:
            self._proba[key] = got
        return got

    def __call__(
        self, *, name: str, industry_code: str | None, industry_name: str | None, products: str | None,
        scope: str | None, k: int = 3,
    ) -> list[Any]:
        from chainmap.classify.learned import blend

        engine = self.engine.assign(
            name=name, industry_code=industry_code, industry_name=industry_name or "", products=products or "",
            scope=scope or "", k=k,
        )
        rec = {"name": name, "industry_code": industry_code, "industry_name": industry_name, "products": products,
               "scope": scope}  # fmt: skip
        key = _key(rec)
        proba = self._proba.get(key)
        if proba is None:
            proba = self._remember(key, self.model.predict_proba([{f: v for f, v in rec.items() if v}])[0])
        out = blend(engine, proba, weight=self.weight, n_labels=self.n_labels, k=k, chain_of=self.chain_of)
        before = [a.segment for a in engine if a.role is Role.producer]
        after = [a.segment for a in out if a.role is Role.producer]
        self.stats["added"] += sum(1 for a in out if a.method is AssignmentMethod.model)
        self.stats["displaced"] += sum(1 for s in before if s not in after)
        self.stats["reranked"] += bool(before and after and before[0] != after[0])
        return out

    def clear_cache(self) -> None:
        self._proba.clear()
        self.engine.clear_cache()
