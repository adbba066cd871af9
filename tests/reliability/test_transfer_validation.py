"""`chainmap import` validates every record kind and the graph invariants before writing;
API keys travel only with include_keys (issue 17, point 5)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput
from chainmap.models import Chain, Enterprise, Link, Region, Segment, credit_code_check_char
from chainmap.projects import service as projects
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store
from chainmap.storage.sqlite import SQLiteStore
from chainmap.storage.transfer import (
    API_KEY_ROLES,
    ImportRefused,
    export_jsonl,
    import_jsonl,
)

HEADER = json.dumps({"format": "chainmap-export", "version": 1})


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


def code(n: int) -> str:
    first = f"91140800MA{n:07d}"
    return first + credit_code_check_char(first)


def base_graph(store: Store) -> None:
    store.bulk_upsert(
        chains=[Chain(id="mg", name_zh="镁", name_en="Mg", letter="材")],
        regions=[
            Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
            Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yc"),
            Region(id="xia", kind="county", name_zh="夏县", name_en="Xia", parent="yc"),
            Region(id="wenxi.zone", kind="zone", name_zh="闻喜经开区", name_en="Wenxi EDZ", parent="yc",
                   county="wenxi"),
        ],
        segments=[
            Segment(id="mg.ore", chain="mg", name_zh="白云石", name_en="Dolomite", stage="upstream"),
            Segment(id="mg.ingot", chain="mg", name_zh="原镁", name_en="Ingot", stage="midstream"),
        ],
        links=[Link(source="mg.ore", target="mg.ingot")],
        enterprises=[Enterprise(id="e1", name="闻喜镁业", credit_code=code(1), county="wenxi")],
    )


def write(tmp_path: Path, *lines: dict | str) -> Path:
    path = tmp_path / "in.jsonl"
    body = [x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines]
    path.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    return path


def snapshot(store: Store) -> tuple[list[str], int]:
    buf = io.StringIO()
    export_jsonl(store, buf, include_keys=True)
    return sorted(buf.getvalue().splitlines()[1:]), store.revision()


PROJECT = {
    "id": "p1", "enterprise": {"name": "示例镁业股份有限公司"}, "task_force": "镁产业招商专班",
    "task_force_kind": "special_team", "owner": "张三", "created": "2021-03-01", "segment": "mg.ingot",
    "county": "wenxi",
}
GOOD_KEY = {"id": "k1", "role": "viewer", "hash": "0" * 64, "label": "", "created": "2026-01-01T00:00:00+00:00",
            "revoked": None}


def rec(kind: str, data: dict) -> dict:
    return {"kind": f"record:{kind}", "data": data}


# ------------------------------------------------------------------ one bad record, nothing written
BAD_RECORDS = [
    ("project", {"id": "p1", "stage": "signed"}, "enterprise", "Field required"),
    ("project", PROJECT | {"stage": "flying"}, "stage", "Input should be"),
    ("project", PROJECT | {"planned_investment": "abc"}, "planned_investment", "decimal"),
    ("project", PROJECT | {"segment": "nope"}, "segment", "unknown segment"),
    ("project", PROJECT | {"zone": "nowhere"}, "zone", "unknown region"),
    ("followup", {"id": "f1", "project": "p1", "method": "dance", "date": "2021-04-01", "actor": "a"},
     "method", "Input should be"),
    ("followup", {"id": "f1", "project": "ghost", "method": "on_site", "date": "2021-04-01", "actor": "a"},
     "project", "unknown project"),
    ("target", {"id": "2021.city", "year": 1800}, "year", "greater than or equal"),
    ("target", {"id": "2022.city", "year": 2021}, "id", "2021.city"),
    ("target", {"id": "2021.city", "year": 2021, "start_rate": 250}, "start_rate", "less than or equal"),
    ("candidate", {"id": "cand.x"}, "name", "Field required"),
    ("candidate", {"id": "cand.x", "name": "甲", "employees": "many"}, "employees", "integer"),
    ("candidate", {"id": "cand.x", "name": "甲", "segments": "mg.ore"}, "segments", "list"),
    ("candidate", {"id": "cand.x", "name": "甲", "mapped_segments": [{"confidence": 2}]},
     "mapped_segments[0].segment", "Field required"),
    ("api_key", GOOD_KEY | {"role": "root"}, "role", "viewer"),
    ("api_key", GOOD_KEY | {"hash": "abc"}, "hash", "pattern"),
    ("api_key", GOOD_KEY | {"label": 7}, "label", "string"),
    ("api_key", GOOD_KEY | {"extra": True}, "extra", "Extra inputs"),
    ("meta", {"id": 5}, "id", "string id"),
]


@pytest.mark.parametrize(("kind", "data", "field", "reason"), BAD_RECORDS,
                         ids=[f"{k}-{f}" for k, _, f, _ in BAD_RECORDS])
def test_a_bad_record_is_refused_with_line_kind_field_and_nothing_is_written(
    store: Store, tmp_path: Path, kind: str, data: dict, field: str, reason: str
) -> None:
    base_graph(store)
    if kind == "followup":
        store.put_record("project", "p1", projects.Project.model_validate(PROJECT).model_dump(mode="json"))
    before = snapshot(store)
    path = write(tmp_path, {"kind": "chain", "data": {"id": "auto", "name_zh": "汽车", "name_en": "Auto",
                                                       "letter": "汽"}}, rec(kind, data))
    with pytest.raises(ImportRefused, match=reason) as err:
        import_jsonl(store, path, include_keys=True)
    problem = next(p for p in err.value.problems if p.field == field)
    assert (problem.line, problem.kind) == (3, f"record:{kind}")
    assert f"in.jsonl:3: record:{kind}: {field}: " in str(err.value)
    assert isinstance(err.value, InvalidInput)
    assert snapshot(store) == before


def test_a_bad_project_no_longer_breaks_the_project_views(sqlite_store: Store, tmp_path: Path) -> None:
    """The issue's case: one `record:project` line imported with exit 0, then /projects and KPIs gave 500."""
    base_graph(sqlite_store)
    path = write(tmp_path, rec("project", {"id": "p9", "name": "x", "amount": "lots"}))
    with pytest.raises(ImportRefused):
        import_jsonl(sqlite_store, path)
    assert projects.list_projects(store=sqlite_store) == []
    path = write(tmp_path, rec("project", PROJECT))
    assert import_jsonl(sqlite_store, path)["records"] == 1
    assert [p.id for p in projects.list_projects(store=sqlite_store)] == ["p1"]


