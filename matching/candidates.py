"""Candidate enterprises: import, validation, de-duplication, storage.

A *candidate* is an enterprise outside 运城 that a task force might attract.
Candidates come from CSV (UTF-8 or GBK/GB18030, detected), XLSX or JSON files
(a bare array, ``{"items": [...]}`` or ``{"candidates": [...]}``), read by
:func:`chainmap.tabular.iter_table`, with these columns (only ``name`` is required; Chinese headers such as
``企业名称`` are accepted, see :data:`HEADER_ALIASES`):

======================  ==============================================================
column                  meaning
======================  ==============================================================
``name``                registered or common name (required)
``credit_code``         统一社会信用代码, checked with the GB 32100-2015 check character
``hq_province``         headquarters province (``浙江``, ``浙江省``, ``Zhejiang``)
``hq_city``             headquarters city
``main_products``       free text, mapped to segments by :mod:`matching.mapping`
``segments``            ``;``-separated segment ids (must exist); when given they win:
                        confidence 1 and ``main_products`` is not mapped
``tags``                ``;``-separated: global500, china500, private500, industry_top100,
                        gazelle, unicorn, little_giant, listed, chain_leader (or the
                        Chinese labels 世界500强, 瞪羚 ...)
``revenue_cny_100m``    revenue, 亿元 (≥ 0)
``revenue_growth``      revenue growth as a fraction (0.12), or a percentage (``12%``)
``employees``           head count (integer ≥ 0)
``founded_year``        year founded
``valuation_usd_bn``    valuation, billion USD (unicorns)
``expansions_3y``       new plants / bases opened in the last three years
``shanxi_presence``     already present in Shanxi: true/false (是/否, 1/0, yes/no)
``risk_flags``          ``;``-separated risk entries, free text accepted (:mod:`matching.risk`):
                        known categories dishonest (失信被执行人), abnormal_operation (经营异常),
                        major_litigation (重大诉讼), env_penalty (环保处罚) are stored as codes,
                        anything else (债务违约, 破产重整 ...) as a note
``group``               集团/母公司 (parent group), optional: matched against the groups of
                        local enterprises (existing investors, :mod:`matching.lead_rules`)
``source``              where the row comes from
anything else           kept in ``attributes`` (e.g. ``demo``)
======================  ==============================================================

Rules:

* Every row is validated.  A file with bad rows is refused whole with an
  :class:`~chainmap.exceptions.InvalidInput` naming the file and listing
  ``RowError(row, column, value, reason)``; rows are numbered as Excel shows
  them (header = row 1, first data row = row 2; JSON records likewise: the
  first object is row 2) — the numbering and the file-level errors of
  :mod:`chainmap.tabular`, the one reader shared with the enterprise import.  With ``skip_invalid=True`` the valid rows go in and the
  refused ones are listed in :attr:`ImportResult.errors` (the CLI writes them
  to a CSV report).  Completely empty rows are skipped and counted.
* A missing number stays ``None``; it never becomes 0.
* Duplicates merge by credit code, else by normalised name
  (:func:`chainmap.names.normalize_company_name`).  **Merge rule**: scalar
  fields — the first non-empty value wins, later rows only fill blanks; list
  fields (segments, tags, risk flags) — union in order of appearance, so a risk
  flag is never lost; attributes — per key like scalars.  The number of merged
  rows is reported.
* Candidate ids are stable: ``cand.<credit code, lower case>`` or
  ``cand.n<first 16 hex digits of sha1(normalised name)>``, so re-importing a
  file changes nothing.  When storing (:func:`store_candidates`) the new file's
  non-empty values win over the stored ones and stored values fill the blanks.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from chainmap.exceptions import InvalidInput, RowError
from chainmap.limits import Limits
from chainmap.models import TAG_LABELS_ZH, Tag, is_valid_credit_code
from chainmap.names import normalize_company_name
from chainmap.parallel import map_chunks, usable_cpus
from chainmap.safe_output import safe_csv_writer
from chainmap.tabular import is_blank as _blank
from chainmap.tabular import iter_table, read_source, shown_value, surplus_cell_error
from chainmap.text_hygiene import parse_number
from matching import geo
from matching.mapping import SegmentMapper
from matching.risk import EXCLUDING_RISKS, RISK_FLAGS, parse_risk_cell

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from chainmap.data import ChainData
    from chainmap.storage.base import Store

__all__ = [
    "CANDIDATE_COLUMNS",
    "NUMERIC_COLUMNS",
    "NUMERIC_BOUNDS",
    "ALLOWED_TAGS",
    "RISK_FLAGS",
    "EXCLUDING_RISKS",
    "HEADER_ALIASES",
    "ImportResult",
    "read_candidates",
    "candidate_id",
    "merge_records",
    "store_candidates",
    "load_candidates",
    "demo_pool_path",
    "load_demo_candidates",
    "is_demo",
    "write_error_report",
    "import_workers",
    "WORKERS_ENV",
]

CANDIDATE_COLUMNS = (
    "name", "credit_code", "hq_province", "hq_city", "main_products", "segments", "tags",
    "revenue_cny_100m", "revenue_growth", "employees", "founded_year", "valuation_usd_bn",
    "expansions_3y", "shanxi_presence", "risk_flags", "source", "group",
)  # fmt: skip
NUMERIC_COLUMNS = (
    "revenue_cny_100m", "revenue_growth", "employees", "founded_year", "valuation_usd_bn", "expansions_3y",
)  # fmt: skip
_LIST_FIELDS = ("segments", "tags", "risk_flags")

#: Upper bounds of the numeric columns: a value above is a typo or a unit error, refused
#: with the bound in the reason (State Grid, China's largest firm, has ~35,000 亿元 revenue
#: and ~1.4 million staff; the most valuable firms are worth ~3,500 bn USD).
NUMERIC_BOUNDS: dict[str, float] = {
    "revenue_cny_100m": 100_000.0,
    "employees": 5_000_000,
    "valuation_usd_bn": 10_000.0,
    "expansions_3y": 1_000,
}

#: Tags a candidate may carry.
ALLOWED_TAGS: tuple[str, ...] = (
    "global500", "china500", "private500", "industry_top100", "gazelle", "unicorn",
    "little_giant", "listed", "chain_leader",
)  # fmt: skip

# RISK_FLAGS (categories with labels) and EXCLUDING_RISKS live in matching.risk (re-exported here).

#: Header spellings accepted for the standard columns (after NFKC, strip, lower case).
HEADER_ALIASES: dict[str, str] = {
    "企业名称": "name", "名称": "name", "公司名称": "name", "company": "name",
    "统一社会信用代码": "credit_code", "信用代码": "credit_code",
    "总部省份": "hq_province", "省份": "hq_province", "province": "hq_province",
    "总部城市": "hq_city", "城市": "hq_city", "city": "hq_city",
    "主营产品": "main_products", "主要产品": "main_products", "products": "main_products",
    "环节": "segments", "标签": "tags",
    "营业收入": "revenue_cny_100m", "营收": "revenue_cny_100m", "营业收入(亿元)": "revenue_cny_100m",
    "营收增速": "revenue_growth", "员工人数": "employees", "成立年份": "founded_year",
    "估值(亿美元)": "valuation_usd_bn", "近三年扩张": "expansions_3y", "山西布局": "shanxi_presence",
    "风险": "risk_flags", "风险标签": "risk_flags", "来源": "source",
    "集团": "group", "所属集团": "group", "母公司": "group", "parent": "group",
    # 企查查 / 天眼查 exports and 规上名录 spellings (as chainmap.census.headers reads them)
    "单位详细名称": "name", "单位名称": "name", "社会信用代码": "credit_code",
    "所属省份": "hq_province", "所属城市": "hq_city", "主导产品": "main_products",
}  # fmt: skip

#: Columns whose values repeat across rows (a province, a tag list, a head count): parsed once per
#: distinct text in a chunk of rows (see :func:`_parse_row`), at most _MEMO_SIZE texts per column.
_MEMO_COLUMNS = (
    "hq_province", "hq_city", "segments", "tags", "revenue_growth", "employees", "founded_year",
    "expansions_3y", "shanxi_presence", "risk_flags", "source", "group",
)  # fmt: skip
_MEMO_SIZE = 4096
_MISSING = object()
#: Rows per chunk of an import's work (see :func:`chainmap.parallel.map_chunks`).
_CHUNK_ROWS = 5_000
#: Environment variable: processes sharing a large import (1 = this process only).
WORKERS_ENV = "CHAINMAP_IMPORT_WORKERS"
_MAX_AUTO_WORKERS = 8


def import_workers(environ: Mapping[str, str] | None = None) -> int:
    """Processes a large import may use: ``CHAINMAP_IMPORT_WORKERS`` (a whole number ≥ 1), else the
    usable CPUs (at most 8).

    >>> import_workers({"CHAINMAP_IMPORT_WORKERS": "3"})
    3
    >>> import_workers({"CHAINMAP_IMPORT_WORKERS": "zero"})
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: CHAINMAP_IMPORT_WORKERS: expected a whole number ≥ 1, got 'zero'
    """
    env = os.environ if environ is None else environ
    raw = env.get(WORKERS_ENV)
    if raw is None or not raw.strip():
        return min(usable_cpus(), _MAX_AUTO_WORKERS)
    try:
        n = int(raw.strip())
    except ValueError:
        n = 0
    if n < 1:
        raise InvalidInput(f"expected a whole number ≥ 1, got {raw!r}", field=WORKERS_ENV)
    return n


_TRUE = {"true", "1", "yes", "y", "是", "有", "t"}
_FALSE = {"false", "0", "no", "n", "否", "无", "f"}
_LIST_SPLIT = re.compile(r"[;；]")
_THIS_YEAR = date.today().year


@dataclass
class ImportResult:
    """What :func:`read_candidates` read.

    ``candidates`` are records ready for :func:`store_candidates`; ``errors``
    the refused rows' problems (only non-empty with ``skip_invalid``);
    ``unmapped`` the candidates with neither explicit nor mapped segments;
    ``warnings`` kept rows worth a look (a city not in :data:`matching.geo.CITIES`,
    or in another province than ``hq_province``).
    """

    filename: str
    candidates: list[dict[str, Any]]
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    rows_refused: int = 0
    blank_rows: int = 0
    merged: int = 0
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for the CLI and the API."""
        return {
            "file": self.filename,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_read - self.rows_refused,
            "rows_refused": self.rows_refused,
            "blank_rows": self.blank_rows,
            "merged": self.merged,
            "candidates": len(self.candidates),
            "unmapped": len(self.unmapped),
            "warnings": len(self.warnings),
        }


