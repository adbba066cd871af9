"""Import a whole chain from what planners have: an edge list or a drawn graph.

:func:`import_chain` is the one use case behind ``chainmap chain import FILE`` and
``POST /chains/import``.  It reads

* an **edge list** (CSV / TSV / XLSX / JSON through :func:`chainmap.tabular.read_table`,
  the one table reader): one row per link, headers in Chinese or English
  (:data:`EDGE_COLUMNS`): 上游环节 / source, 下游环节 / target (required), 关系 / kind,
  权重 / weight, 说明 / note, 来源 / sources, and optionally 上游阶段 / 下游阶段
  (source_stage / target_stage), 上游类型 / 下游类型 (segment kind: product / endowment /
  adopter / service or 产品环节 / 资源禀赋 / 应用环节 / 服务环节), 上游英文名 / 下游英文名,
  上游编号 / 下游编号 (explicit segment ids);
* a **graph file**: GraphML (yEd) or GEXF (Gephi), as :func:`chainmap.graph.export_graph`
  writes them: nodes are segments (``name_zh`` or ``label``, optional ``name_en``,
  ``stage``, ``kind``), edges links (``kind``, ``weight``, ``note``).

It creates one chain, its segments and its links.  A cell (or node) naming the id of a
segment already stored in another chain is a reference to it: the row becomes a
cross-chain link, the chain's declared neighbour.  Segment ids are ``<chain>.<pinyin of
the name>`` unless given.  Missing stages are inferred from the supply graph by
longest-path layering (:func:`infer_stages`) and the segments are marked
``stage_inferred``.  The result is validated like the seed (the models, then
:func:`chainmap.seed.validate_data` on the store's data plus the new chain) and written
in one all-or-nothing ``bulk_upsert``; ``dry_run`` validates and reports without writing.

>>> csv = "上游环节,下游环节,关系,来源\\n硅料,硅片,,src\\n硅片,电池片,供应,src\\n".encode()
>>> plan = read_chain_file(csv, filename="pv.csv", chain_id="pv", name_zh="光伏")
>>> [(s.id, s.stage.value, s.stage_inferred) for s in plan.segments]
[('pv.dian_chi_pian', 'downstream', True), ('pv.gui_liao', 'upstream', True), ('pv.gui_pian', 'midstream', True)]
>>> [(ln.source, ln.target, ln.kind.value) for ln in plan.links]
[('pv.gui_liao', 'pv.gui_pian', 'supplies'), ('pv.gui_pian', 'pv.dian_chi_pian', 'supplies')]
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic import ValidationError

from chainmap.data import ChainData
from chainmap.exceptions import Conflict, InvalidInput, RowError
from chainmap.labels import LINK_KIND, SEGMENT_KIND
from chainmap.limits import Limits
from chainmap.models import ID_PATTERN, Chain, Link, LinkKind, Segment, Stage
from chainmap.tabular import read_table, shown_value

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = [
    "EDGE_COLUMNS",
    "GRAPH_SUFFIXES",
    "ChainPlan",
    "read_chain_file",
    "infer_stages",
    "segment_slug",
    "import_chain",
]

#: canonical column -> accepted headers (compared case-insensitively, spaces and '_' ignored)
EDGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "source": ("上游环节", "上游", "供给环节", "source", "upstream", "from"),
    "target": ("下游环节", "下游", "需求环节", "target", "downstream", "to"),
    "kind": ("关系", "关系类型", "kind", "relation", "type"),
    "weight": ("权重", "投入占比", "weight", "share"),
    "note": ("说明", "备注", "note", "notes", "description"),
    "sources": ("来源", "出处", "依据", "sources", "reference", "references", "ref"),
    "source_stage": ("上游阶段", "上游环节阶段", "source_stage", "upstream_stage"),
    "target_stage": ("下游阶段", "下游环节阶段", "target_stage", "downstream_stage"),
    "source_name_en": ("上游英文名", "source_name_en", "upstream_name_en"),
    "target_name_en": ("下游英文名", "target_name_en", "downstream_name_en"),
    "source_kind": ("上游类型", "上游环节类型", "source_kind", "upstream_kind"),
    "target_kind": ("下游类型", "下游环节类型", "target_kind", "downstream_kind"),
    "source_id": ("上游编号", "source_id", "upstream_id"),
    "target_id": ("下游编号", "target_id", "downstream_id"),
}
#: Files read as a graph rather than a table.
GRAPH_SUFFIXES = (".graphml", ".gexf")

#: 关系 values: the codes, their labels (:data:`chainmap.labels.LINK_KIND`) and common synonyms.
_KIND_WORDS: dict[str, LinkKind] = {
    **{code: LinkKind(code) for code in LINK_KIND},
    **{zh: LinkKind(code) for code, (zh, _en) in LINK_KIND.items()},
    **{en: LinkKind(code) for code, (_zh, en) in LINK_KIND.items()},
    "供应": LinkKind.supplies, "供给": LinkKind.supplies, "投入": LinkKind.supplies, "上下游": LinkKind.supplies,
    "细分": LinkKind.part_of, "组成": LinkKind.part_of, "属于": LinkKind.part_of, "part-of": LinkKind.part_of,
    "支撑": LinkKind.enables, "赋能": LinkKind.enables, "配套": LinkKind.enables,
}  # fmt: skip
_SEGMENT_KIND_WORDS: dict[str, str] = {
    **{code: code for code in SEGMENT_KIND},
    **{zh: code for code, (zh, _en) in SEGMENT_KIND.items()},
}
_ID_RE = re.compile(ID_PATTERN)


def _norm_header(h: str) -> str:
    return re.sub(r"[\s_\-]+", "", h.strip().lower())


_HEADER_INDEX = {_norm_header(alias): col for col, aliases in EDGE_COLUMNS.items() for alias in aliases}


def segment_slug(name: str) -> str:
    """An id part for a segment name: pinyin syllables joined by ``_`` (ASCII kept).

    >>> segment_slug("多晶硅料"), segment_slug("PERC 电池"), segment_slug("储能 (BESS)")
    ('duo_jing_gui_liao', 'perc_dian_chi', 'chu_neng_bess')
    """
    from pypinyin import lazy_pinyin  # a maintained converter; imported only when a chain is imported

    words = lazy_pinyin(name, errors=lambda chars: chars)
    text = "_".join(w for w in words if w.strip())
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    slug = slug[:60].strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"s_{slug}" if slug else "s"
    return slug


# ---------------------------------------------------------------- stages


def infer_stages(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, Stage]:
    """Stages by longest-path layering of the supply graph.

    Each node's layer is the length of the longest supply path reaching it (cycles are
    condensed first); with ``M`` the deepest layer, layer ``L`` is upstream when
    ``L / M < 1/3``, downstream when ``L / M > 2/3``, midstream otherwise (a graph
    without links: midstream).

    >>> s = infer_stages("abcd", [("a", "b"), ("b", "c"), ("c", "d")])
    >>> {n: v.value for n, v in s.items()}
    {'a': 'upstream', 'b': 'midstream', 'c': 'midstream', 'd': 'downstream'}
    """
    G = nx.DiGraph()
    G.add_nodes_from(sorted(set(nodes)))
    G.add_edges_from(sorted(edges))
    C = nx.condensation(G)
    layer: dict[int, int] = {}
    for c in nx.topological_sort(C):
        layer[c] = max((layer[p] + 1 for p in C.predecessors(c)), default=0)
    deepest = max(layer.values(), default=0)
    out: dict[str, Stage] = {}
    for n in G.nodes:
        lv = layer[C.graph["mapping"][n]]
        if deepest == 0:
            out[n] = Stage.midstream
        elif lv / deepest < 1 / 3:
            out[n] = Stage.upstream
        elif lv / deepest > 2 / 3:
            out[n] = Stage.downstream
        else:
            out[n] = Stage.midstream
    return out


# ---------------------------------------------------------------- reading


@dataclass
class _Node:
    """A segment as read: first place seen (row or node id), attributes given."""

    name: str
    where: int
    given_id: str | None = None
    stage: str | None = None
    name_en: str | None = None
    kind: str | None = None
    sources: list[str] = field(default_factory=list)
    existing: str | None = None  # id of a stored segment of another chain


@dataclass
class _Edge:
    where: int
    source: str
    target: str
    kind: str
    weight: str
    note: str
    sources: list[str]


@dataclass
class ChainPlan:
    """A validated chain import: what :func:`import_chain` writes (or would, on a dry run)."""

    chain: Chain
    segments: list[Segment]
    links: list[Link]
    external: list[str]  # stored segments of other chains linked by the import (declared neighbours)
    file: str
    merged: ChainData | None = None  # the store's data plus the plan, once validated

    @property
    def inferred(self) -> list[str]:
        return [s.id for s in self.segments if s.stage_inferred]

    def summary(self, *, dry_run: bool) -> dict[str, Any]:
        """What the CLI prints and the API returns."""
        cross = sum(1 for ln in self.links if ln.source in self.external or ln.target in self.external)
        return {
            "chain": self.chain.id,
            "name_zh": self.chain.name_zh,
            "file": self.file,
            "dry_run": dry_run,
            "segments": len(self.segments),
            "links": len(self.links),
            "parent_links": 0,
            "cross_chain_links": cross,
            "neighbours": list(self.external),
            "stages_inferred": self.inferred,
            "segment_ids": {s.name_zh: s.id for s in self.segments},
        }


def _split_sources(v: str) -> list[str]:
    return [s.strip() for s in re.split(r"[;；]", v or "") if s.strip()]


def _edges_from_table(raw: bytes, filename: str, limits: Limits | None) -> tuple[list[_Edge], dict[str, _Node], list[RowError]]:
    table = read_table(raw, filename=filename, limits=limits)
    errors: list[RowError] = list(table.errors)
    col_of: dict[str, str] = {}
    for h in table.columns:
        canon = _HEADER_INDEX.get(_norm_header(h))
        if canon is not None and canon not in col_of:
            col_of[canon] = h
    missing = [c for c in ("source", "target") if c not in col_of]
    if missing:
        expected = "; ".join(f"{c}: {' / '.join(EDGE_COLUMNS[c])}" for c in missing)
        raise InvalidInput(
            f"missing required column(s) {', '.join(missing)}; expected a header for {expected}; "
            f"got {', '.join(table.columns) or '(none)'}",
            file=filename,
            field="header",
            hint="每行一条关联：上游环节,下游环节[,关系,权重,说明,来源] / one link per row",
        )
    nodes: dict[str, _Node] = {}
    edges: list[_Edge] = []
    for row in table.rows:
        v = {c: (row.values.get(h) or "").strip() for c, h in col_of.items()}
        ok = True
        for end in ("source", "target"):
            if not v.get(end):
                errors.append(RowError(row=row.number, column=col_of[end], value="", reason=f"empty {end} segment name"))
                ok = False
        if not ok:
            continue
        srcs = _split_sources(v.get("sources", ""))
        for end in ("source", "target"):
            name = v[end]
            node = nodes.setdefault(name, _Node(name=name, where=row.number))
            for attr, col in (
                ("stage", f"{end}_stage"), ("name_en", f"{end}_name_en"), ("given_id", f"{end}_id"), ("kind", f"{end}_kind"),
            ):  # fmt: skip
                val = v.get(col)
                if not val:
                    continue
                prev = getattr(node, attr)
                if prev is not None and prev != val:
                    errors.append(
                        RowError(row=row.number, column=col_of[col], value=val,
                                 reason=f"{name!r} was given {prev!r} in row {node.where}")
                    )  # fmt: skip
                setattr(node, attr, val)
            node.sources.extend(s for s in srcs if s not in node.sources)
        edges.append(
            _Edge(row.number, v["source"], v["target"], v.get("kind", ""), v.get("weight", ""), v.get("note", ""), srcs)
        )
    if not edges and not errors:
        raise InvalidInput("the file has a header but no links; nothing was imported", file=filename)
    return edges, nodes, errors


def _reject_dtd(text: str, filename: str) -> None:
    head = text[:4096].lower()
    if "<!doctype" in head or "<!entity" in text.lower():
        raise InvalidInput(
            "graph files with a DTD or entity declarations are refused", file=filename, field="<!DOCTYPE>",
            hint="export the graph again from yEd / Gephi / chainmap without a DOCTYPE",
        )


def _edges_from_graph(raw: bytes, filename: str, limits: Limits | None) -> tuple[list[_Edge], dict[str, _Node], list[RowError]]:
    lim = limits if limits is not None else Limits.from_env()
    if len(raw) > lim.max_upload_bytes:
        raise InvalidInput(f"file larger than {lim.max_upload_bytes} bytes", file=filename)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        raise InvalidInput(f"graph file is not UTF-8: {bad}", file=filename) from None
    _reject_dtd(text, filename)
    suffix = Path(filename).suffix.lower()
    try:
        G = nx.read_gexf(io.BytesIO(text.encode())) if suffix == ".gexf" else nx.read_graphml(io.BytesIO(text.encode()))
    except Exception as bad:  # noqa: BLE001 - any parser error is the user's file: say so
        raise InvalidInput(f"cannot read {suffix[1:].upper()} file: {bad}", file=filename) from None
    nodes: dict[str, _Node] = {}
    key_of: dict[Any, str] = {}
    errors: list[RowError] = []
    for i, (n, d) in enumerate(sorted(G.nodes(data=True), key=lambda x: str(x[0])), start=1):
        name = str(d.get("name_zh") or d.get("label") or n).strip()
        if name in nodes:
            errors.append(RowError(row=i, column="label", value=name, reason=f"two nodes named {name!r}"))
            continue
        node = _Node(name=name, where=i)
        node.given_id = str(n) if _ID_RE.match(str(n)) else None
        node.stage = str(d["stage"]) if d.get("stage") else None
        node.name_en = str(d["name_en"]) if d.get("name_en") else None
        node.kind = str(d["kind"]) if d.get("kind") else None
        node.sources = _split_sources(str(d.get("sources") or ""))
        nodes[name] = node
        key_of[n] = name
    edges: list[_Edge] = []
    for j, (u, v, d) in enumerate(sorted(G.edges(data=True), key=lambda x: (str(x[0]), str(x[1]))), start=1):
        if u not in key_of or v not in key_of:
            continue
        w = d.get("weight")
        edges.append(
            _Edge(j, key_of[u], key_of[v], str(d.get("kind") or ""), "" if w is None else str(w),
                  str(d.get("note") or ""), _split_sources(str(d.get("sources") or "")))
        )  # fmt: skip
    if not nodes:
        raise InvalidInput("the graph has no nodes; nothing was imported", file=filename)
    return edges, nodes, errors


# ---------------------------------------------------------------- building


def read_chain_file(
    raw: bytes,
    *,
    filename: str,
    chain_id: str,
    name_zh: str,
    name_en: str | None = None,
    letter: str | None = None,
    description: str = "",
    sources: Sequence[str] = (),
    data: ChainData | None = None,
    limits: Limits | None = None,
) -> ChainPlan:
    """Read and validate a chain file into a :class:`ChainPlan` (nothing is written).

    ``data`` is the store's current read model: stored segment ids of other chains may
    be named as link ends, and the plan is validated together with it.

    Raises
    ------
    InvalidInput
        Listing every bad row (``errors``: row, column, value, reason) or the seed-style
        problems (``problems``); nothing is imported.
    Conflict
        When ``chain_id`` is already stored.
    """
    data = data if data is not None else ChainData([], [], [], [], [])
    try:
        chain = Chain(
            id=chain_id, name_zh=name_zh, name_en=name_en or "", letter=letter, description=description,
            sources=list(sources),
        )  # fmt: skip
    except ValidationError as bad:
        err = bad.errors()[0]
        fld = str(err["loc"][0]) if err["loc"] else "chain"
        raise InvalidInput(
            f"{err['msg'].removeprefix('Value error, ')} (value {shown_value(err.get('input'))!r})",
            field=f"--{fld.replace('_', '-')}", hint="chain id: lower-case ASCII, e.g. pv or new_energy",
        ) from None
    if chain.id in {c.id for c in data.chains}:
        raise Conflict(f"chain {chain.id!r} already exists; choose another id", field="chain")
    suffix = Path(filename).suffix.lower()
    reader = _edges_from_graph if suffix in GRAPH_SUFFIXES else _edges_from_table
    edges, nodes, errors = reader(raw, filename, limits)
    col = "node" if suffix in GRAPH_SUFFIXES else "row"

    stored = {s.id: s for s in data.segments}
    ids: dict[str, str] = {}
    taken: set[str] = set(stored)
    for name in sorted(nodes):
        node = nodes[name]
        cand = node.given_id or (name if _ID_RE.match(name) else None)
        if cand and cand in stored:
            if stored[cand].chain == chain.id:  # cannot happen: the chain is new
                continue
            node.existing = cand
            ids[name] = cand
            continue
        if node.given_id:
            if not node.given_id.startswith(f"{chain.id}."):
                # an id from another tool or chain (yEd's n0, an exported qi.cell not stored): our own
                node.given_id = None
            elif node.given_id in taken:
                errors.append(RowError(row=node.where, column=f"{col} id", value=node.given_id, reason="id used twice"))
                continue
    for name in sorted(nodes):
        node = nodes[name]
        if name in ids:
            continue
        sid = node.given_id or f"{chain.id}.{segment_slug(name)}"
        base, k = sid, 2
        while sid in taken:
            sid, k = f"{base}_{k}", k + 1
        taken.add(sid)
        ids[name] = sid

    own = [n for n in sorted(nodes) if nodes[n].existing is None]
    if not own:
        raise InvalidInput(
            "every segment of the file is already stored in another chain; nothing new to import",
            file=filename, hint="give the new segments names or ids that are not stored yet",
        )  # fmt: skip
    supply_pairs = []
    kinds: dict[int, LinkKind] = {}
    for e in edges:
        word = e.kind.strip()
        kind = _KIND_WORDS.get(word) or _KIND_WORDS.get(word.lower()) if word else LinkKind.supplies
        if kind is None:
            valid = sorted({*LINK_KIND, *(zh for zh, _ in LINK_KIND.values())})
            errors.append(RowError(row=e.where, column="kind", value=e.kind, reason=f"unknown relation; valid: {', '.join(valid)}"))
            continue
        kinds[e.where] = kind
        if kind is LinkKind.supplies:
            supply_pairs.append((e.source, e.target))
    inferred = infer_stages(list(nodes), supply_pairs)

    segments: list[Segment] = []
    for name in own:
        node = nodes[name]
        stage_inferred = not node.stage
        raw_seg: dict[str, Any] = {
            "id": ids[name],
            "chain": chain.id,
            "name_zh": name,
            "name_en": node.name_en or "",
            "stage": node.stage or inferred[name].value,
            "stage_inferred": stage_inferred,
            "sources": node.sources or list(chain.sources),
        }
        if node.kind:
            raw_seg["kind"] = _SEGMENT_KIND_WORDS.get(node.kind, node.kind)
        try:
            segments.append(Segment.model_validate(raw_seg))
        except ValidationError as ex:
            for err in ex.errors():
                fld = str(err["loc"][0]) if err["loc"] else ""
                errors.append(
                    RowError(row=node.where, column=f"{name} {fld}".strip(), value=shown_value(raw_seg.get(fld)),
                             reason=err["msg"].removeprefix("Value error, "))
                )  # fmt: skip

    links: list[Link] = []
    link_rows: dict[str, int] = {}
    for e in edges:
        if e.where not in kinds:
            continue
        srcs = e.sources or list(chain.sources)
        if not srcs:
            errors.append(
                RowError(row=e.where, column="sources", value="",
                         reason="every link needs a source: fill 来源 / sources or give the chain a source (--source)")
            )  # fmt: skip
            continue
        raw_link = {
            "source": ids[e.source], "target": ids[e.target], "kind": kinds[e.where].value,
            "weight": e.weight or None, "note": e.note, "sources": srcs,
        }  # fmt: skip
        try:
            links.append(Link.model_validate(raw_link))
            link_rows[f"{raw_link['source']}->{raw_link['target']}"] = e.where  # the seed reports the last
        except ValidationError as ex:
            for err in ex.errors():
                fld = str(err["loc"][0]) if err["loc"] else ""
                value = {"weight": e.weight}.get(fld, f"{e.source} -> {e.target}")
                errors.append(RowError(row=e.where, column=fld or "link", value=shown_value(value), reason=err["msg"].removeprefix("Value error, ")))
    if errors:
        errors.sort(key=lambda x: x.row)
        raise InvalidInput(
            f"{len(errors)} problem(s) in the chain file; nothing was imported",
            file=filename,
            errors=errors,
            hint="fix the rows listed in errors and import again / 请按错误列表修改后重新导入",
        )
    external = sorted({n.existing for n in nodes.values() if n.existing})
    plan = ChainPlan(chain=chain, segments=segments, links=links, external=external, file=filename)
    seg_rows = {ids[n]: nodes[n].where for n in own}
    plan.merged = _validate_with(plan, data, seg_rows, link_rows)
    return plan


def _validate_with(
    plan: ChainPlan, data: ChainData, seg_rows: Mapping[str, int], link_rows: Mapping[str, int]
) -> ChainData:
    """The seed's cross-reference checks on the store's data plus the plan (one root error per cause)."""
    from chainmap.seed import validate_data

    origin = dict(data.origin)
    for s in plan.segments:
        origin[("segment", s.id)] = (plan.file, seg_rows.get(s.id))
    for key, row in link_rows.items():
        origin[("link", key)] = (plan.file, row)
    origin[("chain", plan.chain.id)] = (plan.file, None)
    merged = ChainData(
        [*data.chains, plan.chain], list(data.regions), [*data.segments, *plan.segments],
        [*data.links, *plan.links], list(data.enterprises), origin, policies=list(data.policies),
    )  # fmt: skip
    problems = validate_data(merged)
    if problems:
        first = problems[0]
        raise InvalidInput(
            first.message, file=first.file, line=first.line, field=first.field,
            problems=[str(p) for p in problems], hint=f"{len(problems)} problem(s); nothing was imported",
        )  # fmt: skip
    return merged


def import_chain(
    store: Store,
    raw: bytes,
    *,
    filename: str,
    chain_id: str,
    name_zh: str,
    name_en: str | None = None,
    letter: str | None = None,
    description: str = "",
    sources: Sequence[str] = (),
    enterprises: bytes | None = None,
    enterprises_filename: str = "enterprises.csv",
    dry_run: bool = False,
    data: ChainData | None = None,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Read, validate and (unless ``dry_run``) write a chain file: the one use case of
    ``chainmap chain import`` and ``POST /chains/import``.

    ``enterprises`` is an optional local-enterprise table (the columns of
    :mod:`chainmap.enterprise_import`, the importer of ``POST /enterprises/import``),
    validated against the store plus the new chain, so its rows may name the new
    segment ids.  ``data`` defaults to the store's read model.  All or nothing: any
    problem in either file raises (InvalidInput / Conflict) before anything is written,
    and the write is one ``bulk_upsert``.  Returns :meth:`ChainPlan.summary`, with
    ``enterprises`` (how many) when a table was given.
    """
    if data is None:
        from chainmap.service import chain_data

        data = chain_data(store=store)
    plan = read_chain_file(
        raw, filename=filename, chain_id=chain_id, name_zh=name_zh, name_en=name_en, letter=letter,
        description=description, sources=sources, data=data, limits=limits,
    )  # fmt: skip
    summary = plan.summary(dry_run=dry_run)
    ents: list[Any] = []
    if enterprises is not None:
        from chainmap.enterprise_import import enterprises_from_upload

        assert plan.merged is not None
        ents = list(enterprises_from_upload(enterprises, filename=enterprises_filename, data=plan.merged, limits=limits))
        summary["enterprises"] = len(ents)
    if not dry_run:
        store.bulk_upsert(chains=[plan.chain], segments=plan.segments, links=plan.links, enterprises=ents)
    return summary
