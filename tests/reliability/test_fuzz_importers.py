"""Property-based fuzzing of the shared reader and the importers (issue 17, point 3).

Whatever bytes, cells or JSON values arrive, :mod:`chainmap.tabular`, the candidate importer and
the enterprise importer either succeed or raise the domain's
:class:`~chainmap.exceptions.InvalidInput` -- never another exception -- and every refusal
serialises to JSON (the API body). Through the API (FastAPI TestClient, real SQLite file) a
refusal is always a JSON 4xx.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from api.main import create_app
from api.settings import Settings
from chainmap.enterprise_import import ENTERPRISE_COLUMNS, enterprises_from_upload
from chainmap.exceptions import InvalidInput
from chainmap.seed import load_seed
from chainmap.tabular import iter_table, read_table
from matching.candidates import CANDIDATE_COLUMNS, read_candidates
from matching.mapping import SegmentMapper

SEED = load_seed()
API = "/api/v1"


@functools.cache
def seed_mapper() -> SegmentMapper:
    """The product mapper ``read_candidates(data=SEED)`` fits, fitted once.

    Fitting does not depend on the upload but costs about 0.6 s (it parses the vocabulary's
    YAML), so the fuzzer passes this one in with the seed's segment ids (what ``data=SEED``
    amounts to): its examples go to reading, checking and mapping rows, not to refitting.
    ``test_seed_mapper_reads_like_the_seed`` checks that both calls read alike."""
    return SegmentMapper().fit(SEED)


SEED_SEGMENT_IDS = frozenset(s.id for s in SEED.segments)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["1,5", "1.234,5", "inf", "-inf", "NaN", "1e400", "9" * 5000, "=1+1", "\x1b[31m红", "宁\u200b德",
                     "\ud800", "\ue000", "浙江", "杭州", "qi.separator", "yongji", "链主", "listed;gazelle", "12%", "",
                     " ", "true", "是", "1e20", "-1", "0", "2001", "\u202e", "\x00", "\r\n", '"', ",", "；"]),
)  # fmt: skip
_columns = st.sampled_from(sorted(set(CANDIDATE_COLUMNS) | set(ENTERPRISE_COLUMNS) | {"", "note", "名称", "企业名称"}))
_cell = st.one_of(
    _nasty_text,
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.times(),
    st.just(timedelta(days=2)),
)
_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
              st.floats(allow_nan=False, allow_infinity=False), _nasty_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)  # fmt: skip


def _csv(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    return text.encode(encoding, "surrogatepass") if encoding == "utf-8" else text.encode(encoding, "replace")


def _xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in [header, *rows]:
        safe = []
        for v in r:
            if isinstance(v, str):
                # the fixture writer (openpyxl) itself refuses control characters such as \x0b, \x0c
                v = ILLEGAL_CHARACTERS_RE.sub("", v.encode("utf-8", "ignore").decode("utf-8"))
            safe.append(v)
        ws.append(safe)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@st.composite
def uploads(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file name and bytes: CSV (several encodings), XLSX (typed cells), JSON (any values), or noise."""
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "json", "json", "noise"]))
    header = draw(st.lists(_columns, min_size=0, max_size=6))
    if draw(st.booleans()) and "name" not in header:
        header.insert(0, "name")
    n = draw(st.integers(min_value=0, max_value=4))
    if kind == "csv":
        rows = [[draw(_nasty_text) for _ in header] + draw(st.lists(_nasty_text, max_size=1)) for _ in range(n)]
        enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "shift_jis", "big5", "cp1252"]))
        return draw(st.sampled_from(["f.csv", "f.tsv", "f.txt"])), _csv(header, rows, enc)
    if kind == "xlsx":
        rows = [[draw(_cell) for _ in header] for _ in range(n)]
        return "f.xlsx", _xlsx(header, rows)
    if kind == "json":
        records = [{h: draw(_json_value) for h in header} for _ in range(n)]
        doc: object = records if draw(st.booleans()) else {draw(st.sampled_from(["items", "candidates", "x"])): records}
        text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
        if draw(st.booleans()):
            text = text.replace("0", draw(st.sampled_from(["NaN", "1e999", "[" * 40, "\\ud800"])), 1)
        return "f.json", text.encode("utf-8", "surrogatepass")
    return draw(st.sampled_from(["f.csv", "f.xlsx", "f.json"])), draw(st.binary(max_size=300))


