"""``chainmap review``: the census review queue -- list, accept, reject, set -- and confirmed absences.

Thin: parse -> :mod:`chainmap.census.review` -> print.  Entries are selected by ids
(``<enterprise>|<segment>``, as ``review list`` prints them), enterprise ids, credit codes or
exact names, and/or the filters; a bulk decision on filters alone needs ``--all``.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    echo_json,
    echo_table,
    handle_errors,
    new_app,
    open_store,
)
from chainmap.cli.data import store_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

if TYPE_CHECKING:
    from chainmap.census.review import QueueEntry
    from chainmap.data import ChainData

__all__ = ["app"]

app = new_app(help="普查审核队列：采纳、驳回、改正自动归属，确认缺失 / census review queue", no_args_is_help=True)

_REGION = typer.Option(None, "--region", "-r", help="区域编号（本地企业规则）/ region id")
_CHAIN = typer.Option(None, "--chain", "-c", help="链编号 / chain id")
_SEGMENT = typer.Option(None, "--segment", "-s", help="待审核的环节 / queued segment")
_REASON = typer.Option(None, "--reason", help="low_confidence|conflict|unassigned")
_NAMES = typer.Argument(None, help="条目编号、企业编号、信用代码或全称 / entry ids, enterprise ids, credit codes or names")
_ALL = typer.Option(False, "--all", help="对筛选出的全部条目执行 / apply to every matching entry")
_BY = typer.Option(None, "--by", help="决定人（默认当前用户）/ who decides (default: the current user)")
_NOTE = typer.Option("", "--note", help="备注 / note")


def _by(by: str | None) -> str:
    if by and by.strip():
        return by.strip()
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


def _select(
    data: ChainData,
    names: list[str] | None,
    *,
    region: str | None,
    chain: str | None,
    segment: str | None,
    reason: str | None,
    all_: bool,
    lang: str,
) -> list[QueueEntry]:
    from chainmap.census.review import review_queue

    if not names and not all_:
        raise InvalidInput(
            pick(lang, "请给出条目编号或企业名称，或用 --all 对筛选结果批量操作",
                 "give entry ids or enterprise names, or --all for every entry the filters match"),
            field="names",
            hint="chainmap review list",
        )
    page = review_queue(data=data, region=region, chain=chain, segment=segment, reason=reason, names=names or (), lang=lang)
    if not page.entries:
        raise InvalidInput(pick(lang, "没有符合条件的待审核条目", "no queue entry matches"), field="names", hint="chainmap review list")
    return page.entries


def _rows(entries: list[QueueEntry], lang: str) -> tuple[list[str], list[list[Any]]]:
    heads = [
        pick(lang, "条目", "entry"),
        pick(lang, "企业", "enterprise"),
        pick(lang, "县区", "county"),
        pick(lang, "环节", "segment"),
        pick(lang, "原因", "reason"),
        pick(lang, "方式", "method"),
        pick(lang, "置信度", "confidence"),
        pick(lang, "依据", "evidence"),
    ]
    rows = [
        [
            x.id, x.name, x.county or x.zone or "-", x.segment_name or x.segment or "-", x.reason_label,
            x.method or "-", "-" if x.confidence is None else f"{x.confidence:.2f}", "；".join(x.evidence)[:80] or "-",
        ]
        for x in entries
    ]
    return heads, rows


@app.command("list")
@handle_errors
def list_cmd(
    names: list[str] | None = _NAMES,
    region: str | None = _REGION,
    chain: str | None = _CHAIN,
    segment: str | None = _SEGMENT,
    reason: str | None = _REASON,
    limit: int = typer.Option(100, "--limit", "-k", min=1, help="最多显示条数 / at most this many"),
    format: str = typer.Option("table", "--format", "-f", help="table|json"),
    lang: str = LangOpt,
) -> None:
    """列出待审核条目 / list the review queue."""
    from chainmap.census.review import review_queue

    lang = norm_lang(lang)
    format = check_format(format, ("table", "json"))
    with open_store() as store:
        data = store_data(store, lang)
    page = review_queue(
        data=data, region=region, chain=chain, segment=segment, reason=reason, names=names or (), lang=lang, limit=limit
    )
    if format == "json":
        echo_json(page.as_dict())
        return
    from chainmap.labels import REVIEW_REASON

    counts = pick(lang, "，", ", ").join(f"{pick(lang, *REVIEW_REASON[k])} {v}" for k, v in page.counts.items())
    typer.echo(pick(lang, f"待审核 {page.total} 条（{counts}）", f"{page.total} entries to review ({counts})"))
    if page.entries:
        echo_table(*_rows(page.entries, lang))


def _queued(names: list[str] | None, *, lang: str, **filters: Any) -> tuple[ChainData, list[QueueEntry]]:
    """The store's data and the queue entries that ``names`` and ``filters`` select."""
    with open_store() as store:
        data = store_data(store, lang)
    return data, _select(data, names, lang=lang, **filters)


