"""Company-name keys: the fast path for plain keys gives exactly what the full steps give.

Candidate ids are derived from these keys (``cand.n<sha1(key)>``): a key that changed would give a
re-imported candidate a new id, so the two paths must agree on every key, not nearly.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from chainmap.names import _PLAIN, COMPANY_SUFFIXES, _normalize_full, normalize_company_name
from chainmap.text_hygiene import clean_text

PLAIN_CHARS = [chr(c) for c in range(0x4E00, 0xA000)] + list("0123456789abcdefghijklmnopqrstuvwxyz")
ASCII_SUFFIXES = [s for s in COMPANY_SUFFIXES if _PLAIN.fullmatch(s)]


def test_every_plain_character_is_left_alone_by_the_full_steps() -> None:
    for ch in PLAIN_CHARS:
        assert unicodedata.normalize("NFKC", ch) == ch and ch.casefold() == ch and not ch.isspace(), repr(ch)
        assert _normalize_full(ch) == ch
    assert _PLAIN.fullmatch("山西银光华盛镁业股份有限公司") and not _PLAIN.fullmatch("大运汽车（运城）有限公司")


@settings(max_examples=600, deadline=None)
@given(
    stem=st.text(alphabet=st.sampled_from(PLAIN_CHARS), min_size=0, max_size=12),
    suffixes=st.lists(st.sampled_from([*COMPANY_SUFFIXES[:12], *ASCII_SUFFIXES, "集团", "公司"]), max_size=4),
)
def test_plain_keys_take_the_fast_path_to_the_same_key(stem: str, suffixes: list[str]) -> None:
    name = stem + "".join(suffixes)
    if not name:
        return
    assert normalize_company_name(name) == _normalize_full(clean_text(name))


def test_known_names() -> None:
    assert normalize_company_name("候选企业12有限公司") == "候选企业12"
    assert normalize_company_name("集团有限公司") == "集团"  # a name of suffixes keeps its last one
    assert normalize_company_name("abcltd") == "abc"
    assert normalize_company_name("有限公司") == _normalize_full("有限公司") == "有限"  # 公司 cut, 有限 is no suffix
    assert normalize_company_name("亚宝药业集团股份有限公司") == "亚宝药业"
