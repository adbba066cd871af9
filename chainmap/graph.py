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
from collections.abc import Iterable, Sequence
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


def _flat_graph(G: nx.DiGraph) -> nx.DiGraph:
    H = nx.DiGraph()
    H.graph["name"] = str(G.graph.get("chain", "chainmap"))
    for n, d in G.nodes(data=True):
        attrs = _flat_attrs(d)
        attrs.setdefault("label", d.get("name_zh", n))
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
        nx.write_gexf(_flat_graph(G), buf)
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
