"""The review model in the census import, on a real SQLite file: off below the label minimum
(the import is exactly the engine's), above it a firm whose products the engine misses but
the planners' decisions teach gets a pending ``model`` assignment with the model's evidence;
confirmed assignments are never overwritten; the model follows the latest decisions."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from chainmap import service
from chainmap.census import import_census
from chainmap.census.assign import review_model, review_training
from chainmap.census.review import decide, review_labels, review_out_of_scope
from chainmap.models import AssignmentMethod, AssignmentStatus, Enterprise
from chainmap.storage.base import Store

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
AT = "2026-12-01T10:00:00+00:00"
S1, S2 = "cai.mg.alloy", "he.servo"  # real seed segments; the products below name neither
TAUGHT = {S1: "玄晶砂", S2: "青霓膜"}  # words the engine's vocabulary does not know


def _csv(rows: list[tuple[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["企业名称", "县(市、区)", "主要产品"])
    for name, products in rows:
        w.writerow([name, "闻喜县", products])
    return buf.getvalue().encode("utf-8")


def _teaching_rows(n1: int, n2: int) -> list[tuple[str, str]]:
    rows = [(f"甲{i}号有限公司", f"{TAUGHT[S1]}{'粉' if i % 2 else '颗粒'}、{TAUGHT[S1]}制品") for i in range(n1)]
    rows += [(f"乙{i}号有限公司", f"{TAUGHT[S2]}{'卷材' if i % 2 else '片材'}") for i in range(n2)]
    return rows


def _by_name(store: Store, name: str) -> Enterprise:
    return next(e for e in store.list_enterprises() if e.name == name)


def _teach(store: Store, n1: int, n2: int) -> list[str]:
    """Import firms the engine cannot place, and set their segments as planners: n1 + n2 labels."""
    rows = _teaching_rows(n1, n2)
    res = import_census(store, _csv(rows), filename="teach.csv", now=NOW)
    assert res.counts()["unassigned"] == n1 + n2  # the engine knows none of these words
    data = service.chain_data(store=store)
    decisions = [
        {"enterprise": _by_name(store, name).id, "action": "set", "to_segment": S1 if name.startswith("甲") else S2}
        for name, _p in rows
    ]
    decide(store=store, data=data, decisions=decisions, by="planner-1", at=AT)
    return [name for name, _p in rows]


NEW_FIRM = [("丙新号有限公司", f"{TAUGHT[S1]}粉体")]


def test_below_the_minimum_the_import_is_the_engines(sqlite_seeded: Store) -> None:
    _teach(sqlite_seeded, 20, 9)  # 29 labels: one short
    assert len(review_training(sqlite_seeded)) == 29 and review_model(review_training(sqlite_seeded)) is None
    from tests.census.conftest import REGISTER

    extra = "".join(f"\n,{n},,,,闻喜县,,,{p}" for n, p in NEW_FIRM)  # 序号 empty, name, ..., 主要产品
    raw = REGISTER.read_bytes().rstrip() + extra.encode()
    with_labels = import_census(sqlite_seeded, raw, filename=REGISTER.name, now=NOW, dry_run=True)
    engine_only = import_census(sqlite_seeded, raw, filename=REGISTER.name, now=NOW, dry_run=True, review_model=False)
    a, b = with_labels.to_json(), engine_only.to_json()
    assert a["review_model"] == {"active": False, "labels": 29}
    assert b["review_model"] == {"active": False, "labels": 0}
    assert [e.model_dump() for e in with_labels.enterprises] == [e.model_dump() for e in engine_only.enterprises]
    assert a["counts"] == b["counts"] and a["counts"]["model_added"] == a["counts"]["model_changed"] == 0
    assert a["warnings"] == b["warnings"]
    assert not any(p.method is AssignmentMethod.model for e in with_labels.enterprises for p in e.segments)


def test_above_the_minimum_the_labels_teach_a_pending_model_assignment(sqlite_seeded: Store) -> None:
    _teach(sqlite_seeded, 20, 10)
    labels = review_labels(sqlite_seeded)
    assert len(labels) == 30  # with the firms' register texts
    assert {s: sum(1 for t, x in labels if x == s and t["products"].startswith(TAUGHT[s])) for s in TAUGHT} == {
        S1: 20, S2: 10}  # fmt: skip
    res = import_census(sqlite_seeded, _csv(NEW_FIRM), filename="new.csv", now=NOW)
    doc = res.to_json()
    assert doc["review_model"]["active"] is True and doc["review_model"]["labels"] == 30
    assert doc["review_model"]["segments"] == 2 and 0 < doc["review_model"]["weight"] <= 0.5
    assert doc["counts"]["model_added"] == 1 and doc["counts"]["pending"] == 1 and doc["counts"]["auto"] == 0
    assert doc["warnings"] == [f"复核模型：依据 30 条已确认标注（权重 {doc['review_model']['weight']:.2f}），"
                               "新增待审核环节 1 个，改变自动归属 0 个（模型提出的环节一律待审核）"]
    firm = _by_name(sqlite_seeded, NEW_FIRM[0][0])
    [p] = firm.segments
    assert (p.segment, p.method, p.status) == (S1, AssignmentMethod.model, AssignmentStatus.pending)
    assert p.evidence[0].startswith("复核模型：30 条已确认标注") and "review model: 30 confirmed labels" in p.evidence[0]
    assert p.confidence is not None and 0 < p.confidence < 0.6
    # pending: not a producer of the segment, in the review queue
    data = service.chain_data(store=sqlite_seeded)
    assert firm.id not in {e.id for e in data.enterprises if S1 in e.segment_ids()}
    from chainmap.census.review import review_queue

    assert [x.id for x in review_queue(data=data, names=[firm.name]).entries] == [f"{firm.id}|{S1}"]
    # never auto-accepted, whatever the threshold
    res0 = import_census(sqlite_seeded, _csv([("丁新号有限公司", f"{TAUGHT[S1]}粉体")]), filename="n2.csv",
                         now=NOW, auto_accept=0.0, dry_run=True)  # fmt: skip
    [q] = res0.enterprises[0].segments
    assert q.method is AssignmentMethod.model and q.status is AssignmentStatus.pending


def test_a_confirmed_assignment_is_never_overwritten(sqlite_seeded: Store) -> None:
    names = _teach(sqlite_seeded, 20, 10)
    # a planner says 甲0 is in S2, although its products teach S1
    data = service.chain_data(store=sqlite_seeded)
    first = _by_name(sqlite_seeded, names[0])
    decide(store=sqlite_seeded, data=data, by="planner-2", at="2026-12-01T11:00:00+00:00",
           decisions=[{"enterprise": first.id, "segment": S1, "action": "set", "to_segment": S2}])  # fmt: skip
    res = import_census(sqlite_seeded, _csv(_teaching_rows(20, 10)), filename="teach.csv", now=NOW)
    assert res.review_model["active"] is True
    for name in names:
        e = _by_name(sqlite_seeded, name)
        confirmed = [p for p in e.segments if p.status is AssignmentStatus.confirmed]
        assert len(confirmed) == 1 and confirmed[0].method is AssignmentMethod.planner, name
    e0 = _by_name(sqlite_seeded, names[0])
    assert [(p.segment, p.method.value, p.status.value) for p in e0.segments][0] == (S2, "planner", "confirmed")
    # the model's S1 for it is only a proposal next to the planner's S2
    assert all(p.status is AssignmentStatus.pending for p in e0.segments if p.method is AssignmentMethod.model)


def test_the_model_follows_the_latest_decisions(sqlite_seeded: Store) -> None:
    names = _teach(sqlite_seeded, 20, 10)
    labels = review_training(sqlite_seeded)
    model = review_model(labels)
    assert model is not None and review_model(labels) is model  # fitted once per set of labels
    # a rejection withdraws a label: 29 left, the model is off again
    data = service.chain_data(store=sqlite_seeded)
    e = _by_name(sqlite_seeded, names[-1])
    decide(store=sqlite_seeded, data=data, by="planner-1", at="2026-12-01T12:00:00+00:00",
           decisions=[{"enterprise": e.id, "segment": S2, "action": "reject"}])  # fmt: skip
    assert len(review_labels(sqlite_seeded)) == 29
    res = import_census(sqlite_seeded, _csv(NEW_FIRM), filename="new.csv", now=NOW)
    assert res.review_model == {"active": False, "labels": 29}
    assert _by_name(sqlite_seeded, NEW_FIRM[0][0]).segments == []
    # firms confirmed out of scope are labels too: the model is back, and it learnt the new words
    data = service.chain_data(store=sqlite_seeded)
    rows = [("戊甲号有限公司", "白玉兰酒、黄酒"), ("戊乙号有限公司", "白玉兰酒酿造")]
    import_census(sqlite_seeded, _csv(rows), filename="out.csv", now=NOW)
    decide(store=sqlite_seeded, data=service.chain_data(store=sqlite_seeded), by="planner-1",
           at="2026-12-01T13:00:00+00:00",
           decisions=[{"enterprise": _by_name(sqlite_seeded, n).id, "action": "reject"} for n, _p in rows])  # fmt: skip
    assert sorted(t["products"] for t in review_out_of_scope(sqlite_seeded)) == ["白玉兰酒、黄酒", "白玉兰酒酿造"]
    later = review_training(sqlite_seeded)
    assert review_training(sqlite_seeded, service.chain_data(store=sqlite_seeded)) == later  # texts from the read model
    assert len(later) == 31 and sum(1 for _t, s in later if s == "-") == 2
    refit = review_model(later)
    assert refit is not None and refit is not model and "-" in [str(c) for c in refit.classes_]
    res = import_census(sqlite_seeded, _csv([*NEW_FIRM, ("己号有限公司", "白玉兰酒")]), filename="new2.csv", now=NOW)
    assert res.review_model["active"] is True and res.review_model["labels"] == 31
    assert [p.segment for p in _by_name(sqlite_seeded, NEW_FIRM[0][0]).segments] == [S1]
    assert _by_name(sqlite_seeded, "己号有限公司").segments == []  # the model learnt it is out of scope


@pytest.mark.parametrize("value", ["off", "0"])
def test_the_switch_turns_it_off(sqlite_seeded: Store, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    _teach(sqlite_seeded, 20, 10)
    monkeypatch.setenv("CHAINMAP_CENSUS_REVIEW_MODEL", value)
    res = import_census(sqlite_seeded, _csv(NEW_FIRM), filename="new.csv", now=NOW, dry_run=True)
    assert res.review_model == {"active": False, "labels": 0}
    assert res.enterprises[0].segments == []


def test_a_bad_switch_value_is_refused_naming_the_variable(sqlite_seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainmap.exceptions import InvalidInput

    monkeypatch.setenv("CHAINMAP_CENSUS_REVIEW_MODEL", "of")
    before = sqlite_seeded.revision()
    with pytest.raises(InvalidInput) as err:
        import_census(sqlite_seeded, _csv(NEW_FIRM), filename="new.csv", now=NOW)
    assert "CHAINMAP_CENSUS_REVIEW_MODEL" in str(err.value) and "'of'" in str(err.value)
    assert sqlite_seeded.revision() == before  # nothing written


def test_the_report_counts_what_the_model_changed(sqlite_seeded: Store) -> None:
    _teach(sqlite_seeded, 20, 10)
    # planners say firms selling 镁合金 liquor gift boxes belong to no chain, though the engine places them
    rows = [(f"庚{i}号有限公司", "镁合金白玉兰酒礼盒") for i in range(10)]
    first = import_census(sqlite_seeded, _csv(rows), filename="gift.csv", now=NOW, review_model=False)
    [engine] = {tuple((p.segment, p.confidence) for p in e.segments) for e in first.enterprises}
    assert engine and engine[0][0] == "cai.mg.alloy"
    decide(store=sqlite_seeded, data=service.chain_data(store=sqlite_seeded), by="planner-1",
           at="2026-12-01T14:00:00+00:00",
           decisions=[{"enterprise": _by_name(sqlite_seeded, n).id, "action": "reject"} for n, _p in rows])  # fmt: skip
    threshold = float(engine[0][1]) - 0.01  # the engine alone would auto-accept it
    new = [("辛号有限公司", "镁合金白玉兰酒礼盒")]
    plain = import_census(sqlite_seeded, _csv(new), filename="n.csv", now=NOW, dry_run=True, review_model=False,
                          auto_accept=threshold)  # fmt: skip
    assert [p.status for p in plain.enterprises[0].segments][0] is AssignmentStatus.auto
    res = import_census(sqlite_seeded, _csv(new), filename="n.csv", now=NOW, dry_run=True, auto_accept=threshold)
    assert res.review_model["labels"] == 40 and res.review_model["changed"] >= 1
    assert res.counts()["model_changed"] == res.review_model["changed"]
    p = res.enterprises[0].segments[0]
    assert (p.segment, p.method, p.status) == ("cai.mg.alloy", AssignmentMethod.text, AssignmentStatus.pending)
    assert p.confidence is not None and p.confidence < threshold  # damped: the model thinks it is out of scope
