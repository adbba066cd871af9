"""Generators of hostile inputs, built on the fly (nothing large is stored in the repository).

Each returns bytes or text; the sizes in the names are what a user would upload.
"""

from __future__ import annotations

import gc
import io
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "xlsx_from_sheet",
    "xlsx_from_sheet_xml",
    "xlsx_shared",
    "xlsx_rows_without_numbers",
    "xlsx_huge_attribute",
    "xlsx_huge_inline_string",
    "xlsx_many_empty_rows",
    "xlsx_zip_bomb_member",
    "xlsx_wide_row",
    "xlsx_many_cells",
    "yaml_nested_aliases",
    "json_deep",
    "json_long_integer",
    "Measured",
    "measure",
]

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


class _Member:
    """Raw-deflate a member from pieces; ``repeat`` appends a block many times at the cost of one.

    After ``Z_FULL_FLUSH`` the compressor starts afresh, so the compressed form
    of a block is the same every time: it is computed once and repeated, which
    makes a 4 GB member take a second to build.
    """

    def __init__(self, level: int = 9) -> None:
        self._co = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.parts: list[bytes] = []
        self.crc = 0
        self.size = 0

    def write(self, data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        self.parts.append(self._co.compress(raw) + self._co.flush(zlib.Z_FULL_FLUSH))
        self.crc = zlib.crc32(raw, self.crc)
        self.size += len(raw)

    def repeat(self, data: str | bytes, times: int) -> None:
        raw = data.encode() if isinstance(data, str) else data
        seg = self._co.compress(raw) + self._co.flush(zlib.Z_FULL_FLUSH)
        self.parts.append(seg * times)
        for _ in range(times):
            self.crc = zlib.crc32(raw, self.crc)
        self.size += len(raw) * times

    def close(self) -> bytes:
        self.parts.append(self._co.flush())
        return b"".join(self.parts)


def _zip(members: list[tuple[str, _Member]]) -> bytes:
    """A ZIP archive (no ZIP64: every member below 4 GiB) of already-deflated members."""
    out = io.BytesIO()
    central = []
    for name, m in members:
        data = m.close()
        if m.size >= 2**32:
            raise ValueError("member too large for a ZIP without ZIP64")
        offset = out.tell()
        bname = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, m.crc, len(data), m.size, len(bname), 0))
        out.write(bname)
        out.write(data)
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, m.crc, len(data), m.size, len(bname),
                        0, 0, 0, 0, 0, offset) + bname  # fmt: skip
        )
    cd_offset = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), cd_offset, 0))
    return out.getvalue()


def _small(text: str) -> _Member:
    m = _Member()
    m.write(text)
    return m


_SST_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
)


