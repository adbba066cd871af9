"""Text hygiene for names and numbers read from users' files.

Two jobs, both pure functions without I/O:

* :func:`clean_text` removes characters that are invisible or that change how
  text is shown, so that ``宁德时代`` and ``宁\\u200b德时代`` are one firm and a
  name cannot send escape codes to a terminal; :func:`has_forbidden` and
  :func:`find_forbidden` tell a caller that wants to *refuse* such text instead.
* :func:`parse_number` reads a number the way a planner typed it, refusing the
  ambiguous forms instead of guessing (``"1,5"`` is not silently 15).

What :func:`clean_text` removes
-------------------------------
* terminal escape sequences: CSI (``ESC [ ... final`` or 8-bit ``U+009B``),
  OSC (``ESC ] ... BEL`` / ``ESC \\``, or 8-bit ``U+009D``), DCS/SOS/PM/APC, and
  two-character ``ESC x`` sequences -- the whole sequence, not only the ESC, so
  no ``[31m`` is left behind (a string sequence without its terminator loses
  only its introducer, never the rest of the text);
* every other control character (Unicode category ``Cc``: C0 ``U+0000-001F``,
  DEL, C1 ``U+0080-009F``); tab, CR, LF, and the line/paragraph separators
  ``U+2028``/``U+2029`` become one space (or are kept with ``multiline=True``);
* every format character (category ``Cf``): zero-width space/joiners
  ``U+200B-200D``, word joiner ``U+2060``, BOM ``U+FEFF``, soft hyphen
  ``U+00AD``, the bidi marks, embeddings, overrides and isolates
  ``U+200E/200F, U+202A-202E, U+2066-2069, U+061C``, tag characters;
* lone surrogates (category ``Cs``), which no UTF-8 file or database can hold.

Visible text is never changed: no case folding, no NFKC, no trimming (name
normalisation for duplicate detection builds on top of this).

>>> clean_text("宁\\u200b德时代")
'宁德时代'
>>> clean_text("\\x1b[31m红\\x1b[0m色\\x00")
'红色'
>>> clean_text("abc\\u202edcba")
'abcdcba'
>>> has_forbidden("宁德时代"), has_forbidden("宁德\\u2066时代")
(False, True)

Numbers
-------
:func:`parse_number` rules (default, i.e. ``locale=None``, ``"zh"`` or ``"en"``):
``.`` is the decimal point; ``,`` is accepted only as a thousands separator in
the unambiguous group-of-three form (``1,234`` and ``1,234,567.5``; the
first group has 1-3 digits, every later group exactly 3, no decimal comma), so
``"1,5"``, ``"1,23"`` and ``"12,34,567"`` are refused as ambiguous, and a
string holding both separators in the other order (``"1.234,5"``) is refused.
With a decimal-comma locale (``"de"``, ``"fr"``, ``"es"``, ``"it"``, ``"ru"``,
``"pt"``, ``"nl"`` ... , also as ``de_DE`` / ``de-DE``) the roles swap: ``,`` is
the decimal separator and ``.``, a space, NBSP or a narrow NBSP group
thousands, again only in groups of three.  Full-width digits and separators
(``１２３，４５６``) are read as their ASCII forms (NFKC), ``U+2212`` as minus.
Scientific notation (``1.5e3``) is accepted without thousands separators.
``inf``, ``NaN``, percentages, currency signs and empty strings are refused.
The result is an ``int`` when the text has neither a decimal part nor an
exponent, else a ``float``.

>>> parse_number("1,234.5"), parse_number("1,234"), parse_number("-7"), parse_number("2.5e3")
(1234.5, 1234, -7, 2500.0)
>>> parse_number("1,5")
Traceback (most recent call last):
...
chainmap.exceptions.InvalidInput: ambiguous number '1,5': ',' is only read as a thousands separator in groups of three (1,234); write 1.5 or 15, or set a decimal-comma locale
>>> parse_number("1.234,5", locale="de_DE"), parse_number("1,5", locale="de")
(1234.5, 1.5)
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from chainmap.exceptions import InvalidInput

__all__ = [
    "clean_text",
    "has_forbidden",
    "find_forbidden",
    "parse_number",
    "COMMA_DECIMAL_LANGUAGES",
    "POINT_DECIMAL_LANGUAGES",
]

# ESC-introduced sequences, 7-bit and 8-bit (C1 CSI U+009B, OSC U+009D, ST U+009C) forms.
_ESCAPE = (
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x9d[^\x07\x9c\x1b]*(?:\x07|\x9c)"  # 8-bit OSC ... BEL or ST
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS / SOS / PM / APC ... ST
    r"|\x1b[ -/]*[0-~]"  # two-character (and nF) escapes
    r"|\x1b"  # a lone ESC at the end
)


@functools.cache
def _escape_re() -> re.Pattern[str]:
    """:data:`_ESCAPE`, compiled on first use (printable text, nearly all of it, never needs
    it: ``chainmap --help`` and ``chainmap chains`` start without compiling it)."""
    return re.compile(_ESCAPE)


_SPACE_LIKE = {"\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"}
_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs"}


def _removed(ch: str) -> bool:
    return unicodedata.category(ch) in _REMOVED_CATEGORIES or ch in ("\u2028", "\u2029")


def clean_text(s: str, *, multiline: bool = False) -> str:
    """``s`` without escape sequences, control, format (zero-width, bidi) and surrogate characters.

    Parameters
    ----------
    s : str
        Any text.
    multiline : bool, default False
        Keep ``\\n`` (and turn ``\\r\\n`` / ``\\r`` into ``\\n``) instead of
        turning line breaks into a space; tabs still become a space.

    Examples
    --------
    >>> clean_text("a\\tb\\r\\nc")
    'a b  c'
    >>> clean_text("a\\r\\nb", multiline=True)
    'a\\nb'
    >>> clean_text("\\x1b]0;title\\x07ok")
    'ok'
    """
    if s.isprintable():  # no control, format, surrogate or line-separator character: nothing to remove
        return s  # (every escape sequence starts with one: ESC, CSI U+009B or OSC U+009D)
    if multiline:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _escape_re().sub("", s)
    out: list[str] = []
    for ch in s:
        if ch == "\n" and multiline:
            out.append(ch)
        elif ch in _SPACE_LIKE:
            out.append(" ")
        elif not _removed(ch):
            out.append(ch)
    return "".join(out)


def find_forbidden(s: str) -> list[tuple[int, str]]:
    """Positions and names of the characters :func:`clean_text` would remove or replace.

    >>> find_forbidden("宁\\u200b德\\x1b")
    [(1, 'U+200B ZERO WIDTH SPACE'), (3, 'U+001B ESCAPE')]
    """
    found = []
    for i, ch in enumerate(s):
        if ch in _SPACE_LIKE or _removed(ch):
            name = unicodedata.name(ch, "")
            if not name:
                name = {"\x1b": "ESCAPE", "\x00": "NULL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}.get(
                    ch, unicodedata.category(ch)
                )
            found.append((i, f"U+{ord(ch):04X} {name}"))
    return found


def has_forbidden(s: str) -> bool:
    """True if ``s`` holds a character :func:`clean_text` would remove or replace.

    >>> has_forbidden("plain 名字"), has_forbidden("tab\\there"), has_forbidden("nul\\x00")
    (False, True, True)
    """
    if s.isascii() and s.isprintable():
        return False
    return any(ch in _SPACE_LIKE or _removed(ch) for ch in s)


# ------------------------------------------------------------------ numbers

#: Languages whose decimal separator is a comma (thousands: ``.`` or a space).
COMMA_DECIMAL_LANGUAGES = frozenset(
    {"de", "fr", "es", "it", "pt", "ru", "nl", "pl", "tr", "cs", "sk", "sv", "da", "fi", "nb", "nn", "no",
     "id", "vi", "uk", "el", "hu", "ro", "bg", "hr", "sl", "sr", "lt", "lv", "et", "ca", "be", "kk", "az"}
)  # fmt: skip
#: Languages whose decimal separator is a point (thousands: ``,``).
POINT_DECIMAL_LANGUAGES = frozenset({"zh", "en", "ja", "ko", "th", "ms", "he", "hi", "fil", "tl", "ga", "mt"})

_SIGN = r"(?P<sign>[+-]?)"
_EXP = r"(?:[eE][+-]?\d+)"
# Point decimal: plain digits (with optional exponent) or strict groups of three with ','.
_POINT = (
    rf"^{_SIGN}(?:(?P<plain>(?:\d+(?:\.\d*)?|\.\d+){_EXP}?)|(?P<grouped>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?))$"
)
_COMMA = (
    rf"^{_SIGN}(?:(?P<plain>(?:\d+(?:,\d*)?|,\d+){_EXP}?)"
    r"|(?P<grouped>\d{1,3}(?:(?P<sep>[. \u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*(?:,\d+)?))$"
)


@functools.cache
def _number_re(comma: bool) -> re.Pattern[str]:
    """The pattern of a number with a decimal comma (:data:`_COMMA`) or point (:data:`_POINT`),
    compiled on first use."""
    return re.compile(_COMMA if comma else _POINT)


#: What the fast path of :func:`parse_number` reads directly (the full rules give the same value).
_PLAIN_DECIMAL = re.compile(r"\d+\.\d+", re.ASCII)
_NON_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan", "∞", "-∞", "+∞"}


def _decimal_comma(locale: str | None) -> bool:
    if locale is None:
        return False
    lang = re.split(r"[_\-.@]", locale.strip().lower(), maxsplit=1)[0]
    if lang in COMMA_DECIMAL_LANGUAGES:
        return True
    if lang in POINT_DECIMAL_LANGUAGES or lang in ("c", "posix"):
        return False
    raise InvalidInput(
        f"unknown number locale {locale!r}; use a language code such as zh, en (decimal point) or de, fr (decimal comma)",
        field="locale",
    )


def parse_number(
    text: str | int | float,
    *,
    locale: str | None = None,
    field: str | None = None,
    max_digits: int = 30,
) -> int | float:
    """Read a number, refusing ambiguous separators, inf/NaN and absurdly long digit strings.

    Parameters
    ----------
    text : str, int or float
        The cell text; an ``int`` or a finite ``float`` (e.g. from JSON) is returned as is.
    locale : str, optional
        ``None`` (default), ``"zh"``, ``"en"`` ...: decimal point; ``"de"``,
        ``"fr"`` ...: decimal comma. See the module docstring for the rules.
    field : str, optional
        Column name put into the error's context.
    max_digits : int, default 30
        More digits than this are refused (Python refuses ints above 4,300 digits with a ValueError).

    Raises
    ------
    InvalidInput
        With a reason a planner can act on; ``field`` in its context.

    Examples
    --------
    >>> parse_number("１２，３４５")
    12345
    >>> parse_number(" −3.5 ")
    -3.5
    >>> parse_number("1 234,5", locale="fr")
    1234.5
    >>> parse_number("inf")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: 'inf' is not a finite number
    >>> parse_number("1.234,5")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: ambiguous number '1.234,5': uses ',' after '.'; with a decimal point (this locale) write 1234.5
    """
    if isinstance(text, bool):
        raise InvalidInput(f"{text!r} is not a number", field=field)
    if isinstance(text, int):
        return text
    if isinstance(text, float):
        if not math.isfinite(text):
            raise InvalidInput(f"{text!r} is not a finite number", field=field)
        return text
    if locale is None and text.isascii():  # fast path: plain digits or digits.digits (nearly every cell)
        if text.isdigit():
            if len(text) <= max_digits:
                return int(text)
        elif len(text) <= max_digits + 1 and _PLAIN_DECIMAL.fullmatch(text) is not None:
            return float(text)
    shown = text
    s = unicodedata.normalize("NFKC", clean_text(text)).strip().replace("\u2212", "-")
    if not s:
        raise InvalidInput("empty value: expected a number", field=field)
    if s.lower() in _NON_FINITE:
        raise InvalidInput(f"{shown!r} is not a finite number", field=field)
    comma = _decimal_comma(locale)
    m = _number_re(comma).match(s)
    if m is None:
        raise InvalidInput(_why_not(shown, s, comma), field=field)
    body = s[len(m.group("sign")) :]
    if m.group("grouped"):
        thousands = m.group("sep") if comma else ","
        body = body.replace(thousands, "")
    if comma:
        body = body.replace(",", ".")
    digits = sum(ch.isdigit() for ch in body.split("e")[0].split("E")[0])
    if digits > max_digits:
        raise InvalidInput(f"number with {digits} digits is too long (at most {max_digits})", field=field)
    neg = m.group("sign") == "-"
    if "." not in body and "e" not in body.lower():
        value_i = int(body)
        return -value_i if neg else value_i
    value_f = float(body)
    if not math.isfinite(value_f):
        raise InvalidInput(f"{shown!r} is too large to be a number", field=field)
    return -value_f if neg else value_f


def _why_not(shown: str, s: str, comma: bool) -> str:
    """The reason ``s`` (already normalised) is not a number under the chosen convention."""
    dec, thou = (",", ".") if comma else (".", ",")
    core = s.lstrip("+-")
    if core and all(ch.isdigit() or ch in ",. \u00a0\u202f" for ch in core) and any(ch.isdigit() for ch in core):
        if dec in core and thou in core and core.index(thou) > core.index(dec):
            return (
                f"ambiguous number {shown!r}: uses {thou!r} after {dec!r}; with a decimal "
                f"{'comma' if comma else 'point'} (this locale) write {_example(core, comma)}"
            )
        if thou in core:
            if comma:
                return (
                    f"ambiguous number {shown!r}: '.' is only read as a thousands separator in groups of "
                    f"three (1.234); write 1,5 or 15, or use a decimal-point locale"
                )
            return (
                f"ambiguous number {shown!r}: ',' is only read as a thousands separator in groups of "
                f"three (1,234); write 1.5 or 15, or set a decimal-comma locale"
            )
        if core.count(dec) > 1:
            return f"not a number {shown!r}: more than one decimal separator {dec!r}"
        if any(ch in " \u00a0\u202f" for ch in core):
            return f"not a number {shown!r}: spaces inside a number are only read as thousands separators with a decimal-comma locale"
    if s.endswith("%"):
        return f"not a number {shown!r}: write percentages as plain numbers (12.5, not 12.5%)"
    return f"not a number {shown!r}"


def _example(core: str, comma: bool) -> str:
    """``core`` rewritten for the current convention, for the error message (best effort)."""
    if comma:  # the text used ',' thousands and '.' decimal
        return core.replace(",", "").replace(".", ",")
    return core.replace(".", "").replace(",", ".")