# ---------------------------------------------------------------------------
# field parsers: return the value or raise ValueError(reason)
# ---------------------------------------------------------------------------


def _text(v: Any) -> str | None:
    if _blank(v):
        return None
    return str(v).strip()


def _number(v: Any, what: str) -> float | None:
    """A number as the planner typed it (:func:`chainmap.text_hygiene.parse_number`): ``1,234.5``
    yes, ``1,5`` / ``1.234,5`` / ``inf`` / ``NaN`` / a date no (ValueError with the reason)."""
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(f"expected {what}, got a true/false value")
    try:
        x = float(parse_number(v))
    except InvalidInput as err:
        if err.message.startswith("not a number") and "%" not in err.message:
            raise ValueError(f"expected {what}") from None
        raise ValueError(f"expected {what}: {err.message}") from None
    except OverflowError:
        raise ValueError(f"expected {what}: the number is too large") from None
    return x


def _bounded(x: float | None, what: str, hi: float) -> float | None:
    if x is not None and x > hi:
        raise ValueError(f"{what} must be at most {hi:,g}; got {x:,g} (a typo or a unit error?)")
    return x


def _nonneg(v: Any, what: str, hi: float | None = None) -> float | None:
    x = _number(v, what)
    if x is not None and x < 0:
        raise ValueError(f"{what} must be ≥ 0")
    return x if hi is None else _bounded(x, what, hi)


