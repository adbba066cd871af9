"""The investment-project context (招商项目): its own bounded context inside chainmap.

A project follows an enterprise along 线索 → 对接 → 洽谈 → 签约 → 开工 → 投产 → 达效
(with 搁置 on hold and 终止 dropped), is followed up by the 七跟法 and measured
by the city's yearly KPIs.  One concern per module:

* :mod:`~chainmap.projects.models` — records and vocabularies (Project, StageChange, FollowUp, Target, stages)
* :mod:`~chainmap.projects.stages` — the stage machine (allowed moves, :func:`transition`)
* :mod:`~chainmap.projects.kpis` — KPIs, stage durations, stalled projects, the region filter
* :mod:`~chainmap.projects.registry` — who already follows an enterprise (holder warnings)
* :mod:`~chainmap.projects.outcomes` — labelled lead outcomes for the lead scorer
* :mod:`~chainmap.projects.service` — the use cases on a Store, called by the API, the CLI and matching
* :mod:`~chainmap.projects.report` — XLSX / CSV renderers (imported on use: openpyxl)
* :mod:`~chainmap.projects.cli` — the ``chainmap projects`` typer commands (imported on use: typer)

The context depends on the chain-map core (models, the locality rule in
:mod:`chainmap.data`, the store) but not on the gap analysis or the report
renderers, and they do not depend on it (import-linter contract in pyproject.toml).

>>> from datetime import date
>>> p = Project(id="p1", enterprise={"name": "示例镁业有限公司"}, task_force="镁产业招商专班",
...             task_force_kind="招商专班", owner="张三", created=date(2021, 3, 1))
>>> transition(p, "对接", on=date(2021, 3, 5), actor="张三").stage.both
'对接 contacted'
"""

from chainmap.projects.kpis import (
    KPI_DEFINITIONS,
    STALL_RULES,
    KpiReport,
    StageDuration,
    StalledProject,
    StallRule,
    UnitKpi,
    UnitRanking,
    compute_kpis,
    percent_of,
    projects_in_region,
    resolve_period,
    stall_rules,
    stalled_projects,
    unit_kpis,
)
from chainmap.projects.models import (
    MAIN_LINE,
    FollowUp,
    FollowUpMethod,
    GapStatus,
    IssueKind,
    IssueStatus,
    IssueUpdate,
    LeadRef,
    Project,
    ProjectEnterprise,
    ProjectIssue,
    ProjectStage,
    StageChange,
    Target,
    TaskForceKind,
)
from chainmap.projects.outcomes import Outcome, lead_outcomes
from chainmap.projects.registry import HolderWarning, Registration, find_holders
from chainmap.projects.service import (
    UPDATABLE_FIELDS,
    Board,
    BoardCard,
    BoardColumn,
    ProjectExport,
    ProjectView,
    board,
    create_project,
    export_projects,
    export_ranking,
    get_project,
    last_followups,
    list_followups,
    list_outcomes,
    list_projects,
    list_targets,
    log_followup,
    project_kpis,
    project_view,
    raise_issue,
    set_target,
    transition_project,
    unit_ranking,
    update_issue,
    update_project,
)
from chainmap.projects.stages import allowed_next_stages, stage_dates, transition

__all__ = [
    # models
    "ProjectStage",
    "MAIN_LINE",
    "TaskForceKind",
    "GapStatus",
    "FollowUpMethod",
    "ProjectEnterprise",
    "StageChange",
    "Project",
    "FollowUp",
    "Target",
    "IssueKind",
    "IssueStatus",
    "IssueUpdate",
    "LeadRef",
    "ProjectIssue",
    # stages
    "allowed_next_stages",
    "transition",
    "stage_dates",
    # kpis
    "StageDuration",
    "StalledProject",
    "KpiReport",
    "percent_of",
    "resolve_period",
    "projects_in_region",
    "stalled_projects",
    "compute_kpis",
    "StallRule",
    "STALL_RULES",
    "stall_rules",
    "KPI_DEFINITIONS",
    "UnitKpi",
    "UnitRanking",
    "unit_kpis",
    # registry and outcomes
    "HolderWarning",
    "Registration",
    "find_holders",
    "Outcome",
    "lead_outcomes",
    # service
    "UPDATABLE_FIELDS",
    "ProjectExport",
    "create_project",
    "get_project",
    "update_project",
    "transition_project",
    "log_followup",
    "list_followups",
    "list_projects",
    "set_target",
    "list_targets",
    "project_kpis",
    "list_outcomes",
    "export_projects",
    "Board",
    "BoardCard",
    "BoardColumn",
    "ProjectView",
    "board",
    "project_view",
    "raise_issue",
    "update_issue",
    "unit_ranking",
    "export_ranking",
    "last_followups",
]
