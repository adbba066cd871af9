"""The shared registry: which task force already follows an enterprise.

Several task forces (招商专班 and county 招商小分队) may chase the same
enterprise.  Registering a project for an enterprise another (not dropped)
project already follows still succeeds, but yields a :class:`HolderWarning`
per holder naming its task force, owner and stage.  Same enterprise = same
credit code, or same normalised name (:func:`chainmap.names.normalize_company_name`).

>>> w = HolderWarning(project_id="p-a", task_force="镁产业招商专班", task_force_kind="special_team",
...                   owner="张三", stage="signed", match="credit_code", same_task_force=False)
>>> print(w.message())
该企业已由招商专班「镁产业招商专班」跟进，负责人 张三，项目 p-a（阶段：签约；统一社会信用代码相同）；两个项目已相互关联
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from chainmap.projects.models import Project, ProjectEnterprise, ProjectStage, StrictModel, TaskForceKind

__all__ = ["HolderWarning", "Registration", "find_holders"]


class HolderWarning(StrictModel):
    """Another project already follows the same enterprise."""

    project_id: str
    task_force: str
    task_force_kind: TaskForceKind
    owner: str
    stage: ProjectStage
    match: Literal["credit_code", "name"]
    same_task_force: bool

    def message(self, lang: str = "zh") -> str:
        """Human-readable warning naming who holds the enterprise."""
        how_zh = "统一社会信用代码相同" if self.match == "credit_code" else "企业名称相同（规范化后）"
        how_en = "same credit code" if self.match == "credit_code" else "same normalised name"
        if lang == "en":
            return (
                f"this enterprise is already followed by task force {self.task_force} "
                f"({self.task_force_kind.value}), owner {self.owner}, project {self.project_id} "
                f"(stage {self.stage.value}; {how_en}); the two projects are now linked"
            )
        return (
            f"该企业已由{self.task_force_kind.label_zh}「{self.task_force}」跟进，负责人 {self.owner}，"
            f"项目 {self.project_id}（阶段：{self.stage.label_zh}；{how_zh}）；两个项目已相互关联"
        )


class Registration(StrictModel):
    """Result of :func:`create_project`: the stored project and any holder warnings."""

    project: Project
    warnings: list[HolderWarning] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# transitions (pure)
# ---------------------------------------------------------------------------


def find_holders(
    projects: Iterable[Project], enterprise: ProjectEnterprise, *, exclude: str | None = None
) -> list[tuple[Project, Literal["credit_code", "name"]]]:
    """Projects (not dropped) that follow the same enterprise.

    Same enterprise = same credit code, or same normalised name
    (:func:`chainmap.names.normalize_company_name`).

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "示例镁业股份有限公司"}, task_force="t",
    ...             task_force_kind="squad", owner="o", created="2021-01-01")
    >>> [(h.id, how) for h, how in find_holders([p], ProjectEnterprise(name="示例镁业（集团）有限公司"))]
    [('p', 'name')]
    """
    key = enterprise.key
    out: list[tuple[Project, Literal["credit_code", "name"]]] = []
    for p in projects:
        if p.id == exclude or p.stage == ProjectStage.dropped:
            continue
        if enterprise.credit_code and p.enterprise.credit_code == enterprise.credit_code:
            out.append((p, "credit_code"))
        elif key and p.enterprise.key == key:
            out.append((p, "name"))
    return out