def test_every_problem_is_listed_in_line_order(sqlite_store: Store, tmp_path: Path) -> None:
    base_graph(sqlite_store)
    path = write(
        tmp_path,
        rec("candidate", {"id": "c1", "name": ""}),
        "{broken",
        {"kind": "segment", "data": {"id": "mg.x", "chain": "nochain", "name_zh": "x", "name_en": "x",
                                      "stage": "upstream"}},
        rec("target", {"id": "2021.city", "year": "soon"}),
        '{"kind": "record:meta", "data": {"id": "m", "n": NaN}}',
        '{"kind": "record:meta", "data": ' + "[" * 40 + "]" * 40 + "}",
    )
    with pytest.raises(ImportRefused) as err:
        import_jsonl(sqlite_store, path)
    lines = [p.line for p in err.value.problems]
    assert lines == sorted(lines) and set(lines) == {2, 3, 4, 5, 6, 7}
    text = str(err.value)
    assert "in.jsonl:2: record:candidate: name: " in text
    assert "in.jsonl:3: JSON syntax error" in text
    assert "in.jsonl:4: segment: chain: unknown chain 'nochain'" in text
    assert "in.jsonl:5: record:target: year: " in text
    assert "in.jsonl:6: " in text and "NaN" in text
    assert "in.jsonl:7: " in text and "CHAINMAP_LIMIT_JSON_DEPTH" in text
    assert "6 problems; nothing was imported" in text
    assert err.value.to_dict()["total"] == 6


# ------------------------------------------------------------------ graph invariants after the import
def seg(sid: str, **kw: str) -> dict:
    return {"kind": "segment", "data": {"id": sid, "chain": "mg", "name_zh": sid, "name_en": sid,
                                         "stage": "upstream", **kw}}


GRAPH_CASES = {
    "part_of cycle through a store link": (
        [{"kind": "link", "data": {"source": "mg.ingot", "target": "mg.ore", "kind": "part_of"}},
         {"kind": "link", "data": {"source": "mg.ore", "target": "mg.ingot", "kind": "part_of"}}],
        "part_of cycle"),
    "segment parent cycle with a store segment": (
        [seg("mg.a", parent="mg.b"), seg("mg.b", parent="mg.a")], "part_of cycle"),
    "chain parent cycle": (
        [{"kind": "chain", "data": {"id": "x1", "name_zh": "x", "name_en": "x", "letter": "材", "parent": "x2"}},
         {"kind": "chain", "data": {"id": "x2", "name_zh": "x", "name_en": "x", "letter": "材", "parent": "x1"}}],
        "parent cycle"),
    "region parent cycle through a store region": (
        [{"kind": "region", "data": {"id": "yc", "kind": "city", "name_zh": "运城", "name_en": "Y",
                                      "parent": "wenxi"}}],
        "parent cycle"),
    "dangling parent": ([seg("mg.c", parent="mg.ghost")], "unknown parent segment 'mg.ghost'"),
    "duplicate id": ([seg("mg.d"), seg("mg.d")], "duplicate segment 'mg.d'"),
    "zone in another county": (
        [{"kind": "enterprise", "data": {"id": "e7", "name": "某企业", "county": "xia", "zone": "wenxi.zone"}}],
        "lies in 'wenxi'"),
    "county that is not a county": (
        [{"kind": "region", "data": {"id": "z2", "kind": "zone", "name_zh": "z", "name_en": "z", "county": "yc"}}],
        "is not a county"),
    "credit code of a stored enterprise": (
        [{"kind": "enterprise", "data": {"id": "e8", "name": "另一家", "credit_code": code(1)}}],
        "already belongs to stored enterprise 'e1'"),
    "enterprise on an unknown segment": (
        [{"kind": "enterprise", "data": {"id": "e9", "name": "x", "segments": [{"segment": "mg.none"}]}}],
        "unknown segment 'mg.none'"),
}


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_graph_invariants_hold_after_the_import(store: Store, tmp_path: Path, case: str) -> None:
    lines, reason = GRAPH_CASES[case]
    base_graph(store)
    before = snapshot(store)
    with pytest.raises(ImportRefused, match=reason) as err:
        import_jsonl(store, write(tmp_path, *lines))
    assert all(p.line and p.line >= 2 for p in err.value.problems), err.value.problems
    assert snapshot(store) == before


