"""Stage machine: every valid move, every invalid one refused with the allowed stages named."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainmap.exceptions import Conflict, InvalidInput
from chainmap.projects import (
    MAIN_LINE,
    FollowUpMethod,
    Project,
    ProjectStage,
    StageChange,
    allowed_next_stages,
    stage_dates,
    transition,
)
from tests.projects.projects_helpers import START, at_stage, new_project, walk_to

S = ProjectStage
ALL = list(S)

# The complete transition table (on_hold rows depend on the held-from stage and are tested apart).
VALID = {
    S.lead: {S.contacted, S.on_hold, S.dropped},
    S.contacted: {S.negotiating, S.on_hold, S.dropped},
    S.negotiating: {S.signed, S.on_hold, S.dropped},
    S.signed: {S.started, S.on_hold, S.dropped},
    S.started: {S.in_production, S.on_hold, S.dropped},
    S.in_production: {S.at_design_output, S.on_hold, S.dropped},
    S.at_design_output: set(),
    S.dropped: set(),
}


def _move(p: Project, to: S, days: int = 1) -> Project:
    return transition(
        p, to, on=p.last_change + timedelta(days=days), actor="王五", note="测试", reason="企业放弃"
    )


@pytest.mark.parametrize(("src", "dst"), [(a, b) for a, nexts in VALID.items() for b in sorted(nexts)])
def test_every_valid_transition(src: S, dst: S) -> None:
    p = at_stage(src)
    moved = _move(p, dst)
    assert moved.stage == dst
    last = moved.transitions[-1]
    assert (last.from_stage, last.to_stage, last.actor, last.note) == (src, dst, "王五", "测试")
    assert last.date == p.last_change + timedelta(days=1)
    assert p.stage == src  # the input is not modified


@pytest.mark.parametrize(
    ("src", "dst"), [(a, b) for a, nexts in VALID.items() for b in ALL if b not in nexts]
)
def test_every_invalid_transition_is_refused_naming_current_and_allowed(src: S, dst: S) -> None:
    p = at_stage(src)
    with pytest.raises(Conflict) as info:
        _move(p, dst)
    msg = str(info.value)
    assert f"当前阶段 {src.label_zh} ({src.value})" in msg
    assert f"current stage {src.value} ({src.label_zh})" in msg
    allowed = sorted(VALID[src], key=ALL.index)
    assert info.value.context["allowed"] == [s.value for s in allowed]
    assert info.value.context["current"] == src.value
    for s in allowed:
        assert f"{s.label_zh} ({s.value})" in msg
        assert f"{s.value} ({s.label_zh})" in msg
    if not allowed:
        assert "无（终态）" in msg and "none (terminal)" in msg


def test_allowed_next_stages_match_the_table() -> None:
    for stage, nexts in VALID.items():
        assert set(allowed_next_stages(at_stage(stage))) == nexts


def test_chinese_labels_are_accepted() -> None:
    p = transition(new_project(), "对接", on=date(2021, 1, 5), actor="张三")
    assert p.stage is S.contacted


def test_unknown_stage_is_invalid_input_listing_stages() -> None:
    with pytest.raises(InvalidInput) as info:
        transition(new_project(), "开会", on=date(2021, 1, 5), actor="张三")
    assert info.value.context["field"] == "stage"
    assert "签约 signed" in str(info.value)


def test_dates_cannot_go_backwards() -> None:
    p = walk_to(new_project(), S.signed)
    with pytest.raises(InvalidInput) as info:
        transition(p, S.started, on=p.last_change - timedelta(days=1), actor="张三")
    assert info.value.context["field"] == "date"
    # the same day is fine
    assert transition(p, S.started, on=p.last_change, actor="张三").stage is S.started


def test_first_transition_not_before_creation() -> None:
    with pytest.raises(InvalidInput) as info:
        transition(new_project(), S.contacted, on=START - timedelta(days=1), actor="张三")
    assert info.value.context["field"] == "date"


def test_actor_is_required() -> None:
    with pytest.raises(InvalidInput) as info:
        transition(new_project(), S.contacted, on=START, actor=" ")
    assert info.value.context["field"] == "actor"


@pytest.mark.parametrize("held", [s for s in MAIN_LINE if s is not S.at_design_output])
def test_on_hold_resumes_to_the_stage_it_was_held_from(held: S) -> None:
    p = walk_to(new_project(), held)
    p = _move(p, S.on_hold)
    assert p.held_from is held
    assert allowed_next_stages(p) == [held, S.dropped]
    for other in ALL:
        if other not in (held, S.dropped):
            with pytest.raises(Conflict, match=f"允许的下一阶段：{held.label_zh} \\({held.value}\\)、终止"):
                _move(p, other)
    resumed = _move(p, held, days=30)
    assert resumed.stage is held and resumed.held_from is None
    # and the main line goes on from there
    assert set(allowed_next_stages(resumed)) == VALID[held]


def test_dropped_needs_a_reason_and_is_terminal() -> None:
    p = walk_to(new_project(), S.negotiating)
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as info:
            transition(p, S.dropped, on=date(2021, 6, 1), actor="张三", reason=reason)
        assert info.value.context["field"] == "reason"
    dropped = transition(p, S.dropped, on=date(2021, 6, 1), actor="张三", reason="企业选址外省")
    assert dropped.drop_reason == "企业选址外省"
    assert allowed_next_stages(dropped) == []
    with pytest.raises(Conflict, match="none \\(terminal\\)"):
        transition(dropped, S.negotiating, on=date(2021, 6, 2), actor="张三")


def test_on_hold_can_be_dropped() -> None:
    p = _move(walk_to(new_project(), S.started), S.on_hold)
    assert _move(p, S.dropped).stage is S.dropped


def test_stage_dates_keep_the_first_entry() -> None:
    p = walk_to(new_project(), S.signed)
    signed_on = p.last_change
    p = _move(p, S.on_hold, days=5)
    p = _move(p, S.signed, days=20)
    assert stage_dates(p)[S.signed] == signed_on
    assert stage_dates(p)[S.on_hold] == signed_on + timedelta(days=5)


def test_stored_history_is_checked_on_load() -> None:
    p = walk_to(new_project(), S.negotiating)
    bad = p.model_dump()
    bad["transitions"][1]["date"] = START - timedelta(days=3)
    with pytest.raises(ValueError, match="日期不能倒退"):
        Project.model_validate(bad)
    bad = p.model_dump()
    bad["stage"] = "signed"
    with pytest.raises(ValueError, match="disagrees with the last transition"):
        Project.model_validate(bad)
    bad = p.model_dump()
    bad["transitions"].append(
        StageChange(from_stage=S.lead, to_stage=S.contacted, date=date(2022, 1, 1), actor="x")
    )
    with pytest.raises(ValueError, match="starts from lead, expected negotiating"):
        Project.model_validate(bad)


@pytest.mark.parametrize(
    ("fields", "loc", "text"),
    [
        ({"planned_investment": "-1"}, "planned_investment", "greater than or equal to 0"),
        ({"funds_in_place_fixed": -0.5}, "funds_in_place_fixed", "greater than or equal to 0"),
        ({"planned_investment": "1", "planned_fixed_asset": "2"}, None, "cannot exceed planned_investment"),
        (
            {"planned_investment": "5", "planned_fixed_asset": "2", "new_fixed_asset_started": "3"},
            None,
            "cannot exceed planned_fixed_asset",
        ),
        ({"planned_investment": "1.23456"}, "planned_investment", "no more than 4 decimal places"),
        (
            {"enterprise": {"name": "x", "credit_code": "91140800MA0GXXXX0X"}},
            "enterprise.credit_code",
            "GB 32100",
        ),
        ({"task_force_kind": "专案组"}, "task_force_kind", "Input should be"),
        ({"id": "Bad Id"}, "id", "pattern"),
        ({"owner": ""}, "owner", "at least 1 character"),
    ],
)
def test_field_validation_messages(fields: dict, loc: str | None, text: str) -> None:
    with pytest.raises(ValueError) as info:
        new_project(**fields)
    errors = info.value.errors()  # type: ignore[attr-defined]
    assert any(text in e["msg"] for e in errors), errors
    if loc is not None:
        assert any(".".join(map(str, e["loc"])) == loc for e in errors), errors


def test_amounts_are_decimals_and_labels_are_bilingual() -> None:
    p = new_project(planned_investment=0.1, planned_fixed_asset="0.05", task_force_kind="招商小分队")
    assert p.planned_investment == Decimal("0.1")
    assert p.task_force_kind.label("zh") == "招商小分队" and p.task_force_kind.label("en") == "squad"
    assert [m.label_zh for m in FollowUpMethod] == [
        "分类跟",
        "实地跟",
        "定期跟",
        "专业跟",
        "持续跟",
        "拼着跟",
        "研判跟",
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL), st.integers(min_value=-3, max_value=40)), max_size=25))
def test_random_walks_keep_the_history_consistent(steps: list[tuple[S, int]]) -> None:
    """Whatever is attempted, a project only ever holds a valid, dated, replayable history."""
    p = new_project()
    for to, days in steps:
        before = p
        try:
            p = transition(p, to, on=p.last_change + timedelta(days=days), actor="x", reason="r")
        except Conflict:
            assert to not in allowed_next_stages(before)
            continue
        except InvalidInput as err:
            assert err.context["field"] == "date" and days < 0
            continue
        assert to in allowed_next_stages(before) and days >= 0
    # replaying the stored form gives the same project; dates never go back
    assert Project.model_validate(p.model_dump(mode="json")) == p
    dates = [p.created] + [t.date for t in p.transitions]
    assert dates == sorted(dates)
