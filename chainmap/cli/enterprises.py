"""``chainmap enterprises import FILE``: take in a register of local enterprises (规上工业企业名录,
企查查 / 天眼查 export, 开发区 or 专业镇 list).  Thin: parse -> :func:`chainmap.census.import_census`
-> render."""

from __future__ import annotations

from pathlib import Path

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    check_output,
    echo_json,
    format_option,
    handle_errors,
    new_app,
    open_store,
    write_output,
)
from chainmap.cli.data import store_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["app", "import_cmd"]

app = new_app(help="本地企业：导入名录 / local enterprises: import registers", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_cmd(
    file: Path = typer.Argument(..., help="规上名录、企查查导出、园区名单：CSV (UTF-8/GBK)、XLSX / register file"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只预览将发生的变化，不写入 / preview, write nothing"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="跳过错误行，导入其余行 / import the valid rows, report the rest"
    ),
    report: Path | None = typer.Option(
        None, "--report", help="导入报告：.json（完整）或 .csv（逐行问题）/ report file: .json (all) or .csv (problems)"
    ),
    register_kind: str | None = typer.Option(
        None, "--register-kind", help="规上名录|企查查|园区名单|专业镇（默认按表头判断 / default: guessed from the header)"
    ),
    complete: bool = typer.Option(
        False, "--complete", help="该名录覆盖其地区和行业的全部企业 / the register is complete for its regions and industries"
    ),
    fmt: str = format_option("table", "json"),
    lang: str = LangOpt,
) -> None:
    """导入本地企业名录（全部或全不，除非 --skip-invalid）/ import a register of local enterprises (all or nothing)."""
    from chainmap.census import import_census
    from chainmap.census.importer import report_csv, report_json

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}", field="FILE")
    if report is not None:
        check_output(report, lang=lang, field="--report")
    raw = file.read_bytes()
    with open_store() as store:
        data = store_data(store, lang, quiet=True)
        try:
            result = import_census(
                store, raw, filename=file.name, data=data, register_kind=register_kind, dry_run=dry_run,
                skip_invalid=skip_invalid, complete=complete, lang=lang,
            )
        except InvalidInput as err:
            if report is not None and err.errors:
                write_output(report, _errors_report(report, err), lang=lang, field="--report")
            raise
    doc = result.to_json()
    if report is not None:
        text = report_csv(result) if report.suffix.lower() == ".csv" else report_json(doc)
        write_output(report, text, lang=lang, field="--report")
    if fmt == "json":
        echo_json(doc)
        return
    _print(doc, lang, report)


def _errors_report(path: Path, err: InvalidInput) -> str:
    from chainmap.census.importer import errors_csv, report_json

    if path.suffix.lower() == ".csv":
        return errors_csv(err.errors)
    return report_json({"refused": True, "message": err.message, "errors": [e.to_dict() for e in err.errors]})


def _print(doc: dict, lang: str, report: Path | None) -> None:
    c = doc["counts"]
    cols = doc["columns"]
    head = pick(lang, "预览（未写入）", "Preview (nothing written)") if doc["dry_run"] else pick(lang, "已导入", "Imported")
    typer.echo(f"{head}: {doc['file']} · {doc['register_kind']} · {doc['encoding'] or 'xlsx'}")
    rec = "，".join(f"{k}→{v}" for k, v in cols["recognised"].items())
    typer.echo(pick(lang, f"识别的列：{rec}", f"recognised columns: {rec}"))
    typer.echo(pick(lang, f"忽略的列：{'，'.join(cols['ignored']) or '无'}", f"ignored columns: {', '.join(cols['ignored']) or 'none'}"))
    typer.echo(pick(
        lang,
        f"读取 {c['rows']} 行：新增 {c['new']}，更新 {c['updated']}，未变 {c['unchanged']}，跳过 {c['skipped']}"
        f"（注销/吊销 {c['inactive']}，运城以外 {c['outside']}），错误 {c['errors']}，合并重复 {c['duplicates_merged']}；"
        f"环节归属：自动 {c['auto']}，待审核 {c['pending']}，未归属企业 {c['unassigned']}",
        f"read {c['rows']} rows: new {c['new']}, updated {c['updated']}, unchanged {c['unchanged']}, skipped {c['skipped']} "
        f"(closed {c['inactive']}, outside 运城 {c['outside']}), errors {c['errors']}, duplicates merged {c['duplicates_merged']}; "
        f"segment assignments: auto {c['auto']}, pending review {c['pending']}, firms unassigned {c['unassigned']}",
    ))
    for s in doc["skipped"][:20]:
        typer.echo(f"  - row {s['row']} {s['name']}: {s['reason']}")
    for e in doc["errors"][:20]:
        typer.echo(f"  ! row {e['row']}, {e['column']}={e['value']!r}: {e['reason']}")
    for w in doc["warnings"]:
        typer.echo(pick(lang, f"注意：{w}", f"Note: {w}"))
    if doc["refused"]:
        typer.echo(pick(lang, "有错误行：正式导入将被拒绝（或使用 --skip-invalid）", "rows with errors: the import would be refused (or use --skip-invalid)"))
    if report is not None:
        typer.echo(pick(lang, f"报告：{report}", f"report: {report}"))
