"""Plain-text tables that line up with Chinese (wide) characters.

>>> print(table(["链", "环节数"], [["汽", 30], ["材", 51]]))
链  环节数
--  ------
汽      30
材      51
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from chainmap.text_hygiene import clean_text

__all__ = ["display_width", "table"]


def display_width(text: str) -> int:
    """Terminal columns used by ``text`` (wide East-Asian characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return clean_text(str(v))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render rows under headers; numbers right-aligned, None shown as '-'.

    Every cell and header is cleaned (:func:`chainmap.text_hygiene.clean_text`): a
    stored name cannot send escape codes to the terminal or break the layout.

    >>> table(["名称"], [["\\x1b[2J\\x1b]0;pwned\\x07宁\\u200b德\\n时代"]]).splitlines()[-1]
    '宁德 时代'
    """
    headers = [clean_text(str(h)) for h in headers]
    cells = [[_cell(v) for v in r] for r in rows]
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in rows) if rows else False for i in range(len(headers))
    ]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, widths[i], numeric[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)
