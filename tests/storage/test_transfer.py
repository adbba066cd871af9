"""Export / import: format, validation with line numbers, all-or-nothing, lossless round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Chain, Enterprise, Link, Region, Segment, SegmentPresence, credit_code_check_char
from chainmap.storage.base import Store
from chainmap.storage.sqlite import SQLiteStore
from chainmap.storage.transfer import export_jsonl, import_jsonl


def code(n: int) -> str:
    first = f"91140800MA{n:07d}"
    return first + credit_code_check_char(first)


def fill(store: Store) -> None:
    """A small but complete data set: every kind, every optional field somewhere."""
    store.bulk_upsert(
        chains=[
            Chain(id="mg", name_zh="镁", name_en="Magnesium", letter="材", description="d", sources=["s"]),
            Chain(id="mg.alloy", name_zh="镁合金", name_en="Mg alloy", letter="材", parent="mg"),
        ],
        regions=[
            Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng", lat=35.02, lon=111.0),
            Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yuncheng"),
            Region(id="wenxi.zone", kind="zone", name_zh="闻喜经开区", name_en="Wenxi EDZ", parent="yuncheng",
                   county="wenxi", confidence="low", sources=["gov"]),
        ],
        segments=[
            Segment(id="mg.ore", chain="mg", name_zh="白云石", name_en="Dolomite", stage="upstream",
                    keywords_zh=["白云石"], keywords_en=["dolomite"], aliases=["ore"], chokepoint=True,
                    reference_share=0.1, value_added=2, tech_intensity=1, order=1),
            Segment(id="mg.ingot", chain="mg", name_zh="原镁", name_en="Ingot", stage="midstream"),
            Segment(id="mg.alloy.die", chain="mg.alloy", name_zh="压铸", name_en="Die casting",
                    stage="downstream", parent="mg.ingot"),
        ],
        links=[
            Link(source="mg.ore", target="mg.ingot", weight=0.6, note="原料", sources=["x"]),
            Link(source="mg.ingot", target="mg.alloy.die", kind="enables"),
        ],
        enterprises=[
            Enterprise(id="e1", name="闻喜镁业", credit_code=code(1), county="wenxi", zone="wenxi.zone",
                       segments=[SegmentPresence(segment="mg.ingot", capacity=5.0, capacity_unit="万吨", output=2.5),
                                 SegmentPresence(segment="mg.ore", role="user")],
                       tags=["chain_leader", "listed"], revenue=30.0, employees=1200, founded=1999,
                       attributes={"k": [1, {"z": None}], "中文": "值"}, note="n", source="s", confidence="low"),
            Enterprise(id="e2", name="Candidate Co", name_en="Candidate", segments=[]),
        ],
    )
    store.put_record("project", "p1", PROJECT)
    store.put_record("api_key", "k1", {"role": "viewer", "hash": "ab" * 32, "label": "l",
                                       "created": "2026-01-02T03:04:05+00:00", "revoked": None})


#: A valid project record (as ``chainmap.projects.service`` stores it).
PROJECT = {
    "id": "p1", "title": "镁合金项目", "enterprise": {"name": "示例镁业股份有限公司", "credit_code": None,
                                                  "enterprise_id": None},
    "segment": "mg.ingot", "task_force": "镁产业招商专班", "task_force_kind": "special_team", "owner": "张三",
    "county": "wenxi", "planned_investment": "1.5", "created": "2021-03-01", "stage": "lead",
}


def export_lines(store: Store) -> list[str]:
    buf = io.StringIO()
    export_jsonl(store, buf, include_keys=True)
    lines = buf.getvalue().splitlines()
    assert json.loads(lines[0])["format"] == "chainmap-export"
    return sorted(lines[1:])


def test_export_format_and_order(sqlite_store: Store, tmp_path: Path) -> None:
    fill(sqlite_store)
    path = tmp_path / "out.jsonl"
    counts = export_jsonl(sqlite_store, path, include_keys=True)
    assert counts == {"chains": 2, "regions": 3, "segments": 3, "links": 2, "enterprises": 2, "records": 2}
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "chainmap-export" and header["version"] == 1 and header["backend"] == "sqlite"
    kinds = [json.loads(x)["kind"] for x in lines[1:]]
    order = ["chain", "region", "segment", "link", "enterprise", "record:api_key", "record:project"]
    assert kinds == sorted(kinds, key=order.index)


def test_round_trip_into_empty_sqlite(sqlite_store: Store, tmp_path: Path) -> None:
    fill(sqlite_store)
    path = tmp_path / "out.jsonl"
    export_jsonl(sqlite_store, path, include_keys=True)
    other = SQLiteStore(tmp_path / "other.db")
    assert import_jsonl(other, path, include_keys=True)["enterprises"] == 2
    assert export_lines(other) == export_lines(sqlite_store)
    other.close()


@pytest.mark.neo4j
@pytest.mark.parametrize("target", ["neo4j_store", "neo4j_chunked_store"])
def test_round_trip_sqlite_neo4j_sqlite(sqlite_store: Store, target: str, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    """Also through Neo4j with bulk transactions of two enterprises (the journalled path)."""
    neo4j_store = request.getfixturevalue(target)
    fill(sqlite_store)
    sqlite_store.bulk_upsert(enterprises=[
        Enterprise(id=f"x{i}", name=f"企业{i}", county="wenxi", segments=[SegmentPresence(segment="mg.ore")])
        for i in range(5)
    ])
    first = tmp_path / "a.jsonl"
    export_jsonl(sqlite_store, first, include_keys=True)
    import_jsonl(neo4j_store, first, include_keys=True)
    assert export_lines(neo4j_store) == export_lines(sqlite_store)
    second = tmp_path / "b.jsonl"
    export_jsonl(neo4j_store, second, include_keys=True)
    back = SQLiteStore(tmp_path / "back.db")
    import_jsonl(back, second, include_keys=True)
    assert export_lines(back) == export_lines(sqlite_store)
    back.close()


def bad_file(tmp_path: Path, store: Store, line: int, text: str) -> Path:
    """An export of ``store`` with line number ``line`` (1-based) replaced by ``text``."""
    buf = io.StringIO()
    export_jsonl(store, buf)
    lines = buf.getvalue().splitlines()
    lines[line - 1] = text
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("{not json", None, "JSON syntax error"),
        ('{"kind": "planet", "data": {}}', "kind", "unknown kind"),
        ('{"kind": "record:nope", "data": {"id": "x"}}', "kind", "unknown record kind"),
        ('{"kind": "chain", "data": {"id": "x", "name_zh": "x", "name_en": "x", "letter": "QQQQQ"}}', "letter", "at most 4"),
        ('{"kind": "enterprise", "data": {"id": "e9", "name": "x", "segments": [{"segment": "nope"}]}}',
         "segments[0].segment", "unknown segment"),
        ('{"kind": "enterprise", "data": {"id": "e9", "name": "x", "revenue": -1}}', "revenue", "greater"),
        ('{"kind": "chain", "data": {"id": "mg", "name_zh": "x", "name_en": "x", "letter": "材"}}', "id", "duplicate"),
    ],
)
def test_import_names_line_and_field_and_writes_nothing(
    sqlite_store: Store, tmp_path: Path, text: str, field: str | None, message: str
) -> None:
    fill(sqlite_store)
    path = bad_file(tmp_path, sqlite_store, 9, text)
    target = SQLiteStore(tmp_path / "t.db")
    with pytest.raises(InvalidInput, match=message) as err:
        import_jsonl(target, path)
    assert err.value.context["line"] == 9
    assert err.value.context.get("field") == field
    assert "bad.jsonl:9" in str(err.value)
    assert list(target.iter_all()) == []
    target.close()


def test_import_refuses_bad_header(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"format": "chainmap-export", "version": 7}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="version") as err:
        import_jsonl(sqlite_store, path)
    assert err.value.context["line"] == 1
    path.write_text('{"kind": "chain", "data": {}}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="header"):
        import_jsonl(sqlite_store, path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty"):
        import_jsonl(sqlite_store, path)


def test_import_is_all_or_nothing_when_the_store_refuses(sqlite_store: Store, tmp_path: Path) -> None:
    """A credit code already owned by another stored enterprise: nothing of the file is written."""
    fill(sqlite_store)
    path = tmp_path / "out.jsonl"
    export_jsonl(sqlite_store, path)
    target = SQLiteStore(tmp_path / "t.db")
    target.bulk_upsert(enterprises=[Enterprise(id="other", name="Other", credit_code=code(1))])
    with pytest.raises(Exception, match="other"):
        import_jsonl(target, path)
    with pytest.raises(NotFound):
        target.get_chain("mg")
    assert target.list_records("project") == []
    target.close()


def test_import_from_a_non_seekable_stream(sqlite_store: Store, tmp_path: Path) -> None:
    fill(sqlite_store)
    buf = io.StringIO()
    export_jsonl(sqlite_store, buf, include_keys=True)

    class Pipe(io.StringIO):
        def seekable(self) -> bool:
            return False

    target = SQLiteStore(tmp_path / "t.db")
    assert import_jsonl(target, Pipe(buf.getvalue()), include_keys=True)["records"] == 2
    assert export_lines(target) == export_lines(sqlite_store)
    target.close()
