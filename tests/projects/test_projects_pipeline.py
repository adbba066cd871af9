"""The pipeline and the leader's figures on hand-made data: stage-appropriate stall rules, the
extra rates (开工率, 开工投产率, 投产达效率), per-unit targets and the 考核 ranking (pure), then the
board, the project page, follow-up reminders, problems and requests, lead registration and the
workbooks through the service on both stores."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Region
from chainmap.projects import (
    STALL_RULES,
    Project,
    Target,
    board,
    compute_kpis,
    create_project,
    export_projects,
    export_ranking,
    get_project,
    log_followup,
    project_view,
    raise_issue,
    set_target,
    stalled_projects,
    transition,
    transition_project,
    unit_kpis,
    update_issue,
    update_project,
)
from chainmap.storage.base import Store
from tests.projects.projects_helpers import new_project, store_fixture  # noqa: F401  (fixture)

D = date.fromisoformat
REGIONS = [
    Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
    Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng"),
    Region(id="yongji", kind="county", name_zh="永济市", name_en="Yongji", parent="yuncheng"),
]


def moved(p: Project, *steps: tuple[str, str]) -> Project:
    for stage, on in steps:
        p = transition(p, stage, on=D(on), actor=p.owner, reason="企业放弃")
    return p


MAIN = (("contacted", "2021-01-10"), ("negotiating", "2021-01-20"), ("signed", "2021-02-01"))


# ---------------------------------------------------------------------------- stall rules (pure)
def test_a_started_project_that_is_followed_up_is_not_stalled() -> None:
    started = moved(new_project(id="s"), *MAIN, ("started", "2021-03-01"))
    today = D("2021-07-01")  # 122 days after the start: no stage move, as construction goes
    got = stalled_projects([started], today=today)
    assert [(s.project_id, s.days, s.measure, s.threshold) for s in got] == [("s", 122, "activity", 90)]
    assert got[0].rule_zh == "开工：超过 90 天无跟进、投资进展或阶段推进"
    # a follow-up 30 days ago: active, not stalled
    assert stalled_projects([started], today=today, last_followups={"s": D("2021-06-01")}) == []
    # investment progress 10 days ago counts too
    progressing = started.model_copy(update={"progress_on": D("2021-06-21")})
    assert stalled_projects([progressing], today=today) == []
    # a follow-up 91 days ago does not
    got = stalled_projects([started], today=today, last_followups={"s": D("2021-04-01")})
    assert [(s.days, str(s.since)) for s in got] == [(91, "2021-04-01")]


def test_early_stages_stall_on_no_stage_move_even_when_followed_up() -> None:
    lead = new_project(id="l", created=D("2021-01-01"))
    signed = moved(new_project(id="g"), *MAIN)
    follow = {"l": D("2021-03-01"), "g": D("2021-07-01")}
    # lead: 60 days without a stage move; follow-ups do not count
    assert stalled_projects([lead], today=D("2021-03-02"), last_followups=follow) == []
    assert [s.days for s in stalled_projects([lead], today=D("2021-03-03"), last_followups=follow)] == [61]
    # signed: 180 days to start
    assert stalled_projects([signed], today=D("2021-07-31")) == []
    assert [s.rule_en for s in stalled_projects([signed], today=D("2021-08-01"))] == [
        "signed: no stage change for more than 180 days"
    ]
    # one threshold for every stage keeps each stage's measure
    got = stalled_projects([lead, signed], today=D("2021-04-01"), days=30, last_followups=follow)
    assert [(s.project_id, s.measure, s.threshold) for s in got] == [("l", "stage_move", 30), ("g", "stage_move", 30)]


def test_rules_are_data_and_cover_every_moving_stage() -> None:
    assert [(r.stage.value, r.measure, r.days) for r in STALL_RULES] == [
        ("lead", "stage_move", 60),
        ("contacted", "stage_move", 60),
        ("negotiating", "stage_move", 90),
        ("signed", "stage_move", 180),
        ("started", "activity", 90),
        ("in_production", "activity", 180),
    ]
    r = compute_kpis([], year=2021, today=D("2021-06-01"))
    assert [x.model_dump(mode="json") for x in r.stall_rules] == [x.model_dump(mode="json") for x in STALL_RULES]


# ---------------------------------------------------------------------------- rates and targets (pure)
def rates_portfolio() -> list[Project]:
    """Five projects; 2021 worked out by hand in the tests."""
    a = moved(new_project(id="a", county="yanhu", planned_investment="10"), *MAIN,
              ("started", "2021-03-01"), ("in_production", "2021-09-01"), ("at_design_output", "2021-12-01"))  # fmt: skip
    b = moved(new_project(id="b", county="yanhu", planned_investment="5"), *MAIN,
              ("started", "2021-04-01"), ("in_production", "2021-11-01"))  # fmt: skip
    c = moved(new_project(id="c", county="yongji", task_force="永济市招商小分队", task_force_kind="squad",
                          planned_investment="8"), *MAIN, ("started", "2021-05-01"))  # fmt: skip
    # signed in 2020, waiting at the start of 2021, started in 2021
    d = moved(new_project(id="d", county="yongji", created=D("2020-01-01"), task_force="永济市招商小分队",
                          task_force_kind="squad", planned_investment="2"),
              ("contacted", "2020-02-01"), ("negotiating", "2020-03-01"), ("signed", "2020-06-01"),
              ("started", "2021-06-01"))  # fmt: skip
    # signed in 2021, never started
    e = moved(new_project(id="e", county="yongji", planned_investment="3"), *MAIN)
    return [a, b, c, d, e]


def test_open_start_production_and_output_rates() -> None:
    r = compute_kpis(rates_portfolio(), year=2021, regions=REGIONS, today=D("2021-12-31"))
    assert (r.signed_count, r.signed_value) == (4, Decimal("26"))  # a b c e signed in 2021; d in 2020
    assert (r.started_count, r.start_rate) == (3, Decimal("75.00"))  # 签约开工率 3 of 4
    assert (r.open_start_base, r.open_started, r.open_start_rate) == (5, 4, Decimal("80.00"))  # 开工率: d counts
    assert (r.production_base, r.production_count, r.production_rate) == (4, 2, Decimal("50.00"))  # 开工投产率
    assert (r.output_base, r.output_count, r.output_rate) == (2, 1, Decimal("50.00"))  # 投产达效率
    # at mid-year: b is not producing yet, a is
    mid = compute_kpis(rates_portfolio(), start=D("2021-01-01"), end=D("2021-09-30"), today=D("2021-09-30"))
    assert (mid.production_count, mid.production_rate, mid.output_rate) == (1, Decimal("25.00"), Decimal("0.00"))


def test_a_task_force_is_measured_against_its_own_target_not_the_citys() -> None:
    targets = [
        Target(year=2021, signed_count=10, start_rate=60),
        Target(year=2021, task_force="镁产业招商专班", signed_count=4, production_rate=40),
        Target(year=2021, region="yongji", signed_count=1),
    ]
    ps = rates_portfolio()
    city = compute_kpis(ps, targets, year=2021, regions=REGIONS, today=D("2021-12-31"))
    assert (city.target_unit, city.signed_count_target, city.signed_count_pct) == ("city", 10, Decimal("40.00"))
    assert city.start_rate_pct == Decimal("125.00")
    team = compute_kpis(ps, targets, year=2021, task_force="镁产业招商专班", regions=REGIONS, today=D("2021-12-31"))
    assert (team.signed_count, team.target_unit, team.signed_count_target) == (3, "task_force", 4)
    assert (team.signed_count_pct, team.production_rate, team.production_rate_pct) == (
        Decimal("75.00"), Decimal("100.00"), Decimal("250.00")
    )  # fmt: skip  (a and b started, both producing by December)
    assert team.start_rate_target is None  # the city's 60 % is not the team's target
    county = compute_kpis(ps, targets, year=2021, region="yongji", regions=REGIONS, today=D("2021-12-31"))
    assert (county.target_unit, county.signed_count, county.signed_count_pct) == ("region", 2, Decimal("200.00"))
    nobody = compute_kpis(ps, targets, year=2021, task_force="永济市招商小分队", regions=REGIONS, today=D("2021-12-31"))
    assert nobody.target_unit is None and nobody.signed_count_target is None
    with pytest.raises(ValueError, match="not both"):
        Target(year=2021, region="yongji", task_force="x")


def test_ranking_units_against_their_own_targets() -> None:
    targets = [
        Target(year=2021, region="yanhu", signed_count=4, signed_value=10),  # 2/4 = 50 %, 15/10 = 150 % -> 120
        Target(year=2021, region="yongji", signed_count=2),  # 2/2 = 100 %
    ]
    r = unit_kpis(rates_portfolio(), targets, year=2021, by="county", regions=REGIONS, today=D("2021-12-31"))
    assert [(u.unit, u.name_zh, u.scored, u.score, u.rank) for u in r.units] == [
        ("yongji", "永济市", 1, Decimal("100.00"), 1),
        ("yanhu", "盐湖区", 2, Decimal("85.00"), 2),
    ]
    assert "120" in r.method_zh and "各单位按自身目标考核" in r.method_zh
    teams = unit_kpis(rates_portfolio(), [], year=2021, by="task_force", today=D("2021-12-31"))
    assert [(u.unit, u.report.signed_count, u.rank) for u in teams.units] == [
        ("镁产业招商专班", 3, None), ("永济市招商小分队", 1, None)
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="county or task_force"):
        unit_kpis([], [], year=2021, by="zone")


def test_ranking_workbook_is_formatted_for_a4_and_has_no_formulas() -> None:
    from chainmap.projects.report import ranking_xlsx_bytes

    ps = rates_portfolio()
    ps[0] = ps[0].model_copy(update={"title": "=HYPERLINK(\"http://x\")"})
    r = unit_kpis(ps, [Target(year=2021, region="yongji", signed_count=2)], year=2021, by="county",
                  regions=REGIONS, today=D("2021-12-31"))  # fmt: skip
    wb = load_workbook(io.BytesIO(ranking_xlsx_bytes(r)))
    ws = wb["考核排名"]
    rows = [list(x) for x in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "2021 年招商考核排名 · 县（市、区）"
    assert rows[3][:4] == ["排名", "单位", "签约项目数", "完成率（%）"] and rows[3][-1] == "综合得分"
    assert rows[4][:4] == [1, "永济市", 2, 100] and rows[4][-1] == 100
    assert rows[5][:3] == ["—", "盐湖区", 2]
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$4:$4" and ws.freeze_panes == "C5"
    assert all(not (isinstance(c, str) and c.startswith("=")) for row in rows for c in row)


# ---------------------------------------------------------------------------- through the service, both stores
BASE = {"task_force": "镁产业招商专班", "task_force_kind": "招商专班", "owner": "张三"}


def test_followups_set_the_next_date_and_the_board_reminds(store: Store) -> None:
    create_project(store=store, project_in=BASE | {"id": "p1", "enterprise": {"name": "甲镁业有限公司"},
                                                   "created": "2021-03-01"})  # fmt: skip
    create_project(store=store, project_in=BASE | {"id": "p2", "enterprise": {"name": "乙镁业有限公司"},
                                                   "created": "2021-03-01", "next_followup": "2021-06-25"})  # fmt: skip
    fu = log_followup(store=store, project_id="p1", method="实地跟", on=D("2021-05-01"), actor="张三",
                      note="看厂房", next_date=D("2021-05-20"))  # fmt: skip
    assert (fu.id, fu.next_date) == ("p1.f0001", D("2021-05-20"))
    assert get_project(store=store, project_id="p1").next_followup == D("2021-05-20")
    with pytest.raises(InvalidInput, match="next_date"):
        log_followup(store=store, project_id="p1", method="定期跟", on=D("2021-05-02"), actor="张三", next_date=D("2021-05-01"))
    b = board(store=store, today=D("2021-06-01"))
    assert [c.stage.value for c in b.columns] == [
        "lead", "contacted", "negotiating", "signed", "started", "in_production", "at_design_output", "on_hold", "dropped"
    ]  # fmt: skip
    cards = {c.id: c for c in b.columns[0].cards}
    assert (cards["p1"].overdue_days, cards["p2"].overdue_days, b.overdue) == (12, None, 1)
    assert [s.value for s in cards["p1"].allowed] == ["contacted", "on_hold", "dropped"]
    assert [c.id for c in b.columns[0].cards] == ["p1", "p2"]  # overdue first
    # both leads are older than 60 days without a move
    assert cards["p1"].stalled is not None and cards["p1"].stalled.days == 92
    view = project_view(store=store, project_id="p1", today=D("2021-06-01"))
    assert (view.overdue_days, [f.id for f in view.followups], [s.value for s in view.allowed]) == (
        12, ["p1.f0001"], ["contacted", "on_hold", "dropped"]
    )  # fmt: skip
    transition_project(store=store, project_id="p1", to="on_hold", on=D("2021-06-01"), actor="张三")
    held = [c for c in board(store=store, today=D("2021-06-02")).columns if c.stage.value == "on_hold"][0].cards
    assert [(c.id, [s.value for s in c.allowed], c.stalled) for c in held] == [("p1", ["lead", "dropped"], None)]


def test_construction_stall_through_the_store_uses_follow_ups_and_progress(store: Store) -> None:
    create_project(store=store, project_in=BASE | {"id": "c1", "enterprise": {"name": "丙镁业有限公司"},
                                                   "created": "2021-01-01", "planned_investment": "5",
                                                   "planned_fixed_asset": "4"})  # fmt: skip
    for to, on in (("contacted", "2021-01-05"), ("negotiating", "2021-01-10"), ("signed", "2021-01-15"), ("started", "2021-02-01")):
        transition_project(store=store, project_id="c1", to=to, on=D(on), actor="张三")
    assert [c.id for c in board(store=store, today=D("2021-06-01")).columns[4].cards if c.stalled] == ["c1"]
    log_followup(store=store, project_id="c1", method="持续跟", on=D("2021-05-15"), actor="张三")
    assert board(store=store, today=D("2021-06-01")).columns[4].cards[0].stalled is None
    # investment progress alone also keeps it active
    p = update_project(store=store, project_id="c1", changes={"new_fixed_asset_started": "1.5"}, today=D("2021-08-01"))
    assert p.progress_on == D("2021-08-01")
    assert update_project(store=store, project_id="c1", changes={"title": "改名"}, today=D("2021-09-01")).progress_on == D("2021-08-01")
    card = board(store=store, today=D("2021-10-01")).columns[4].cards[0]
    assert card.stalled is None  # 61 days since the progress
    card = board(store=store, today=D("2021-11-01")).columns[4].cards[0]
    assert card.stalled is not None and (card.stalled.days, str(card.stalled.since)) == (92, "2021-08-01")


def test_problems_and_requests_keep_their_status_history(store: Store) -> None:
    create_project(store=store, project_in=BASE | {"id": "q1", "enterprise": {"name": "丁镁业有限公司"}, "created": "2021-03-01"})
    p = raise_issue(store=store, project_id="q1", kind="诉求", text="协调用地指标", actor="张三", on=D("2021-03-05"),
                    handler="市自然资源局")  # fmt: skip
    p = raise_issue(store=store, project_id="q1", kind="problem", text="电力增容慢", actor="李四", on=D("2021-03-06"))
    assert [(i.id, i.kind.value, i.status.value) for i in p.issues] == [("i1", "request", "open"), ("i2", "problem", "open")]
    update_issue(store=store, project_id="q1", issue_id="i1", status="办理中", actor="王五", on=D("2021-03-10"))
    p = update_issue(store=store, project_id="q1", issue_id="i1", status="resolved", actor="王五", on=D("2021-04-01"),
                     note="已落实 50 亩")  # fmt: skip
    i1 = get_project(store=store, project_id="q1").issues[0]
    assert (i1.status.value, i1.updated_on, i1.handler) == ("resolved", D("2021-04-01"), "市自然资源局")
    assert [(h.status.value, str(h.date), h.actor) for h in i1.history] == [
        ("in_progress", "2021-03-10", "王五"), ("resolved", "2021-04-01", "王五")
    ]  # fmt: skip
    assert board(store=store, today=D("2021-04-02")).columns[0].cards[0].open_issues == 1
    with pytest.raises(NotFound, match="i9"):
        update_issue(store=store, project_id="q1", issue_id="i9", status="resolved", actor="王五")
    with pytest.raises(InvalidInput, match="status"):
        update_issue(store=store, project_id="q1", issue_id="i2", status="closed", actor="王五")
    with pytest.raises(InvalidInput, match="日期不能倒退"):
        update_issue(store=store, project_id="q1", issue_id="i1", status="open", actor="王五", on=D("2021-03-20"))
    with pytest.raises(InvalidInput, match="早于项目登记日期"):
        raise_issue(store=store, project_id="q1", kind="诉求", text="x", actor="张三", on=D("2021-01-01"))


def test_register_from_a_lead_fills_the_project_and_warns_of_holders(store: Store) -> None:
    create_project(store=store, project_in={"id": "h1", "enterprise": {"name": "宁德时代新能源科技股份有限公司"},
                                            "task_force": "永济市招商小分队", "task_force_kind": "squad", "owner": "王五",
                                            "created": "2021-02-01"})  # fmt: skip
    # (the store holds no chain here: a lead's gap segment is checked against the store's segments, see the API test)
    lead = {"candidate_id": "cand.x1", "name": "宁德时代新能源科技股份有限公司", "chain": "qi",
            "gap_status": "fill", "score": 0.82, "rank": 1}  # fmt: skip
    reg = create_project(store=store, project_in=BASE | {"id": "n1", "lead": lead, "created": "2021-03-01"})
    p = reg.project
    assert (p.enterprise.name, p.segment, p.gap_status.value, p.title) == (
        "宁德时代新能源科技股份有限公司", None, "fill", "宁德时代新能源科技股份有限公司项目"
    )  # fmt: skip
    assert p.lead is not None and p.lead.candidate_id == "cand.x1"
    assert [(w.project_id, w.task_force, w.match) for w in reg.warnings] == [("h1", "永济市招商小分队", "name")]
    assert get_project(store=store, project_id="h1").related_projects == ["n1"]
    with pytest.raises(InvalidInput, match="enterprise"):
        create_project(store=store, project_in=BASE | {"id": "n2"})


def test_targets_per_task_force_and_the_exports(store: Store) -> None:
    t = set_target(store=store, target_in={"year": 2021, "task_force": "镁产业招商专班", "signed_count": 2})
    assert t.record_id == "2021.tf.镁产业招商专班"
    assert [r["id"] for r in store.list_records("target")] == ["2021.tf.镁产业招商专班"]
    with pytest.raises(InvalidInput, match="not both"):
        set_target(store=store, target_in={"year": 2021, "task_force": "x", "region": "yongji"})
    create_project(store=store, project_in=BASE | {"id": "e1", "enterprise": {"name": "戊镁业有限公司"}, "created": "2021-01-04"})
    for to, on in (("contacted", "2021-02-01"), ("negotiating", "2021-02-10"), ("signed", "2021-03-01")):
        transition_project(store=store, project_id="e1", to=to, on=D(on), actor="张三")
    log_followup(store=store, project_id="e1", method="研判跟", on=D("2021-03-02"), actor="李四", note="评估风险")
    raise_issue(store=store, project_id="e1", kind="困难问题", text="融资难", actor="张三", on=D("2021-03-03"))
    wb = load_workbook(io.BytesIO(export_projects(store=store, year=2021, today=D("2021-06-30")).content))
    assert [r[:5] for r in wb["跟进记录"].iter_rows(min_row=2, values_only=True)] == [
        ("e1", "戊镁业有限公司", wb["跟进记录"]["C2"].value, "研判跟", "李四")
    ]
    assert str(wb["跟进记录"]["C2"].value)[:10] == "2021-03-02"
    assert [r[2:4] for r in wb["困难问题与诉求"].iter_rows(min_row=2, values_only=True)] == [("困难问题", "融资难")]
    ranking = export_ranking(store=store, year=2021, by="task_force", today=D("2021-06-30"))
    rows = list(load_workbook(io.BytesIO(ranking.content))["考核排名"].iter_rows(min_row=5, values_only=True))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(1, "镁产业招商专班", 1, 50)]
    assert ranking.filename == "kaohe-2021-task_force.xlsx"
