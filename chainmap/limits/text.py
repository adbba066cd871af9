"""CSV row guard and JSON / JSON Lines parsing with depth and number budgets (no NaN/Infinity, no lone surrogates)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from chainmap.exceptions import InvalidInput, LimitExceeded
from chainmap.limits.settings import DEFAULT_LIMITS, Limits, _exceeded

_RowT = TypeVar("_RowT", bound=Sequence[str])


def csv_row_guard(
    rows: Iterable[_RowT], limits: Limits | None = None, *, filename: str | None = None
) -> Iterator[_RowT]:
    """Pass parsed CSV rows through, refusing the first one beyond a budget.

    Rows are numbered as a user sees them (the header is row 1). Wrap the
    ``csv.reader``: ``for cells in csv_row_guard(csv.reader(f), limits): ...``.

    >>> list(csv_row_guard([["a"], ["1"]], Limits(csv_max_rows=2)))
    [['a'], ['1']]
    >>> list(csv_row_guard([["a"], ["1"], ["2"]], Limits(csv_max_rows=2), filename="x.csv"))
    Traceback (most recent call last):
    ...
    chainmap.exceptions.LimitExceeded: x.csv:row 3: csv: more than 2 rows (limit CHAINMAP_LIMIT_CSV_ROWS)
    """
    lim = limits or DEFAULT_LIMITS
    for n, row in enumerate(rows, start=1):
        if n > lim.csv_max_rows:
            raise _exceeded(f"csv: more than {lim.csv_max_rows:,} rows", "csv_max_rows", lim, file=filename, row=n)
        if len(row) > lim.csv_max_cols:
            raise _exceeded(f"csv: row has more than {lim.csv_max_cols:,} cells", "csv_max_cols", lim,
                            file=filename, row=n)  # fmt: skip
        if row and max(map(len, row)) <= lim.max_cell_chars:
            yield row
            continue
        for j, cell in enumerate(row):
            if len(cell) > lim.max_cell_chars:
                raise _exceeded(
                    f"csv: cell {j + 1} is longer than {lim.max_cell_chars:,} characters",
                    "max_cell_chars",
                    lim,
                    file=filename,
                    row=n,
                )
        yield row


# ================================================================== JSON

_SURROGATE = re.compile("[\ud800-\udfff]")


def _digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    return sum(ch.isdigit() for ch in mantissa)


def loads_json(
    text: str | bytes, limits: Limits | None = None, *, filename: str | None = None, line: int | None = None
) -> Any:
    """``json.loads`` with budgets: depth, digits per number; no NaN/Infinity, no lone surrogates.

    Parameters
    ----------
    text : str or bytes
        The document (bytes: UTF-8/16/32 as ``json.loads`` detects).
    limits : Limits, optional
    filename, line : optional
        Put into the error's context (``line`` for one line of a JSONL file).

    Raises
    ------
    LimitExceeded
        Too deep, or a number with too many digits.
    InvalidInput
        Syntax error (with its line), NaN/Infinity, a number out of float range, a lone surrogate.

    Examples
    --------
    >>> loads_json("[" * 40 + "]" * 40)
    Traceback (most recent call last):
    ...
    chainmap.exceptions.LimitExceeded: json: nested deeper than 32 levels (limit CHAINMAP_LIMIT_JSON_DEPTH)
    >>> loads_json('{"n": NaN}')
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: json: NaN is not a number; write null or a finite number
    >>> loads_json('{"n": 1e400}')
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: json: 1e400 is out of range for a number
    """
    lim = limits or DEFAULT_LIMITS
    max_digits = lim.json_max_number_digits

    def too_long(s: str) -> LimitExceeded:
        return _exceeded(
            f"json: number with {_digits(s):,} digits ({s[:12]}...), more than {max_digits:,}",
            "json_max_number_digits",
            lim,
            file=filename,
            line=line,
        )

    def parse_int(s: str) -> int:
        if len(s) > max_digits and _digits(s) > max_digits:
            raise too_long(s)
        return int(s)

    def parse_float(s: str) -> float:
        if len(s) > max_digits and _digits(s) > max_digits:
            raise too_long(s)
        v = float(s)
        if not math.isfinite(v):
            raise InvalidInput(f"json: {s} is out of range for a number", file=filename, line=line)
        return v

    def parse_constant(name: str) -> float:
        raise InvalidInput(f"json: {name} is not a number; write null or a finite number", file=filename, line=line)

    try:
        obj = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"JSON syntax error: {e.msg}", file=filename, line=line or e.lineno) from None
    except RecursionError:
        raise _exceeded(f"json: nested deeper than {lim.json_max_depth:,} levels", "json_max_depth", lim,
                        file=filename, line=line) from None  # fmt: skip
    except UnicodeDecodeError as e:
        raise InvalidInput(f"JSON is not valid UTF-8/16/32 text: {e.reason}", file=filename, line=line) from None
    except ValueError as e:  # e.g. Python's own int-digit cap, should the hook be bypassed
        raise InvalidInput(f"json: {e}", file=filename, line=line) from None
    _walk_json(obj, lim, filename, line)
    return obj


def _walk_json(obj: Any, lim: Limits, filename: str | None, line: int | None) -> None:
    """Depth and surrogate check without recursion."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    max_depth = lim.json_max_depth
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise _exceeded(f"json: nested deeper than {max_depth:,} levels", "json_max_depth", lim,
                                file=filename, line=line)  # fmt: skip
            for k, v in value.items():
                if not k.isascii() and _SURROGATE.search(k):
                    raise InvalidInput(f"json: key {k!r} holds a lone surrogate", file=filename, line=line)
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1))
                elif isinstance(v, str) and not v.isascii() and _SURROGATE.search(v):
                    raise InvalidInput(f"json: string {v[:40]!r} holds a lone surrogate", file=filename, line=line)
        elif isinstance(value, list):
            if depth > max_depth:
                raise _exceeded(f"json: nested deeper than {max_depth:,} levels", "json_max_depth", lim,
                                file=filename, line=line)  # fmt: skip
            for v in value:
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1))
                elif isinstance(v, str) and not v.isascii() and _SURROGATE.search(v):
                    raise InvalidInput(f"json: string {v[:40]!r} holds a lone surrogate", file=filename, line=line)
        elif isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
            raise InvalidInput(f"json: string {value[:40]!r} holds a lone surrogate", file=filename, line=line)


def iter_jsonl(
    lines: Iterable[str], limits: Limits | None = None, *, filename: str | None = None
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of a JSON Lines text, each through :func:`loads_json`.

    >>> list(iter_jsonl(['{"a": 1}', "", "[2]"]))
    [(1, {'a': 1}), (3, [2])]
    """
    for n, text in enumerate(lines, start=1):
        if text.strip():
            yield n, loads_json(text, limits, filename=filename, line=n)


# ================================================================== YAML


