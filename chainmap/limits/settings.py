"""The budgets: one frozen :class:`Limits` with defaults and ``CHAINMAP_LIMIT_*`` overrides, and the upload-size guard."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from chainmap.exceptions import InvalidInput, LimitExceeded, PayloadTooLarge

ENV_PREFIX = "CHAINMAP_LIMIT_"
_MiB = 1024 * 1024


def _env(name: str) -> dict[str, str]:
    return {"env": ENV_PREFIX + name}


@dataclass(frozen=True)
class Limits:
    """Every parser budget; all positive integers. Override with ``CHAINMAP_LIMIT_<NAME>``.

    =============================  =============  ======================================  =========================
    field                          default        meaning                                 variable suffix
    =============================  =============  ======================================  =========================
    max_upload_bytes               20 MiB         bytes of one uploaded file              UPLOAD_BYTES
    xlsx_max_uncompressed_bytes    256 MiB        sum of the declared member sizes        XLSX_UNCOMPRESSED_BYTES
    xlsx_max_member_bytes          128 MiB        declared size of any one member         XLSX_MEMBER_BYTES
    xlsx_max_ratio                 250            uncompressed/compressed, members>1MiB   XLSX_RATIO
    xlsx_max_members               10,000         files in the ZIP                        XLSX_MEMBERS
    xlsx_max_shared_strings_bytes  64 MiB         declared size of sharedStrings.xml      XLSX_SHARED_STRINGS_BYTES
    xlsx_max_shared_strings        2,000,000      entries in the shared-strings table     XLSX_SHARED_STRINGS
    xlsx_max_rows                  200,000        last row number of the first sheet      XLSX_ROWS
    xlsx_max_cols                  1,000          last column number                      XLSX_COLS
    xlsx_max_cells                 4,000,000      cell elements in the sheet              XLSX_CELLS
    max_cell_chars                 32,767         characters of one cell (Excel's limit)  CELL_CHARS
    csv_max_rows                   200,000        rows, header included                   CSV_ROWS
    csv_max_cols                   1,000          cells in one row                        CSV_COLS
    json_max_depth                 32             nesting of arrays/objects               JSON_DEPTH
    json_max_number_digits         30             digits of one number                    JSON_NUMBER_DIGITS
    yaml_max_aliases               100            ``*alias`` uses in one document         YAML_ALIASES
    yaml_max_depth                 32             nesting, aliases expanded               YAML_DEPTH
    yaml_max_nodes                 1,000,000      nodes, aliases expanded                 YAML_NODES
    =============================  =============  ======================================  =========================

    Rows and columns are counted as a user sees them in Excel (the header is
    row 1; an empty row still has its number).

    >>> Limits(xlsx_max_rows=0)
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: xlsx_max_rows: expected a positive whole number, got 0
    """

    max_upload_bytes: int = field(default=20 * _MiB, metadata=_env("UPLOAD_BYTES"))
    xlsx_max_uncompressed_bytes: int = field(default=256 * _MiB, metadata=_env("XLSX_UNCOMPRESSED_BYTES"))
    xlsx_max_member_bytes: int = field(default=128 * _MiB, metadata=_env("XLSX_MEMBER_BYTES"))
    xlsx_max_ratio: int = field(default=250, metadata=_env("XLSX_RATIO"))
    xlsx_max_members: int = field(default=10_000, metadata=_env("XLSX_MEMBERS"))
    xlsx_max_shared_strings_bytes: int = field(default=64 * _MiB, metadata=_env("XLSX_SHARED_STRINGS_BYTES"))
    xlsx_max_shared_strings: int = field(default=2_000_000, metadata=_env("XLSX_SHARED_STRINGS"))
    xlsx_max_rows: int = field(default=200_000, metadata=_env("XLSX_ROWS"))
    xlsx_max_cols: int = field(default=1_000, metadata=_env("XLSX_COLS"))
    xlsx_max_cells: int = field(default=4_000_000, metadata=_env("XLSX_CELLS"))
    max_cell_chars: int = field(default=32_767, metadata=_env("CELL_CHARS"))
    csv_max_rows: int = field(default=200_000, metadata=_env("CSV_ROWS"))
    csv_max_cols: int = field(default=1_000, metadata=_env("CSV_COLS"))
    json_max_depth: int = field(default=32, metadata=_env("JSON_DEPTH"))
    json_max_number_digits: int = field(default=30, metadata=_env("JSON_NUMBER_DIGITS"))
    yaml_max_aliases: int = field(default=100, metadata=_env("YAML_ALIASES"))
    yaml_max_depth: int = field(default=32, metadata=_env("YAML_DEPTH"))
    yaml_max_nodes: int = field(default=1_000_000, metadata=_env("YAML_NODES"))

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise InvalidInput(f"expected a positive whole number, got {v!r}", field=f.name)

    @classmethod
    def env_var(cls, name: str) -> str:
        """The environment variable of field ``name``."""
        for f in fields(cls):
            if f.name == name:
                return str(f.metadata["env"])
        raise KeyError(name)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults overridden by ``CHAINMAP_LIMIT_*`` variables (``os.environ`` by default).

        A value that is not a positive whole number (``_`` allowed: ``200_000``)
        or an unknown ``CHAINMAP_LIMIT_*`` name (a typo would silently do
        nothing) is refused with :class:`InvalidInput` naming the variable.

        >>> Limits.from_env({"CHAINMAP_LIMIT_XLSX_ROWS": "500"}).xlsx_max_rows
        500
        >>> Limits.from_env({"CHAINMAP_LIMIT_XLSX_ROWS": "many"})
        Traceback (most recent call last):
        ...
        chainmap.exceptions.InvalidInput: CHAINMAP_LIMIT_XLSX_ROWS: expected a positive whole number, got 'many'
        """
        env = os.environ if environ is None else environ
        by_var = {str(f.metadata["env"]): f.name for f in fields(cls)}
        changes: dict[str, int] = {}
        for var, raw in env.items():
            if not var.startswith(ENV_PREFIX):
                continue
            if var not in by_var:
                raise InvalidInput(
                    f"unknown limit; known: {', '.join(sorted(by_var))}",
                    field=var,
                )
            try:
                value = int(raw.strip())
            except ValueError:
                value = 0
            if value <= 0:
                raise InvalidInput(f"expected a positive whole number, got {raw!r}", field=var)
            changes[by_var[var]] = value
        return cls(**changes)

    def replace(self, **changes: int) -> Limits:
        """A copy with some budgets changed."""
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()


def _exceeded(what: str, name: str, limits: Limits, **context: Any) -> LimitExceeded:
    var = Limits.env_var(name)
    value = getattr(limits, name)
    return LimitExceeded(
        f"{what} (limit {var})",
        limit=var,
        limit_value=value,
        hint=f"超出解析上限 {var}={value:,}：请拆分或精简文件，或调高该设置 / split or trim the input, or raise {var}",
        **context,
    )


def check_upload_size(size: int, limits: Limits | None = None, *, field: str = "file") -> None:
    """Refuse an upload of ``size`` bytes above ``max_upload_bytes`` (:class:`PayloadTooLarge`, HTTP 413).

    >>> check_upload_size(10, Limits(max_upload_bytes=5))
    Traceback (most recent call last):
    ...
    chainmap.exceptions.PayloadTooLarge: file: upload of 10 bytes is larger than 5 bytes (limit CHAINMAP_LIMIT_UPLOAD_BYTES)
    """
    lim = limits or DEFAULT_LIMITS
    if size > lim.max_upload_bytes:
        var = Limits.env_var("max_upload_bytes")
        raise PayloadTooLarge(
            f"upload of {size:,} bytes is larger than {lim.max_upload_bytes:,} bytes (limit {var})",
            field=field,
            limit=var,
            limit_value=lim.max_upload_bytes,
            hint=f"文件过大：请拆分文件，或调高 {var} / split the file or raise {var}",
        )


# ================================================================== XLSX