def _only_invalid_input(fn: Callable[[], object]) -> None:
    try:
        fn()
    except InvalidInput as err:
        json.dumps(err.to_dict(), allow_nan=False)  # what the API and --format json send


def _drain(filename: str, raw: bytes) -> Iterator[object]:
    t = iter_table(raw, filename=filename)
    yield t.header
    yield from t.rows


@FUZZ
@given(uploads())
def test_shared_reader_raises_only_invalid_input(upload: tuple[str, bytes]) -> None:
    filename, raw = upload
    _only_invalid_input(lambda: list(_drain(filename, raw)))
    _only_invalid_input(lambda: read_table(raw, filename=filename))


@FUZZ
@given(uploads(), st.booleans())
def test_candidate_importer_raises_only_invalid_input(upload: tuple[str, bytes], skip: bool) -> None:
    filename, raw = upload

    def run() -> None:
        r = read_candidates(raw, filename=filename, segment_ids=SEED_SEGMENT_IDS, mapper=seed_mapper(),
                            skip_invalid=skip)
        json.dumps([e.to_dict() for e in r.errors + r.warnings], allow_nan=False)
        json.dumps(r.candidates, allow_nan=False, ensure_ascii=False)  # what store_candidates writes

    _only_invalid_input(run)


@FUZZ
@given(uploads())
def test_enterprise_importer_raises_only_invalid_input(upload: tuple[str, bytes]) -> None:
    filename, raw = upload
    _only_invalid_input(lambda: [e.model_dump_json() for e in enterprises_from_upload(raw, filename=filename, data=SEED)])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = Path(tmp_path_factory.mktemp("fuzz")) / "a.db"
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(upload=uploads(), route=st.sampled_from(["/candidates/import", "/enterprises/import"]), skip=st.booleans())
def test_api_refusal_is_always_a_json_4xx(client: TestClient, upload: tuple[str, bytes], route: str, skip: bool) -> None:
    filename, raw = upload
    params = {"skip_invalid": "true"} if skip and route.startswith("/candidates") else {}
    r = client.post(f"{API}{route}", params=params, files={"file": (filename, raw)})
    assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    if r.status_code != 200:
        assert body["error"] in ("InvalidInput", "LimitExceeded", "PayloadTooLarge", "Conflict"), body
        assert isinstance(body["detail"], str)


def test_fuzz_values_reach_the_importers() -> None:
    """The strategies are not vacuous: typed XLSX cells and odd JSON values get to the row checks."""
    raw = _xlsx(["name", "employees", "founded_year"], [["甲", time(1, 2), datetime(2020, 1, 1)]])
    with pytest.raises(InvalidInput) as info:
        read_candidates(raw, filename="f.xlsx", data=SEED)
    assert {e.column for e in info.value.errors} == {"employees", "founded_year"}


def test_seed_mapper_reads_like_the_seed() -> None:
    """The fuzzer's call (segment ids and a mapper fitted once) reads a file exactly as
    ``data=SEED`` does: same candidates, mapped segments, errors and warnings."""
    raw = ("name,main_products,segments,hq_province,hq_city,employees\n"
           "甲隔膜科技有限公司,锂电池隔膜;涂覆隔膜,,浙江,杭州,120\n"
           "乙新材料有限公司,镁合金压铸件,mg.ore,山西,运城,abc\n"
           "丙公司,,no.such.segment,,,\n").encode()
    for skip in (True, False):
        outcomes = []
        for kwargs in ({"data": SEED}, {"segment_ids": SEED_SEGMENT_IDS, "mapper": seed_mapper()}):
            try:
                r = read_candidates(raw, filename="f.csv", skip_invalid=skip, **kwargs)  # type: ignore[arg-type]
                outcomes.append((r.candidates, [e.to_dict() for e in r.errors + r.warnings], r.rows_read))
            except InvalidInput as err:
                outcomes.append(err.to_dict())
        assert outcomes[0] == outcomes[1]
    mapped = read_candidates(raw, filename="f.csv", skip_invalid=True, segment_ids=SEED_SEGMENT_IDS,
                             mapper=seed_mapper()).candidates
    assert any(c.get("mapped_segments") for c in mapped), mapped  # the mapper maps: not a vacuous comparison
