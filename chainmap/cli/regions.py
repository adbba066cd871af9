"""``chainmap regions``: the regions a person may name in ``--region`` (city, counties,
development zones), with the short forms the commands accept (``永济`` for 永济市)."""

from __future__ import annotations

import typer

from chainmap.cli.common import LangOpt, check_format, echo_json, echo_table, format_option, handle_errors
from chainmap.cli.data import open_data
from chainmap.i18n import norm_lang, pick

__all__ = ["regions_cmd"]


@handle_errors
def regions_cmd(fmt: str = format_option("table", "json"), lang: str = LangOpt) -> None:
    """列出可用的地区（市、县（市、区）、开发区）及可输入的简称 / list regions and the short names accepted."""
    from chainmap import service
    from chainmap.labels import label
    from chainmap.resolve import region_short_names

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    data = open_data(lang)
    regions = service.region_list(data=data)
    names = {r.id: r.name_zh if lang == "zh" else r.name_en for r in regions}
    if fmt == "json":
        echo_json(
            [
                {**r.model_dump(mode="json", exclude={"lat", "lon"}), "short_names": region_short_names(r)}
                for r in regions
            ]
        )
        return
    head = ["地区", "类别", "所在县（市、区）", "可输入", "编号"] if lang == "zh" else [
        "region", "kind", "county", "you may type", "id"]  # fmt: skip
    rows = [
        [
            names[r.id],
            label("region_kind", r.kind.value, lang),
            names.get(r.county or "", "") if r.county else "",
            "、".join([r.name_zh, *region_short_names(r)]) if lang == "zh" else ", ".join([r.name_en, r.name_zh]),
            r.id,
        ]
        for r in regions
    ]
    echo_table(head, rows)
    typer.echo(
        pick(
            lang,
            f"共 {len(regions)} 个地区；--region 可填中文名称、简称或编号。",
            f"{len(regions)} regions; --region accepts the Chinese or English name, a short form or the id.",
        )
    )
