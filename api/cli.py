"""The root ``chainmap`` command: mounts every layer's commands, plus serve, keys and demo.

This is the console-script entry point: the outermost layer is the only one
that sees all layers (chainmap -> matching -> api).  Every layer's command
modules import only typer and light helpers (:mod:`chainmap.cli.common`) at
module level, so ``chainmap --help`` and ``chainmap chains`` start without
networkx, numpy, scipy, pandas, scikit-learn, openpyxl, fastapi or uvicorn.
"""

from __future__ import annotations

import os

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    echo_json,
    echo_table,
    format_option,
    handle_errors,
    lazy_app,
    lazy_commands,
    new_app,
    open_store,
)
from chainmap.cli.data import store_data
from chainmap.cli.main import COMMANDS as CORE_COMMANDS
from chainmap.cli.main import GROUPS as CORE_GROUPS
from chainmap.cli.main import app as core_app
from chainmap.i18n import norm_lang, pick

__all__ = ["app", "main"]

app = new_app(
    name="chainmap",
    help="chainmap：产业链图谱、强链补链延链诊断与精准招商 / industrial-chain maps, gap analysis and lead ranking",
    no_args_is_help=True,
    # the core's commands and the matching layer's groups load when used
    cls=lazy_commands(
        CORE_COMMANDS,
        {**CORE_GROUPS, "candidates": "matching.cli:candidates_app", "leads": "matching.cli:leads_app"},
        group_order=(*CORE_GROUPS, "enterprises", "projects", "candidates", "leads", "keys"),
    ),
)
app.add_typer(core_app)
# imported when used: the project context's pydantic models would double the start-up time
# (tests/test_cli_startup.py checks that this help is the one of chainmap.projects.cli.app)
PROJECTS_HELP = "招商项目：登记、阶段流转、七跟法跟进、指标、导出 / investment projects: register, move, follow up, KPIs, export"
app.add_typer(lazy_app("chainmap.projects.cli:app", help=PROJECTS_HELP), name="projects")