def _integer(v: Any, what: str, lo: int = 0, hi: int | None = None) -> int | None:
    x = _number(v, what)
    if x is None:
        return None
    if x != int(x):
        raise ValueError(f"expected {what} (a whole number)")
    n = int(x)
    if n < lo or (hi is not None and n > hi):
        raise ValueError(
            f"{what} must be between {lo:,} and {hi:,}; got {n:,}" if hi is not None else f"{what} must be ≥ {lo}"
        )
    return n


def _growth(v: Any) -> float | None:
    if _blank(v):
        return None
    s = str(v).strip() if not isinstance(v, int | float) else None
    if s is not None and s.endswith(("%", "％")):
        x = _number(s[:-1], "a percentage such as 12%")
        assert x is not None
        x /= 100.0
    else:
        x = _number(v, "a fraction such as 0.12 (or 12%)")
        assert x is not None
    if not -1.0 <= x <= 10.0:
        raise ValueError(
            "expected a fraction between -1 and 10 (0.35 means +35%); write 35% for a percentage"
        )
    return x


def _bool(v: Any) -> bool | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("expected true or false (是/否, 1/0, yes/no)")


def _split(v: Any) -> list[str]:
    if _blank(v):
        return []
    if isinstance(v, list | tuple):
        items = [str(x) for x in v]
    else:
        items = _LIST_SPLIT.split(str(v))
    out: list[str] = []
    for x in items:
        x = x.strip()
        if x and x not in out:
            out.append(x)
    return out


