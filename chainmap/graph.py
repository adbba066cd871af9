"""The chain graph: model objects <-> a networkx DiGraph, queries and exports.

Nodes are segment ids with the segment's fields as attributes plus ``top_chain``
(the 合/汽/生/材 chain the segment belongs to, sub-chains folded into their
parent).  Edges carry ``kind`` (supplies / part_of / enables), ``weight``
(share of the target's inputs, or None), ``cross_chain`` and ``note``.
A segment's ``parent`` becomes a ``part_of`` edge child -> parent.

>>> from chainmap.models import Chain, Segment, Link
>>> chains = [Chain(id="c", name_zh="链", name_en="Chain", letter="汽")]
>>> segs = [Segment(id=f"c.{n}", chain="c", name_zh=n, name_en=n, stage=s)
...         for n, s in [("ore", "upstream"), ("metal", "midstream"), ("car", "downstream")]]
>>> G = build_graph(chains, segs, [Link(source="c.ore", target="c.metal"), Link(source="c.metal", target="c.car")])
>>> sorted(upstream(G, "c.car"))
['c.metal', 'c.ore']
>>> stage_layers(G)["midstream"]
['c.metal']
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

# chain_roots is re-exported: the chain hierarchy lives with the read model, which needs no networkx
from chainmap.data import chain_roots
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Chain, Link, LinkKind, Segment, Stage

__all__ = [
    "build_graph",
    "chain_roots",
    "chain_segments",
    "upstream",
    "downstream",
    "stage_layers",
    "paths",
    "chain_subgraph",
    "supply_graph",
    "export_graph",
    "read_graph",
    "layered_positions",
    "layered_order",
    "annotate_export",
    "EXPORT_FORMATS",
]

EXPORT_FORMATS = ("json", "cytoscape", "gexf", "graphml")


def build_graph(chains: Sequence[Chain], segments: Iterable[Segment], links: Iterable[Link]) -> nx.DiGraph:
    """Build the chain graph from model objects (assumed validated by the loader).

    Links whose ends are unknown raise :class:`InvalidInput`.
    """
    roots = chain_roots(chains)
    G = nx.DiGraph()
    G.graph["chains"] = {
        c.id: {"name_zh": c.name_zh, "name_en": c.name_en, "letter": c.letter, "parent": c.parent, "root": roots[c.id]}
        for c in chains
    }
    for s in segments:
        attrs = s.model_dump(mode="json", exclude={"id"})
        attrs["top_chain"] = roots.get(s.chain, s.chain)
        G.add_node(s.id, **attrs)
    for s_id, data in list(G.nodes(data=True)):
        parent = data.get("parent")
        if parent:
            if parent not in G:
                raise InvalidInput(f"unknown parent segment {parent!r}", field="parent", segment=s_id)
            _add_edge(G, s_id, parent, LinkKind.part_of.value, None, "")
    for ln in links:
        for end in (ln.source, ln.target):
            if end not in G:
                raise InvalidInput(f"link refers to unknown segment {end!r}", field="source/target")
        _add_edge(G, ln.source, ln.target, ln.kind.value, ln.weight, ln.note)
    return G


def _add_edge(G: nx.DiGraph, u: str, v: str, kind: str, weight: float | None, note: str) -> None:
    cross = G.nodes[u]["top_chain"] != G.nodes[v]["top_chain"]
    G.add_edge(u, v, kind=kind, weight=weight, cross_chain=cross, note=note)


def _check_node(G: nx.DiGraph, node: str) -> None:
    if node not in G:
        raise NotFound(f"unknown segment {node!r}", field="segment")


def supply_graph(G: nx.DiGraph, kinds: Sequence[str] = ("supplies",)) -> nx.DiGraph:
    """Subgraph view keeping only edges of the given kinds (default: supplies)."""
    wanted = set(kinds)
    return nx.subgraph_view(G, filter_edge=lambda u, v: G.edges[u, v]["kind"] in wanted)


def upstream(G: nx.DiGraph, segment: str, kinds: Sequence[str] = ("supplies",)) -> set[str]:
    """All segments from which ``segment`` is reachable through edges of ``kinds``."""
    _check_node(G, segment)
    return set(nx.ancestors(supply_graph(G, kinds), segment))


def downstream(G: nx.DiGraph, segment: str, kinds: Sequence[str] = ("supplies",)) -> set[str]:
    """All segments reachable from ``segment`` through edges of ``kinds``."""
    _check_node(G, segment)
    return set(nx.descendants(supply_graph(G, kinds), segment))


def chain_segments(G: nx.DiGraph, chain: str) -> list[str]:
    """Segment ids of a chain (a top-level chain includes its sub-chains), sorted.

    Raises NotFound listing the valid chain ids for an unknown chain.
    """
    chains = G.graph.get("chains", {})
    if chain not in chains:
        raise NotFound(f"unknown chain {chain!r}; valid: {', '.join(sorted(chains))}", field="chain")
    is_top = chains[chain]["root"] == chain
    return sorted(
        n for n, d in G.nodes(data=True) if (d["top_chain"] == chain if is_top else d["chain"] == chain)
    )


def stage_layers(G: nx.DiGraph, chain: str | None = None) -> dict[str, list[str]]:
    """Segments per stage (upstream / midstream / downstream), each sorted by (order, id)."""
    nodes = chain_segments(G, chain) if chain else list(G.nodes)
    layers: dict[str, list[str]] = {s.value: [] for s in Stage}
    for n in nodes:
        layers[G.nodes[n]["stage"]].append(n)
    for k in layers:
        layers[k].sort(key=lambda n: (G.nodes[n].get("order", 0), n))
    return layers


def paths(
    G: nx.DiGraph, source: str, target: str, *, kinds: Sequence[str] = ("supplies",), cutoff: int | None = 10
) -> list[list[str]]:
    """All simple paths from source to target over edges of ``kinds`` (sorted).

    >>> H = nx.DiGraph(chains={})
    >>> H.add_edges_from([("a", "b"), ("b", "c"), ("a", "c")], kind="supplies")
    >>> paths(H, "a", "c")
    [['a', 'b', 'c'], ['a', 'c']]
    """
    _check_node(G, source)
    _check_node(G, target)
    return sorted(nx.all_simple_paths(supply_graph(G, kinds), source, target, cutoff=cutoff))


def chain_subgraph(G: nx.DiGraph, chain: str, *, neighbours: bool = True) -> nx.DiGraph:
    """One chain's subgraph (a copy, nodes and edges in ``G``'s order); with ``neighbours``
    also the segments of other chains linked to it, marked ``external=True``."""
    own = set(chain_segments(G, chain))
    nodes = set(own)
    if neighbours:
        for n in own:
            nodes.update(G.predecessors(n))
            nodes.update(G.successors(n))
    # built in G's order (a subgraph view iterates the ``nodes`` set, whose order changes
    # with the process's string hashing): the same chain always exports the same bytes
    H = nx.DiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from((n, d.copy()) for n, d in G.nodes(data=True) if n in nodes)
    H.add_edges_from((u, v, d.copy()) for u, v, d in G.edges(data=True) if u in nodes and v in nodes)
    for n in H.nodes:
        H.nodes[n]["external"] = n not in own
    H.graph["chain"] = chain
    return H


# ---------------------------------------------------------------- layout for exports

#: spacing of :func:`layered_positions` (px: the web page's box is 172 x ~60)
LAYER_GAP, ROW_GAP = 240.0, 80.0


def layered_positions(G: nx.DiGraph, *, sweeps: int = 8) -> dict[str, tuple[float, float]]:
    """Positions of :func:`layered_order`: ``{node: (x, y)}`` with x the layer times
    :data:`LAYER_GAP` and y the row times :data:`ROW_GAP`.

    >>> H = nx.DiGraph()
    >>> H.add_edges_from([("a", "b"), ("b", "c"), ("a", "c")], kind="supplies")
    >>> layered_positions(H)
    {'a': (0.0, 0.0), 'b': (240.0, 0.0), 'c': (480.0, 0.0)}
    """
    layers = layered_order(G, sweeps=sweeps)
    return {n: (i * LAYER_GAP, k * ROW_GAP) for i, ls in enumerate(layers) for k, n in enumerate(ls)}


def layered_order(G: nx.DiGraph, *, sweeps: int = 8) -> list[list[str]]:
    """A deterministic layered (Sugiyama-style) drawing of ``G`` for the GEXF/GraphML exports:
    the flow links (every kind but ``part_of``) made acyclic by dropping the links that close a
    cycle (depth-first in sorted order), each segment in the layer after its longest chain of
    suppliers, then the order within each layer by barycentre sweeps down and up (crossing
    reduction), ties by (stage, seed order, id). Returns the layers, left to right (suppliers
    first), each top to bottom.

    The web page lays out with ELK in the browser (``api/static/chainlayout.js``); this is the
    same idea in pure Python so an export (and the server's SVG) has a layout without a browser.

    >>> H = nx.DiGraph()
    >>> H.add_edges_from([("a", "b"), ("b", "c"), ("a", "c")], kind="supplies")
    >>> layered_order(H)
    [['a'], ['b'], ['c']]
    """
    stage_rank = {s.value: i for i, s in enumerate(Stage)}

    def tie(n: str) -> tuple[int, int, str]:
        d = G.nodes[n]
        return (stage_rank.get(str(d.get("stage", "")), 1), int(d.get("order", 0) or 0), n)

    nodes = sorted(G.nodes, key=tie)
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v, d in G.edges(data=True):
        if d.get("kind") != "part_of" and u != v:
            succ[u].append(v)
    for n in succ:
        succ[n].sort(key=tie)
    # drop back edges (iterative DFS, sorted): the rest is a DAG
    state: dict[str, int] = {}
    dag: dict[str, list[str]] = {n: [] for n in nodes}
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            n, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[n] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                continue  # closes a cycle: not used for layering
            dag[n].append(nxt)
            if nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    layer = dict.fromkeys(nodes, 0)
    for n in _topological(nodes, dag):
        for v in dag[n]:
            layer[v] = max(layer[v], layer[n] + 1)
    depth = max(layer.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for n in nodes:
        layers[layer[n]].append(n)
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for u in nodes:
        for v in succ[u]:
            preds[v].append(u)

    def sweep(order: list[list[str]], down: bool) -> None:
        rng = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
        for i in rng:
            ref = {n: k for k, n in enumerate(order[i - 1 if down else i + 1])}
            keyed = []
            for k, n in enumerate(order[i]):
                near = [ref[m] for m in (preds[n] if down else succ[n]) if m in ref]
                keyed.append((sum(near) / len(near) if near else float(k), k, n))
            order[i] = [n for _, _, n in sorted(keyed)]

    for s in range(sweeps):
        sweep(layers, down=s % 2 == 0)
    return layers


def _topological(nodes: list[str], dag: dict[str, list[str]]) -> list[str]:
    indeg = dict.fromkeys(nodes, 0)
    for n in nodes:
        for v in dag[n]:
            indeg[v] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    out: list[str] = []
    while ready:
        n = ready.pop(0)
        out.append(n)
        for v in dag[n]:
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    return out


def annotate_export(
    H: nx.DiGraph, status: Mapping[str, tuple[str, float | None]], colours: Mapping[str, tuple[str, str]]
) -> None:
    """Add to ``H`` (in place) what a visualisation tool needs to draw it as the web map does:
    ``status`` and ``priority`` of each segment (``status`` ``none`` without a gap item,
    ``external`` for a neighbour of another chain), ``x``/``y`` of :func:`layered_positions`,
    and the status ``colour`` (the stroke of ``colours``). GEXF also gets ``viz`` position and
    colour (Gephi reads them); GraphML and JSON carry ``x``, ``y`` and ``colour`` as data."""
    pos = layered_positions(H)
    for n, d in H.nodes(data=True):
        if d.get("external"):
            st, prio = "external", None
        else:
            st, prio = status.get(n, ("none", None))
        d["status"] = st
        if prio is not None:
            d["priority"] = float(prio)
        d["x"], d["y"] = pos[n]
        stroke = colours.get(st, ("#a0aec0", "#ffffff"))[0]
        d["colour"] = stroke
    H.graph["layout"] = "layered (chainmap.graph.layered_positions)"


# ---------------------------------------------------------------- exports


def _flat_attrs(d: dict[str, Any]) -> dict[str, Any]:
    """GEXF/GraphML cannot hold None or lists: drop None, join lists with ';'."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None:
            continue
        if isinstance(v, list | tuple | set):
            out[k] = ";".join(str(x) for x in v)
        elif isinstance(v, dict):
            out[k] = json.dumps(v, ensure_ascii=False)
        else:
            out[k] = v
    return out


def _viz(d: dict[str, Any]) -> dict[str, Any]:
    colour = str(d.get("colour", ""))
    viz: dict[str, Any] = {"position": {"x": float(d["x"]), "y": -float(d["y"]), "z": 0.0}}
    if len(colour) == 7 and colour.startswith("#"):
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        viz["color"] = {"r": r, "g": g, "b": b, "a": 1.0}
    return viz


def _flat_graph(G: nx.DiGraph, *, viz: bool = False) -> nx.DiGraph:
    H = nx.DiGraph()
    H.graph["name"] = str(G.graph.get("chain", "chainmap"))
    for n, d in G.nodes(data=True):
        attrs = _flat_attrs(d)
        attrs.setdefault("label", d.get("name_zh", n))
        if viz and "x" in d and "y" in d:
            attrs["viz"] = _viz(d)
        H.add_node(n, **attrs)
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **_flat_attrs(d))
    return H


