"""Lead outcomes: what the project history teaches the lead scorer (:mod:`matching.scoring`).

Label 1: the project reached 签约 (signed); label 0: it was dropped before
signing.  Projects still open before signing have no outcome yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from chainmap.projects.models import Project, ProjectStage, StrictModel
from chainmap.projects.stages import stage_dates

__all__ = ["Outcome", "lead_outcomes"]


class Outcome(StrictModel):
    """A labelled lead outcome for the lead scorer: 1 = signed (or later), 0 = dropped before signing."""

    project_id: str
    enterprise_name: str
    credit_code: str | None = None
    enterprise_id: str | None = None
    segment: str | None = None
    task_force: str
    label: Literal[0, 1]
    date: date


def lead_outcomes(projects: Iterable[Project]) -> list[Outcome]:
    """Labelled outcomes for the lead scorer, sorted by date (for time-based splits).

    Label 1: the project reached 签约 (dated on signing; it stays a success even
    if dropped later).  Label 0: dropped before signing (dated on dropping).
    Projects still open before signing have no outcome yet.

    Examples
    --------
    >>> from chainmap.projects.stages import transition
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01", segment="cai.mg")
    >>> q = transition(p.model_copy(update={"id": "q"}), "dropped", on=date(2021, 2, 1), actor="o", reason="选址他处")
    >>> [(o.project_id, o.label, str(o.date)) for o in lead_outcomes([p, q])]
    [('q', 0, '2021-02-01')]
    """
    out = []
    label: Literal[0, 1]
    for p in projects:
        dates = stage_dates(p)
        if ProjectStage.signed in dates:
            label, when = 1, dates[ProjectStage.signed]
        elif p.stage == ProjectStage.dropped:
            label, when = 0, p.last_change
        else:
            continue
        out.append(
            Outcome(
                project_id=p.id,
                enterprise_name=p.enterprise.name,
                credit_code=p.enterprise.credit_code,
                enterprise_id=p.enterprise.enterprise_id,
                segment=p.segment,
                task_force=p.task_force,
                label=label,
                date=when,
            )
        )
    out.sort(key=lambda o: (o.date, o.project_id))
    return out
