"""Investment-promotion KPIs: signings, starts, funds in place, stage durations, stalled projects.

Pure functions on :class:`Project` values.  Percentages of target are
rounded half-up to two decimals, as the city rounds them
(:func:`percent_of`); regions follow the one locality rule of
:mod:`chainmap.data` (:func:`projects_in_region`).

>>> percent_of(497, 538)
Decimal('92.38')
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Region, RegionKind
from chainmap.projects.models import MAIN_LINE, Project, ProjectStage, StrictModel, Target
from chainmap.projects.stages import reached_on, stage_dates

if TYPE_CHECKING:
    from chainmap.data import RegionIndex

__all__ = [
    "StallRule",
    "STALL_RULES",
    "stall_rules",
    "UnitKpi",
    "UnitRanking",
    "KPI_DEFINITIONS",
    "unit_kpis",
    "last_activity",
    "StageDuration",
    "StalledProject",
    "KpiReport",
    "percent_of",
    "resolve_period",
    "region_index",
    "projects_in_region",
    "stalled_projects",
    "compute_kpis",
]

_ZERO = Decimal("0")
_CENT = Decimal("0.01")


class StageDuration(StrictModel):
    """Days between entering ``from_stage`` and entering ``to_stage`` (consecutive main-line stages)."""

    from_stage: ProjectStage
    to_stage: ProjectStage
    n: int
    median_days: Decimal | None = None
    mean_days: Decimal | None = None


class StallRule(StrictModel):
    """When a project at ``stage`` counts as stalled (停滞): more than ``days`` days without ``measure``.

    ``measure``: ``stage_move`` counts days since the last stage change (a
    lead or a negotiation should move on); ``activity`` counts days since the
    latest of a stage change, a follow-up or investment progress (a project
    under construction is not expected to change stage for months, but it is
    expected to be followed up and to invest).
    """

    stage: ProjectStage
    measure: Literal["stage_move", "activity"]
    days: int = Field(ge=0, le=3650)

    def explain(self, lang: str = "zh") -> str:
        """The rule in words, e.g. ``开工：超过 90 天无跟进、无投资进展``."""
        if lang == "en":
            what = "stage change" if self.measure == "stage_move" else "follow-up, investment progress or stage change"
            return f"{self.stage.value}: no {what} for more than {self.days} days"
        what = "阶段推进" if self.measure == "stage_move" else "跟进、投资进展或阶段推进"
        return f"{self.stage.label_zh}：超过 {self.days} 天无{what}"


#: The stalled rules, one per watched stage (on_hold is a decision, dropped and 达效 are final).
STALL_RULES: tuple[StallRule, ...] = (
    StallRule(stage=ProjectStage.lead, measure="stage_move", days=60),
    StallRule(stage=ProjectStage.contacted, measure="stage_move", days=60),
    StallRule(stage=ProjectStage.negotiating, measure="stage_move", days=90),
    StallRule(stage=ProjectStage.signed, measure="stage_move", days=180),
    StallRule(stage=ProjectStage.started, measure="activity", days=90),
    StallRule(stage=ProjectStage.in_production, measure="activity", days=180),
)


def stall_rules(days: int | None = None) -> tuple[StallRule, ...]:
    """:data:`STALL_RULES`, or the same measures with one threshold ``days`` for every stage.

    >>> [(r.stage.value, r.days) for r in stall_rules(30)][:2]
    [('lead', 30), ('contacted', 30)]
    """
    if days is None:
        return STALL_RULES
    if days < 0:
        raise InvalidInput("the stalled threshold must be >= 0 days", field="days")
    return tuple(r.model_copy(update={"days": days}) for r in STALL_RULES)


class StalledProject(StrictModel):
    """A project that broke its stage's stall rule (:class:`StallRule`), with the rule in words."""

    project_id: str
    enterprise: str
    task_force: str
    owner: str
    stage: ProjectStage
    since: date
    days: int
    measure: Literal["stage_move", "activity"] = "stage_move"
    threshold: int = 0
    rule_zh: str = ""
    rule_en: str = ""


