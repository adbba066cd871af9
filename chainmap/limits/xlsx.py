"""XLSX guards: the ZIP checked before parsing, then the first sheet streamed through expat with every budget enforced."""

from __future__ import annotations

import io
import math
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from xml.parsers import expat

from chainmap.exceptions import InvalidInput, LimitExceeded
from chainmap.limits.settings import DEFAULT_LIMITS, Limits, _exceeded, _MiB, check_upload_size

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