def _tags(v: Any) -> list[str]:
    if isinstance(v, str):
        return list(_tags_cached(v))
    return list(_tags_cached(";".join(map(str, v))))


@lru_cache(maxsize=4096)
def _tags_cached(v: str) -> tuple[str, ...]:
    out: list[str] = []
    for t in _split(v):
        try:
            tag = Tag.parse(t).value
        except ValueError:
            tag = None
        if tag not in ALLOWED_TAGS:
            allowed = ", ".join(f"{a}({TAG_LABELS_ZH[Tag(a)]})" for a in ALLOWED_TAGS)
            raise ValueError(f"unknown tag {t!r}; allowed: {allowed}")
        if tag not in out:
            out.append(tag)
    return tuple(out)


def _risks(v: Any) -> list[str]:
    return parse_risk_cell(v)  # the one risk hook: codes for known categories, free text kept as notes


@lru_cache(maxsize=4096)
def _province(v: Any) -> str | None:
    s = _text(v)
    if s is None:
        return None
    p = geo.normalize_province(s)
    if p is None:
        raise ValueError("unknown province; write e.g. 浙江 / 浙江省 / Zhejiang")
    return p


def _credit(v: Any) -> str | None:
    s = _text(v)
    if s is None:
        return None
    c = s.upper()
    if not is_valid_credit_code(c):
        raise ValueError(
            "invalid 统一社会信用代码: expected 18 characters with a GB 32100-2015 check character"
        )
    return c


# ---------------------------------------------------------------------------
# rows -> records
# ---------------------------------------------------------------------------


def _canonical_header(header: Sequence[Any], filename: str) -> list[str]:
    import unicodedata

    out: list[str] = []
    for h in header:
        raw = unicodedata.normalize("NFKC", "" if h is None else str(h)).strip()
        low = raw.lower()
        name = low if low in CANDIDATE_COLUMNS else HEADER_ALIASES.get(low, HEADER_ALIASES.get(raw, raw))
        out.append(name)
    seen: set[str] = set()
    for h in out:
        if h and h in seen:
            raise InvalidInput(f"column {h!r} appears twice in the header", file=filename, field=h, row=1)
        seen.add(h)
    if "name" not in out:
        raise InvalidInput(
            "missing the required column `name` (企业名称)",
            file=filename,
            field="name",
            row=1,
            hint="the first row must be a header naming the columns; see `chainmap candidates import --help`",
        )
    return out