class KpiReport(StrictModel):
    """KPIs of a period, region and task force (see :func:`compute_kpis`)."""

    period_start: date
    period_end: date
    year: int | None = None
    region: str | None = None
    task_force: str | None = None
    today: date
    signed_count: int
    signed_count_target: int | None = None
    signed_count_pct: Decimal | None = None
    signed_value: Decimal
    signed_value_target: Decimal | None = None
    signed_value_pct: Decimal | None = None
    started_count: int
    start_rate: Decimal | None = None
    start_rate_target: Decimal | None = None
    start_rate_pct: Decimal | None = None
    open_start_base: int = 0
    open_started: int = 0
    open_start_rate: Decimal | None = None
    open_start_rate_target: Decimal | None = None
    open_start_rate_pct: Decimal | None = None
    production_base: int = 0
    production_count: int = 0
    production_rate: Decimal | None = None
    production_rate_target: Decimal | None = None
    production_rate_pct: Decimal | None = None
    output_base: int = 0
    output_count: int = 0
    output_rate: Decimal | None = None
    output_rate_target: Decimal | None = None
    output_rate_pct: Decimal | None = None
    new_fixed_asset_started: Decimal
    new_fixed_asset_target: Decimal | None = None
    new_fixed_asset_pct: Decimal | None = None
    funds_fixed: Decimal
    funds_fixed_target: Decimal | None = None
    funds_fixed_pct: Decimal | None = None
    funds_non_fixed: Decimal
    funds_non_fixed_target: Decimal | None = None
    funds_non_fixed_pct: Decimal | None = None
    stage_durations: list[StageDuration] = Field(default_factory=list)
    stalled_days: int | None = None
    stall_rules: list[StallRule] = Field(default_factory=list)
    stalled: list[StalledProject] = Field(default_factory=list)
    target_unit: str | None = Field(default=None, description="the target used: city, region or task_force")


def percent_of(actual: Decimal | int, target: Decimal | int | None) -> Decimal | None:
    """``actual / target`` as a percentage, rounded half-up to two decimals.

    None when there is no target (or a zero target).

    Examples
    --------
    >>> percent_of(Decimal("3291.39"), Decimal("3000"))
    Decimal('109.71')
    >>> percent_of(497, 538)
    Decimal('92.38')
    >>> percent_of(Decimal("26.05"), 22)
    Decimal('118.41')
    >>> percent_of(1, None) is None
    True
    """
    if target is None:
        return None
    t = Decimal(target)
    if t == 0:
        return None
    return (Decimal(actual) * 100 / t).quantize(_CENT, rounding=ROUND_HALF_UP)


