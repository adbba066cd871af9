"""The review queue (chainmap.census.review) on both stores: queue filters, decisions stored with
who/when/previous, all-or-none batches, ETag preconditions, re-import survival, labels; and the
``chainmap review`` CLI on a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app as cli_app
from chainmap import service
from chainmap.census.review import DECISION_KIND, apply_decisions, decide, review_labels, review_queue
from chainmap.exceptions import InvalidInput, NotFound, PreconditionFailed
from chainmap.models import Enterprise
from chainmap.seed import load_into_store
from chainmap.storage.base import Store, object_tag
from chainmap.storage.sqlite import SQLiteStore
from tests.review.conftest import tiny_data

AT = "2026-11-30T09:00:00+00:00"


def ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [x.id for x in page.entries]


def test_queue_and_its_filters(store: Store) -> None:
    data = service.chain_data(store=store)
    q = review_queue(data=data)
    assert ids(q) == ["ent.a|qi.cell", "ent.b|qi.pack", "ent.c|-"]
    assert [x.reason for x in q.entries] == ["low_confidence", "conflict", "unassigned"]
    assert q.counts == {"low_confidence": 1, "conflict": 1, "unassigned": 1} and q.total == 3
    assert ids(review_queue(data=data, region="wenxi")) == ["ent.a|qi.cell", "ent.b|qi.pack"]  # the zone is in 闻喜
    assert ids(review_queue(data=data, region="hejin")) == ["ent.c|-"]
    assert ids(review_queue(data=data, chain="qi")) == ["ent.a|qi.cell", "ent.b|qi.pack"]
    assert ids(review_queue(data=data, reason="conflict")) == ["ent.b|qi.pack"]
    assert ids(review_queue(data=data, segment="qi.cell")) == ["ent.a|qi.cell"]
    assert ids(review_queue(data=data, names=["甲电芯", "ent.c|-"])) == ["ent.a|qi.cell", "ent.c|-"]
    en = review_queue(data=data, reason="conflict", lang="en").entries[0]
    assert (en.segment_name, en.reason_label, en.confidence) == ("Packs", "industry code and text disagree", 0.7)
    assert en.etag == f'"{object_tag(store.get_enterprise("ent.b"))}"'
    with pytest.raises(InvalidInput, match="unknown reason 'odd'"):
        review_queue(data=data, reason="odd")
    with pytest.raises(NotFound, match="unknown chain"):
        review_queue(data=data, chain="nope")


def test_decisions_are_applied_and_stored_with_who_when_previous(store: Store) -> None:
    data = service.chain_data(store=store)
    recs = decide(
        store=store, data=data, by="planner-1", at=AT,
        decisions=[
            {"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"},
            {"enterprise": "乙电池", "segment": "qi.pack", "action": "reject", "note": "是贸易商"},
            {"enterprise": "ent.c", "action": "set", "to_segment": "qi.pack"},
        ],
    )  # fmt: skip
    assert [(r["action"], r["enterprise"], r["segment"]) for r in recs] == [
        ("accept", "ent.a", "qi.cell"), ("reject", "ent.b", "qi.pack"), ("set", "ent.c", "qi.pack")]  # fmt: skip
    stored = store.list_records(DECISION_KIND)
    assert len(stored) == 3 and {r["by"] for r in stored} == {"planner-1"} and {r["at"] for r in stored} == {AT}
    by_ent = {r["enterprise"]: r for r in stored}
    assert by_ent["ent.a"]["previous"]["status"] == "pending" and by_ent["ent.a"]["previous"]["confidence"] == 0.4
    assert by_ent["ent.c"]["previous"] is None and by_ent["ent.b"]["note"] == "是贸易商"
    a, b, c = (store.get_enterprise(k) for k in ("ent.a", "ent.b", "ent.c"))
    assert [(p.segment, p.method.value, p.status.value) for p in a.segments] == [("qi.cell", "planner", "confirmed")]
    assert b.segments == []
    assert [(p.segment, p.role.value, p.method.value, p.status.value) for p in c.segments] == [
        ("qi.pack", "producer", "planner", "confirmed")]  # fmt: skip
    assert c.attributes["census"]["unassigned"] is False
    after = service.chain_data(store=store)
    assert review_queue(data=after).total == 0
    # the accepted assignment now counts: 电芯 is present in 闻喜
    rep = service.gap_report(data=after, region="wenxi")
    assert next(i for i in rep.items if i.segment_id == "qi.cell").local_count == 1
    assert rep.pending_assignments == 0
    # labels for the learned component: accepted and set assignments, with the firms' texts
    assert review_labels(store) == [
        ({"name": "甲电芯", "products": "磷酸铁锂电芯"}, "qi.cell"),
        ({"name": "丙贸易"}, "qi.pack"),
    ]


def test_a_batch_is_all_or_none(store: Store) -> None:
    data = service.chain_data(store=store)
    stale = object_tag(store.get_enterprise("ent.b")) + "x"
    with pytest.raises(PreconditionFailed, match="ent.b"):
        decide(store=store, data=data, by="p1", decisions=[
            {"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"},
            {"enterprise": "ent.b", "segment": "qi.pack", "action": "reject", "if_match": f'"{stale}"'},
        ])  # fmt: skip
    with pytest.raises(InvalidInput, match="has no assignment to 'qi.car'"):
        decide(store=store, data=data, by="p1", decisions=[
            {"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"},
            {"enterprise": "ent.a", "segment": "qi.car", "action": "accept"},
        ])  # fmt: skip
    assert store.list_records(DECISION_KIND) == []
    assert store.get_enterprise("ent.a").segments[0].status.value == "pending"
    with pytest.raises(NotFound, match="enterprise 'nobody' not found"):
        decide(store=store, data=data, by="p1", decisions=[{"enterprise": "nobody", "action": "reject"}])
    with pytest.raises(InvalidInput, match="set needs to_segment"):
        decide(store=store, data=data, by="p1", decisions=[{"enterprise": "ent.c", "action": "set"}])
    with pytest.raises(InvalidInput, match="who made it"):
        decide(store=store, data=data, by="", decisions=[{"enterprise": "ent.c", "action": "reject"}])
    # the right tag passes, a header tag for one enterprise too
    good = object_tag(store.get_enterprise("ent.a"))
    decide(store=store, data=data, by="p1", if_match=[good],
           decisions=[{"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"}])  # fmt: skip
    assert store.get_enterprise("ent.a").segments[0].status.value == "confirmed"


def test_decisions_survive_a_reimport(store: Store) -> None:
    data = service.chain_data(store=store)
    decide(store=store, data=data, by="p1", at=AT, decisions=[
        {"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"},
        {"enterprise": "ent.b", "segment": "qi.pack", "action": "set", "to_segment": "qi.cell"},
        {"enterprise": "ent.c", "action": "reject"},
    ])  # fmt: skip
    decisions = store.list_records(DECISION_KIND)
    fresh = tiny_data().enterprises  # the importer re-creates the firms as a register describes them
    merged = {e.key: apply_decisions(e, decisions) for e in fresh}
    assert [(p.segment, p.status.value) for p in merged["ent.a"].segments] == [("qi.cell", "confirmed")]
    assert [(p.segment, p.method.value) for p in merged["ent.b"].segments] == [("qi.cell", "planner")]
    assert merged["ent.c"].attributes["review"]["out_of_scope"] is True
    assert merged["ent.d"] == next(e for e in fresh if e.key == "ent.d")  # no decision: unchanged
    for e in merged.values():
        store.upsert_enterprise(e)
    assert review_queue(data=service.chain_data(store=store)).total == 0
    # a re-import under another id, matched by name (no credit code), and an accept the import no longer proposes
    renamed = Enterprise(id="ent.a2", name="甲电芯", county="wenxi")
    assert [(p.segment, p.status.value) for p in apply_decisions(renamed, decisions).segments] == [("qi.cell", "confirmed")]


def test_cli_review_list_accept_set_absent(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "review.db"
    s = SQLiteStore(db)
    load_into_store(s, tiny_data())
    s.close()
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    run = CliRunner().invoke
    res = run(cli_app, ["review", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [x["id"] for x in json.loads(res.stdout)["items"]] == ["ent.a|qi.cell", "ent.b|qi.pack", "ent.c|-"]
    res = run(cli_app, ["review", "list", "--reason", "conflict", "--lang", "en"])
    assert res.exit_code == 0 and "1 entries to review" in res.stdout and "乙电池" in res.stdout
    assert "industry code and text disagree 1" in res.stdout
    res = run(cli_app, ["review", "accept"])
    assert res.exit_code == 2 and "--all" in res.output
    res = run(cli_app, ["review", "accept", "--region", "wenxi", "--all", "--by", "张工"])
    assert res.exit_code == 0, res.output
    assert "recorded" not in res.output and "已记录 2 条决定（张工）" in res.output
    res = run(cli_app, ["review", "set", "qi.pack", "丙贸易", "--by", "张工"])
    assert res.exit_code == 0, res.output
    res = run(cli_app, ["review", "list", "--format", "json"])
    assert json.loads(res.stdout)["total"] == 0
    res = run(cli_app, ["review", "absent", "qi.car", "--region", "hejin", "--by", "张工", "--note", "走访核实"])
    assert res.exit_code == 0 and "已确认" in res.output, res.output
    res = run(cli_app, ["gaps", "--region", "hejin", "--format", "json"])
    doc = json.loads(res.stdout)
    car = next(i for i in doc["items"] if i["segment_id"] == "qi.car")
    assert car["absence_basis"] == "planner" and car["status"] != "unverified"
    assert doc["coverage"]["qi"]["verified"] == 3 and doc["pending_assignments"] == 0
    res = run(cli_app, ["review", "absent", "qi.car", "--region", "wenxi"])
    assert res.exit_code == 2 and "cannot be confirmed absent" in res.output
    s = SQLiteStore(db)
    try:
        recs = s.list_records(DECISION_KIND)
        assert sorted((r["enterprise"], r["action"], r["by"]) for r in recs) == [
            ("ent.a", "accept", "张工"), ("ent.b", "accept", "张工"), ("ent.c", "set", "张工")]  # fmt: skip
    finally:
        s.close()
