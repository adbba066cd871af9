"""Helpers and fixtures of the project tests: project builders, the golden 2021 fixture, a real SQLite store.

Test modules import the fixtures they use from here (no conftest.py: with
``--doctest-modules`` several same-named conftest modules collide).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chainmap.projects import MAIN_LINE, Project, ProjectStage, transition
from chainmap.storage.base import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN_CSV = FIXTURES / "yuncheng_2021_projects.csv"

START = date(2021, 1, 4)


def new_project(**kw: Any) -> Project:
    """A lead with sensible defaults; keyword arguments override fields."""
    data: dict[str, Any] = {
        "id": "p1",
        "enterprise": {"name": "示例镁业有限公司"},
        "task_force": "镁产业招商专班",
        "task_force_kind": "special_team",
        "owner": "张三",
        "created": START,
    }
    data.update(kw)
    return Project.model_validate(data)


def walk_to(project: Project, stage: ProjectStage | str, *, step_days: int = 10) -> Project:
    """Move ``project`` along the main line up to ``stage`` (one step every ``step_days``)."""
    target = ProjectStage(stage)
    on = project.last_change
    while project.stage.rank < target.rank:
        on = on + timedelta(days=step_days)
        project = transition(project, MAIN_LINE[project.stage.rank + 1], on=on, actor=project.owner)
    return project


def at_stage(stage: ProjectStage | str, **kw: Any) -> Project:
    """A project at ``stage``; side states are reached from ``signed``."""
    s = ProjectStage(stage)
    if s in MAIN_LINE:
        return walk_to(new_project(**kw), s)
    p = walk_to(new_project(**kw), ProjectStage.signed)
    return transition(p, s, on=p.last_change + timedelta(days=1), actor="李四", reason="企业投资计划调整")


def read_golden_rows() -> list[dict[str, str]]:
    with GOLDEN_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def golden_project(row: dict[str, str]) -> Project:
    p = Project.model_validate(
        {
            "id": row["id"],
            "title": row["title"],
            "enterprise": {"name": row["enterprise_name"]},
            "segment": row["segment"],
            "task_force": row["task_force"],
            "task_force_kind": row["task_force_kind"],
            "owner": row["owner"],
            "county": row["county"],
            "created": row["lead_date"],
            "planned_investment": row["planned_investment"],
            "planned_fixed_asset": row["planned_fixed_asset"],
        }
    )
    for stage in ("contacted", "negotiating", "signed", "started"):
        if row[f"{stage}_date"]:
            p = transition(p, stage, on=date.fromisoformat(row[f"{stage}_date"]), actor=p.owner)
    return Project.model_validate(  # validated, so the fixture obeys every field rule
        p.model_dump()
        | {
            "new_fixed_asset_started": Decimal(row["new_fixed_asset_started"]),
            "funds_in_place_fixed": Decimal(row["funds_in_place_fixed"]),
            "funds_in_place_non_fixed": Decimal(row["funds_in_place_non_fixed"]),
        }
    )


@pytest.fixture(name="golden_projects", scope="session")
def golden_projects_fixture() -> list[Project]:
    """The 538 synthetic projects of the golden 2021 fixture."""
    return [golden_project(r) for r in read_golden_rows()]


@pytest.fixture(name="store", params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A real store: SQLite in a temporary file (through ``open_store``), and Neo4j when reachable.

    The Neo4j variant uses ``neo4j_store`` from tests/conftest.py (skipped when no server is up).
    """
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
        return
    from chainmap.storage.factory import open_store

    s = open_store(backend="sqlite", sqlite_path=tmp_path / "x.db")
    try:
        yield s
    finally:
        s.close()
