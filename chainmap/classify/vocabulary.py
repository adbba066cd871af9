"""Segment vocabulary files (``graph_seed/vocabulary/<chain>.yaml``) and the industry-code concordance.

**Vocabulary.**  One YAML file per segment file of ``graph_seed/segments/`` (same
stem); its top-level keys are the ids of segments defined in that segment file::

    qi.separator:
      terms: [锂电池隔膜, 锂离子电池隔膜, 湿法隔膜]   # product names, synonyms, industry terms
      terms_en: [battery separator]
      weak: [基膜]             # evidence only together with other words (0.4 weight)
      negative: [隔膜泵, 隔膜阀] # spans where this segment's terms do not count
      sources: [ref-battery, chainmap-map]

``terms``/``terms_en``/``weak``/``negative`` are lists of strings, ``sources`` a
non-empty list; a segment's own ``name_zh``, ``keywords_zh``, ``keywords_en`` and
``aliases`` stay terms as well (the fallback when a segment has no entry).

**Concordance.**  ``graph_seed/industry_codes.csv`` maps GB/T 4754-2017 four-digit
industry codes to segments: columns ``code, code_name, segment, weight, role,
source, confidence, note`` (``weight`` in (0, 1]: how much of the code's firms make the
segment; ``role`` producer or user; every row with its ``source``).  A code may
point to several segments; a segment may list several codes.

Both readers return the parsed data and a list of :class:`VocabularyProblem` (file,
line, segment id, field, message) instead of raising, so that the seed loader can
report them with all other seed problems.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from chainmap.data import ChainData

__all__ = [
    "SegmentVocabulary",
    "CodeRow",
    "VocabularyProblem",
    "read_vocabulary",
    "read_concordance",
    "segment_file_stems",
    "VOCABULARY_FIELDS",
    "CONCORDANCE_COLUMNS",
]

VOCABULARY_FIELDS = ("terms", "terms_en", "weak", "negative", "sources", "note")
CONCORDANCE_COLUMNS = ("code", "code_name", "segment", "weight", "role", "source", "confidence", "note")
_ROLES = ("producer", "user")


@dataclass(frozen=True)
class SegmentVocabulary:
    """The extra vocabulary of one segment (see the module notes)."""

    segment: str
    terms: tuple[str, ...] = ()
    terms_en: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class CodeRow:
    """One concordance row: firms of industry ``code`` make (or use) ``segment``."""

    code: str
    code_name: str
    segment: str
    weight: float
    role: str = "producer"
    source: str = ""
    note: str = ""
    confidence: str = ""


@dataclass(frozen=True)
class VocabularyProblem:
    """A problem in a vocabulary or concordance file."""

    file: str
    line: int | None
    segment: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        seg = f" {self.segment}" if self.segment else ""
        fld = f" {self.field}:" if self.field else (":" if seg else "")
        return f"{where}:{seg}{fld} {self.message}"


#: libyaml's safe loader when PyYAML has it (7x faster: the vocabulary is read at every fit of a
#: mapper, e.g. per candidate upload), else the pure-Python one; the same documents either way.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class _Lines:
    keys: dict[str, int] = field(default_factory=dict)
    fields: dict[tuple[str, str], int] = field(default_factory=dict)


def _key_lines(text: str) -> _Lines:
    out = _Lines()
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return out
    if not isinstance(node, yaml.MappingNode):
        return out
    for k, v in node.value:
        key = str(k.value)
        out.keys[key] = k.start_mark.line + 1
        if isinstance(v, yaml.MappingNode):
            for fk, _fv in v.value:
                out.fields[(key, str(fk.value))] = fk.start_mark.line + 1
    return out


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str | int | float) and str(v).strip() for v in value):
        return None
    return [str(v).strip() for v in value]


def read_vocabulary(
    folder: str | Path,
    segment_files: Mapping[str, str],
    *,
    rel_prefix: str = "vocabulary/",
    strict: bool = True,
) -> tuple[dict[str, SegmentVocabulary], list[VocabularyProblem]]:
    """Read every ``*.yaml`` of ``folder``.

    Parameters
    ----------
    folder : path
        The vocabulary folder (missing: no vocabulary, no problem).
    segment_files : mapping
        Segment id -> stem of the segment file that defines it (``"qi"`` for
        ``segments/qi.yaml``); a key of ``vocabulary/qi.yaml`` must be a segment of
        ``segments/qi.yaml``.
    rel_prefix : str
        Prefix of the file names in problems.
    strict : bool, default True
        False: files and segment ids not in ``segment_files`` are skipped silently
        (for chain data that holds part of the seed's chains).
    """
    root = Path(folder)
    vocab: dict[str, SegmentVocabulary] = {}
    problems: list[VocabularyProblem] = []
    if not root.is_dir():
        return vocab, problems
    stems = set(segment_files.values())
    for path in sorted(root.glob("*.yaml")):
        rel = f"{rel_prefix}{path.name}"

        def bad(line: int | None, seg: str | None, fld: str | None, msg: str, _rel: str = rel) -> None:
            problems.append(VocabularyProblem(_rel, line, seg, fld, msg))

        if path.stem not in stems:
            if not strict:
                continue
            bad(None, None, None, f"no segment file segments/{path.stem}.yaml for this vocabulary file; "
                f"valid: {', '.join(sorted(stems)) or '(none)'}")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            bad(None, None, None, f"cannot read file: {e}")
            continue
        try:
            data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            bad(mark.line + 1 if mark else None, None, None, f"YAML syntax error: {getattr(e, 'problem', e)}")
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            bad(1, None, None, "expected a mapping of segment id -> vocabulary at top level")
            continue
        lines = _key_lines(text)
        for key, entry in data.items():
            sid = str(key)
            line = lines.keys.get(sid)
            if segment_files.get(sid) != path.stem:
                if not strict and sid not in segment_files:
                    continue
                where = segment_files.get(sid)
                hint = f"it is defined in segments/{where}.yaml" if where else f"not a segment of segments/{path.stem}.yaml"
                bad(line, sid, None, f"unknown segment id {sid!r} ({hint})")
                continue
            if not isinstance(entry, dict):
                bad(line, sid, None, f"expected a mapping with fields {', '.join(VOCABULARY_FIELDS)}")
                continue
            vals: dict[str, Any] = {}
            ok = True
            for fld, value in entry.items():
                fline = lines.fields.get((sid, str(fld)), line)
                if fld not in VOCABULARY_FIELDS:
                    bad(fline, sid, str(fld), f"unknown field; valid: {', '.join(VOCABULARY_FIELDS)}")
                    ok = False
                    continue
                if fld == "note":
                    vals[fld] = str(value or "")
                    continue
                lst = _str_list(value)
                if lst is None:
                    bad(fline, sid, str(fld), f"expected a list of non-empty strings, got {value!r}")
                    ok = False
                    continue
                vals[fld] = tuple(dict.fromkeys(lst))
            if ok and not vals.get("sources"):
                bad(line, sid, "sources", "missing: every vocabulary entry names its sources")
                ok = False
            if ok:
                overlap = set(vals.get("negative", ())) & (set(vals.get("terms", ())) | set(vals.get("weak", ())))
                if overlap:
                    bad(lines.fields.get((sid, "negative"), line), sid, "negative",
                        f"term(s) both positive and negative: {', '.join(sorted(overlap))}")
                    ok = False
            if ok:
                vocab[sid] = SegmentVocabulary(segment=sid, **vals)
    return vocab, problems


def read_concordance(
    path: str | Path, segment_ids: Iterable[str] | None = None, *, rel: str = "industry_codes.csv"
) -> tuple[list[CodeRow], list[VocabularyProblem]]:
    """Read the industry-code concordance (see the module notes); lines starting
    with ``#`` are comments.  ``segment_ids`` (optional) validates the segments."""
    p = Path(path)
    rows: list[CodeRow] = []
    problems: list[VocabularyProblem] = []
    if not p.exists():
        return rows, problems
    known = set(segment_ids) if segment_ids is not None else None
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        return rows, [VocabularyProblem(rel, None, None, None, f"cannot read file: {e}")]
    header: list[str] | None = None
    seen: set[tuple[str, str]] = set()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader(io.StringIO(raw)))]
        if header is None:
            header = cells
            missing = [c for c in ("code", "segment", "weight", "source") if c not in header]
            unknown = [c for c in header if c not in CONCORDANCE_COLUMNS]
            if missing or unknown:
                problems.append(VocabularyProblem(
                    rel, lineno, None, "header",
                    f"expected columns {','.join(CONCORDANCE_COLUMNS)}; got {','.join(header)}"))
                return [], problems
            continue
        if len(cells) > len(header):
            problems.append(VocabularyProblem(rel, lineno, None, None,
                                              f"{len(cells)} cells but the header has {len(header)}"))
            continue
        row = dict(zip(header, cells, strict=False))
        seg = row.get("segment", "")
        code = row.get("code", "")

        def bad(fld: str, msg: str, _line: int = lineno, _seg: str = seg) -> None:
            problems.append(VocabularyProblem(rel, _line, _seg or None, fld, msg))

        if not (len(code) == 4 and code.isdigit()):
            bad("code", f"expected a GB/T 4754-2017 four-digit code, got {code!r}")
            continue
        if known is not None and seg not in known:
            bad("segment", f"unknown segment {seg!r}")
            continue
        try:
            weight = float(row.get("weight", ""))
        except ValueError:
            bad("weight", f"expected a number in (0, 1], got {row.get('weight')!r}")
            continue
        if not 0 < weight <= 1:
            bad("weight", f"expected a number in (0, 1], got {weight}")
            continue
        role = row.get("role") or "producer"
        if role not in _ROLES:
            bad("role", f"expected one of {', '.join(_ROLES)}, got {role!r}")
            continue
        if not row.get("source"):
            bad("source", "missing: every concordance row names its source")
            continue
        conf = row.get("confidence") or ""
        if conf and conf not in ("high", "medium", "low"):
            bad("confidence", f"expected high, medium or low, got {conf!r}")
            continue
        if (code, seg) in seen:
            bad("segment", f"duplicate row for code {code} and segment {seg}")
            continue
        seen.add((code, seg))
        rows.append(CodeRow(code, row.get("code_name", ""), seg, weight, role, row["source"], row.get("note", ""), conf))
    return rows, problems


def segment_file_stems(data: ChainData) -> dict[str, str]:
    """Segment id -> stem of the segment file that defines it (from the seed's origin
    records; a segment without one belongs to the file named after its root chain)."""
    out: dict[str, str] = {}
    roots = {c.id: (c.parent or c.id) for c in data.chains}
    for s in data.segments:
        org = data.origin.get(("segment", s.id)) if data.origin else None
        if org and org[0].startswith("segments/"):
            out[s.id] = Path(org[0]).stem
        else:
            r = s.chain
            seen = {r}
            while roots.get(r, r) != r and roots[r] not in seen:
                r = roots[r]
                seen.add(r)
            out[s.id] = r
    return out
