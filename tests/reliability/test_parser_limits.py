"""JSON, JSONL, YAML and CSV budgets, and the settings object: each bomb is refused quickly,
naming the limit; ordinary documents pass unchanged."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from chainmap.exceptions import InvalidInput, LimitExceeded
from chainmap.limits import (
    DEFAULT_LIMITS,
    LimitedSafeLoader,
    Limits,
    csv_row_guard,
    iter_jsonl,
    limited_loader,
    loads_json,
    safe_yaml_load,
)
from tests.reliability.bombs import json_deep, json_long_integer, measure, yaml_nested_aliases


def _limit(fn, limit: str) -> LimitExceeded:  # noqa: ANN001 - a thunk
    m = measure(fn)
    assert isinstance(m.error, LimitExceeded), m.error or m.result
    assert m.error.limit == limit and limit in str(m.error)
    assert m.seconds < 10, f"{m.seconds:.1f} s"
    assert m.peak_mb < 200, f"{m.peak_mb:.0f} MB"
    return m.error


# ------------------------------------------------------------------ settings


def test_every_field_has_a_distinct_env_var() -> None:
    from dataclasses import fields

    names = [Limits.env_var(f.name) for f in fields(Limits)]
    assert len(set(names)) == len(names)
    assert all(n.startswith("CHAINMAP_LIMIT_") for n in names)


def test_from_env_reads_and_refuses_with_the_variable_named() -> None:
    lim = Limits.from_env({"CHAINMAP_LIMIT_XLSX_ROWS": "1_000", "CHAINMAP_LIMIT_JSON_DEPTH": " 8 ", "PATH": "/bin"})
    assert (lim.xlsx_max_rows, lim.json_max_depth, lim.csv_max_rows) == (1000, 8, DEFAULT_LIMITS.csv_max_rows)
    for bad in ("", "-1", "0", "1.5", "ten"):
        with pytest.raises(InvalidInput) as info:
            Limits.from_env({"CHAINMAP_LIMIT_CSV_ROWS": bad})
        assert info.value.context["field"] == "CHAINMAP_LIMIT_CSV_ROWS"
    with pytest.raises(InvalidInput) as info:
        Limits.from_env({"CHAINMAP_LIMIT_XLSX_ROW": "5"})  # typo
    assert "unknown limit" in str(info.value) and "CHAINMAP_LIMIT_XLSX_ROWS" in str(info.value)
    assert Limits.from_env({}) == DEFAULT_LIMITS


def test_limits_are_frozen_and_replaceable() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.xlsx_max_rows = 5  # type: ignore[misc]
    assert DEFAULT_LIMITS.replace(xlsx_max_rows=5).xlsx_max_rows == 5
    with pytest.raises(InvalidInput):
        Limits(json_max_depth=True)  # type: ignore[arg-type]


# ------------------------------------------------------------------ JSON


def test_deeply_nested_json() -> None:
    err = _limit(lambda: loads_json(json_deep(100_000), filename="x.json"), "CHAINMAP_LIMIT_JSON_DEPTH")
    assert err.context["file"] == "x.json"
    # just past the budget (no recursion error involved) and just within it
    _limit(lambda: loads_json(json_deep(33)), "CHAINMAP_LIMIT_JSON_DEPTH")
    assert loads_json(json_deep(32)) == json.loads(json_deep(32))
    _limit(lambda: loads_json('{"a": ' * 40 + "1" + "}" * 40), "CHAINMAP_LIMIT_JSON_DEPTH")


def test_five_thousand_digit_integer() -> None:
    err = _limit(lambda: loads_json(json_long_integer(5000)), "CHAINMAP_LIMIT_JSON_NUMBER_DIGITS")
    assert "5,000 digits" in str(err)
    _limit(lambda: loads_json("[-" + "1" * 31 + "]"), "CHAINMAP_LIMIT_JSON_NUMBER_DIGITS")
    _limit(lambda: loads_json("1." + "0" * 40), "CHAINMAP_LIMIT_JSON_NUMBER_DIGITS")
    assert loads_json("-" + "9" * 30) == -int("9" * 30)
    assert loads_json("1.5e300") == 1.5e300


@pytest.mark.parametrize("doc", ["NaN", "[Infinity]", '{"x": -Infinity}', "1e999", "[-1e400]"])
def test_non_finite_numbers_are_refused(doc: str) -> None:
    with pytest.raises(InvalidInput) as info:
        loads_json(doc)
    assert not isinstance(info.value, LimitExceeded)


def test_lone_surrogates_and_syntax_errors() -> None:
    for doc in ('"\\ud800"', '{"\\udfff": 1}', '[["ok", "\\ud83d"]]'):
        with pytest.raises(InvalidInput, match="lone surrogate"):
            loads_json(doc)
    assert loads_json('"\\ud83d\\ude00"') == "😀"  # a proper pair is fine
    with pytest.raises(InvalidInput) as info:
        loads_json('{"a": 1,\n "b": }', filename="f.json")
    assert info.value.context["line"] == 2 and "JSON syntax error" in str(info.value)
    with pytest.raises(InvalidInput):
        loads_json(b"\xff\xfe\xfd")


def test_ordinary_json_is_unchanged() -> None:
    doc = {"items": [{"name": "大运", "n": 3, "x": -1.25, "ok": True, "none": None, "tags": ["a", "b"]}]}
    text = json.dumps(doc, ensure_ascii=False)
    assert loads_json(text) == doc
    assert loads_json(text.encode()) == doc


def test_jsonl_lines_are_numbered() -> None:
    lines = ['{"kind": "a"}', "", "[" * 50 + "]" * 50]
    it = iter_jsonl(lines, filename="e.jsonl")
    assert next(it) == (1, {"kind": "a"})
    with pytest.raises(LimitExceeded) as info:
        next(it)
    assert info.value.context["line"] == 3 and info.value.context["file"] == "e.jsonl"


# ------------------------------------------------------------------ YAML


def test_yaml_billion_laughs_is_refused_fast() -> None:
    bomb = yaml_nested_aliases(levels=9, fan=9)
    assert len(bomb) < 5_000
    _limit(lambda: safe_yaml_load(bomb), "CHAINMAP_LIMIT_YAML_NODES")
    _limit(lambda: safe_yaml_load(yaml_nested_aliases(levels=12, fan=12)), "CHAINMAP_LIMIT_YAML_ALIASES")


def test_unprotected_safe_load_would_expand() -> None:
    """The expansion is real: yaml.safe_load shares the nodes, but walking the result touches 9^k leaves."""
    small = yaml_nested_aliases(levels=3, fan=9)
    data = yaml.safe_load(small)

    def leaves(x: object) -> int:
        return sum(leaves(v) for v in x) if isinstance(x, list) else 1

    assert leaves(data[-1]) == 9**4
    assert safe_yaml_load(small) == data  # within budget: same result


def test_yaml_depth_recursion_and_syntax() -> None:
    _limit(lambda: safe_yaml_load("[" * 10_000 + "]" * 10_000), "CHAINMAP_LIMIT_YAML_DEPTH")
    _limit(lambda: safe_yaml_load("a:\n" + "".join("  " * i + " b:\n" for i in range(1, 40))), "CHAINMAP_LIMIT_YAML_DEPTH")
    # depth built from aliases: each level nests the previous one
    chain = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 40))
    err = _limit(lambda: safe_yaml_load(chain), "CHAINMAP_LIMIT_YAML_DEPTH")
    assert "once aliases are expanded" in str(err)
    with pytest.raises(InvalidInput, match="recursive alias"):
        safe_yaml_load("&a [*a]")
    with pytest.raises(InvalidInput) as info:
        safe_yaml_load("a: [1,\nb: 2\n", filename="s.yaml")
    assert "YAML syntax error" in str(info.value) and info.value.context["file"] == "s.yaml"


def test_yaml_tags_stay_safe() -> None:
    with pytest.raises(InvalidInput, match="YAML syntax error"):
        safe_yaml_load("!!python/object/apply:os.system ['true']")


def test_limited_loader_subclass_keeps_its_constructors() -> None:
    class Upper(LimitedSafeLoader):
        pass

    Upper.add_constructor("!up", lambda loader, node: loader.construct_scalar(node).upper())
    cls = limited_loader(Upper, Limits(yaml_max_aliases=1))
    assert issubclass(cls, Upper) and cls.limits.yaml_max_aliases == 1
    assert safe_yaml_load("a: !up x", loader=Upper) == {"a": "X"}
    with pytest.raises(LimitExceeded):
        safe_yaml_load("a: &x 1\nb: *x\nc: *x\n", loader=cls)
    assert limited_loader(Upper, Upper.limits) is Upper


# ------------------------------------------------------------------ CSV


def test_csv_row_guard() -> None:
    text = "name,n\n" + "x,1\n" * 10
    rows = list(csv_row_guard(csv.reader(io.StringIO(text)), Limits(csv_max_rows=11)))
    assert len(rows) == 11
    err = _limit(lambda: list(csv_row_guard(csv.reader(io.StringIO(text)), Limits(csv_max_rows=10))),
                 "CHAINMAP_LIMIT_CSV_ROWS")  # fmt: skip
    assert err.context["row"] == 11
    err = _limit(lambda: list(csv_row_guard([["a"] * 1001])), "CHAINMAP_LIMIT_CSV_COLS")
    err = _limit(lambda: list(csv_row_guard([["ok"], ["ok", "x" * 32_768]], filename="c.csv")),
                 "CHAINMAP_LIMIT_CELL_CHARS")  # fmt: skip
    assert (err.context["row"], err.context["file"]) == (2, "c.csv")


def test_csv_row_guard_stops_a_two_million_row_file_early() -> None:
    def rows():  # noqa: ANN202
        yield ["name"]
        for _ in range(2_000_000):
            yield [""]

    err = _limit(lambda: sum(1 for _ in csv_row_guard(rows())), "CHAINMAP_LIMIT_CSV_ROWS")
    assert err.context["row"] == DEFAULT_LIMITS.csv_max_rows + 1
