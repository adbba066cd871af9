"""Tiny bilingual text helper: Chinese first, English on request.

>>> pick("en", "补链", "fill")
'fill'
>>> pick("zh", "补链", "fill")
'补链'
>>> norm_lang("EN")
'en'
"""

from __future__ import annotations

from typing import Literal

from chainmap.exceptions import InvalidInput

__all__ = ["Lang", "pick", "norm_lang", "LANGS"]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")


def norm_lang(lang: str | None) -> Lang:
    """Normalise a ``lang`` parameter; InvalidInput for anything but zh / en."""
    v = (lang or "zh").strip().lower()
    if v in ("zh", "zh-cn", "cn", "中文"):
        return "zh"
    if v in ("en", "en-us", "english"):
        return "en"
    raise InvalidInput(f"unknown language {lang!r}; expected zh or en", field="lang")


def pick(lang: str, zh: str, en: str) -> str:
    """Return the text for ``lang``."""
    return en if lang == "en" else zh