def _parse_row(
    row_no: int,
    specs: Sequence[tuple[int, str, Callable[[Any], Any] | None]],
    values: Sequence[Any],
    known_segments: frozenset[str] | None,
    width: int,
    warnings: list[RowError] | None = None,
    memo: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One row's record, or None and its problems.  ``memo`` (column -> cell text -> parsed
    value, for the columns of :data:`_MEMO_COLUMNS`) saves parsing a repeated value again; list
    values are kept there as tuples and copied out, so no two records share a list."""
    errors: list[RowError] = []
    rec: dict[str, Any] = dict.fromkeys(CANDIDATE_COLUMNS)
    rec["segments"], rec["tags"], rec["risk_flags"] = [], [], []
    attrs: dict[str, Any] = {}
    n = len(values)
    seg_raw: Any = None
    for j, col, parser in specs:
        if j >= n:
            break
        v = values[j]
        if v is None or v == "":
            continue
        if type(v) is str:  # CSV and XLSX cells: the common case, no container checks
            if v.isspace():
                continue
            if parser is None:
                if col:
                    attrs[col] = v.strip()
                continue
            cache = memo.get(col) if memo is not None else None
            if cache is not None:
                got = cache.get(v, _MISSING)
                if got is not _MISSING:
                    rec[col] = list(got) if type(got) is tuple else got
                    if col == "segments":
                        seg_raw = v
                    continue
        else:
            if isinstance(v, float) and math.isnan(v):
                continue
            if isinstance(v, str) and v.isspace():  # a str subclass
                continue
            cache = None
            if parser is None:
                if col:
                    attrs[col] = v.strip() if isinstance(v, str) else v
                continue
            if isinstance(v, dict) or (
                isinstance(v, list) and (col not in _LIST_FIELDS or any(isinstance(x, list | dict) for x in v))
            ):
                what = "an object" if isinstance(v, dict) else "a list"
                errors.append(
                    RowError(row=row_no, column=col, value=shown_value(v), reason=f"expected a single value, got {what}")
                )
                continue
        try:
            parsed = rec[col] = parser(v)
        except (ValueError, TypeError, OverflowError, InvalidInput) as err:
            reason = err.message if isinstance(err, InvalidInput) else str(err)
            errors.append(RowError(row=row_no, column=col, value=shown_value(v), reason=reason))
        else:
            if cache is not None and len(cache) < _MEMO_SIZE:
                cache[v] = tuple(parsed) if type(parsed) is list else parsed
        if col == "segments":
            seg_raw = v
    if n > width:
        surplus = surplus_cell_error(row_no, values, width)
        if surplus is not None:
            errors.append(surplus)
    if rec["name"] is None:
        if not any(e.column == "name" for e in errors):
            errors.append(RowError(row=row_no, column="name", value=None, reason="name is required"))
    elif len(rec["name"]) > 200:
        errors.append(
            RowError(row=row_no, column="name", value=rec["name"][:40] + "…", reason="name longer than 200")
        )
    if known_segments is not None:
        for s in rec["segments"]:
            if s not in known_segments:
                errors.append(
                    RowError(
                        row=row_no,
                        column="segments",
                        value=shown_value(seg_raw),
                        reason=f"unknown segment id {s!r} (see `chainmap chains` for the ids)",
                    )
                )
    if errors:
        return None, errors
    if warnings is not None and rec["hq_city"] is not None:
        why = geo.city_warning(rec["hq_city"], rec["hq_province"])
        if why is not None:
            warnings.append(RowError(row=row_no, column="hq_city", value=rec["hq_city"], reason=why))
    rec["attributes"] = attrs
    return rec, []


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": _text,
    "credit_code": _credit,
    "hq_province": _province,
    "hq_city": lru_cache(maxsize=65536)(lambda v: geo.normalize_city(_text(v))),
    "main_products": _text,
    "segments": _split,
    "tags": _tags,
    "revenue_cny_100m": lambda v: _nonneg(v, "a number of 亿元 ≥ 0", NUMERIC_BOUNDS["revenue_cny_100m"]),
    "revenue_growth": _growth,
    "employees": lambda v: _integer(v, "a head count", 0, int(NUMERIC_BOUNDS["employees"])),
    "founded_year": lambda v: _integer(v, "a year", 1800, _THIS_YEAR),
    "valuation_usd_bn": lambda v: _nonneg(v, "a valuation in billion USD ≥ 0", NUMERIC_BOUNDS["valuation_usd_bn"]),
    "expansions_3y": lambda v: _integer(v, "a count of new plants or bases", 0, int(NUMERIC_BOUNDS["expansions_3y"])),
    "shanxi_presence": _bool,
    "risk_flags": _risks,
    "source": _text,
    "group": _text,
}


def candidate_id(record: Mapping[str, Any]) -> str:
    """Stable id: ``cand.<credit code>`` or ``cand.n<sha1(normalised name)[:16]>``.

    >>> candidate_id({"credit_code": "91350100M000100Y43", "name": "x"})
    'cand.91350100m000100y43'
    >>> candidate_id({"name": "宁德时代新能源科技股份有限公司"}) == candidate_id({"name": "宁德时代新能源科技"})
    True
    """
    cc = record.get("credit_code")
    if cc:
        return "cand." + str(cc).lower()
    key = record.get("name_norm") or normalize_company_name(str(record["name"]))
    return "cand.n" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def merge_records(first: dict[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``later`` into ``first`` (in place, returned): first non-empty scalar
    wins, later values fill blanks; lists are united in order; attributes per key.

    >>> merge_records({"name": "A", "employees": None, "tags": ["listed"]},
    ...               {"name": "A2", "employees": 10, "tags": ["gazelle", "listed"]})
    {'name': 'A', 'employees': 10, 'tags': ['listed', 'gazelle']}
    """
    for k, v in later.items():
        if k == "attributes":
            attrs = first.setdefault("attributes", {})
            for ak, av in (v or {}).items():
                if _blank(attrs.get(ak)) and not _blank(av):
                    attrs[ak] = av
        elif k == "mapped_segments":
            have = {m["segment"] for m in first.get(k) or []}
            first[k] = list(first.get(k) or []) + [m for m in v or [] if m["segment"] not in have]
        elif isinstance(v, list) or k in _LIST_FIELDS:
            cur = list(first.get(k) or [])
            cur.extend(x for x in v or [] if x not in cur)
            first[k] = cur
        elif _blank(first.get(k)) and not _blank(v):
            first[k] = v
        elif k not in first:
            first[k] = v
    return first