def resolve_period(
    *, year: int | None = None, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """The period ``[start, end]`` (both inclusive) of a year or a date range.

    >>> resolve_period(year=2021)
    (datetime.date(2021, 1, 1), datetime.date(2021, 12, 31))
    """
    if year is not None:
        if start is not None or end is not None:
            raise InvalidInput("give either a year or a date range, not both", field="year")
        return date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None:
        raise InvalidInput("a period needs a year, or both start and end dates", field="year")
    if end < start:
        raise InvalidInput(f"end {end} is before start {start}", field="end")
    return start, end


def region_index(regions: RegionIndex | Iterable[Region] | None) -> RegionIndex:
    """``regions`` as a :class:`chainmap.data.RegionIndex` (the holder of the locality rule)."""
    # imported here: chainmap.data pulls in networkx, which the project commands do not need at startup
    from chainmap.data import RegionIndex

    return regions if isinstance(regions, RegionIndex) else RegionIndex(regions or ())


def projects_in_region(
    projects: Iterable[Project], region: str | None, regions: RegionIndex | Iterable[Region] | None
) -> list[Project]:
    """The projects that count for ``region`` by the one locality rule of :mod:`chainmap.data`.

    ``region=None`` keeps every project.  Otherwise a project counts for its
    county, its zone, the zone's county and the city, as an enterprise does
    (:meth:`chainmap.data.RegionIndex.covers`); one with neither county nor
    zone is placed nowhere and counts for no region.  With no regions known,
    nothing is placed.

    Raises
    ------
    NotFound
        ``region`` is not among the known regions (``field="region"``).

    Examples
    --------
    >>> regions = [Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
    ...            Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yc"),
    ...            Region(id="ycjk", kind="zone", name_zh="运城经开区", name_en="YC ETDZ", county="yanhu")]
    >>> base = dict(enterprise={"name": "x"}, task_force="t", task_force_kind="squad", owner="o",
    ...             created="2021-01-01")
    >>> ps = [Project(id="z", zone="ycjk", **base), Project(id="n", **base)]
    >>> [[p.id for p in projects_in_region(ps, r, regions)] for r in (None, "yc", "yanhu", "ycjk")]
    [['z', 'n'], ['z'], ['z'], ['z']]
    """
    if region is None:
        return list(projects)
    index = region_index(regions)
    if not index.by_id:
        return []
    if region not in index.by_id:
        raise NotFound(f"unknown region {region!r}", field="region")
    return [p for p in projects if index.covers(region, county=p.county, zone=p.zone)]


def last_activity(project: Project, last_followup: date | None = None) -> date:
    """The latest of the project's last stage change, its last follow-up and its last investment progress."""
    dates = [project.last_change]
    if last_followup is not None:
        dates.append(last_followup)
    if project.progress_on is not None:
        dates.append(project.progress_on)
    return max(dates)


def stalled_projects(
    projects: Iterable[Project],
    *,
    today: date,
    days: int | None = None,
    stages: Iterable[ProjectStage | str] | None = None,
    rules: Iterable[StallRule] | None = None,
    last_followups: Mapping[str, date] | None = None,
) -> list[StalledProject]:
    """Projects that broke the stall rule of their stage (:data:`STALL_RULES`).

    Each stage has its own measure: 线索 to 签约 stall without a stage move,
    开工 and 投产 without any activity (a follow-up, investment progress or a
    stage move), so a project under construction that is followed up is not
    stalled.  on_hold is an explicit decision and dropped / at_design_output
    are terminal.  Sorted by idle days, longest first.

    Parameters
    ----------
    projects : iterable of Project
    today : datetime.date
    days : int, optional
        One threshold for every stage (the measures stay per stage).
    stages : iterable of ProjectStage, optional
        Watch only these stages; a stage without a rule (on_hold) is measured
        by stage moves.
    rules : iterable of StallRule, optional
        Other rules (default :data:`STALL_RULES`, or :func:`stall_rules` of ``days``).
    last_followups : mapping of project id -> date, optional
        The date of each project's latest follow-up.

    Returns
    -------
    list of StalledProject

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> [s.days for s in stalled_projects([p], days=90, today=date(2021, 4, 2))]
    [91]
    >>> stalled_projects([p], days=90, today=date(2021, 4, 1))
    []
    >>> stalled_projects([p], today=date(2021, 3, 3))[0].rule_zh
    '线索：超过 60 天无阶段推进'
    """
    by_stage = {r.stage: r for r in (rules if rules is not None else stall_rules(days))}
    if days is not None and rules is not None:
        by_stage = {k: r.model_copy(update={"days": days}) for k, r in by_stage.items()}
    if stages is not None:
        watched = {ProjectStage.parse(s) for s in stages}
        for s in watched - set(by_stage):
            by_stage[s] = StallRule(stage=s, measure="stage_move", days=days if days is not None else 90)
        by_stage = {k: r for k, r in by_stage.items() if k in watched}
    follow = last_followups or {}
    out = []
    for p in projects:
        rule = by_stage.get(p.stage)
        if rule is None:
            continue
        since = p.last_change if rule.measure == "stage_move" else last_activity(p, follow.get(p.id))
        idle = (today - since).days
        if idle > rule.days:
            out.append(
                StalledProject(
                    project_id=p.id,
                    enterprise=p.enterprise.name,
                    task_force=p.task_force,
                    owner=p.owner,
                    stage=p.stage,
                    since=since,
                    days=idle,
                    measure=rule.measure,
                    threshold=rule.days,
                    rule_zh=rule.explain("zh"),
                    rule_en=rule.explain("en"),
                )
            )
    out.sort(key=lambda s: (-s.days, s.project_id))
    return out


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, _ZERO)


