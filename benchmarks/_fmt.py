"""Number and table-cell formatting shared by the Markdown writers and the skip reasons."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["fmt_s", "fmt_n", "cell"]


def fmt_s(x: float) -> str:
    return f"{x:.3g} s" if x < 10 else f"{x:,.0f} s" if x >= 100 else f"{x:.1f} s"


def fmt_n(n: float) -> str:
    return f"{n / 1e6:g}M" if n >= 1e6 else f"{n / 1e3:g}k" if n >= 1e3 else f"{n:g}"


def cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, dict | list):
        v = json.dumps(v, ensure_ascii=False, default=str)
    return str(v).replace("|", "\\|").replace("\n", " ")