def _fit_mapper(
    data: ChainData | None, segment_ids: Iterable[str] | None
) -> tuple[frozenset[str] | None, SegmentMapper | None]:
    if data is None and segment_ids is None:
        from chainmap.seed import load_seed

        data = load_seed()
    if data is not None:
        segs = list(data.segments)
        return frozenset(s.id for s in segs), (SegmentMapper().fit(data) if segs else None)
    return frozenset(segment_ids or ()), None


def read_candidates(
    path_or_bytes: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    filename: str | None = None,
    skip_invalid: bool = False,
    data: ChainData | None = None,
    segment_ids: Iterable[str] | None = None,
    mapper: SegmentMapper | None = None,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
    workers: int | None = 1,
    chunk_rows: int = _CHUNK_ROWS,
) -> ImportResult:
    """Read, validate, de-duplicate and map a candidate file.

    Parameters
    ----------
    path_or_bytes : path, bytes or binary file
        The file.  Its format follows ``filename``'s extension (.csv, .tsv,
        .xlsx, .json); CSV may be UTF-8 (with or without BOM) or GBK/GB18030.
    filename : str, optional
        Name used for the format and in messages (default: the path's name;
        required for bytes).
    skip_invalid : bool, default False
        False: any bad row refuses the whole file (InvalidInput with ``errors``).
        True: valid rows are kept and the bad rows' problems returned in
        :attr:`ImportResult.errors`.
    data : ChainData, optional
        The chain data whose segments validate ``segments`` and drive the
        product mapping (default: :func:`chainmap.seed.load_seed`).
    segment_ids : iterable of str, optional
        Known segment ids when no ``data`` is given (no mapping then).
    mapper : SegmentMapper, optional
        A fitted mapper (default: fitted on ``data.segments``).
    progress : callable(done, total), optional
        Called every 5,000 rows and at the end.
    limits : Limits, optional
        Parser budgets (default: :meth:`chainmap.limits.Limits.from_env`).
    workers : int or None, default 1
        Processes sharing the rows (:func:`chainmap.parallel.map_chunks`), this one included;
        None: :func:`import_workers` (``CHAINMAP_IMPORT_WORKERS``, else the usable CPUs).  Worker
        processes start only for a file of more than two chunks; the result is the same for any
        number (rows are merged in file order, merged records mapped again).
    chunk_rows : int, default 5,000
        Rows per chunk of work.

    Raises
    ------
    InvalidInput
        Unreadable file, missing ``name`` column, or bad rows without ``skip_invalid``.
    """
    if filename is None:
        if isinstance(path_or_bytes, str | os.PathLike):
            filename = Path(path_or_bytes).name
        else:
            filename = getattr(path_or_bytes, "name", None) or "upload.csv"
    filename = str(filename)
    known, fitted = _fit_mapper(data, segment_ids)
    if mapper is not None:
        fitted = mapper
    raw = read_source(path_or_bytes, filename)
    # Millions of small dicts make the cyclic GC rescan the heap over and over;
    # nothing here creates cycles, so pause it while reading.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        n_workers = import_workers() if workers is None else workers
        if n_workers < 1:
            raise InvalidInput(f"expected at least 1 worker, got {n_workers}", field="workers")
        return _read(raw, filename, skip_invalid, known, fitted, progress, limits, n_workers, chunk_rows)
    finally:
        if gc_was_enabled:
            gc.enable()


def _blank_row(values: Sequence[Any]) -> bool:
    """Every cell blank (:func:`chainmap.tabular.is_blank`): one join for a row of text cells."""
    try:
        return not "".join(values).strip()
    except TypeError:  # JSON values: numbers, lists, None
        return all(_blank(v) for v in values)


@dataclass
class _Chunk:
    """What one chunk of rows gave (:func:`_parse_chunk`): the valid rows' records, each
    mapped and with its id as if it stood alone, and the chunk's problems and counts."""

    records: list[tuple[int, dict[str, Any]]]
    errors: list[RowError]
    warnings: list[RowError]
    read: int
    refused: int
    blank: int


@dataclass(frozen=True)
class _ChunkContext:
    header: list[str]
    known: frozenset[str] | None
    mapper: SegmentMapper | None
    skip_invalid: bool