def _duration_stats(samples: list[int]) -> tuple[Decimal | None, Decimal | None]:
    if not samples:
        return None, None
    median = Decimal(str(statistics.median(samples))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    mean = (Decimal(sum(samples)) / len(samples)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return median, mean


def compute_kpis(
    projects: Iterable[Project],
    targets: Iterable[Target] = (),
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    region: str | None = None,
    task_force: str | None = None,
    regions: RegionIndex | Iterable[Region] | None = None,
    today: date | None = None,
    stalled_days: int | None = None,
    last_followups: Mapping[str, date] | None = None,
) -> KpiReport:
    """Investment-promotion KPIs of a period, a region and a task force.

    Parameters
    ----------
    projects : iterable of Project
    targets : iterable of Target
        The year's target of the region is used when the period is a year.
    year : int, optional
        The period; or give ``start`` and ``end`` (inclusive).
    region : str, optional
        None = every project; otherwise a city, county or zone id, and the
        projects it covers by the locality rule (:meth:`RegionIndex.covers`).
        A city is reported as ``region=None`` and measured against the city's
        targets; unlike no region at all, it leaves out projects placed
        nowhere (neither county nor zone).
    task_force : str, optional
        Only this task force's projects.
    regions : RegionIndex or iterable of Region, optional
        Known regions (see :func:`projects_in_region`).
    today : datetime.date, optional
        For stalled projects (default: the system date).
    stalled_days : int, optional
        One threshold for every stage; default: the per-stage :data:`STALL_RULES`.
    last_followups : mapping of project id -> date, optional
        Latest follow-up per project (for the activity-based stall rules).

    Returns
    -------
    KpiReport

    Raises
    ------
    NotFound
        An unknown ``region`` (``field="region"``).

    Notes
    -----
    * Signed: projects that entered 签约 within the period; their planned
      investment is the signed value.
    * Start rate (签约开工率): of those, the share that entered 开工 by the
      end of the period.
    * Open start rate (开工率): of the projects waiting to start during the
      period (signed by its end, not started and not dropped before its
      start), the share that entered 开工 within it.
    * Production rate (开工投产率): of the projects started by the end of the
      period, the share in production (投产) by then; output rate (投产达效率):
      of those in production by then, the share at design output (达效).
    * Targets: the task force's own target when ``task_force`` is given (not
      the city's), else the region's, else the city's (:attr:`KpiReport.target_unit`).
    * New fixed-asset investment started: ``new_fixed_asset_started`` of the
      projects that entered 开工 within the period.
    * Funds in place (到位资金, fixed-asset and not separately): the to-date
      amounts of the projects signed in the period.  Records hold to-date
      totals, not a yearly ledger, so a multi-year view attributes funds to
      the signing period.
    * Stage durations: calendar days between first entering consecutive
      main-line stages, for pairs whose later stage was entered within the
      period (time on hold included).
    * Percentages of target: half-up to two decimals (:func:`percent_of`).

    Examples
    --------
    >>> from chainmap.projects.stages import transition
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-04", planned_investment="12.5")
    >>> for s in ["contacted", "negotiating", "signed"]:
    ...     p = transition(p, s, on=date(2021, 3, 1), actor="o")
    >>> r = compute_kpis([p], [Target(year=2021, signed_value=10)], year=2021, today=date(2021, 12, 31))
    >>> r.signed_count, r.signed_value, r.signed_value_pct, r.start_rate
    (1, Decimal('12.5'), Decimal('125.00'), Decimal('0.00'))
    """
    period_start, period_end = resolve_period(year=year, start=start, end=end)
    if year is None and (period_start, period_end) == (
        date(period_start.year, 1, 1),
        date(period_start.year, 12, 31),
    ):
        year = period_start.year
    today = today or date.today()
    index = region_index(regions)
    scope = [
        p
        for p in projects_in_region(projects, region, index)
        if task_force is None or p.task_force == task_force
    ]
    known = index.by_id.get(region) if region is not None else None
    if known is not None and known.kind == RegionKind.city:
        region = None  # the city's targets and reports carry no region

    def within(d: date | None) -> bool:
        return d is not None and period_start <= d <= period_end

    signed = [p for p in scope if within(reached_on(p, ProjectStage.signed))]
    started_of_signed = [p for p in signed if reached_on(p, ProjectStage.started, by=period_end)]
    started_in_period = [p for p in scope if within(reached_on(p, ProjectStage.started))]


    def dropped_before(p: Project, d: date) -> bool:
        on = reached_on(p, ProjectStage.dropped)
        return on is not None and on < d

    waiting = [
        p
        for p in scope
        if reached_on(p, ProjectStage.signed, by=period_end) is not None
        and not (reached_on(p, ProjectStage.started) or date.max) < period_start
        and not dropped_before(p, period_start)
    ]
    open_started = [p for p in waiting if within(reached_on(p, ProjectStage.started))]
    started_by_end = [p for p in scope if reached_on(p, ProjectStage.started, by=period_end)]
    producing = [p for p in started_by_end if reached_on(p, ProjectStage.in_production, by=period_end)]
    at_output = [p for p in producing if reached_on(p, ProjectStage.at_design_output, by=period_end)]

    target = None
    if year is not None:
        for t in targets:
            if t.year != year:
                continue
            if task_force is not None:
                if t.task_force == task_force and region is None:
                    target = t
            elif t.task_force is None and t.region == region:
                target = t
    signed_value = _sum(p.planned_investment for p in signed)
    new_fa = _sum(p.new_fixed_asset_started for p in started_in_period)
    funds_fixed = _sum(p.funds_in_place_fixed for p in signed)
    funds_non_fixed = _sum(p.funds_in_place_non_fixed for p in signed)
    start_rate = percent_of(len(started_of_signed), len(signed))
    open_rate = percent_of(len(open_started), len(waiting))
    prod_rate = percent_of(len(producing), len(started_by_end))
    out_rate = percent_of(len(at_output), len(producing))

    def tg(name: str) -> Decimal | int | None:
        return getattr(target, name) if target is not None else None

    def pct(actual: Decimal | int | None, name: str) -> Decimal | None:
        t = tg(name)
        return None if actual is None else percent_of(actual, t)

    durations = []
    for a, b in zip(MAIN_LINE, MAIN_LINE[1:], strict=False):
        samples = []
        for p in scope:
            d = stage_dates(p)
            if a in d and b in d and within(d[b]):
                samples.append((d[b] - d[a]).days)
        median, mean = _duration_stats(samples)
        durations.append(
            StageDuration(from_stage=a, to_stage=b, n=len(samples), median_days=median, mean_days=mean)
        )

    rules = list(stall_rules(stalled_days))
    return KpiReport(
        period_start=period_start,
        period_end=period_end,
        year=year,
        region=region,
        task_force=task_force,
        today=today,
        signed_count=len(signed),
        signed_count_target=target.signed_count if target else None,
        signed_count_pct=pct(len(signed), "signed_count"),
        signed_value=signed_value,
        signed_value_target=target.signed_value if target else None,
        signed_value_pct=pct(signed_value, "signed_value"),
        started_count=len(started_of_signed),
        start_rate=start_rate,
        start_rate_target=target.start_rate if target else None,
        start_rate_pct=pct(start_rate, "start_rate"),
        open_start_base=len(waiting),
        open_started=len(open_started),
        open_start_rate=open_rate,
        open_start_rate_target=target.open_start_rate if target else None,
        open_start_rate_pct=pct(open_rate, "open_start_rate"),
        production_base=len(started_by_end),
        production_count=len(producing),
        production_rate=prod_rate,
        production_rate_target=target.production_rate if target else None,
        production_rate_pct=pct(prod_rate, "production_rate"),
        output_base=len(producing),
        output_count=len(at_output),
        output_rate=out_rate,
        output_rate_target=target.output_rate if target else None,
        output_rate_pct=pct(out_rate, "output_rate"),
        new_fixed_asset_started=new_fa,
        new_fixed_asset_target=target.new_fixed_asset if target else None,
        new_fixed_asset_pct=pct(new_fa, "new_fixed_asset"),
        funds_fixed=funds_fixed,
        funds_fixed_target=target.funds_fixed if target else None,
        funds_fixed_pct=pct(funds_fixed, "funds_fixed"),
        funds_non_fixed=funds_non_fixed,
        funds_non_fixed_target=target.funds_non_fixed if target else None,
        funds_non_fixed_pct=pct(funds_non_fixed, "funds_non_fixed"),
        stage_durations=durations,
        stalled_days=stalled_days,
        stall_rules=rules,
        stalled=stalled_projects(scope, today=today, rules=rules, last_followups=last_followups),
        target_unit=target.unit_kind if target else None,
    )


#: The ranked KPIs: (key, zh label, en label, unit). The score is the mean of their % of target.
KPI_DEFINITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("signed_count", "签约项目数", "signed projects", "个"),
    ("signed_value", "签约金额", "signed value", "亿元"),
    ("open_start_rate", "开工率", "start rate (of projects waiting to start)", "%"),
    ("new_fixed_asset", "新开工固定资产投资", "new fixed-asset investment started", "亿元"),
    ("funds_fixed", "固定资产到位资金", "fixed-asset funds in place", "亿元"),
    ("funds_non_fixed", "非固定资产到位资金", "non-fixed-asset funds in place", "亿元"),
    ("start_rate", "签约开工率", "signed-to-started rate", "%"),
    ("production_rate", "开工投产率", "started-to-production rate", "%"),
    ("output_rate", "投产达效率", "production-to-design-output rate", "%"),
)

#: field of the KpiReport holding each ranked KPI's % of target
_PCT_FIELD = {
    "signed_count": "signed_count_pct",
    "signed_value": "signed_value_pct",
    "open_start_rate": "open_start_rate_pct",
    "new_fixed_asset": "new_fixed_asset_pct",
    "funds_fixed": "funds_fixed_pct",
    "funds_non_fixed": "funds_non_fixed_pct",
    "start_rate": "start_rate_pct",
    "production_rate": "production_rate_pct",
    "output_rate": "output_rate_pct",
}
#: a KPI's % of target counts at most this much in the score (over-achieving one KPI cannot hide another)
SCORE_CAP = Decimal("120")


class UnitKpi(StrictModel):
    """One unit (a county or a task force) of the ranking: its KPIs against its own target."""

    unit_kind: Literal["county", "task_force"]
    unit: str
    name_zh: str
    name_en: str
    report: KpiReport
    scored: int = Field(description="KPIs with a target (those scored)")
    score: Decimal | None = Field(default=None, description="mean % of target over the scored KPIs, each capped")
    rank: int | None = None


class UnitRanking(StrictModel):
    """The 考核 ranking of counties or task forces for a year."""

    year: int
    by: Literal["county", "task_force"]
    today: date
    score_cap: Decimal = SCORE_CAP
    method_zh: str
    method_en: str
    units: list[UnitKpi]


def unit_kpis(
    projects: Iterable[Project],
    targets: Iterable[Target],
    *,
    year: int,
    by: Literal["county", "task_force"] | str,
    regions: RegionIndex | Iterable[Region] | None = None,
    today: date | None = None,
    stalled_days: int | None = None,
    last_followups: Mapping[str, date] | None = None,
) -> UnitRanking:
    """KPIs of every county (or task force) of ``year`` against its own target, ranked.

    Counties: every county of ``regions`` (projects of a zone count for its
    county, :func:`projects_in_region`).  Task forces: every task force with a
    project or a target that year.  Score: the mean of the unit's % of target
    over the KPIs that have a target (each capped at :data:`SCORE_CAP`);
    units without any target are listed after the ranked ones, unranked.
    Ties rank by signed value, then name.

    Examples
    --------
    >>> base = dict(enterprise={"name": "x"}, task_force_kind="squad", owner="o", created="2021-01-01")
    >>> ps = [Project(id="a", task_force="甲", **base), Project(id="b", task_force="乙", **base)]
    >>> r = unit_kpis(ps, [Target(year=2021, task_force="乙", signed_count=2)], year=2021, by="task_force",
    ...               today=date(2021, 2, 1))
    >>> [(u.unit, u.score, u.rank) for u in r.units]
    [('乙', Decimal('0.00'), 1), ('甲', None, None)]
    """
    if by not in ("county", "task_force"):
        raise InvalidInput(f"unknown unit kind {by!r}; expected county or task_force", field="by")
    projects = list(projects)
    targets = list(targets)
    index = region_index(regions)
    units: list[tuple[str, str, str]] = []  # id, zh, en
    if by == "county":
        for r in index.by_id.values():
            if r.kind == RegionKind.county:
                units.append((r.id, r.name_zh, r.name_en or r.name_zh))
    else:
        names = {p.task_force for p in projects} | {t.task_force for t in targets if t.year == year and t.task_force}
        units = [(n, n, n) for n in sorted(n for n in names if n)]
    out: list[UnitKpi] = []
    for uid, zh, en in units:
        rep = compute_kpis(
            projects,
            targets,
            year=year,
            region=uid if by == "county" else None,
            task_force=uid if by == "task_force" else None,
            regions=index,
            today=today,
            stalled_days=stalled_days,
            last_followups=last_followups,
        )
        pcts = [getattr(rep, _PCT_FIELD[k]) for k, *_ in KPI_DEFINITIONS]
        given = [min(p, SCORE_CAP) for p in pcts if p is not None]
        score = (sum(given, _ZERO) / len(given)).quantize(_CENT, rounding=ROUND_HALF_UP) if given else None
        out.append(
            UnitKpi(unit_kind=by, unit=uid, name_zh=zh, name_en=en, report=rep, scored=len(given), score=score)  # type: ignore[arg-type]
        )
    out.sort(key=lambda u: (u.score is None, -(u.score or 0), -u.report.signed_value, u.name_zh))
    rank = 0
    for u in out:
        if u.score is not None:
            rank += 1
            u.rank = rank
    return UnitRanking(
        year=year,
        by=by,  # type: ignore[arg-type]
        today=today or date.today(),
        method_zh=(
            f"综合得分 = 各项有目标指标完成率的平均值（单项完成率最多按 {SCORE_CAP}% 计），"
            "按得分从高到低排名；无目标的单位不参与排名。各单位按自身目标考核。"
        ),
        method_en=(
            f"score = mean % of target over the KPIs that have a target (each capped at {SCORE_CAP}%), "
            "ranked high to low; units without targets are not ranked. Each unit is measured against its own target."
        ),
        units=out,
    )


# ---------------------------------------------------------------------------
# registry and outcomes (pure)