def test_a_problem_the_store_already_had_is_not_blamed_on_the_file(sqlite_store: Store, tmp_path: Path) -> None:
    base_graph(sqlite_store)
    sqlite_store.upsert_region(Region(id="z3", kind="zone", name_zh="z", name_en="z", county="yc"))
    counts = import_jsonl(sqlite_store, write(tmp_path, seg("mg.new")))
    assert counts["segments"] == 1


def test_a_real_store_round_trips(sqlite_store: Store, tmp_path: Path) -> None:
    """Records written by the services (projects, follow-ups, targets, candidates, keys) pass validation."""
    from api.keys import create_key
    from matching.candidates import load_demo_candidates, store_candidates

    load_into_store(sqlite_store, load_seed())
    county = next(r.id for r in sqlite_store.list_regions() if r.kind == "county")
    segment = sqlite_store.list_segments()[0].id
    projects.create_project(store=sqlite_store, project_in=PROJECT | {"segment": segment, "county": county})
    projects.transition_project(store=sqlite_store, project_id="p1", to="contacted", actor="李四",
                                on=date(2021, 3, 5))
    projects.log_followup(store=sqlite_store, project_id="p1", method="on_site", actor="张三", on=date(2021, 4, 1))
    projects.set_target(store=sqlite_store, target_in={"year": 2021, "signed_count": 10})
    store_candidates(sqlite_store, load_demo_candidates().candidates)
    create_key(sqlite_store, role="admin", label="ops")
    path = tmp_path / "all.jsonl"
    export_jsonl(sqlite_store, path, include_keys=True)
    other = SQLiteStore(tmp_path / "other.db")
    try:
        counts = import_jsonl(other, path, include_keys=True)
        assert counts["records"] == len(list(sqlite_store.iter_all())) - sum(
            v for k, v in counts.items() if k != "records")
        assert snapshot(other)[0] == snapshot(sqlite_store)[0]
    finally:
        other.close()


# ------------------------------------------------------------------ API keys
def keyed_store(tmp_path: Path, name: str) -> tuple[SQLiteStore, str]:
    from api.keys import create_key

    s = SQLiteStore(tmp_path / name)
    plaintext, _ = create_key(s, role="admin", label="planted")
    return s, plaintext


def test_export_leaves_keys_out_unless_asked(tmp_path: Path) -> None:
    src, _ = keyed_store(tmp_path, "src.db")
    try:
        plain = export_jsonl(src, tmp_path / "a.jsonl")
        assert "api_key" not in (tmp_path / "a.jsonl").read_text(encoding="utf-8")
        assert plain["records"] == 0 and "--include-keys" in plain.warnings[0]
        full = export_jsonl(src, tmp_path / "b.jsonl", include_keys=True)
        assert full["records"] == 1 and full.warnings == []
        assert '"record:api_key"' in (tmp_path / "b.jsonl").read_text(encoding="utf-8")
    finally:
        src.close()


def test_a_planted_admin_key_is_refused_by_default(store: Store, tmp_path: Path) -> None:
    """An admin key planted through a foreign export used to work at once (and minted new admin keys)."""
    from api.keys import verify_key

    foreign, plaintext = keyed_store(tmp_path, "foreign.db")
    path = tmp_path / "foreign.jsonl"
    export_jsonl(foreign, path, include_keys=True)
    foreign.close()
    before = snapshot(store)
    with pytest.raises(ImportRefused, match="include_keys=True") as err:
        import_jsonl(store, path)
    assert err.value.problems[0].line == 2 and err.value.problems[0].kind == "record:api_key"
    assert "--include-keys" in str(err.value) and "--include-keys" in (err.value.hint or "")
    assert verify_key(store, plaintext) is None
    assert snapshot(store) == before
    counts = import_jsonl(store, path, include_keys=True)
    assert counts["records"] == 1
    assert any("API" in w and "revoke" in w for w in counts.warnings)
    assert verify_key(store, plaintext)["role"] == "admin"


def test_roles_match_the_api() -> None:
    from api.keys import ROLES

    assert tuple(API_KEY_ROLES) == tuple(ROLES)


def test_import_signature_exposes_the_flag() -> None:
    """The CLI maps --include-keys to this keyword (chainmap export / chainmap import)."""
    import inspect

    for fn in (export_jsonl, import_jsonl):
        param = inspect.signature(fn).parameters["include_keys"]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is False