def _parse_chunk(ctx: _ChunkContext, rows: list[tuple[int, list[Any]]]) -> _Chunk:
    """Validate, key, map and name the rows of one chunk (pure: :func:`chainmap.parallel.map_chunks`
    may run it in another process).  The mapping is skipped when the chunk has a bad row and
    bad rows refuse the file (the records are then never used)."""
    specs = [(j, col, _PARSERS.get(col)) for j, col in enumerate(ctx.header)]
    width, known = len(ctx.header), ctx.known
    out: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    read = refused = blank = 0
    memo: dict[str, dict[str, Any]] = {c: {} for c in _MEMO_COLUMNS}
    for row_no, values in rows:
        if _blank_row(values):
            blank += 1
            continue
        read += 1
        rec, errs = _parse_row(row_no, specs, values, known, width, warnings, memo)
        if rec is None:
            refused += 1
            errors.extend(errs)
            continue
        rec["name_norm"] = normalize_company_name(rec["name"])
        out.append((row_no, rec))
    recs = [r for _, r in out]
    _map_segments(recs, None if errors and not ctx.skip_invalid else ctx.mapper)
    for rec in recs:
        rec["id"] = candidate_id(rec)
    return _Chunk(out, errors, warnings, read, refused, blank)


def _read(
    raw: bytes,
    filename: str,
    skip_invalid: bool,
    known: frozenset[str] | None,
    fitted: SegmentMapper | None,
    progress: Callable[[int, int], None] | None,
    limits: Limits | None = None,
    workers: int = 1,
    chunk_rows: int = _CHUNK_ROWS,
) -> ImportResult:
    table = iter_table(raw, filename=filename, limits=limits)
    n_est, enc = table.size_hint, table.encoding
    header = _canonical_header(table.header, filename)
    ctx = _ChunkContext(header, known, fitted, skip_invalid)

    records: list[dict[str, Any]] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    refused = blank = read = 0
    by_cc: dict[str, int] = {}
    by_name: dict[str, int] = {}
    first_row: list[int] = []
    merged = 0
    remap: set[int] = set()  # records that took in a later row: mapped and named again at the end
    for part in map_chunks(_parse_chunk, ctx, table.rows, workers=workers, chunk_size=chunk_rows):
        errors.extend(part.errors)
        warnings.extend(part.warnings)
        refused += part.refused
        blank += part.blank
        done_before = read
        read += part.read
        if progress is not None and read // 5000 > done_before // 5000:
            progress(read, n_est)
        for row_no, rec in part.records:
            cc = rec["credit_code"]
            idx = None
            if cc is not None:
                idx = by_cc.get(cc)
                if idx is None:
                    j = by_name.get(rec["name_norm"])
                    if j is not None and records[j]["credit_code"] is None:
                        idx = j
            else:
                idx = by_name.get(rec["name_norm"])
            if idx is None:
                idx = len(records)
                records.append(rec)
                first_row.append(row_no)
            else:
                del rec["mapped_segments"], rec["id"]  # derived from the merged record below
                merge_records(records[idx], rec)
                remap.add(idx)
                merged += 1
            if cc is not None:
                by_cc.setdefault(cc, idx)
            by_name.setdefault(rec["name_norm"], idx)
    if progress is not None:
        progress(read, read)
    if read == 0 and not errors:
        raise InvalidInput("the file has a header but no data rows", file=filename)
    if errors and not skip_invalid:
        raise InvalidInput(
            f"{refused} of {read} rows refused; nothing was imported",
            file=filename,
            errors=errors,
            hint="fix these rows, or import the valid rows with --skip-invalid and a --report file",
        )

    again = [records[i] for i in sorted(remap)]
    _map_segments(again, fitted)
    for rec in again:
        rec["id"] = candidate_id(rec)
    unmapped = [
        {"row": row_no, "id": rec["id"], "name": rec["name"], "main_products": rec["main_products"]}
        for rec, row_no in zip(records, first_row, strict=True)
        if not rec["segments"] and not rec["mapped_segments"]
    ]
    return ImportResult(
        filename=filename,
        candidates=records,
        errors=errors,
        rows_read=read,
        rows_refused=refused,
        blank_rows=blank,
        merged=merged,
        unmapped=unmapped,
        encoding=enc,
        warnings=warnings,
    )


def _map_segments(records: list[dict[str, Any]], mapper: SegmentMapper | None) -> None:
    todo = [r for r in records if r["main_products"] and not r["segments"]]
    for r in records:
        r["mapped_segments"] = []
    if mapper is None or not todo:
        return
    texts = [{"name": r["name"], "products": r["main_products"]} for r in todo]
    for rec, matches in zip(todo, mapper.map_records(texts), strict=True):
        rec["mapped_segments"] = [  # role only when not "producer" (see matching.mapping)
            {"segment": s, "confidence": c, "method": m, **({} if r == "producer" else {"role": r}),
             **({"evidence": list(ev[:2])} if ev else {})}
            for s, c, m, r, ev in matches
        ]


