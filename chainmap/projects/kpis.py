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
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pydantic import Field

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Region, RegionKind
from chainmap.projects.models import MAIN_LINE, TERMINAL, Project, ProjectStage, StrictModel, Target
from chainmap.projects.stages import reached_on, stage_dates

if TYPE_CHECKING:
    from chainmap.data import RegionIndex

__all__ = [
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


class StalledProject(StrictModel):
    """A project without a transition for more than the threshold."""

    project_id: str
    enterprise: str
    task_force: str
    owner: str
    stage: ProjectStage
    since: date
    days: int


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
    signed_value: Decimal
    signed_value_target: Decimal | None = None
    signed_value_pct: Decimal | None = None
    started_count: int
    start_rate: Decimal | None = None
    start_rate_target: Decimal | None = None
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
    stalled_days: int
    stalled: list[StalledProject] = Field(default_factory=list)


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


def stalled_projects(
    projects: Iterable[Project],
    *,
    days: int,
    today: date,
    stages: Iterable[ProjectStage | str] | None = None,
) -> list[StalledProject]:
    """Projects with no transition for more than ``days`` days.

    Only projects still moving along the main line count by default (lead up
    to in_production); on_hold is an explicit decision and dropped /
    at_design_output are terminal.  Pass ``stages`` to choose others.
    Sorted by days without a move, longest first.

    Parameters
    ----------
    projects : iterable of Project
    days : int
        Threshold; a project is stalled when ``today - last change > days``.
    today : datetime.date
    stages : iterable of ProjectStage, optional

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
    """
    if days < 0:
        raise InvalidInput("the stalled threshold must be >= 0 days", field="days")
    watched = {ProjectStage.parse(s) for s in stages} if stages is not None else set(MAIN_LINE) - TERMINAL
    out = []
    for p in projects:
        if p.stage not in watched:
            continue
        idle = (today - p.last_change).days
        if idle > days:
            out.append(
                StalledProject(
                    project_id=p.id,
                    enterprise=p.enterprise.name,
                    task_force=p.task_force,
                    owner=p.owner,
                    stage=p.stage,
                    since=p.last_change,
                    days=idle,
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
    stalled_days: int = 90,
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
    stalled_days : int
        Threshold of :func:`stalled_projects`.

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

    target = None
    if year is not None:
        for t in targets:
            if t.year == year and t.region == region:
                target = t
    signed_value = _sum(p.planned_investment for p in signed)
    new_fa = _sum(p.new_fixed_asset_started for p in started_in_period)
    funds_fixed = _sum(p.funds_in_place_fixed for p in signed)
    funds_non_fixed = _sum(p.funds_in_place_non_fixed for p in signed)

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

    return KpiReport(
        period_start=period_start,
        period_end=period_end,
        year=year,
        region=region,
        task_force=task_force,
        today=today,
        signed_count=len(signed),
        signed_count_target=target.signed_count if target else None,
        signed_value=signed_value,
        signed_value_target=target.signed_value if target else None,
        signed_value_pct=percent_of(signed_value, target.signed_value if target else None),
        started_count=len(started_of_signed),
        start_rate=percent_of(len(started_of_signed), len(signed)),
        start_rate_target=target.start_rate if target else None,
        new_fixed_asset_started=new_fa,
        new_fixed_asset_target=target.new_fixed_asset if target else None,
        new_fixed_asset_pct=percent_of(new_fa, target.new_fixed_asset if target else None),
        funds_fixed=funds_fixed,
        funds_fixed_target=target.funds_fixed if target else None,
        funds_fixed_pct=percent_of(funds_fixed, target.funds_fixed if target else None),
        funds_non_fixed=funds_non_fixed,
        funds_non_fixed_target=target.funds_non_fixed if target else None,
        funds_non_fixed_pct=percent_of(funds_non_fixed, target.funds_non_fixed if target else None),
        stage_durations=durations,
        stalled_days=stalled_days,
        stalled=stalled_projects(scope, days=stalled_days, today=today),
    )


# ---------------------------------------------------------------------------
# registry and outcomes (pure)