def _decide(data: ChainData, decisions: list[dict[str, Any]], by: str | None, lang: str, skipped: int = 0) -> None:
    from chainmap.census.review import decide

    if not decisions:
        raise InvalidInput(pick(lang, "没有可执行的决定", "nothing to decide"), field="names")
    with open_store() as store:
        recs = decide(store=store, data=data, decisions=decisions, by=_by(by))
    for r in recs:
        typer.echo(f"{r['action']}\t{r['name']}\t{r.get('from_segment') or ''}{' -> ' if r.get('from_segment') else ''}{r['segment'] or '-'}")
    msg = pick(lang, f"已记录 {len(recs)} 条决定（{_by(by)}）", f"recorded {len(recs)} decisions ({_by(by)})")
    if skipped:
        msg += pick(lang, f"；跳过 {skipped} 条未归类企业（只能驳回或改为某环节）",
                    f"; skipped {skipped} unassigned firms (reject them or set a segment)")
    typer.echo(msg, err=True)


@app.command("accept")
@handle_errors
def accept_cmd(
    names: list[str] | None = _NAMES,
    region: str | None = _REGION,
    chain: str | None = _CHAIN,
    segment: str | None = _SEGMENT,
    reason: str | None = _REASON,
    all_: bool = _ALL,
    by: str | None = _BY,
    note: str = _NOTE,
    lang: str = LangOpt,
) -> None:
    """采纳自动归属（变为规划人员确认）/ accept assignments (they become planner-confirmed)."""
    lang = norm_lang(lang)
    data, entries = _queued(names, region=region, chain=chain, segment=segment, reason=reason, all_=all_, lang=lang)
    decisions = [{"enterprise": x.enterprise, "segment": x.segment, "action": "accept", "note": note} for x in entries if x.segment]
    _decide(data, decisions, by, lang, skipped=sum(1 for x in entries if not x.segment))


@app.command("reject")
@handle_errors
def reject_cmd(
    names: list[str] | None = _NAMES,
    region: str | None = _REGION,
    chain: str | None = _CHAIN,
    segment: str | None = _SEGMENT,
    reason: str | None = _REASON,
    all_: bool = _ALL,
    by: str | None = _BY,
    note: str = _NOTE,
    lang: str = LangOpt,
) -> None:
    """驳回自动归属；对未归类企业表示其不属于任何链 / reject assignments (an unassigned firm: in no chain)."""
    lang = norm_lang(lang)
    data, entries = _queued(names, region=region, chain=chain, segment=segment, reason=reason, all_=all_, lang=lang)
    decisions = [{"enterprise": x.enterprise, "segment": x.segment, "action": "reject", "note": note} for x in entries]
    _decide(data, decisions, by, lang)


@app.command("set")
@handle_errors
def set_cmd(
    to_segment: str = typer.Argument(..., help="改为的环节编号 / the segment to set"),
    names: list[str] | None = _NAMES,
    region: str | None = _REGION,
    chain: str | None = _CHAIN,
    segment: str | None = _SEGMENT,
    reason: str | None = _REASON,
    role: str = typer.Option("producer", "--role", help="producer|user"),
    all_: bool = _ALL,
    by: str | None = _BY,
    note: str = _NOTE,
    lang: str = LangOpt,
) -> None:
    """改正归属：以指定环节替换待审核的归属 / correct: replace the queued assignment by SEGMENT."""
    lang = norm_lang(lang)
    data, entries = _queued(names, region=region, chain=chain, segment=segment, reason=reason, all_=all_, lang=lang)
    decisions = [
        {"enterprise": x.enterprise, "segment": x.segment, "action": "set", "to_segment": to_segment, "role": role,
         "note": note}
        for x in entries
    ]
    _decide(data, decisions, by, lang)


@app.command("absent")
@handle_errors
def absent_cmd(
    segment: str = typer.Argument(..., help="环节编号 / segment id"),
    region: str = typer.Option(..., "--region", "-r", help="区域编号 / region id"),
    note: str = _NOTE,
    source: str = typer.Option("", "--source", help="依据（可选）/ source, optional"),
    withdraw: bool = typer.Option(False, "--withdraw", help="撤销确认 / withdraw the confirmation"),
    by: str | None = _BY,
    lang: str = LangOpt,
) -> None:
    """确认某环节在某地区本地确无企业（缺口分析不再标为待核实）/ confirm a segment absent in a region."""
    from chainmap.census.review import confirm_absence, withdraw_absence

    lang = norm_lang(lang)
    with open_store() as store:
        data = store_data(store, lang)
        if withdraw:
            withdraw_absence(store=store, region=region, segment=segment)
            typer.echo(pick(lang, f"已撤销：{segment} 在 {region} 的缺失确认", f"withdrawn: {segment} absent in {region}"))
            return
        rec = confirm_absence(store=store, data=data, region=region, segment=segment, by=_by(by), note=note, source=source)
    typer.echo(
        pick(lang, f"已确认：{segment} 在 {region} 本地无企业（{rec['by']}，{rec['at']}）",
             f"confirmed: {segment} absent in {region} ({rec['by']}, {rec['at']})")
    )
