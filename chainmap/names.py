"""Company-name normalisation, shared by the project registry and lead matching.

Two registrations of the same enterprise rarely spell its name the same way:
full-width or half-width brackets, a trailing 有限公司 or not, a stray space.
:func:`normalize_company_name` maps such variants to one key.

>>> normalize_company_name("山西银光华盛镁业股份有限公司")
'山西银光华盛镁业'
>>> normalize_company_name("大运汽车（运城）有限公司") == normalize_company_name("大运汽车(运城)有限公司")
True
"""

from __future__ import annotations

import re
import unicodedata

from chainmap.text_hygiene import clean_text

__all__ = ["normalize_company_name", "COMPANY_SUFFIXES"]

#: Legal-form and group suffixes removed from the end of a name, longest first
#: (after NFKC and case folding, so Latin forms are lower-case).
COMPANY_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "股份有限公司",
            "有限责任公司",
            "集团有限公司",
            "集团股份有限公司",
            "有限公司",
            "股份公司",
            "总公司",
            "分公司",
            "公司",
            "集团",
            "(集团)",
            "(股份)",
            "co.,ltd.",
            "co.,ltd",
            "co.ltd.",
            "co.ltd",
            "ltd.",
            "ltd",
            "limited",
            "inc.",
            "inc",
            "corp.",
            "corporation",
            "group",
        },
        key=len,
        reverse=True,
    )
)

# Bracket pairs NFKC leaves alone, unified to ASCII parentheses.
_BRACKETS = str.maketrans(
    dict.fromkeys("[{【〔〖〘〚「『<《〈", "(") | dict.fromkeys("]}】〕〗〙〛」』>》〉", ")")
)
_SPACE_RE = re.compile(r"\s+")
_TRAILING_PUNCT = ".,;:·・-_ "


def normalize_company_name(name: str) -> str:
    """Normalise a company name to a matching key.

    Steps: invisible characters removed (zero-width, bidi, control and
    terminal-escape characters: :func:`chainmap.text_hygiene.clean_text`, so
    ``宁\\u200b德时代`` and ``宁德时代`` are one firm), Unicode NFKC (full-width letters, digits and brackets become
    half-width), case folding (NFKC again after it), every bracket kind unified to ``(`` ``)``,
    whitespace removed, then legal-form / group suffixes (有限公司,
    股份有限公司, 有限责任公司, 集团, ``(集团)``, ``Co., Ltd.`` ...) stripped
    from the end repeatedly.  A name that would become empty keeps its last
    suffix (``"集团"`` stays ``"集团"``).

    Parameters
    ----------
    name : str
        A registered or common company name, any width, any brackets.

    Returns
    -------
    str
        The key; equal keys mean "probably the same enterprise".

    Examples
    --------
    >>> normalize_company_name("亚宝药业集团股份有限公司")
    '亚宝药业'
    >>> normalize_company_name("中国铝业（集团）有限公司")
    '中国铝业'
    >>> normalize_company_name("  北铜新材料 有限责任公司 ")
    '北铜新材料'
    >>> normalize_company_name("ＡＢＣ　Ｃｏ．， Ｌｔｄ．")
    'abc'
    >>> normalize_company_name("【华康】药业")
    '(华康)药业'
    >>> normalize_company_name("集团")
    '集团'
    >>> normalize_company_name("宁\\u200b德时代\\u202e有限公司") == normalize_company_name("宁德时代")
    True
    """
    key = clean_text(name)
    if _PLAIN.fullmatch(key) is not None:
        return _strip_suffixes(key)
    return _normalize_full(key)


# A key of only CJK unified ideographs (U+4E00-U+9FFF), ASCII digits and lower-case ASCII letters
# (most registered Chinese names: 山西银光华盛镁业股份有限公司) is left as it is by NFKC, case folding,
# the bracket table and the whitespace removal, and so is what remains of it after a suffix is cut:
# for such a key the full steps reduce to the suffix loop, and the fixed point is reached at once.
# (tests/test_names.py checks the two paths agree on generated keys.)
_PLAIN = re.compile(r"[\u4e00-\u9fff0-9a-z]+")


def _strip_suffixes(key: str) -> str:
    while key.endswith(COMPANY_SUFFIXES):  # one C-level test for the common no-more-suffix case
        for suffix in COMPANY_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                break
        else:  # only suffixes as long as the whole key: it stays
            break
    return key


def _normalize_full(key: str) -> str:
    for _ in range(5):  # removing spaces or suffixes can expose new compositions; repeat to a fixed point
        previous = key
        key = _normalize_once(key)
        if key == previous:
            break
    return key


def _normalize_once(name: str) -> str:
    key = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).translate(_BRACKETS)
    key = _SPACE_RE.sub("", key)
    changed = True
    while changed:
        changed = False
        key = key.rstrip(_TRAILING_PUNCT)
        if not key.endswith(COMPANY_SUFFIXES):  # one C-level test for the common no-more-suffix case
            break
        for suffix in COMPANY_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                changed = True
                break
    return unicodedata.normalize("NFKC", key)
