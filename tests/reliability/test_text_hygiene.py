"""Names: invisible, control, bidi and terminal-escape characters are removed (so look-alike names
collapse) or detected; numbers: ambiguous separators, inf/NaN and absurd lengths are refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainmap.exceptions import InvalidInput
from chainmap.text_hygiene import clean_text, find_forbidden, has_forbidden, parse_number

NAME = "宁德时代新能源科技股份有限公司"


@pytest.mark.parametrize(
    "dirty",
    [
        "宁\u200b德时代新能源科技股份有限公司",  # zero-width space
        "宁德\u200c时代\u200d新能源科技股份有限公司",  # ZWNJ, ZWJ
        "\ufeff宁德时代新能源科技股份有限公司",  # BOM
        "宁德时代新能源科技股份有限公司\x00",  # NUL
        "宁德时代\u2060新能源科技股份有限公司\u00ad",  # word joiner, soft hyphen
        "\u202e宁德时代新能源科技股份有限公司\u202c",  # RLO ... PDF
        "\u2066宁德时代新能源科技股份有限公司\u2069",  # LRI ... PDI
        "\u200f宁德时代新能源科技股份有限公司\u200e",  # RLM, LRM
        "\x1b[31m宁德时代新能源科技股份有限公司\x1b[0m",  # SGR colour
        "\x1b]0;pwned\x07宁德时代新能源科技股份有限公司",  # OSC window title
        "\x1b]8;;http://evil\x1b\\宁德时代新能源科技股份有限公司\x1b]8;;\x1b\\",  # OSC 8 hyperlink
        "宁德时代新能源科技股份有限公司\x1b[2J\x1b[H",  # clear screen
        "宁德时代新能源科技股份有限公司\x9b31m",  # 8-bit CSI (C1)
        "宁德时代新能源科技股份有限公司\x7f\x08",  # DEL, backspace
        "宁德时代新能源科技股份有限公司\ud800",  # lone surrogate
        "宁德时代新能源科技股份有限公司\U000e0041",  # tag character
    ],
)
def test_dirty_names_collapse_to_the_clean_one(dirty: str) -> None:
    assert has_forbidden(dirty)
    assert find_forbidden(dirty)
    assert clean_text(dirty) == NAME
    assert not has_forbidden(clean_text(dirty))


def test_visible_text_is_untouched() -> None:
    for s in (NAME, "Ａ股 ＡＢＣ", "café", "e\u0301", "👩\u200d💻".replace("\u200d", ""), "a　b", "x&y <z>", "1,234.5"):
        assert clean_text(s) == s
        assert not has_forbidden(s)


def test_unterminated_string_sequences_do_not_eat_the_text() -> None:
    assert clean_text("\x1b]0;大运汽车") == "0;大运汽车"
    assert clean_text("caf\x9d大运") == "caf大运"


def test_line_breaks_and_tabs() -> None:
    assert clean_text("a\tb\nc\r\nd\u2028e") == "a b c  d e"
    assert clean_text("a\r\nb\rc\n", multiline=True) == "a\nb\nc\n"
    assert [n for _, n in find_forbidden("\t\u202e")] == ["U+0009 TAB", "U+202E RIGHT-TO-LEFT OVERRIDE"]


@given(st.text())
def test_clean_text_is_idempotent_and_leaves_no_forbidden(s: str) -> None:
    c = clean_text(s)
    assert clean_text(c) == c
    assert not has_forbidden(c)
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in c)
    assert len(c) <= len(s)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0), ("42", 42), ("-7", -7), ("+3", 3), (" 12 ", 12), ("007", 7),
        ("1.5", 1.5), (".5", 0.5), ("-0.25", -0.25), ("1e3", 1000.0), ("2.5E-2", 0.025),
        ("1,234", 1234), ("1,234,567", 1234567), ("1,234.5", 1234.5), ("-12,345.678", -12345.678),
        ("１２３", 123), ("１，２３４．５", 1234.5), ("\u22123", -3), ("1\u200b000", 1000),
    ],
)  # fmt: skip
def test_numbers_read_by_default(text: str, value: float) -> None:
    got = parse_number(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "text",
    ["1,5", "1,23", "1,2345", "12,34,567", "1.234,5", "1,234,5", "1.2.3", "1 234", "1,234e3", ",5"],
)
def test_ambiguous_numbers_are_refused_by_default(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_number(text, field="revenue_cny_100m")
    assert info.value.context["field"] == "revenue_cny_100m"
    assert repr(text) in str(info.value)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,5", 1.5), ("1.234,5", 1234.5), ("1.234", 1234), ("1 234,5", 1234.5), ("1\u00a0234", 1234),
     ("1\u202f234,75", 1234.75), ("-0,5", -0.5), ("12", 12), ("1,5e3", 1500.0)],
)  # fmt: skip
def test_decimal_comma_locale(text: str, value: float) -> None:
    assert parse_number(text, locale="de_DE") == value
    assert parse_number(text, locale="fr-FR") == value


@pytest.mark.parametrize("text", ["1.5", "1,234.5", "1.23", "1 23", "1.234 567"])
def test_decimal_comma_locale_refuses_ambiguity(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_number(text, locale="de")


@pytest.mark.parametrize(
    "text", ["inf", "-Infinity", "NaN", "nan", "∞", "1e400", "", "   ", "abc", "12%", "¥100", "1_000", "0x1F", "--1"]
)
def test_not_numbers(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_number(text)


def test_number_limits_and_inputs_already_numbers() -> None:
    with pytest.raises(InvalidInput, match="too long"):
        parse_number("9" * 5000)
    assert parse_number("9" * 30) == int("9" * 30)
    assert parse_number(5) == 5 and parse_number(2.5) == 2.5
    for bad in (float("inf"), float("nan"), True):
        with pytest.raises(InvalidInput):
            parse_number(bad)
    with pytest.raises(InvalidInput, match="unknown number locale") as info:
        parse_number("1", locale="xx")
    assert info.value.context["field"] == "locale"
    assert parse_number("1,234.5", locale="zh_CN") == 1234.5 and parse_number("1,234.5", locale="en-US") == 1234.5


def test_messages_say_what_to_write() -> None:
    with pytest.raises(InvalidInput, match=r"write 1\.5 or 15"):
        parse_number("1,5")
    with pytest.raises(InvalidInput, match=r"write 1234\.5"):
        parse_number("1.234,5")
    with pytest.raises(InvalidInput, match=r"write 1234,5"):
        parse_number("1,234.5", locale="de")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_grouped_integers_round_trip(n: int) -> None:
    assert parse_number(f"{n:,}") == n
    assert parse_number(f"{n:,}".replace(",", "."), locale="de") == n


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_repr_of_floats_round_trips(x: float) -> None:
    assert parse_number(repr(x)) == x