def export_graph(G: nx.DiGraph, fmt: str) -> str:
    """Serialise the graph: ``json`` (networkx node-link), ``cytoscape`` (Cytoscape.js
    elements JSON), ``gexf`` (Gephi) or ``graphml`` (yEd). Each is re-readable by
    :func:`read_graph`.

    >>> H = nx.DiGraph(); H.add_node("a", name_zh="甲", keywords_zh=["x"]); H.add_edge("a", "b", kind="supplies", weight=None)
    >>> sorted(read_graph(export_graph(H, "gexf"), "gexf").nodes)
    ['a', 'b']
    """
    if fmt == "json":
        data = nx.node_link_data(G, edges="links")
        data["graph"] = dict(G.graph)
        return json.dumps(data, ensure_ascii=False, default=str)
    if fmt == "cytoscape":
        return json.dumps(nx.cytoscape_data(G), ensure_ascii=False, default=str)
    if fmt == "gexf":
        buf = io.BytesIO()
        nx.write_gexf(_flat_graph(G, viz=True), buf)
        return buf.getvalue().decode("utf-8")
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(_flat_graph(G), buf, encoding="utf-8")
        return buf.getvalue().decode("utf-8")
    raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}", field="format")


def read_graph(text: str, fmt: str) -> nx.DiGraph:
    """Read a graph written by :func:`export_graph`."""
    if fmt == "json":
        return nx.node_link_graph(json.loads(text), directed=True, edges="links")
    if fmt == "cytoscape":
        return nx.cytoscape_graph(json.loads(text))
    if fmt == "gexf":
        return nx.read_gexf(io.BytesIO(text.encode("utf-8")))
    if fmt == "graphml":
        return nx.read_graphml(io.BytesIO(text.encode("utf-8")))
    raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}", field="format")
