"""Budgets for every parser of user input, and the guards that enforce them.

One frozen settings object, :class:`Limits`, holds every budget with a sane
default; :meth:`Limits.from_env` reads overrides from ``CHAINMAP_LIMIT_*``
environment variables. The guards refuse an input as soon as a budget is
exceeded -- *before* memory or CPU grow with the input -- raising
:class:`~chainmap.exceptions.LimitExceeded` (an ``InvalidInput``: HTTP 422,
CLI exit 2) whose message and ``limit`` name the setting, or
:class:`~chainmap.exceptions.PayloadTooLarge` (HTTP 413) for the upload size.

Guards
------
* :func:`check_upload_size` -- bytes of an upload.
* :func:`check_xlsx` / :func:`iter_xlsx_rows` -- XLSX: the ZIP's central
  directory (member count), every member's declared uncompressed size (total
  and per member), compression ratio and method, *then* the first worksheet
  streamed through expat in 64 KiB chunks: rows, columns, cells and the length
  of every cell text, and the shared-strings part likewise. No DOCTYPE or
  entity is accepted. A broken ZIP or XML is ``InvalidInput("... not a
  readable XLSX file ...")``, never a traceback.
* :func:`csv_row_guard` -- rows, columns and cell length of parsed CSV rows.
* :func:`loads_json` / :func:`iter_jsonl` -- nesting depth, digits per
  number, no ``NaN``/``Infinity``, no lone surrogates.
* :func:`safe_yaml_load` / :class:`LimitedSafeLoader` -- YAML nesting depth,
  alias count and the size of the document *with aliases expanded* (the
  "billion laughs" a 5 KB file can hold), recursive aliases refused.

Why the XLSX reader is streamed by hand: openpyxl keeps a whole inline string
or shared-strings table in memory and its read-only mode costs ~10 us per
cell; an expat pass with bounded buffers keeps memory flat and stops at the
first exceeded budget. The values it yields are those of
``openpyxl.load_workbook(read_only=True, data_only=True)`` turned into text the
way ``chainmap.tabular`` does (integral floats without ``.0``, dates as
``str(datetime)``, booleans ``True``/``False``).

>>> Limits().xlsx_max_rows, Limits.env_var("xlsx_max_rows")
(200000, 'CHAINMAP_LIMIT_XLSX_ROWS')
>>> loads_json('{"a": [1, 2.5]}')
{'a': [1, 2.5]}
>>> safe_yaml_load("a: &x [1, 2]\\nb: *x\\n")
{'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

import io
import json
import math
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta
from typing import Any, ClassVar, TypeVar
from xml.parsers import expat

import yaml

from chainmap.exceptions import InvalidInput, LimitExceeded, PayloadTooLarge

__all__ = [
    "Limits",
    "DEFAULT_LIMITS",
    "ENV_PREFIX",
    "check_upload_size",
    "XlsxSummary",
    "check_xlsx",
    "iter_xlsx_rows",
    "csv_row_guard",
    "loads_json",
    "iter_jsonl",
    "LimitedSafeLoader",
    "limited_loader",
    "safe_yaml_load",
]

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

_UNREADABLE_HINT = "请用 Excel 打开后另存为 .xlsx 再上传 / open it in Excel and save it again as .xlsx"
_CHUNK = 64 * 1024
_RATIO_MIN_BYTES = 1 * _MiB
_CD_BYTES_PER_MEMBER = 256


def _unreadable(why: str, filename: str | None) -> InvalidInput:
    return InvalidInput(f"not a readable XLSX file ({why})", file=filename, hint=_UNREADABLE_HINT)


@dataclass(frozen=True)
class XlsxSummary:
    """What :func:`check_xlsx` found: the first sheet's part and its extent."""

    sheet: str
    rows: int
    cols: int
    cells: int
    uncompressed_bytes: int


