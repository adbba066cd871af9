"""The stage machine of an investment project (pure functions on :class:`Project`).

A project moves along the closed loop the city works by (线索抓对接、对接抓签约、
签约抓开工、开工抓投产)::

    线索 lead -> 对接 contacted -> 洽谈 negotiating -> 签约 signed
      -> 开工 started -> 投产 in_production -> 达效 at_design_output

with two side states: 搁置 ``on_hold`` (resumes to the stage it was held
from) and 终止 ``dropped`` (a reason is required; terminal).  Every
transition records its date, actor and note.

>>> from datetime import date
>>> p = Project(id="p1", enterprise={"name": "示例镁业有限公司"}, task_force="镁产业招商专班",
...             task_force_kind="招商专班", owner="张三", created=date(2021, 3, 1))
>>> p = transition(p, "对接", on=date(2021, 3, 5), actor="张三")
>>> p.stage.label_zh, [s.value for s in allowed_next_stages(p)]
('对接', ['negotiating', 'on_hold', 'dropped'])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chainmap.exceptions import Conflict, InvalidInput
from chainmap.projects.models import MAIN_LINE, TERMINAL, Project, ProjectStage, StageChange

__all__ = ["allowed_next_stages", "transition", "stage_dates", "reached_on"]


def allowed_next_stages(project: Project) -> list[ProjectStage]:
    """The stages ``project`` may move to next.

    Main-line stages move one step forward, or to on_hold / dropped; on_hold
    resumes to the stage it was held from, or is dropped; dropped and
    at_design_output are terminal.

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> [s.value for s in allowed_next_stages(p)]
    ['contacted', 'on_hold', 'dropped']
    """
    stage = project.stage
    if stage in TERMINAL:
        return []
    if stage == ProjectStage.on_hold:
        assert project.held_from is not None  # guaranteed by the model
        return [project.held_from, ProjectStage.dropped]
    return [MAIN_LINE[stage.rank + 1], ProjectStage.on_hold, ProjectStage.dropped]


def _stage_list(stages: Sequence[ProjectStage], sep: str, lang: str) -> str:
    if not stages:
        return "无（终态）" if lang == "zh" else "none (terminal)"
    if lang == "zh":
        return sep.join(f"{s.label_zh} ({s.value})" for s in stages)
    return sep.join(f"{s.value} ({s.label_zh})" for s in stages)


def transition(
    project: Project,
    to: ProjectStage | str,
    *,
    on: date,
    actor: str,
    note: str = "",
    reason: str | None = None,
) -> Project:
    """Move ``project`` to stage ``to``; returns a new Project (the input is unchanged).

    Parameters
    ----------
    project : Project
    to : ProjectStage or str
        Target stage, English code or Chinese label (``"签约"``).
    on : datetime.date
        Date of the transition; not before the previous transition (or creation).
    actor : str
        Who made the change.
    note : str, optional
    reason : str, optional
        Required when ``to`` is ``dropped``.

    Returns
    -------
    Project

    Raises
    ------
    Conflict
        If the move is not allowed; the message names the current stage and
        the allowed next stages in Chinese and English.
    InvalidInput
        If ``on`` is before the last transition (``field="date"``), a reason is
        missing for dropped (``field="reason"``) or the actor is empty.

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> p = transition(p, "on_hold", on=date(2021, 2, 1), actor="o")
    >>> p.held_from.value, [s.value for s in allowed_next_stages(p)]
    ('lead', ['lead', 'dropped'])
    >>> transition(p, "signed", on=date(2021, 2, 2), actor="o")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.Conflict: stage: 不能从 搁置 (on_hold) 转到 签约 (signed)：当前阶段 搁置 (on_hold)，允许的下一阶段：线索 (lead)、终止 (dropped) / cannot move from on_hold to signed: current stage on_hold (搁置), allowed next stages: lead (线索), dropped (终止)
    """
    target = ProjectStage.parse(to)
    current = project.stage
    allowed = allowed_next_stages(project)
    if target not in allowed:
        raise Conflict(
            f"不能从 {current.label_zh} ({current.value}) 转到 {target.label_zh} ({target.value})："
            f"当前阶段 {current.label_zh} ({current.value})，允许的下一阶段：{_stage_list(allowed, '、', 'zh')} / "
            f"cannot move from {current.value} to {target.value}: current stage {current.value} "
            f"({current.label_zh}), allowed next stages: {_stage_list(allowed, ', ', 'en')}",
            field="stage",
            current=current.value,
            allowed=[s.value for s in allowed],
        )
    if not isinstance(on, date):
        raise InvalidInput(f"expected a date, got {on!r}", field="date")
    if on < project.last_change:
        raise InvalidInput(
            f"日期 {on} 早于上一次变更 ({project.last_change})，日期不能倒退 / "
            f"date {on} is before the previous change on {project.last_change}; dates cannot go backwards",
            field="date",
        )
    if not actor or not actor.strip():
        raise InvalidInput("每次阶段变更须记录操作人 / every transition needs an actor", field="actor")
    reason = (reason or "").strip() or None
    if target == ProjectStage.dropped and not reason:
        raise InvalidInput("终止项目须说明原因 / dropping a project requires a reason", field="reason")
    change = StageChange(from_stage=current, to_stage=target, date=on, actor=actor, note=note)
    update: dict[str, Any] = {
        "stage": target,
        "transitions": [*project.transitions, change],
        "held_from": current if target == ProjectStage.on_hold else None,
    }
    if target == ProjectStage.dropped:
        update["drop_reason"] = reason
    return Project.model_validate(project.model_dump() | update)


def stage_dates(project: Project) -> dict[ProjectStage, date]:
    """First date on which ``project`` entered each stage (``lead``: its creation date).

    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> p = transition(p, "contacted", on=date(2021, 1, 9), actor="o")
    >>> {k.value: str(v) for k, v in stage_dates(p).items()}
    {'lead': '2021-01-01', 'contacted': '2021-01-09'}
    """
    out: dict[ProjectStage, date] = {ProjectStage.lead: project.created}
    for t in project.transitions:
        out.setdefault(t.to_stage, t.date)
    return out


def reached_on(project: Project, stage: ProjectStage, by: date | None = None) -> date | None:
    """The date ``project`` first entered ``stage``; None if it never did (or only after ``by``)."""
    d = stage_dates(project).get(stage)
    if d is None or (by is not None and d > by):
        return None
    return d
