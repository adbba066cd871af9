"""Risk notes of candidates: free text mapped to the known risk categories.

A candidate's ``risk_flags`` cell holds ``;``-separated entries.  Real
candidate lists write them as free text (``失信被执行人``, ``债务违约``,
``破产重整``, ``被执行人`` ...), so every entry is accepted:

* an entry that names a **known category** — its code (``dishonest``), its
  Chinese label (``失信被执行人``) or contains one of the category's words
  (:data:`CATEGORY_WORDS`, e.g. ``"2023年列入失信名单"`` contains ``失信``) —
  is stored as the category code;
* any other entry is kept verbatim as a **risk note** (``债务违约``), shown
  with every lead of the candidate and counted like one non-excluding flag;
* entries meaning "none" (``无``, ``暂无``, ``none``, ``-``) are dropped.

Only the **exclusion categories** (:data:`EXCLUDING_RISKS`: dishonest
失信被执行人, abnormal operation 经营异常) exclude a candidate from ranking;
other categories and notes cost ``weights.risk_penalty`` each.

Records keep codes and notes in the one list ``risk_flags`` (codes first
where they were written first); :func:`split_risks` separates them.

>>> parse_risk_cell("失信被执行人；债务违约; 重大诉讼;无")
['dishonest', '债务违约', 'major_litigation']
>>> split_risks(['dishonest', '债务违约', 'major_litigation'])
(['dishonest', 'major_litigation'], ['债务违约'])
>>> parse_risk_cell("被执行人")  # a judgment debtor is not 失信: kept as a note
['被执行人']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = [
    "RISK_FLAGS",
    "EXCLUDING_RISKS",
    "CATEGORY_WORDS",
    "classify_risk",
    "parse_risk_cell",
    "split_risks",
    "risk_label",
]

#: Known risk categories with their Chinese labels.
RISK_FLAGS: dict[str, str] = {
    "dishonest": "失信被执行人",
    "abnormal_operation": "经营异常",
    "major_litigation": "重大诉讼",
    "env_penalty": "环保处罚",
}
#: Categories that exclude a candidate from ranking (the others are penalised).
EXCLUDING_RISKS = frozenset({"dishonest", "abnormal_operation"})

#: Words that put a free-text entry into a category (checked in this order;
#: lower-cased, NFKC).  ``被执行人`` alone is *not* ``dishonest``.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dishonest", ("失信", "dishonest", "judgment defaulter", "blacklist")),
    ("abnormal_operation", ("经营异常", "异常经营", "abnormal operation", "abnormal_operation")),
    ("major_litigation", ("重大诉讼", "major litigation", "major_litigation")),
    ("env_penalty", ("环保处罚", "环境处罚", "环境行政处罚", "环保行政处罚", "env_penalty", "environmental penalty")),
)
_NONE = frozenset({"无", "暂无", "没有", "none", "no", "n/a", "na", "nil", "-", "—", "/"})
_SPLIT = re.compile(r"[;；\n]")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def classify_risk(entry: str) -> str | None:
    """The category code of one entry, or None when it is a free-text note.

    >>> classify_risk("失信"), classify_risk("Abnormal_Operation"), classify_risk("债务违约")
    ('dishonest', 'abnormal_operation', None)
    """
    t = _norm(entry)
    if t in RISK_FLAGS:
        return t
    for code, words in CATEGORY_WORDS:
        if any(w in t for w in words):
            return code
    return None


def parse_risk_cell(value: Any) -> list[str]:
    """Entries of a ``risk_flags`` cell (text or list): category codes and notes,
    de-duplicated in order; never raises for text."""
    if value is None:
        return []
    items = [str(x) for x in value] if isinstance(value, list | tuple) else _SPLIT.split(str(value))
    out: list[str] = []
    for raw in items:
        entry = unicodedata.normalize("NFKC", raw).strip()
        if not entry or _norm(entry) in _NONE:
            continue
        code = classify_risk(entry)
        item = code if code is not None else entry
        if item not in out:
            out.append(item)
    return out


def split_risks(items: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """``(categories, notes)`` of a record's ``risk_flags`` list."""
    cats: list[str] = []
    notes: list[str] = []
    for it in items or []:
        (cats if it in RISK_FLAGS else notes).append(it)
    return cats, notes


def risk_label(item: str, lang: str = "zh") -> str:
    """Display text of a category code (its Chinese label, or the code in English) or of a note."""
    if item in RISK_FLAGS:
        return RISK_FLAGS[item] if lang == "zh" else item.replace("_", " ")
    return item