@dataclass
class _Book:
    zf: zipfile.ZipFile
    sheet: str
    shared: list[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: datetime
    uncompressed: int


def _central_directory_guard(raw: bytes, lim: Limits, filename: str | None) -> None:
    """Refuse an archive announcing too many members before zipfile builds a ZipInfo for each."""
    tail = raw[-(65535 + 22) :]
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _unreadable("not a ZIP archive", filename)
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[pos : pos + 22])
    if entries > lim.xlsx_max_members or entries == 0xFFFF:
        raise _exceeded(f"xlsx: archive holds more than {lim.xlsx_max_members:,} files", "xlsx_max_members", lim,
                        file=filename)  # fmt: skip
    if cd_size > lim.xlsx_max_members * _CD_BYTES_PER_MEMBER or cd_size == 0xFFFFFFFF:
        raise _exceeded(
            f"xlsx: archive directory of {cd_size:,} bytes is implausibly large for at most "
            f"{lim.xlsx_max_members:,} files",
            "xlsx_max_members",
            lim,
            file=filename,
        )


def _open_zip(raw: bytes, lim: Limits, filename: str | None) -> tuple[zipfile.ZipFile, int]:
    check_upload_size(len(raw), lim)
    _central_directory_guard(raw, lim, filename)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error,
            NotImplementedError) as e:  # fmt: skip
        raise _unreadable(f"bad ZIP archive: {e}", filename) from None
    if len(infos) > lim.xlsx_max_members:
        raise _exceeded(f"xlsx: archive holds more than {lim.xlsx_max_members:,} files", "xlsx_max_members", lim,
                        file=filename)  # fmt: skip
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _unreadable(f"member {info.filename!r} is encrypted", filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(f"member {info.filename!r} uses compression method {info.compress_type}", filename)
        if info.file_size > lim.xlsx_max_member_bytes:
            raise _exceeded(
                f"xlsx: member {info.filename!r} expands to {info.file_size:,} bytes, more than "
                f"{lim.xlsx_max_member_bytes:,}",
                "xlsx_max_member_bytes",
                lim,
                file=filename,
            )
        total += info.file_size
        if total > lim.xlsx_max_uncompressed_bytes:
            raise _exceeded(
                f"xlsx: the archive expands to more than {lim.xlsx_max_uncompressed_bytes:,} bytes",
                "xlsx_max_uncompressed_bytes",
                lim,
                file=filename,
            )
        if info.file_size > _RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > lim.xlsx_max_ratio:
                raise _exceeded(
                    f"xlsx: member {info.filename!r} expands {ratio:,.0f} times, more than {lim.xlsx_max_ratio:,}",
                    "xlsx_max_ratio",
                    lim,
                    file=filename,
                )
    return zf, total


def _local(name: str) -> str:
    """``x:name`` -> ``name`` (parts are parsed without namespace processing: it halves the cost)."""
    return name.rpartition(":")[2] if ":" in name else name


def _no_dtd(*_: object) -> None:
    raise _DtdRefused


class _DtdRefused(Exception):
    pass


def _stream_xml(
    zf: zipfile.ZipFile,
    member: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None,
    chars: Callable[[str], None] | None,
    filename: str | None,
    lim: Limits,
) -> Iterator[None]:
    """Feed ``member`` to expat chunk by chunk, yielding after each chunk (so callers can drain output).

    Handlers get qualified names (``c`` or ``x:c``); use :func:`_local` where a prefix may occur.

    No tag or text run may span more than ``8 * max_cell_chars + 64 KiB`` bytes
    (a cell's longest text, every character escaped, fits): expat before 2.6
    re-scans an unfinished token on every chunk, so one 100 MB attribute would
    cost minutes of CPU and hundreds of MB (measured: 131 s).
    """
    token_cap = 8 * lim.max_cell_chars + _CHUNK
    since_lt = 0
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    try:
        fh = zf.open(member)
    except KeyError:
        raise _unreadable(f"part {member!r} is missing", filename) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
        raise _unreadable(f"part {member!r} cannot be opened: {e}", filename) from None
    try:
        with fh:
            while True:
                chunk = fh.read(_CHUNK)
                lt = chunk.rfind(b"<")
                since_lt = since_lt + len(chunk) if lt < 0 else len(chunk) - lt
                if since_lt > token_cap:
                    raise _exceeded(
                        f"xlsx: part {member!r} holds a tag or text longer than {token_cap:,} bytes",
                        "max_cell_chars",
                        lim,
                        file=filename,
                    )
                parser.Parse(chunk, not chunk)
                yield
                if not chunk:
                    break
    except _DtdRefused:
        raise _unreadable(f"part {member!r} declares a DTD", filename) from None
    except expat.ExpatError as e:
        raise _unreadable(f"part {member!r} is not well-formed XML: {e}", filename) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
        # bad CRC, truncated or corrupt deflate data
        raise _unreadable(f"part {member!r} cannot be decompressed: {e}", filename) from None


def _drain(it: Iterator[None]) -> None:
    for _ in it:
        pass


def _rels(zf: zipfile.ZipFile, part: str, filename: str | None, lim: Limits) -> list[tuple[str, str, str]]:
    """(Id, Type, absolute Target) of the relationships of ``part``."""
    folder, base = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    out: list[tuple[str, str, str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and len(out) < 100_000:
            target = attrs.get("Target", "")
            if attrs.get("TargetMode") == "External":
                return
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append((attrs.get("Id", ""), attrs.get("Type", ""), path))

    _drain(_stream_xml(zf, rels_part, start, None, None, filename, lim))
    return out


_META_PART_CAP = 16 * _MiB


def _check_meta_size(zf: zipfile.ZipFile, part: str, filename: str | None) -> None:
    try:
        size = zf.getinfo(part).file_size
    except KeyError:
        raise _unreadable(f"part {part!r} is missing", filename) from None
    if size > _META_PART_CAP:
        raise _unreadable(f"part {part!r} is {size:,} bytes, implausibly large", filename)


def _open_book(raw: bytes, lim: Limits, filename: str | None) -> _Book:
    zf, total = _open_zip(raw, lim, filename)
    names = set(zf.namelist())
    root_rels = _rels(zf, "", filename, lim) if "_rels/.rels" in names else []
    wb_part = next((t for _, typ, t in root_rels if typ.endswith("/officeDocument")), "xl/workbook.xml")
    for part in (wb_part, posixpath.join(posixpath.dirname(wb_part), "_rels", posixpath.basename(wb_part) + ".rels")):
        _check_meta_size(zf, part, filename)

    sheets: list[str] = []
    date1904 = [False]

    def wb_start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "sheet" and len(sheets) < 10_000:
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            sheets.append(rid)
        elif name == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
            date1904[0] = True

    _drain(_stream_xml(zf, wb_part, wb_start, None, None, filename, lim))
    rels = _rels(zf, wb_part, filename, lim)
    by_id = {rid: (typ, target) for rid, typ, target in rels}
    sheet = next(
        (by_id[rid][1] for rid in sheets if rid in by_id and by_id[rid][0].endswith("/worksheet")),
        None,
    )
    if sheet is None:
        raise _unreadable("the workbook has no worksheet", filename)
    if sheet not in names:
        raise _unreadable(f"part {sheet!r} is missing", filename)
    shared_part = next((t for _, typ, t in rels if typ.endswith("/sharedStrings")), None)
    styles_part = next((t for _, typ, t in rels if typ.endswith("/styles")), None)
    shared = _shared_strings(zf, shared_part, lim, filename) if shared_part and shared_part in names else []
    dates: frozenset[int] = frozenset()
    deltas: frozenset[int] = frozenset()
    if styles_part and styles_part in names:
        dates, deltas = _date_styles(zf, styles_part, filename, lim)
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    epoch = CALENDAR_MAC_1904 if date1904[0] else CALENDAR_WINDOWS_1900
    return _Book(zf, sheet, shared, dates, deltas, epoch, total)


def _shared_strings(zf: zipfile.ZipFile, part: str, lim: Limits, filename: str | None) -> list[str]:
    size = zf.getinfo(part).file_size
    if size > lim.xlsx_max_shared_strings_bytes:
        raise _exceeded(
            f"xlsx: the shared-strings part expands to {size:,} bytes, more than "
            f"{lim.xlsx_max_shared_strings_bytes:,}",
            "xlsx_max_shared_strings_bytes",
            lim,
            file=filename,
        )
    out: list[str] = []
    buf: list[str] = []
    n = [0]
    state = {"si": False, "t": False, "rph": 0}
    max_chars = lim.max_cell_chars

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "si":
            state["si"] = True
            buf.clear()
            n[0] = 0
        elif name == "rPh":
            state["rph"] += 1
        elif name == "t" and state["si"] and not state["rph"]:
            state["t"] = True

    def end(name: str) -> None:
        name = _local(name)
        if name == "si":
            state["si"] = False
            if len(out) >= lim.xlsx_max_shared_strings:
                raise _exceeded(
                    f"xlsx: more than {lim.xlsx_max_shared_strings:,} shared strings",
                    "xlsx_max_shared_strings",
                    lim,
                    file=filename,
                )
            out.append("".join(buf))
        elif name == "rPh":
            state["rph"] -= 1
        elif name == "t":
            state["t"] = False

    def chars(data: str) -> None:
        if state["t"]:
            n[0] += len(data)
            if n[0] > max_chars:
                raise _exceeded(
                    f"xlsx: shared string {len(out) + 1:,} is longer than {max_chars:,} characters",
                    "max_cell_chars",
                    lim,
                    file=filename,
                )
            buf.append(data)

    _drain(_stream_xml(zf, part, start, end, chars, filename, lim))
    return out


def _date_styles(zf: zipfile.ZipFile, part: str, filename: str | None, lim: Limits) -> tuple[frozenset[int], frozenset[int]]:
    """Indexes of the cell styles (``cellXfs``) whose number format is a date / a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    _check_meta_size(zf, part, filename)
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    in_xfs = [False]

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif name == "cellXfs":
            in_xfs[0] = True
        elif name == "xf" and in_xfs[0]:
            try:
                xf_formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xf_formats.append(0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            in_xfs[0] = False

    _drain(_stream_xml(zf, part, start, end, None, filename, lim))
    dates, deltas = set(), set()
    for idx, fmt_id in enumerate(xf_formats):
        fmt = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
        if is_date_format(fmt):
            dates.add(idx)
        if is_timedelta_format(fmt):
            deltas.add(idx)
    return frozenset(dates), frozenset(deltas)



def _col_letters(n: int) -> str:
    """1 -> A, 28 -> AB."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


class _SheetReader:
    """Expat handlers for a worksheet: a queue of finished rows, budgets checked on every event."""

    def __init__(self, book: _Book, lim: Limits, filename: str | None) -> None:
        self.book = book
        self.lim = lim
        self.filename = filename
        self.queue: list[list[str | None] | int] = []  # a finished row, or a count of empty rows
        self.row_no = 0  # last row number started
        self.row_str = "0"
        self.max_cells = lim.xlsx_max_cells
        self.max_cols = lim.xlsx_max_cols
        self.col_cache: dict[str, int] = {}
        self.max_col = 0
        self.cells = 0
        self.row: list[str | None] | None = None
        self.col = 0
        self.ctype = "n"
        self.style = 0
        self.ref = ""
        self.text: list[str] = []
        self.nchars = 0
        self.capture = False
        self.in_is = False
        self.rph = 0
        self.has_value = False

    # -- helpers
    def _too_many_rows(self) -> LimitExceeded:
        return _exceeded(f"xlsx: sheet has more than {self.lim.xlsx_max_rows:,} rows", "xlsx_max_rows", self.lim,
                         file=self.filename)  # fmt: skip

    def _start_row(self, number: int) -> None:
        if number <= self.row_no:
            raise _unreadable(f"row {number} appears after row {self.row_no}", self.filename)
        if number > self.lim.xlsx_max_rows:
            raise self._too_many_rows()
        gap = number - self.row_no - 1
        if gap:
            self.queue.append(gap)
        self.row_no = number
        self.row_str = str(number)
        self.row = []
        self.col = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            self._start_cell(attrs)
        elif name == "v":
            if self.row is not None:
                self.capture = True
                self.has_value = True
        elif name == "row":
            r = attrs.get("r")
            try:
                number = int(r) if r else self.row_no + 1
            except ValueError:
                raise _unreadable(f"bad row number {r!r}", self.filename) from None
            self._start_row(number)
        elif name == "is":
            self.in_is = True
            self.has_value = True
        elif name == "t":
            if self.in_is and not self.rph:
                self.capture = True
        elif name == "rPh":
            self.rph += 1

    def _start_cell(self, attrs: dict[str, str]) -> None:
        if self.row is None:
            raise _unreadable("a cell outside a row", self.filename)
        self.cells += 1
        if self.cells > self.max_cells:
            raise _exceeded(f"xlsx: sheet has more than {self.max_cells:,} cells", "xlsx_max_cells",
                            self.lim, file=self.filename)  # fmt: skip
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = self.col_cache.get(letters)
            if col is None:
                if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
                    raise _unreadable(f"bad cell reference {ref!r}", self.filename)
                col = self.col_cache[letters] = _col_number(letters)
            if ref[len(letters) :] != self.row_str:
                raise _unreadable(f"cell {ref} lies outside row {self.row_no}", self.filename)
        else:
            col = self.col + 1
            ref = ""
        if col > self.max_cols:
            raise _exceeded(f"xlsx: sheet has more than {self.max_cols:,} columns", "xlsx_max_cols",
                            self.lim, file=self.filename, row=self.row_no)  # fmt: skip
        self.col = col
        self.ref = ref
        self.ctype = attrs.get("t", "n")
        s = attrs.get("s")
        if s:
            try:
                self.style = int(s)
            except ValueError:
                self.style = 0
        else:
            self.style = 0
        self.text = []
        self.nchars = 0
        self.has_value = False
        self.in_is = False

    def end(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            if self.has_value and self.row is not None:
                value = self._value()
                if value is not None:
                    row = self.row
                    col = self.col
                    if len(row) == col - 1:
                        row.append(value)
                    elif len(row) < col - 1:
                        row.extend([None] * (col - 1 - len(row)))
                        row.append(value)
                    else:
                        row[col - 1] = value
                    if col > self.max_col:
                        self.max_col = col
        elif name == "v" or name == "t":
            self.capture = False
        elif name == "row":
            if self.row is not None:
                self.queue.append(self.row)
                self.row = None
        elif name == "is":
            self.in_is = False
        elif name == "rPh":
            self.rph -= 1

    def chars(self, data: str) -> None:
        if self.capture:
            self.nchars += len(data)
            if self.nchars > self.lim.max_cell_chars:
                raise _exceeded(
                    f"xlsx: cell {self._where()} is longer than {self.lim.max_cell_chars:,} characters",
                    "max_cell_chars",
                    self.lim,
                    file=self.filename,
                    row=self.row_no,
                )
            self.text.append(data)

    def _where(self) -> str:
        return self.ref or f"{_col_letters(self.col)}{self.row_no}"

    def _value(self) -> str | None:
        raw = "".join(self.text)
        t = self.ctype
        if t == "inlineStr":
            return raw
        if raw == "":
            return None
        if t == "s":
            try:
                return self.book.shared[int(raw)]
            except (ValueError, IndexError):
                raise _unreadable(f"cell {self._where()} refers to a missing shared string {raw[:20]!r}", self.filename) from None
        if t == "b":
            return str(raw.strip() not in ("0", "false", ""))
        if t in ("str", "e"):
            return raw
        if t == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return str(from_ISO8601(raw))
            except (ValueError, TypeError, OverflowError):
                return raw
        return self._number(raw)

    def _number(self, raw: str) -> str:
        s = raw.strip()
        if len(s) > 64:
            raise _unreadable(f"cell {self._where()} holds a malformed number of {len(s):,} characters", self.filename)
        try:
            num: int | float = float(s) if any(ch in s for ch in ".eE") else int(s)
        except ValueError:
            raise _unreadable(f"cell {self._where()} holds the malformed number {s!r}", self.filename) from None
        if self.style in self.book.date_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                when: datetime | time | timedelta = from_excel(
                    num, self.book.epoch, timedelta=self.style in self.book.timedelta_styles
                )
                return str(when)
            except (OverflowError, ValueError):
                return "#VALUE!"
        if isinstance(num, float):
            if math.isfinite(num) and num.is_integer():
                return str(int(num))
            return str(num)
        return str(num)


def iter_xlsx_rows(
    raw: bytes, limits: Limits | None = None, *, filename: str | None = None
) -> Iterator[list[str | None]]:
    """The first worksheet's rows, streamed with every budget enforced.

    Row ``i`` of the iteration (0-based) is Excel row ``i + 1``; an empty or
    missing row is ``[]``; within a row, position ``j`` is column ``j + 1``, a
    missing cell is ``None`` and trailing missing cells are left out. Values
    are text (see the module docstring for numbers, dates and booleans).

    Raises
    ------
    PayloadTooLarge
        ``raw`` is larger than ``max_upload_bytes``.
    LimitExceeded
        A budget is exceeded (archive expansion, ratio, rows, columns, cells,
        cell length, shared strings); raised as soon as it is seen.
    InvalidInput
        Not a readable XLSX file.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> wb = Workbook(); ws = wb.active
    >>> ws.append(["name", "n"]); ws.append([]); ws.append(["大运", 2.0]); ws["D3"] = True
    >>> buf = io.BytesIO(); wb.save(buf)
    >>> list(iter_xlsx_rows(buf.getvalue()))
    [['name', 'n'], [], ['大运', '2', None, 'True']]
    >>> list(iter_xlsx_rows(buf.getvalue(), Limits(xlsx_max_rows=2)))
    Traceback (most recent call last):
    ...
    chainmap.exceptions.LimitExceeded: xlsx: sheet has more than 2 rows (limit CHAINMAP_LIMIT_XLSX_ROWS)
    """
    lim = limits or DEFAULT_LIMITS
    book = _open_book(raw, lim, filename)
    reader = _SheetReader(book, lim, filename)
    for _ in _stream_xml(book.zf, book.sheet, reader.start, reader.end, reader.chars, filename, lim):
        if reader.queue:
            queue, reader.queue = reader.queue, []
            for item in queue:
                if isinstance(item, int):
                    for _gap in range(item):
                        yield []
                else:
                    yield item


def check_xlsx(raw: bytes, limits: Limits | None = None, *, filename: str | None = None) -> XlsxSummary:
    """Check an XLSX upload against every budget without keeping its rows.

    For a caller that still opens the workbook with openpyxl: call this first,
    so openpyxl only ever sees a file within budget. Raises as
    :func:`iter_xlsx_rows` does.

    >>> from openpyxl import Workbook
    >>> wb = Workbook(); wb.active.append(["a", "b"]); buf = io.BytesIO(); wb.save(buf)
    >>> s = check_xlsx(buf.getvalue()); (s.sheet, s.rows, s.cols, s.cells)
    ('xl/worksheets/sheet1.xml', 1, 2, 2)
    >>> check_xlsx(b"PK not really")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: not a readable XLSX file (not a ZIP archive)
    """
    lim = limits or DEFAULT_LIMITS
    book = _open_book(raw, lim, filename)
    reader = _SheetReader(book, lim, filename)
    for _ in _stream_xml(book.zf, book.sheet, reader.start, reader.end, reader.chars, filename, lim):
        reader.queue.clear()
    return XlsxSummary(book.sheet, reader.row_no, reader.max_col, reader.cells, book.uncompressed)


# ================================================================== CSV

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


class LimitedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses deep nesting, many aliases and exponential alias expansion.

    Budgets come from the class attribute ``limits``; :func:`limited_loader`
    makes a subclass with other limits. Subclass it (the seed loader's
    line-tracking loader does) to keep these checks. The checks run while the
    document is composed, before any Python object is built, so a "billion
    laughs" file is refused after reading only its few kilobytes.

    Raises :class:`LimitExceeded` (not a ``yaml.YAMLError``) with ``line``.
    """

    limits: ClassVar[Limits] = DEFAULT_LIMITS

    def __init__(self, stream: str | bytes | io.IOBase) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._nodes = 0

    def _fail(self, what: str, name: str, mark: Any) -> LimitExceeded:
        line = mark.line + 1 if mark is not None else None
        return _exceeded(what, name, self.limits, line=line)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        lim = self.limits
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > lim.yaml_max_aliases:
                raise self._fail(f"yaml: more than {lim.yaml_max_aliases:,} aliases", "yaml_max_aliases",
                                 self.peek_event().start_mark)  # fmt: skip
            return super().compose_node(parent, index)
        self._nodes += 1
        if self._nodes > lim.yaml_max_nodes:
            raise self._fail(f"yaml: more than {lim.yaml_max_nodes:,} nodes", "yaml_max_nodes",
                             self.peek_event().start_mark)  # fmt: skip
        self._depth += 1
        try:
            if self._depth > lim.yaml_max_depth:
                raise self._fail(f"yaml: nested deeper than {lim.yaml_max_depth:,} levels", "yaml_max_depth",
                                 self.peek_event().start_mark)  # fmt: skip
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None:
            self._check_expansion(node)
        return node

    def _check_expansion(self, root: yaml.Node) -> None:
        """Size and depth of the document with every alias expanded, computed once per distinct node."""
        lim = self.limits
        size: dict[int, int] = {}
        depth: dict[int, int] = {}
        on_path: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            nid = id(node)
            kids = _children(node)
            if done:
                on_path.discard(nid)
                s = 1 + sum(size[id(k)] for k in kids)
                d = 1 + max((depth[id(k)] for k in kids), default=0)
                if s > lim.yaml_max_nodes:
                    raise self._fail(
                        f"yaml: more than {lim.yaml_max_nodes:,} nodes once aliases are expanded",
                        "yaml_max_nodes",
                        node.start_mark,
                    )
                if d > lim.yaml_max_depth:
                    raise self._fail(
                        f"yaml: nested deeper than {lim.yaml_max_depth:,} levels once aliases are expanded",
                        "yaml_max_depth",
                        node.start_mark,
                    )
                size[nid] = s
                depth[nid] = d
                continue
            if nid in size:
                continue
            if nid in on_path:
                mark = node.start_mark
                raise InvalidInput("yaml: recursive alias (a node contains itself)", line=mark.line + 1)
            on_path.add(nid)
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_L = TypeVar("_L", bound=LimitedSafeLoader)


def limited_loader(base: type[_L], limits: Limits) -> type[_L]:
    """A subclass of ``base`` (a :class:`LimitedSafeLoader`) using ``limits``."""
    if base.limits == limits:
        return base
    return type(base.__name__, (base,), {"limits": limits})


def safe_yaml_load(
    text: str | bytes,
    limits: Limits | None = None,
    *,
    loader: type[LimitedSafeLoader] = LimitedSafeLoader,
    filename: str | None = None,
) -> Any:
    """``yaml.safe_load`` with the budgets of :class:`LimitedSafeLoader`.

    Raises
    ------
    LimitExceeded
        Too deep, too many aliases or nodes (aliases expanded); ``line`` in the context.
    InvalidInput
        A YAML syntax error (with its line) or a recursive alias.

    >>> safe_yaml_load("a: [[[1]]]", Limits(yaml_max_depth=3), filename="x.yaml")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.LimitExceeded: x.yaml:1: yaml: nested deeper than 3 levels (limit CHAINMAP_LIMIT_YAML_DEPTH)
    """
    cls = limited_loader(loader, limits) if limits is not None else loader
    ldr = cls(text)
    try:
        return ldr.get_single_data()
    except InvalidInput as e:  # LimitExceeded included: name the file
        if filename is not None:
            e.context["file"] = filename
            e.args = (e._render(),)
        raise
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InvalidInput(f"YAML syntax error: {e}", file=filename, line=mark.line + 1 if mark else None) from None
    finally:
        ldr.dispose()
