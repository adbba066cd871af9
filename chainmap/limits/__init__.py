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
* :func:`frozen_heap` -- not a budget but the CPU side of one: a bulk import's
  full garbage collections scan its own objects, not the whole process heap.

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

from chainmap.limits.heap import frozen_heap
from chainmap.limits.settings import DEFAULT_LIMITS, ENV_PREFIX, Limits, check_upload_size
from chainmap.limits.text import csv_row_guard, iter_jsonl, loads_json
from chainmap.limits.xlsx import XlsxSummary, check_xlsx, iter_xlsx_rows
from chainmap.limits.yaml_guard import LimitedSafeLoader, limited_loader, safe_yaml_load

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
    "frozen_heap",
]
