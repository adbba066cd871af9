"""KPIs on tiny hand-checked portfolios: regions, task forces, periods, durations, stalled, outcomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chainmap.data import RegionIndex
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Region
from chainmap.projects import (
    Project,
    ProjectStage,
    Target,
    compute_kpis,
    lead_outcomes,
    projects_in_region,
    stalled_projects,
    transition,
)
from tests.projects.projects_helpers import new_project

S = ProjectStage
REGIONS = [
    Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
    Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng"),
    Region(id="yongji", kind="county", name_zh="永济市", name_en="Yongji", parent="yuncheng"),
    Region(
        id="ycjk",
        kind="zone",
        name_zh="运城经开区",
        name_en="Yuncheng ETDZ",
        parent="yuncheng",
        county="yanhu",
    ),
]


def path(p: Project, *steps: tuple[str, str]) -> Project:
    for stage, on in steps:
        p = transition(p, stage, on=date.fromisoformat(on), actor=p.owner, reason="放弃")
    return p


def portfolio() -> list[Project]:
    """Four projects whose KPIs are worked out by hand in the tests."""
    a = path(
        new_project(
            id="a", zone="ycjk", planned_investment="10", planned_fixed_asset="6", created=date(2021, 1, 1)
        ),
        ("contacted", "2021-01-11"),
        ("negotiating", "2021-02-10"),
        ("signed", "2021-03-01"),
        ("started", "2021-04-30"),
    ).model_copy(update={"new_fixed_asset_started": Decimal("6"), "funds_in_place_fixed": Decimal("2.5")})
    b = path(
        new_project(id="b", county="yongji", task_force="永济市招商小分队", task_force_kind="squad",
                    planned_investment="4", created=date(2021, 1, 1)),
        ("contacted", "2021-01-21"),
        ("negotiating", "2021-03-01"),
        ("signed", "2021-05-01"),
    ).model_copy(update={"funds_in_place_non_fixed": Decimal("0.4")})  # fmt: skip
    c = path(  # signed in 2020, started in 2021
        new_project(
            id="c", county="yanhu", planned_investment="7", planned_fixed_asset="5", created=date(2020, 6, 1)
        ),
        ("contacted", "2020-07-01"),
        ("negotiating", "2020-08-01"),
        ("signed", "2020-11-01"),
        ("started", "2021-02-01"),
    ).model_copy(update={"new_fixed_asset_started": Decimal("5")})
    d = path(  # dropped before signing
        new_project(id="d", county="yongji", created=date(2021, 2, 1)),
        ("contacted", "2021-02-15"),
        ("dropped", "2021-06-01"),
    )
    return [a, b, c, d]


TARGETS = [
    Target(year=2021, signed_value=20, start_rate=60, new_fixed_asset=8, funds_fixed=5, funds_non_fixed=1),
    Target(year=2021, region="yanhu", signed_value=5),
]


def test_city_kpis_by_hand() -> None:
    r = compute_kpis(portfolio(), TARGETS, year=2021, regions=REGIONS, today=date(2021, 12, 31))
    assert (r.signed_count, r.signed_value, r.signed_value_pct) == (2, Decimal("14"), Decimal("70.00"))
    assert (r.started_count, r.start_rate) == (1, Decimal("50.00"))  # a started; b not
    assert r.new_fixed_asset_started == Decimal("11")  # a (2021) + c (signed 2020, started 2021)
    assert r.new_fixed_asset_pct == Decimal("137.50")
    assert (r.funds_fixed, r.funds_fixed_pct) == (Decimal("2.5"), Decimal("50.00"))
    assert (r.funds_non_fixed, r.funds_non_fixed_pct) == (Decimal("0.4"), Decimal("40.00"))
    # every project of the portfolio is placed, so the city's id gives the same report as no region
    assert compute_kpis(portfolio(), TARGETS, year=2021, region="yuncheng", regions=REGIONS,
                        today=date(2021, 12, 31)) == r  # fmt: skip


def test_a_project_counts_for_its_zone_its_county_and_the_city() -> None:
    a = portfolio()[0]
    idx = RegionIndex(REGIONS)
    assert [idx.covers(r, county=a.county, zone=a.zone) for r in ("ycjk", "yanhu", "yuncheng", "yongji")] == [
        True,
        True,
        True,
        False,
    ]
    assert [p.id for p in projects_in_region(portfolio(), "yanhu", REGIONS)] == ["a", "c"]
    zone = compute_kpis(
        portfolio(), TARGETS, year=2021, region="ycjk", regions=REGIONS, today=date(2022, 1, 1)
    )
    assert (zone.signed_count, zone.signed_value, zone.signed_value_target) == (1, Decimal("10"), None)
    county = compute_kpis(
        portfolio(), TARGETS, year=2021, region="yanhu", regions=REGIONS, today=date(2022, 1, 1)
    )
    assert (county.signed_count, county.signed_value_pct) == (1, Decimal("200.00"))  # a, via its zone
    assert county.new_fixed_asset_started == Decimal("11")  # a and c started in 2021, both in 盐湖区
    with pytest.raises(NotFound):
        compute_kpis(portfolio(), year=2021, region="nowhere", regions=REGIONS)


def test_a_project_placed_nowhere_counts_only_without_a_region() -> None:
    """The one locality rule (chainmap.data): no county and no zone = local to no region, not even the city."""
    nowhere = path(
        new_project(id="n", planned_investment="3", created=date(2021, 1, 1)),
        ("contacted", "2021-01-11"),
        ("negotiating", "2021-02-10"),
        ("signed", "2021-03-01"),
    )
    ps = [*portfolio(), nowhere]
    whole = compute_kpis(ps, TARGETS, year=2021, regions=REGIONS, today=date(2021, 12, 31))
    city = compute_kpis(ps, TARGETS, year=2021, region="yuncheng", regions=REGIONS, today=date(2021, 12, 31))
    assert (whole.signed_count, whole.signed_value) == (3, Decimal("17"))
    assert (city.signed_count, city.signed_value) == (2, Decimal("14"))
    assert city.region is None and city.signed_value_target == Decimal("20")  # the city's report and targets
    assert [p.id for p in projects_in_region(ps, "yuncheng", REGIONS)] == ["a", "b", "c", "d"]
    assert [p.id for p in projects_in_region(ps, None, REGIONS)] == ["a", "b", "c", "d", "n"]
    # the enterprise rule gives the same answer for the same placement
    assert not RegionIndex(REGIONS).covers("yuncheng", county=None, zone=None)


def test_task_force_filter() -> None:
    r = compute_kpis(portfolio(), TARGETS, year=2021, task_force="永济市招商小分队", today=date(2022, 1, 1))
    assert (r.signed_count, r.signed_value, r.started_count) == (1, Decimal("4"), 0)


def test_date_range_periods() -> None:
    r = compute_kpis(
        portfolio(), TARGETS, start=date(2021, 1, 1), end=date(2021, 3, 31), today=date(2022, 1, 1)
    )
    # only a; a quarter has no target
    assert (r.signed_count, r.year, r.signed_value_target) == (1, None, None)
    # start rate counts starts up to the end of the period only
    assert r.start_rate == Decimal("0.00")
    whole = compute_kpis(
        portfolio(), TARGETS, start=date(2021, 1, 1), end=date(2021, 12, 31), today=date(2022, 1, 1)
    )
    assert whole.year == 2021 and whole.signed_value_target == Decimal("20")
    with pytest.raises(InvalidInput):
        compute_kpis(portfolio(), start=date(2021, 5, 1), end=date(2021, 1, 1))
    with pytest.raises(InvalidInput):
        compute_kpis(portfolio(), year=2021, start=date(2021, 5, 1))


def test_stage_durations_median_and_mean() -> None:
    r = compute_kpis(portfolio(), year=2021, today=date(2022, 1, 1))
    by = {(d.from_stage, d.to_stage): d for d in r.stage_durations}
    # lead->contacted in 2021: a 10, b 20, d 14 days (c's was in 2020)
    lc = by[(S.lead, S.contacted)]
    assert (lc.n, lc.median_days, lc.mean_days) == (3, Decimal("14.0"), Decimal("14.7"))
    # signed->started in 2021: a 60 days, c 92 days
    ss = by[(S.signed, S.started)]
    assert (ss.n, ss.median_days, ss.mean_days) == (2, Decimal("76.0"), Decimal("76.0"))
    ip = by[(S.started, S.in_production)]
    assert (ip.n, ip.median_days, ip.mean_days) == (0, None, None)


def test_no_target_means_no_percentage() -> None:
    r = compute_kpis(portfolio(), year=2021, today=date(2022, 1, 1))
    assert r.signed_value_pct is None and r.start_rate_target is None and r.funds_fixed_pct is None
    empty = compute_kpis([], year=2021, today=date(2022, 1, 1))
    assert empty.start_rate is None and empty.signed_value == 0


def test_stalled_projects() -> None:
    ps = portfolio()
    # c: started 2021-02-01; a: started 2021-04-30; b: signed 2021-05-01, not started; d: dropped (never stalled)
    got = stalled_projects(ps, days=90, today=date(2021, 8, 1))
    assert [(s.project_id, s.stage, s.days) for s in got] == [
        ("c", S.started, 181),
        ("a", S.started, 93),
        ("b", S.signed, 92),
    ]
    assert got[-1].since == date(2021, 5, 1) and got[-1].owner == "张三"
    # strictly more than the threshold
    assert [s.project_id for s in stalled_projects(ps, days=92, today=date(2021, 8, 1))] == ["c", "a"]
    assert stalled_projects(ps, days=365, today=date(2021, 8, 1)) == []
    # only signed-but-not-started
    assert [s.project_id for s in stalled_projects(ps, days=90, today=date(2021, 8, 1), stages=["签约"])] == [
        "b"
    ]
    held = transition(ps[1], "on_hold", on=date(2021, 5, 2), actor="x")
    assert stalled_projects([held], days=10, today=date(2021, 8, 1)) == []
    assert stalled_projects([held], days=10, today=date(2021, 8, 1), stages=["on_hold"])[0].days == 91
    with pytest.raises(InvalidInput):
        stalled_projects(ps, days=-1, today=date(2021, 8, 1))


def test_kpi_report_lists_stalled_in_scope() -> None:
    r = compute_kpis(
        portfolio(), year=2021, region="yongji", regions=REGIONS, today=date(2021, 8, 1), stalled_days=90
    )
    assert [s.project_id for s in r.stalled] == ["b"]
    assert r.stalled_days == 90


def test_lead_outcomes() -> None:
    a, b, c, d = portfolio()
    late_drop = path(b, ("dropped", "2021-09-01"))
    open_lead = new_project(id="e")
    out = lead_outcomes([a, late_drop, c, d, open_lead])
    assert [(o.project_id, o.label, o.date) for o in out] == [
        ("c", 1, date(2020, 11, 1)),
        ("a", 1, date(2021, 3, 1)),
        ("b", 1, date(2021, 5, 1)),  # signed, dropped later: still a signing
        ("d", 0, date(2021, 6, 1)),
    ]
    assert out[0].enterprise_name == "示例镁业有限公司" and out[0].task_force == "镁产业招商专班"
    coded = new_project(
        id="f", segment="cai.mg", enterprise={"name": "x", "credit_code": "91350100M000100Y43"}
    )
    coded = path(coded, ("contacted", "2021-02-01"), ("negotiating", "2021-02-02"), ("signed", "2021-02-03"))
    [o] = lead_outcomes([coded])
    assert (o.credit_code, o.segment, o.label) == ("91350100M000100Y43", "cai.mg", 1)
