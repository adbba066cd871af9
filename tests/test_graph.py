"""Graph queries on tiny hand-made graphs with exact expected results, and the export round trip."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.graph import (
    EXPORT_FORMATS,
    build_graph,
    chain_segments,
    chain_subgraph,
    downstream,
    export_graph,
    paths,
    read_graph,
    stage_layers,
    upstream,
)
from chainmap.models import Chain, Link, LinkKind, Segment


def _seg(sid: str, chain: str, stage: str, order: int = 0, parent: str | None = None) -> Segment:
    return Segment(id=sid, chain=chain, name_zh=sid, name_en=sid, stage=stage, order=order, parent=parent)


@pytest.fixture
def G() -> nx.DiGraph:
    """ore -> metal -> part -> car, metal -> wire -> car; chip (other chain) enables car;
    part.door part_of part."""
    chains = [
        Chain(id="c", name_zh="车", name_en="car", letter="汽"),
        Chain(id="m", name_zh="材", name_en="mat", letter="材"),
        Chain(id="m.mg", name_zh="镁", name_en="mg", letter="材", parent="m"),
        Chain(id="h", name_zh="合", name_en="it", letter="合"),
    ]
    segs = [
        _seg("m.ore", "m.mg", "upstream"),
        _seg("m.metal", "m.mg", "midstream"),
        _seg("m.wire", "m", "midstream", order=1),
        _seg("c.part", "c", "midstream"),
        _seg("c.door", "c", "midstream", order=2, parent="c.part"),
        _seg("c.car", "c", "downstream"),
        _seg("h.chip", "h", "upstream"),
    ]
    links = [
        Link(source="m.ore", target="m.metal"),
        Link(source="m.metal", target="c.part", weight=0.5),
        Link(source="c.part", target="c.car"),
        Link(source="m.metal", target="m.wire"),
        Link(source="m.wire", target="c.car"),
        Link(source="h.chip", target="c.car", kind=LinkKind.enables),
    ]
    return build_graph(chains, segs, links)


def test_node_and_edge_attributes(G: nx.DiGraph) -> None:
    assert G.nodes["m.ore"]["top_chain"] == "m"
    assert G.nodes["m.ore"]["chain"] == "m.mg"
    assert G.edges["c.door", "c.part"]["kind"] == "part_of"
    assert G.edges["m.metal", "c.part"] == {"kind": "supplies", "weight": 0.5, "cross_chain": True, "note": ""}
    assert G.edges["m.ore", "m.metal"]["cross_chain"] is False
    assert G.number_of_edges() == 7


def test_upstream_downstream_closure(G: nx.DiGraph) -> None:
    assert upstream(G, "c.car") == {"m.ore", "m.metal", "m.wire", "c.part"}
    assert upstream(G, "c.car", kinds=("supplies", "enables")) == {"m.ore", "m.metal", "m.wire", "c.part", "h.chip"}
    assert downstream(G, "m.metal") == {"c.part", "c.car", "m.wire"}
    assert downstream(G, "c.car") == set()
    with pytest.raises(NotFound, match="unknown segment 'nope'"):
        upstream(G, "nope")


def test_stage_layers(G: nx.DiGraph) -> None:
    assert stage_layers(G, "m") == {"upstream": ["m.ore"], "midstream": ["m.metal", "m.wire"], "downstream": []}
    assert stage_layers(G, "c")["midstream"] == ["c.part", "c.door"]


def test_paths(G: nx.DiGraph) -> None:
    assert paths(G, "m.ore", "c.car") == [
        ["m.ore", "m.metal", "c.part", "c.car"],
        ["m.ore", "m.metal", "m.wire", "c.car"],
    ]
    assert paths(G, "c.car", "m.ore") == []


def test_chain_segments_and_subgraph(G: nx.DiGraph) -> None:
    assert chain_segments(G, "m") == ["m.metal", "m.ore", "m.wire"]
    assert chain_segments(G, "m.mg") == ["m.metal", "m.ore"]
    H = chain_subgraph(G, "c")
    assert sorted(H.nodes) == ["c.car", "c.door", "c.part", "h.chip", "m.metal", "m.wire"]
    assert {n for n, d in H.nodes(data=True) if d["external"]} == {"h.chip", "m.metal", "m.wire"}
    with pytest.raises(NotFound, match="valid: c, h, m, m.mg"):
        chain_segments(G, "x")


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_round_trip(G: nx.DiGraph, fmt: str) -> None:
    H = chain_subgraph(G, "c")
    text = export_graph(H, fmt)
    back = read_graph(text, fmt)
    assert {str(n) for n in back.nodes} == set(H.nodes)
    assert {(str(u), str(v)) for u, v in back.edges} == set(H.edges)
    kinds = {(str(u), str(v)): d.get("kind") for u, v, d in back.edges(data=True)}
    assert kinds[("h.chip", "c.car")] == "enables"
    names = {str(n): d.get("name_zh") for n, d in back.nodes(data=True)}
    assert names["c.car"] == "c.car"


def test_cytoscape_shape(G: nx.DiGraph) -> None:
    data = json.loads(export_graph(G, "cytoscape"))
    assert len(data["elements"]["nodes"]) == 7
    assert len(data["elements"]["edges"]) == 7


def test_unknown_format(G: nx.DiGraph) -> None:
    with pytest.raises(InvalidInput, match="expected one of json, cytoscape, gexf, graphml"):
        export_graph(G, "dot")


def test_dangling_link_refused() -> None:
    chains = [Chain(id="c", name_zh="车", name_en="car", letter="汽")]
    with pytest.raises(InvalidInput, match="unknown segment 'c.b'"):
        build_graph(chains, [_seg("c.a", "c", "upstream")], [Link(source="c.a", target="c.b")])