def write_error_report(
    errors: Iterable[RowError],
    path: str | os.PathLike[str],
    *,
    unmapped: Iterable[Mapping[str, Any]] = (),
    warnings: Iterable[RowError] = (),
) -> int:
    """Write the import report as CSV (UTF-8 with BOM so Excel opens it) with
    columns row, column, value, reason: one line per problem of a refused row,
    then one line per *kept* candidate whose products matched no segment, then
    one per warning (``ImportResult.warnings``: kept, e.g. an unknown city).
    Every cell goes through :func:`chainmap.safe_output.safe_csv_writer`, so a
    refused value such as ``=cmd|' /C calc'!A0`` is text, never a formula.
    Returns the number of refused-row lines."""
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = safe_csv_writer(fh)  # a refused value such as "=cmd|..." must not become a formula
        w.writerow(["row", "column", "value", "reason"])
        for e in errors:
            w.writerow([e.row, e.column, "" if e.value is None else e.value, e.reason])
            n += 1
        for u in unmapped:
            w.writerow(
                [u.get("row", ""), "main_products", u.get("main_products") or "",
                 "kept, but no segment matched: add `segments` or product keywords"]
            )  # fmt: skip
        for wr in warnings:
            w.writerow([wr.row, wr.column, "" if wr.value is None else wr.value, f"kept, but: {wr.reason}"])
    return n


# ---------------------------------------------------------------------------
# store
# ---------------------------------------------------------------------------


def _without_id(r: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "id"}


def store_candidates(store: Store, records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Write candidate records (kind ``"candidate"``) in one transaction.

    The new values win over stored ones; stored values fill the blanks (so
    re-importing a file changes nothing).  A stored name-only candidate
    (no credit code) whose normalised name matches a new record with a credit
    code is merged into it and its old record removed.

    Returns ``{"created", "updated", "unchanged", "replaced"}`` counts.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "replaced": 0}
    records = list(records)
    if not records:  # nothing to write: no transaction, no revision bump
        return counts
    with store.transaction() as tx:
        existing = {r["id"]: r for r in tx.list_records("candidate")}
        name_only = {r.get("name_norm"): r["id"] for r in existing.values() if not r.get("credit_code")}
        for rec in records:
            new = json.loads(json.dumps(_without_id(rec), ensure_ascii=False, allow_nan=False))
            rid = rec.get("id") or candidate_id(rec)
            old = existing.get(rid)
            if old is None and new.get("credit_code") and new.get("name_norm") in name_only:
                old_id = name_only.pop(new["name_norm"])
                old = existing.pop(old_id)
                tx.delete_record("candidate", old_id)
                counts["replaced"] += 1
            if old is None:
                tx.put_record("candidate", rid, new)
                existing[rid] = {**new, "id": rid}
                counts["created"] += 1
                continue
            combined = merge_records(json.loads(json.dumps(new)), _without_id(old))
            if combined == _without_id(old):
                counts["unchanged"] += 1
            else:
                tx.put_record("candidate", rid, combined)
                existing[rid] = {**combined, "id": rid}
                counts["updated"] += 1
    return counts


def load_candidates(store: Store) -> list[dict[str, Any]]:
    """All stored candidate records, sorted by id."""
    return list(store.list_records("candidate"))


def demo_pool_path() -> Traversable:
    """The shipped demo pool ``graph_seed/candidates_demo.csv`` (an importlib.resources Traversable)."""
    from importlib.resources import files

    return files("graph_seed") / "candidates_demo.csv"


def load_demo_candidates(data: ChainData | None = None) -> ImportResult:
    """Read the shipped demo pool (real enterprises, figures deliberately empty)."""
    p = demo_pool_path()
    try:
        raw = p.read_bytes()
    except (FileNotFoundError, OSError):
        raise InvalidInput(
            "the demo candidate pool graph_seed/candidates_demo.csv is missing", hint="reinstall chainmap"
        ) from None
    return read_candidates(raw, filename="candidates_demo.csv", data=data)


def is_demo(record: Mapping[str, Any]) -> bool:
    """True if the record comes from the demo pool (its ``demo`` attribute is true)."""
    v = (record.get("attributes") or {}).get("demo")
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in _TRUE if v is not None else False
