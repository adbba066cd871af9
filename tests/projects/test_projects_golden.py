"""Golden test: 运城市's published 2021 investment-promotion figures.

Source: 运城市2021年招商引资工作总结 (as quoted in ../shared/research/yuncheng.md; that note
gives no URL for these figures).  The fixture's projects are SYNTHETIC (see
tests/fixtures/yuncheng_2021_projects.README.md): only their totals are the city's.

Rounding finding
----------------
The city reports five percentages: 109.71, 92.38, 148.46, 198.41 and 118.4.
Half-up rounding to two decimals of the published inputs (``Decimal``) reproduces
the first four exactly, but gives 118.41 for 26.05 / 22 = 118.4090...%.  The
city's "118.4" is therefore *not* 118.41 with its last digit dropped (that would
be truncation to one decimal, not trailing-zero trimming).  No single rule on the
published inputs reproduces all five (checked below over half-up, half-even and
truncation at one and two decimals).  Two explanations fit every published
number: the city rounded half-up to two decimals on the *unrounded* amount (any
non-fixed-asset total in [26.0469, 26.0491)亿 is published as 26.05亿 and gives
118.40%, printed "118.4"), or it printed this one figure with one decimal.
chainmap keeps one rule — half-up to two decimals on Decimal — and from the
published 26.05亿 reports 118.41%; the fixture is not adjusted to force 118.40.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainmap.projects import Project, Target, compute_kpis, percent_of, project_kpis, set_target
from chainmap.storage.base import Store
from tests.projects.projects_helpers import FIXTURES, GOLDEN_CSV, golden_projects_fixture, store_fixture  # noqa: F401 (fixtures)

TARGET_2021 = Target(
    year=2021, signed_value=3000, start_rate=60, new_fixed_asset=930, funds_fixed=280, funds_non_fixed=22
)

# (actual, target, published percentage)
PUBLISHED = [
    (Decimal("3291.39"), Decimal("3000"), "109.71"),
    (Decimal("497"), Decimal("538"), "92.38"),
    (Decimal("1380.64"), Decimal("930"), "148.46"),
    (Decimal("555.54"), Decimal("280"), "198.41"),
    (Decimal("26.05"), Decimal("22"), "118.4"),
]


def test_fixture_is_reproducible_and_marked_synthetic() -> None:
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURES / "make_yuncheng_2021_projects.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = GOLDEN_CSV.read_text(encoding="utf-8")
    assert text == module.generate()
    assert text.startswith("# SYNTHETIC FIXTURE - NOT REAL PROJECTS")
    readme = (FIXTURES / "yuncheng_2021_projects.README.md").read_text(encoding="utf-8")
    assert "运城市2021年招商引资工作总结 (as quoted in ../shared/research/yuncheng.md" in readme
    assert "not real" in readme


def test_fixture_totals_are_exact(golden_projects: list[Project]) -> None:
    ps = golden_projects
    assert len(ps) == 538
    assert sum(p.planned_investment for p in ps) == Decimal("3291.39")
    assert sum(p.new_fixed_asset_started for p in ps) == Decimal("1380.64")
    assert sum(p.funds_in_place_fixed for p in ps) == Decimal("555.54")
    assert sum(p.funds_in_place_non_fixed for p in ps) == Decimal("26.05")


def test_golden_2021_kpis(golden_projects: list[Project]) -> None:
    r = compute_kpis(golden_projects, [TARGET_2021], year=2021, today=date(2021, 12, 31))
    assert r.signed_count == 538
    assert r.signed_value == Decimal("3291.39")
    assert r.signed_value_pct == Decimal("109.71")
    assert r.started_count == 497
    assert r.start_rate == Decimal("92.38")
    assert r.start_rate_target == Decimal("60")
    assert r.start_rate > r.start_rate_target
    assert r.new_fixed_asset_started == Decimal("1380.64")
    assert r.new_fixed_asset_pct == Decimal("148.46")
    assert r.funds_fixed == Decimal("555.54")
    assert r.funds_fixed_pct == Decimal("198.41")
    assert r.funds_non_fixed == Decimal("26.05")
    # The city prints 118.4; our one rule gives 118.41 (see the module docstring) ...
    assert r.funds_non_fixed_pct == Decimal("118.41")
    # ... which agrees with the published figure at the one decimal it shows.
    assert r.funds_non_fixed_pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) == Decimal("118.4")


def test_golden_kpis_through_the_store(store: Store, golden_projects: list[Project]) -> None:
    with store.transaction() as tx:
        for p in golden_projects:
            tx.put_record("project", p.id, p.model_dump(mode="json"))
    set_target(store=store, target_in=TARGET_2021)
    r = project_kpis(store=store, year=2021, today=date(2021, 12, 31))
    assert (r.signed_count, r.started_count) == (538, 497)
    assert [
        r.signed_value_pct,
        r.start_rate,
        r.new_fixed_asset_pct,
        r.funds_fixed_pct,
        r.funds_non_fixed_pct,
    ] == [Decimal(x) for x in ("109.71", "92.38", "148.46", "198.41", "118.41")]


@pytest.mark.parametrize(("actual", "target", "published"), PUBLISHED[:4])
def test_half_up_two_decimals_reproduces_four_published_figures(
    actual: Decimal, target: Decimal, published: str
) -> None:
    assert percent_of(actual, target) == Decimal(published)


def test_no_single_rule_on_published_inputs_reproduces_all_five() -> None:
    for places in ("0.01", "0.1"):
        for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN):
            got = [(a * 100 / t).quantize(Decimal(places), rounding=rounding) for a, t, _ in PUBLISHED]
            assert got != [Decimal(p) for _, _, p in PUBLISHED], (places, rounding)
    # Truncation would give 118.40 (printed 118.4) but breaks three others:
    truncated = [(a * 100 / t).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for a, t, _ in PUBLISHED]
    assert truncated == [Decimal(x) for x in ("109.71", "92.37", "148.45", "198.40", "118.40")]


@given(st.decimals(min_value=Decimal("26.0469"), max_value=Decimal("26.0490"), places=4))
def test_an_unrounded_amount_explains_118_4(raw: Decimal) -> None:
    """Every amount in [26.0469, 26.0491)亿 is published as 26.05亿 and gives 118.40% (printed 118.4)."""
    assert raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == Decimal("26.05")
    assert percent_of(raw, 22) == Decimal("118.40")