def xlsx_from_sheet(
    build: Callable[[_Member], None],
    *,
    head: str = _SHEET_HEAD,
    tail: str = _SHEET_TAIL,
    level: int = 9,
    shared: Callable[[_Member], None] | None = None,
) -> bytes:
    """A minimal valid XLSX whose first sheet's ``<sheetData>`` content ``build`` writes.

    ``shared`` writes the ``<si>`` entries of a shared-strings part (openpyxl itself writes inline strings).
    """
    sheet = _Member(level)
    sheet.write(head)
    build(sheet)
    sheet.write(tail)
    members = [
        ("[Content_Types].xml", _small(_CT)),
        ("_rels/.rels", _small(_ROOT_RELS)),
        ("xl/workbook.xml", _small(_WORKBOOK)),
        ("xl/_rels/workbook.xml.rels", _small(_WB_RELS.replace("</Relationships>", _SST_REL + "</Relationships>")
                                              if shared else _WB_RELS)),  # fmt: skip
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if shared is not None:
        sst = _Member(level)
        sst.write('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        shared(sst)
        sst.write("</sst>")
        members.append(("xl/sharedStrings.xml", sst))
    return _zip(members)


def xlsx_shared(strings: list[str], sheet_xml: str) -> bytes:
    """An XLSX with the given shared strings and ``<sheetData>`` XML."""

    def build(m: _Member) -> None:
        m.write(sheet_xml)

    def shared(m: _Member) -> None:
        m.write("".join(f"<si><t>{s}</t></si>" for s in strings))

    return xlsx_from_sheet(build, shared=shared)


def xlsx_from_sheet_xml(chunks: str | Iterable[str], **kwargs: Any) -> bytes:
    """:func:`xlsx_from_sheet` from the ``<sheetData>`` XML as a str or an iterable of str."""

    def build(m: _Member) -> None:
        for part in [chunks] if isinstance(chunks, str) else chunks:
            m.write(part)

    return xlsx_from_sheet(build, **kwargs)


def xlsx_huge_inline_string(chars: int = 2_000_000_000) -> bytes:
    """One inline-string cell of ``chars`` 'A's: ~2 MB on disk for the default 2e9 characters."""

    def build(m: _Member) -> None:
        m.write('<row r="1"><c r="A1" t="inlineStr"><is><t>')
        m.repeat("A" * 1_000_000, chars // 1_000_000)
        m.write("A" * (chars % 1_000_000) + "</t></is></c></row>")

    return xlsx_from_sheet(build)


def xlsx_many_empty_rows(rows: int = 2_000_000) -> bytes:
    """``rows`` empty ``<row r=.../>`` elements (2M rows: ~5 MB at ratio ~8)."""

    def gen() -> Iterator[str]:
        step = 10_000
        for start in range(1, rows + 1, step):
            yield "".join(f'<row r="{r}"/>' for r in range(start, min(start + step, rows + 1)))

    return xlsx_from_sheet_xml(gen())


def xlsx_rows_without_numbers(rows: int = 2_000_000) -> bytes:
    """``rows`` empty ``<row/>`` elements without ``r``: compresses ~1000:1 (2M rows in ~15 KB)."""

    def build(m: _Member) -> None:
        m.repeat("<row/>" * 100_000, rows // 100_000)

    return xlsx_from_sheet(build)


def xlsx_zip_bomb_member(size: int = 4_000_000_000) -> bytes:
    """A sheet padded with ``size`` bytes of whitespace (declared size ~4 GB, ~4 MB on disk)."""

    def build(m: _Member) -> None:
        m.write('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>')
        m.repeat(" " * 4_000_000, size // 4_000_000)

    return xlsx_from_sheet(build)


def xlsx_huge_attribute(size: int = 100_000_000) -> bytes:
    """A cell whose start tag carries a ``size``-byte attribute (CPU bomb for expat < 2.6)."""

    def build(m: _Member) -> None:
        m.write('<row r="1"><c r="A1" foo="')
        m.repeat("a" * 1_000_000, size // 1_000_000)
        m.write('"><v>1</v></c></row>')

    return xlsx_from_sheet(build)


def xlsx_wide_row(cols: int) -> bytes:
    """One row of ``cols`` numeric cells without references."""
    return xlsx_from_sheet_xml(["<row>", "<c><v>1</v></c>" * cols, "</row>"])


def xlsx_many_cells(rows: int, cols: int) -> bytes:
    """``rows`` x ``cols`` small inline-string cells (a large but well-formed sheet)."""

    def gen() -> Iterator[str]:
        row = "".join(f'<c t="inlineStr"><is><t>v{j}</t></is></c>' for j in range(cols))
        for r in range(1, rows + 1):
            yield f'<row r="{r}">{row}</row>'

    return xlsx_from_sheet_xml(gen())


def yaml_nested_aliases(levels: int = 9, fan: int = 9) -> str:
    """The "billion laughs" in YAML: each level lists the previous one ``fan`` times (~1 KB)."""
    lines = ['- &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"- &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def json_deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def json_long_integer(digits: int = 5000) -> str:
    return '{"employees": ' + "9" * digits + "}"


# ------------------------------------------------------------------ measuring


@dataclass
class Measured:
    """Outcome of :func:`measure`: wall time, peak memory growth, error or result."""

    seconds: float
    peak_mb: float
    error: BaseException | None
    result: object = None
    how: str = "rss"


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(field)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        _status_kb("VmHWM")
        return True
    except OSError:
        return False


def measure(fn: Callable[[], object]) -> Measured:
    """Run ``fn``; report its wall time and the growth of the process's peak memory.

    On Linux the peak resident set (VmHWM, reset through ``/proc/self/clear_refs``)
    minus the resident set before the call: every allocation, C ones included,
    at no cost to speed. Elsewhere tracemalloc's peak (Python allocations only,
    ~2-10x slower). An exception is captured, not raised.
    """
    gc.collect()
    rss = _reset_peak_rss()
    base = _status_kb("VmRSS") if rss else 0
    if not rss:
        tracemalloc.start()
    t0 = time.perf_counter()
    error: BaseException | None = None
    result: object = None
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - the caller asserts on it
        error = e
    seconds = time.perf_counter() - t0
    if rss:
        peak_mb = (_status_kb("VmHWM") - base) / 1024
    else:
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return Measured(seconds, peak_mb, error, result, "rss" if rss else "tracemalloc")