keys_app = new_app(help="API 密钥管理 / API keys", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

LANG = LangOpt  # the shared --lang option (the name the commands below use)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / bind address"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    no_auth: bool = typer.Option(False, "--no-auth", help="不校验密钥（仅限 127.0.0.1）/ no API keys (127.0.0.1 only)"),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64,
        help="工作进程数，各有缓存，按存储修订号保持一致 / worker processes, each with its own cache (kept correct by the store revisions)",
    ),
    lang: str = LANG,
) -> None:
    """启动 HTTP 服务 / run the HTTP API with uvicorn (uvloop + httptools when installed)."""
    import uvicorn

    if _we_disabled_plugins:  # the server gets pydantic's default (see main)
        os.environ.pop(_PLUGINS_OFF, None)

    from api.main import create_app
    from api.settings import Settings

    lang = norm_lang(lang)
    settings = Settings().model_copy(update={"chainmap_warm_schema": True})
    os.environ["CHAINMAP_WARM_SCHEMA"] = "true"  # the workers build their settings from the environment
    if no_auth:
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(
                pick(lang, "错误: --no-auth 只能在 127.0.0.1 上使用。", "Error: --no-auth is only allowed on 127.0.0.1."), err=True
            )
            raise typer.Exit(2)
        settings = settings.model_copy(update={"chainmap_auth": False})
        typer.echo(
            pick(
                lang,
                f"注意：演示模式，未启用 API 密钥，仅监听 {host}。",
                f"Note: demo mode without API keys, listening on {host} only.",
            ),
            err=True,
        )
    typer.echo(pick(lang, f"界面: http://{host}:{port}/ui/  接口文档: http://{host}:{port}/docs", f"UI: http://{host}:{port}/ui/  API docs: http://{host}:{port}/docs"), err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    # Several processes: each builds its own app (own caches) from the environment, so the
    # settings travel as environment variables; the store is opened (and an empty one seeded)
    # once here, before the workers start, so they never race to load the seed.
    from api.state import StoreHolder

    holder = StoreHolder(settings)
    holder.get()
    holder.close()
    if no_auth:
        os.environ["CHAINMAP_AUTH"] = "false"
    typer.echo(pick(lang, f"{workers} 个工作进程", f"{workers} worker processes"), err=True)
    uvicorn.run(
        "api.main:create_app", factory=True, workers=workers, host=host, port=port, log_level="info", access_log=False
    )


@keys_app.command("create")
@handle_errors
def keys_create(
    role: str = typer.Option(..., "--role", help="viewer|taskforce|planner|admin"),
    label: str = typer.Option("", "--label", help="备注 / label"),
    lang: str = LANG,
) -> None:
    """创建密钥；明文只显示这一次 / create a key (shown once)."""
    from api.keys import create_key

    lang = norm_lang(lang)
    with open_store() as store:
        key, rec = create_key(store, role=role, label=label)
    typer.echo(pick(lang, f"已创建 {rec['role']} 密钥 {rec['id']}（请妥善保存，之后不再显示）：", f"Created {rec['role']} key {rec['id']} (store it now; it is not shown again):"), err=True)
    typer.echo(key)


@keys_app.command("list")
@handle_errors
def keys_list(fmt: str = format_option("table", "json"), lang: str = LANG) -> None:
    """列出密钥（不含明文）/ list keys (never the secret)."""
    from api.keys import list_keys

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    with open_store() as store:
        rows = list_keys(store)
    if fmt == "json":
        echo_json(rows)
        return
    headers = ["编号", "角色", "备注", "创建", "吊销"] if lang == "zh" else ["id", "role", "label", "created", "revoked"]
    echo_table(headers, [[r["id"], r["role"], r.get("label", ""), r.get("created"), r.get("revoked") or ""] for r in rows])


@keys_app.command("revoke")
@handle_errors
def keys_revoke(key_id: str = typer.Argument(..., help="密钥编号 / key id"), lang: str = LANG) -> None:
    """吊销密钥 / revoke a key."""
    from api.keys import revoke_key

    lang = norm_lang(lang)
    with open_store() as store:
        revoke_key(store, key_id)
    typer.echo(pick(lang, f"已吊销 {key_id}", f"Revoked {key_id}"))


@app.command("demo")
@handle_errors
def demo(
    k: int = typer.Option(3, "-k", min=1, max=20, help="每条链显示的线索数 / leads shown per chain"),
    lang: str = LANG,
) -> None:
    """演示：载入种子，打印合汽生材概览、缺口和招商线索 / demo: seed, summary, gaps and leads."""
    from chainmap import service
    from chainmap.cache import ResultCache
    from chainmap.cli.chains import print_chains
    from chainmap.cli.gaps import demo_summary
    from matching import service as leads_service

    lang = norm_lang(lang)
    cache = ResultCache()  # one gap analysis for the summary and the leads
    with open_store() as store:
        data = store_data(store, lang, cache=cache)
        info = store.ping()
        rule = "=" * 72
        typer.echo(rule)
        typer.echo(pick(lang, f"chainmap 演示 · 运城市「合汽生材」 · 存储：{info.get('backend')} {info.get('detail', '')}",
                        f"chainmap demo · Yuncheng 合汽生材 · store: {info.get('backend')} {info.get('detail', '')}"))
        typer.echo(rule)
        typer.echo(pick(lang, "\n一、产业链与本地企业", "\n1. Chains and local enterprises"))
        print_chains(service.chain_summary(data=data), lang)
        typer.echo(pick(lang, "\n二、缺口诊断", "\n2. Gap analysis"))
        typer.echo(demo_summary(data, lang, cache=cache))
        report = service.gap_report(data=data, cache=cache, lang=lang)
        pool = leads_service.candidate_pool(store=store, data=data, cache=cache)
        typer.echo(pick(lang, f"三、招商线索（每条链前{k}名：先按缺口优先级，依次列出各缺口得分最高的候选）",
                        f"3. Leads (top {k} per chain: the best-scoring candidate of each gap, "
                        "gaps in order of priority)"))
        if pool.demo:
            n = len(pool.candidates)
            typer.echo(pick(lang, f"  （候选池为内置演示数据：{n}家真实企业，数值字段留空）",
                            f"  (candidate pool: shipped demo data, {n} real firms, numbers left empty)"))
        for chain in report.chains:
            # the same ranking as `chainmap leads --chain ...` and GET /leads (outcomes included)
            page = leads_service.lead_page(store=store, data=data, cache=cache, chain=chain, k=k, lang=lang)
            typer.echo(f"\n  【{report.chain_names.get(chain, chain)}】")
            for lead in page.items:
                typer.echo(f"  {lead.rank}. {lead.name}  {pick(lang, '得分', 'score')} {lead.score:.2f} → {lead.gap_segment_name}")
                typer.echo(f"     {lead.reason}")
    typer.echo("\n" + pick(
        lang,
        "下一步：chainmap gaps --chain qi --format html -o qi.html（报告）；chainmap leads -k 10（线索）；chainmap serve --no-auth 后打开 http://127.0.0.1:8000/ui/（链图）",
        "Next: chainmap gaps --chain qi --format html -o qi.html (report); chainmap leads -k 10 (leads); chainmap serve --no-auth then open http://127.0.0.1:8000/ui/ (chain map)",
    ))


#: set by :func:`main` for the commands (see there); ``serve`` takes it back for the server
_PLUGINS_OFF = "PYDANTIC_DISABLE_PLUGINS"
_we_disabled_plugins = False


def main() -> None:
    """Console-script entry point.

    The commands load no pydantic plugins (the documented ``PYDANTIC_DISABLE_PLUGINS``, unless
    the caller set it): finding them scans the entry points of every installed distribution,
    ~8 ms of each start, and chainmap uses none.  ``chainmap serve`` gives the server the
    default back."""
    global _we_disabled_plugins
    if _PLUGINS_OFF not in os.environ:
        os.environ[_PLUGINS_OFF] = "__all__"
        _we_disabled_plugins = True
    app()


if __name__ == "__main__":
    main()
