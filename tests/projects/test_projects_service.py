"""Persistence through the Store interface, on a real SQLite store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chainmap.exceptions import Conflict, InvalidInput, NotFound
from chainmap.models import Chain, Region, Segment
from chainmap.projects import (
    ProjectStage,
    create_project,
    export_projects,
    get_project,
    list_followups,
    list_outcomes,
    list_projects,
    list_targets,
    log_followup,
    project_kpis,
    set_target,
    transition_project,
    update_project,
)
from chainmap.storage.base import Store
from tests.projects.projects_helpers import store_fixture  # noqa: F401 (the "store" fixture)

S = ProjectStage


def _add(store: Store, pid: str, **kw: object) -> None:
    data = {
        "id": pid,
        "enterprise": {"name": f"{pid}示例企业有限公司"},
        "task_force": "镁产业招商专班",
        "task_force_kind": "招商专班",
        "owner": "张三",
        "created": date(2021, 1, 4),
        "planned_investment": "10",
        "planned_fixed_asset": "6",
    }
    data.update(kw)
    create_project(store=store, project_in=data)


def _graph(store: Store, segments: tuple[str, ...] = (), counties: tuple[str, ...] = ()) -> None:
    """The chain-graph records projects refer to: their chains, segments and county regions."""
    for sid in segments:
        store.upsert_chain(Chain(id=sid.split(".")[0], name_zh="链", name_en="Chain", letter="材"))
        store.upsert_segment(Segment(id=sid, chain=sid.split(".")[0], name_zh=sid, name_en=sid, stage="midstream"))
    if counties:
        store.upsert_region(Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"))
    for rid in counties:
        store.upsert_region(Region(id=rid, kind="county", name_zh=rid, name_en=rid, parent="yuncheng"))


def _to(store: Store, pid: str, *stages: tuple[str, str]) -> None:
    for stage, on in stages:
        transition_project(store=store, project_id=pid, to=stage, on=date.fromisoformat(on), actor="张三")


def test_create_transition_and_reopen(tmp_path: Path) -> None:
    from chainmap.storage.factory import open_store

    db = tmp_path / "p.db"
    with open_store(backend="sqlite", sqlite_path=db) as store:
        _graph(store, segments=("cai.mg",), counties=("wenxi",))
        _add(store, "p1", segment="cai.mg", gap_status="补链", county="wenxi")
        _to(store, "p1", ("对接", "2021-01-10"), ("洽谈", "2021-02-01"), ("签约", "2021-03-01"))
        transition_project(
            store=store,
            project_id="p1",
            to="开工",
            on=date(2021, 4, 1),
            actor="李四",
            note="一期开工",
            changes={"new_fixed_asset_started": "6", "funds_in_place_fixed": "1.25"},
        )
    with open_store(backend="sqlite", sqlite_path=db) as store:
        p = get_project(store=store, project_id="p1")
    assert p.stage is S.started
    assert [(t.to_stage, t.date, t.actor) for t in p.transitions][-1] == (S.started, date(2021, 4, 1), "李四")
    assert p.transitions[-1].note == "一期开工"
    assert (p.new_fixed_asset_started, p.funds_in_place_fixed) == (Decimal("6"), Decimal("1.25"))
    assert p.gap_status is not None and p.gap_status.label_zh == "补链"


def test_refused_transition_leaves_the_record_unchanged(store: Store) -> None:
    _add(store, "p1")
    before = store.get_record("project", "p1")
    with pytest.raises(Conflict, match="允许的下一阶段：对接 \\(contacted\\)"):
        transition_project(store=store, project_id="p1", to="签约", on=date(2021, 2, 1), actor="张三")
    with pytest.raises(InvalidInput):
        transition_project(
            store=store, project_id="p1", to="contacted", on=date(2021, 2, 1), actor="张三",
            changes={"planned_fixed_asset": "99"},
        )  # fmt: skip
    assert store.get_record("project", "p1") == before
    with pytest.raises(NotFound):
        transition_project(store=store, project_id="nope", to="contacted", actor="张三")


def test_dates_backwards_are_refused_through_the_service(store: Store) -> None:
    _add(store, "p1")
    _to(store, "p1", ("contacted", "2021-02-01"))
    with pytest.raises(InvalidInput) as info:
        transition_project(store=store, project_id="p1", to="negotiating", on=date(2021, 1, 31), actor="张三")
    assert info.value.context["field"] == "date"


def test_followups(store: Store) -> None:
    _add(store, "p1")
    log_followup(
        store=store, project_id="p1", method="实地跟", on=date(2021, 2, 1), actor="张三", note="赴厂考察"
    )
    log_followup(
        store=store, project_id="p1", method="研判跟", on=date(2021, 1, 20), actor="李四", note="会商"
    )
    fus = list_followups(store=store, project_id="p1")
    assert [(f.method.label_zh, f.date, f.actor) for f in fus] == [
        ("研判跟", date(2021, 1, 20), "李四"),
        ("实地跟", date(2021, 2, 1), "张三"),
    ]
    assert len({f.id for f in fus}) == 2
    with pytest.raises(InvalidInput) as info:
        log_followup(store=store, project_id="p1", method="喝茶跟", actor="张三")
    assert "分类跟 classified" in str(info.value)
    with pytest.raises(InvalidInput) as info:
        log_followup(store=store, project_id="p1", method="定期跟", on=date(2020, 1, 1), actor="张三")
    assert info.value.context["field"] == "date"
    with pytest.raises(NotFound):
        log_followup(store=store, project_id="nope", method="定期跟", actor="张三")


def test_list_filters(store: Store) -> None:
    store.upsert_region(Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"))
    store.upsert_region(
        Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng")
    )
    store.upsert_region(
        Region(id="yongji", kind="county", name_zh="永济市", name_en="Yongji", parent="yuncheng")
    )
    store.upsert_region(
        Region(
            id="ycjk", kind="zone", name_zh="运城经开区", name_en="YC ETDZ", parent="yuncheng", county="yanhu"
        )
    )
    _graph(store, segments=("qi.battery", "cai.mg"))
    _add(store, "p1", zone="ycjk", segment="qi.battery")
    _add(
        store, "p2", county="yongji", task_force="永济市招商小分队", task_force_kind="squad", segment="cai.mg"
    )
    _add(store, "p3", county="yanhu", segment="cai.mg")
    _to(store, "p3", ("contacted", "2021-02-01"))

    def ids(**kw: object) -> list[str]:
        return [p.id for p in list_projects(store=store, **kw)]  # type: ignore[arg-type]

    assert ids() == ["p1", "p2", "p3"]
    assert ids(stage="对接") == ["p3"]
    assert ids(stage=S.lead) == ["p1", "p2"]
    assert ids(task_force="永济市招商小分队") == ["p2"]
    assert ids(segment="cai.mg") == ["p2", "p3"]
    assert ids(region="yanhu") == ["p1", "p3"]  # p1 through its zone
    assert ids(region="ycjk") == ["p1"]
    assert ids(region="yuncheng") == ["p1", "p2", "p3"]
    assert ids(region="yanhu", segment="cai.mg", stage="contacted") == ["p3"]
    with pytest.raises(NotFound):
        ids(region="atlantis")
    with pytest.raises(InvalidInput):
        ids(stage="开会")


def test_region_filters_follow_the_one_locality_rule(store: Store) -> None:
    """A project with neither county nor zone shows unfiltered only: not for the city, not for a county."""
    _graph(store, counties=("yanhu",))
    _add(store, "p1", county="yanhu")
    _add(store, "p2")  # placed nowhere
    _to(store, "p2", ("contacted", "2021-01-10"), ("negotiating", "2021-02-01"), ("signed", "2021-03-01"))
    assert [p.id for p in list_projects(store=store)] == ["p1", "p2"]
    assert [p.id for p in list_projects(store=store, region="yuncheng")] == ["p1"]
    assert [p.id for p in list_projects(store=store, region="yanhu")] == ["p1"]
    assert project_kpis(store=store, year=2021, today=date(2021, 12, 31)).signed_count == 1
    city = project_kpis(store=store, year=2021, region="yuncheng", today=date(2021, 12, 31))
    assert (city.signed_count, city.region) == (0, None)
    with pytest.raises(NotFound, match="unknown region 'atlantis'") as info:
        project_kpis(store=store, year=2021, region="atlantis")
    assert info.value.context["field"] == "region"


def test_followups_of_a_missing_project_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound) as info:
        list_followups(store=store, project_id="nope")
    assert info.value.context["field"] == "project_id"


def test_outcomes_and_exports_through_the_service(store: Store) -> None:
    _add(store, "p1")
    _add(store, "p2")
    _to(store, "p1", ("contacted", "2021-01-10"), ("negotiating", "2021-02-01"), ("signed", "2021-03-01"))
    transition_project(store=store, project_id="p2", to="dropped", on=date(2021, 4, 1), actor="张三", reason="外迁")
    assert [(o.project_id, o.label) for o in list_outcomes(store=store)] == [("p1", 1), ("p2", 0)]
    csv = export_projects(store=store, format=" CSV ", stage="signed")
    assert (csv.media_type, csv.filename, csv.count) == ("text/csv; charset=utf-8", "projects.csv", 1)
    assert csv.content.decode("utf-8").startswith("\ufeff编号,") and "p2" not in csv.content.decode("utf-8")
    xlsx = export_projects(store=store, year=2021, today=date(2021, 12, 31), lang="en")
    assert (xlsx.filename, xlsx.count) == ("projects.xlsx", 2) and xlsx.content[:2] == b"PK"
    with pytest.raises(InvalidInput, match="expected xlsx or csv") as info:
        export_projects(store=store, format="pdf")
    assert info.value.context["field"] == "format"


def test_update_project(store: Store) -> None:
    _add(store, "p1")
    p = update_project(
        store=store, project_id="p1", changes={"funds_in_place_non_fixed": "0.3", "owner": "王五"}
    )
    assert (p.funds_in_place_non_fixed, p.owner) == (Decimal("0.3"), "王五")
    assert get_project(store=store, project_id="p1") == p
    with pytest.raises(InvalidInput, match="cannot update stage"):
        update_project(store=store, project_id="p1", changes={"stage": "signed"})
    with pytest.raises(InvalidInput):
        update_project(store=store, project_id="p1", changes={"funds_in_place_fixed": "-1"})


def test_targets_and_kpis_from_the_store(store: Store) -> None:
    store.upsert_region(Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"))
    set_target(store=store, target_in={"year": 2021, "signed_value": "15", "start_rate": "60"})
    # the city's own id means the whole city
    set_target(store=store, target_in={"year": 2021, "region": "yuncheng", "signed_value": "20"})
    set_target(store=store, target_in={"year": 2022, "signed_value": "30"})
    assert [(t.year, t.region, t.signed_value) for t in list_targets(store=store)] == [
        (2021, None, Decimal("20")),
        (2022, None, Decimal("30")),
    ]
    assert [t.year for t in list_targets(store=store, year=2022)] == [2022]
    with pytest.raises(InvalidInput):
        set_target(store=store, target_in={"year": 2021, "signed_value": "-5"})
    _add(store, "p1")
    _to(store, "p1", ("contacted", "2021-01-10"), ("negotiating", "2021-02-01"), ("signed", "2021-03-01"))
    r = project_kpis(store=store, year=2021, today=date(2021, 12, 31), stalled_days=90)
    assert (r.signed_count, r.signed_value_pct, r.start_rate) == (1, Decimal("50.00"), Decimal("0.00"))
    assert [s.project_id for s in r.stalled] == ["p1"]


def test_records_use_only_known_kinds(store: Store) -> None:
    _add(store, "p1")
    log_followup(store=store, project_id="p1", method="定期跟", on=date(2021, 2, 1), actor="张三")
    set_target(store=store, target_in={"year": 2021})
    assert [r["id"] for r in store.list_records("project")] == ["p1"]
    assert len(store.list_records("followup", project="p1")) == 1
    assert [r["id"] for r in store.list_records("target")] == ["2021.city"]


def test_store_is_untouched_by_graph_data(store: Store) -> None:
    """A project must name a known segment; the project service never writes graph data."""
    store.upsert_chain(Chain(id="cai", name_zh="新材料", name_en="New materials", letter="材"))
    store.upsert_segment(Segment(id="cai.mg", chain="cai", name_zh="镁", name_en="Mg", stage="midstream"))
    with pytest.raises(InvalidInput, match="cai.unknown"):
        _add(store, "p1", segment="cai.unknown")
    _add(store, "p2", segment="cai.mg")
    assert [s.id for s in store.list_segments()] == ["cai.mg"]
    assert [r["id"] for r in store.list_records("project")] == ["p2"]


@pytest.mark.parametrize(
    ("field", "value"), [("segment", "qi.ghost"), ("county", "ghost_county"), ("zone", "zone.ghost")]
)
def test_unknown_segment_or_region_is_invalid_input(store: Store, field: str, value: str) -> None:
    _graph(store, segments=("qi.battery",), counties=("yanhu",))
    with pytest.raises(InvalidInput) as err:
        _add(store, "p1", **{field: value})
    assert err.value.context["field"] == field
    assert value in str(err.value) and str(err.value).count(f"{field}:") == 1
    assert store.list_records("project") == []
    # update_project and transition_project's changes check the same fields
    _add(store, "p1", segment="qi.battery", county="yanhu")
    with pytest.raises(InvalidInput) as err:
        update_project(store=store, project_id="p1", changes={field: value})
    assert err.value.context["field"] == field and value in str(err.value)
    with pytest.raises(InvalidInput) as err:
        transition_project(
            store=store, project_id="p1", to="contacted", on=date(2021, 2, 1), actor="张三", changes={field: value}
        )
    assert err.value.context["field"] == field
    p = get_project(store=store, project_id="p1")
    assert (p.segment, p.county, p.zone, p.stage) == ("qi.battery", "yanhu", None, S.lead)
    # known ids are accepted; an update that does not touch them does not re-check them
    assert update_project(store=store, project_id="p1", changes={"owner": "李四"}).owner == "李四"


def test_validation_messages_name_the_field_once(store: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        create_project(store=store, project_in={"id": "p1", "task_force": "t", "task_force_kind": "squad",
                                                "owner": "o", "created": "2021-01-04"})  # fmt: skip
    assert err.value.context["field"] == "enterprise"
    assert str(err.value) == "enterprise: Field required"
    with pytest.raises(InvalidInput) as err:
        _add(store, "p2", planned_investment="lots")
    assert err.value.context["field"] == "planned_investment"
    assert str(err.value).startswith("planned_investment: ") and str(err.value).count("planned_investment") == 1
    # several problems: the first is named by the prefix, the others in the message
    with pytest.raises(InvalidInput) as err:
        create_project(store=store, project_in={"id": "p3", "task_force": "t", "task_force_kind": "squad",
                                                "created": "2021-01-04"})  # fmt: skip
    assert str(err.value) == "enterprise: Field required; owner: Field required"
