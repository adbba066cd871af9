"""Shared registry: a second team registering an enterprise already followed is warned, and linked."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainmap.exceptions import Conflict, InvalidInput
from chainmap.names import normalize_company_name
from chainmap.projects import create_project, get_project, list_projects, transition_project
from chainmap.storage.base import Store
from tests.projects.projects_helpers import store_fixture  # noqa: F401 (the "store" fixture)

CODE = "91350100M000100Y43"  # valid check character (see chainmap.models)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山西银光华盛镁业股份有限公司", "山西银光华盛镁业有限公司"),
        ("大运汽车（运城）有限公司", "大运汽车(运城)有限责任公司"),
        ("亚宝药业集团股份有限公司", "亚宝 药业"),
        ("中国铝业（集团）有限公司", "中国铝业集团"),
        ("ＡＢＣ新材料有限公司", "abc新材料"),
        ("北铜新材料【运城】有限公司", "北铜新材料(运城)"),
        ("Foo Tech Co., Ltd.", "FOO TECH"),
    ],
)
def test_normalised_names_match(a: str, b: str) -> None:
    assert normalize_company_name(a) == normalize_company_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("大运汽车(运城)", "大运汽车(太原)"), ("华康药业", "华恩实业"), ("银光镁业", "银光华盛镁业")],
)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert normalize_company_name(a) != normalize_company_name(b)


@given(st.text(max_size=30))
def test_normaliser_is_idempotent(name: str) -> None:
    key = normalize_company_name(name)
    assert normalize_company_name(key) == key
    assert not any(c.isspace() for c in key)


@given(st.sampled_from(["有限公司", "股份有限公司", "有限责任公司", "集团", "（集团）有限公司"]))
def test_a_bare_suffix_is_not_emptied(suffix: str) -> None:
    assert normalize_company_name(suffix)


def _lead(pid: str, name: str, team: str, owner: str, kind: str = "squad", **kw: object) -> dict:
    return {
        "id": pid,
        "enterprise": {"name": name, **kw.pop("enterprise", {})},  # type: ignore[dict-item]
        "task_force": team,
        "task_force_kind": kind,
        "owner": owner,
        "created": date(2021, 3, 1),
        **kw,
    }


def test_second_team_is_warned_and_both_projects_are_linked(store: Store) -> None:
    first = create_project(
        store=store,
        project_in=_lead("p-a", "山西示例镁业股份有限公司", "镁产业招商专班", "张三", "special_team"),
    )
    assert first.warnings == []
    second = create_project(
        store=store, project_in=_lead("p-b", "山西示例镁业有限公司", "闻喜县招商小分队", "李四")
    )
    [w] = second.warnings
    assert (w.project_id, w.task_force, w.owner, w.match, w.same_task_force) == (
        "p-a",
        "镁产业招商专班",
        "张三",
        "name",
        False,
    )
    zh, en = w.message("zh"), w.message("en")
    assert "镁产业招商专班" in zh and "张三" in zh and "p-a" in zh and "招商专班" in zh
    assert "镁产业招商专班" in en and "张三" in en and "p-a" in en
    # both stored, linked both ways, nothing merged or lost
    assert get_project(store=store, project_id="p-a").related_projects == ["p-b"]
    assert get_project(store=store, project_id="p-b").related_projects == ["p-a"]
    assert [p.id for p in list_projects(store=store)] == ["p-a", "p-b"]


def test_same_credit_code_matches_despite_different_names(store: Store) -> None:
    create_project(
        store=store,
        project_in=_lead("p-a", "甲公司", "盐湖区招商小分队", "张三", enterprise={"credit_code": CODE}),
    )
    reg = create_project(
        store=store,
        project_in=_lead(
            "p-b", "乙集团有限公司", "永济市招商小分队", "李四", enterprise={"credit_code": CODE}
        ),
    )
    assert [(w.project_id, w.match) for w in reg.warnings] == [("p-a", "credit_code")]


def test_third_registration_is_linked_to_both_holders(store: Store) -> None:
    for pid, team in [("p-a", "甲队"), ("p-b", "乙队")]:
        create_project(store=store, project_in=_lead(pid, "示例铜业有限公司", team, f"{team}负责人"))
    reg = create_project(store=store, project_in=_lead("p-c", "示例铜业", "丙队", "丙"))
    assert sorted(w.project_id for w in reg.warnings) == ["p-a", "p-b"]
    assert sorted(reg.project.related_projects) == ["p-a", "p-b"]
    assert get_project(store=store, project_id="p-a").related_projects == ["p-b", "p-c"]


def test_same_team_twice_is_also_flagged(store: Store) -> None:
    create_project(store=store, project_in=_lead("p-a", "示例铝业有限公司", "甲队", "张三"))
    [w] = create_project(store=store, project_in=_lead("p-b", "示例铝业", "甲队", "李四")).warnings
    assert w.same_task_force


def test_dropped_projects_do_not_hold_the_enterprise(store: Store) -> None:
    create_project(store=store, project_in=_lead("p-a", "示例铝业有限公司", "甲队", "张三"))
    transition_project(
        store=store, project_id="p-a", to="终止", on=date(2021, 4, 1), actor="张三", reason="企业放弃"
    )
    assert create_project(store=store, project_in=_lead("p-b", "示例铝业", "乙队", "李四")).warnings == []


def test_duplicate_id_is_a_conflict_and_bad_fields_are_invalid_input(store: Store) -> None:
    create_project(store=store, project_in=_lead("p-a", "示例铝业有限公司", "甲队", "张三"))
    with pytest.raises(Conflict):
        create_project(store=store, project_in=_lead("p-a", "别的企业", "乙队", "李四"))
    with pytest.raises(InvalidInput) as info:
        create_project(
            store=store, project_in=_lead("p-x", "某企业", "乙队", "李四", planned_investment="-3")
        )
    assert info.value.context["field"] == "planned_investment"
    assert "greater than or equal to 0" in str(info.value)
    with pytest.raises(InvalidInput) as info:
        create_project(
            store=store,
            project_in=_lead(
                "p-y", "某企业", "乙队", "李四", planned_investment="1", planned_fixed_asset="2"
            ),
        )
    assert "固定资产投资不能超过计划总投资" in str(info.value)
    assert [p.id for p in list_projects(store=store)] == ["p-a"]
