"""Criticality on tiny supply graphs whose answers are worked out by hand."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from chainmap.analysis import criticality as cr
from chainmap.exceptions import InvalidInput


def supply(edges, **node_attrs):
    G = nx.DiGraph()
    for e in edges:
        u, v, *w = e
        G.add_edge(u, v, kind="supplies", weight=w[0] if w else None)
    for n, attrs in node_attrs.items():
        G.nodes[n].update(attrs)
    return G


# a -> b -> c, unweighted:  A = [[0, .5, 0], [0, 0, .5], [0, 0, 0]]
PATH = [("a", "b"), ("b", "c")]
# a <-> b (a supply cycle with no raw input), a -> c
CYCLE = [("a", "b"), ("b", "a"), ("a", "c")]


# ---------------------------------------------------------------- dominators


def test_dominators_with_two_raw_inputs():
    # a -> b -> {c, d} -> e, and a second raw input x -> d
    G = supply([("a", "b"), ("b", "c"), ("b", "d"), ("c", "e"), ("d", "e"), ("x", "d")])
    assert cr.raw_inputs(G) == ["a", "x"]
    # the super-source feeds a and x: d and e can be reached avoiding b through x
    assert cr.dominator_tree(G) == {"a": None, "b": "a", "c": "b", "d": None, "e": None, "x": None}
    assert cr.dominated_sets(G) == {"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": set(), "e": set(), "x": set()}
    assert cr.dominated_counts(G) == {"a": 2, "b": 1, "c": 0, "d": 0, "e": 0, "x": 0}
    assert cr.chokepoints(G) == ["a", "b"]
    assert cr.chokepoints(G, min_dominated=2) == ["a"]


def test_dominators_ignore_non_supply_edges():
    G = supply([("a", "b")])
    G.add_edge("z", "b", kind="enables", weight=None)
    G.add_edge("b", "p", kind="part_of", weight=None)
    assert cr.dominated_counts(G) == {"a": 1, "b": 0, "p": 0, "z": 0}


def test_source_cycle_gets_the_super_source():
    G = supply(CYCLE)
    assert cr.raw_inputs(G) == []
    assert cr.dominator_tree(G) == {"a": None, "b": None, "c": "a"}
    assert cr.dominated_counts(G) == {"a": 1, "b": 0, "c": 0}


# ---------------------------------------------------------------- betweenness and reach


def test_betweenness_and_reach_on_a_path():
    G = supply(PATH)
    # b lies on the only a->c path: 1 / ((n-1)(n-2)) = 1/2 normalised for a digraph
    assert cr.supply_betweenness(G) == {"a": 0.0, "b": 0.5, "c": 0.0}
    assert cr.downstream_reach(G) == {"a": 2, "b": 1, "c": 0}


def test_reach_through_a_cycle_excludes_the_node_itself():
    assert cr.downstream_reach(supply(CYCLE)) == {"a": 2, "b": 2, "c": 0}


def test_sampled_betweenness_is_deterministic(monkeypatch):
    monkeypatch.setattr(cr, "BETWEENNESS_EXACT_MAX", 5)
    monkeypatch.setattr(cr, "BETWEENNESS_K", 4)
    rng = random.Random(1)
    edges = sorted({(f"n{u}", f"n{v}") for v in range(1, 30) for u in rng.sample(range(v), min(v, 2))})
    G1 = supply(edges)
    G2 = supply(list(reversed(edges)))
    b1 = cr.supply_betweenness(G1)
    assert b1 == cr.supply_betweenness(G2) == cr.supply_betweenness(G1)
    exact = nx.betweenness_centrality(cr.supply_digraph(G1), normalized=True)
    assert b1 != pytest.approx(exact)  # really sampled (4 of 30 sources)


@pytest.mark.parametrize("seed", range(6))
def test_batched_brandes_equals_networkx(seed):
    G = nx.gnp_random_graph(40, 0.08, seed=seed, directed=True)  # with cycles
    G = nx.relabel_nodes(G, {i: f"n{i:02d}" for i in G})
    nx.set_edge_attributes(G, "supplies", "kind")
    ours = cr.supply_betweenness(G)
    assert ours == pytest.approx(nx.betweenness_centrality(G))


# ---------------------------------------------------------------- Leontief


def test_technical_coefficients_missing_weight_is_equal_share():
    G = supply([("a", "c", 0.6), ("b", "c", 0.2), ("c", "d"), ("e", "d")])
    order, A = cr.technical_coefficients(G)
    assert order == ["a", "b", "c", "d", "e"]
    M = A.toarray()
    # column c: 0.6 and 0.2 normalised to 0.75 / 0.25, times the scale 0.5
    assert M[0, 2] == pytest.approx(0.375) and M[1, 2] == pytest.approx(0.125)
    # column d: two unweighted inputs, equal shares 0.5 each, times 0.5
    assert M[2, 3] == pytest.approx(0.25) and M[4, 3] == pytest.approx(0.25)
    assert M.sum(axis=0) == pytest.approx([0, 0, 0.5, 0.5, 0])


def test_scale_must_be_below_one():
    with pytest.raises(InvalidInput, match="scale"):
        cr.technical_coefficients(supply(PATH), scale=1.0)


def test_leontief_path_by_hand():
    order, L = cr.leontief_inverse(supply(PATH))
    assert order == ["a", "b", "c"]
    assert L.tolist() == [[1.0, 0.5, 0.25], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]]
    res = cr.linkages(supply(PATH))
    # row sums 7/4, 3/2, 1 (mean 17/12); column sums 1, 3/2, 7/4
    assert res["a"]["forward"] == pytest.approx(21 / 17)
    assert res["a"]["backward"] == pytest.approx(12 / 17)
    assert res["b"]["forward"] == pytest.approx(18 / 17) == res["b"]["backward"]
    assert res["c"]["backward"] == pytest.approx(21 / 17)
    # extraction: total 17/4; without a: b->c gives 5/2; without b: 2; without c: 5/2
    assert res["a"]["loss"] == pytest.approx(1.75)
    assert res["b"]["loss"] == pytest.approx(2.25)
    assert res["c"]["loss"] == pytest.approx(1.75)
    assert res["b"]["loss_share"] == pytest.approx(9 / 17)


def test_extraction_weighted_by_hand():
    res = cr.linkages(supply([("a", "c", 0.6), ("b", "c", 0.2)]))
    # L = I + A; total = 3 + 0.375 + 0.125 = 3.5
    assert res["c"]["loss"] == pytest.approx(1.5)  # a, b left alone: 2
    assert res["a"]["loss"] == pytest.approx(1.375)  # b -> c left: 2.125
    assert res["b"]["loss"] == pytest.approx(1.125)  # a -> c left: 2.375


def _brute_losses(G):
    """Delete row and column k of A (the coefficients stay as they were) and re-invert."""
    order, A = cr.technical_coefficients(G)
    A = A.toarray()
    n = len(order)
    total = np.linalg.inv(np.eye(n) - A).sum()
    out = {}
    for k, node in enumerate(order):
        keep = [i for i in range(n) if i != k]
        Ak = A[np.ix_(keep, keep)]
        out[node] = total - np.linalg.inv(np.eye(n - 1) - Ak).sum()
    return out


@pytest.mark.parametrize("dense_max", [400, 0])
def test_extraction_with_a_cycle_by_hand(monkeypatch, dense_max):
    monkeypatch.setattr(cr, "_DENSE_MAX", dense_max)  # 0 forces the sparse LU path
    G = supply(CYCLE)
    order, L = cr.leontief_inverse(G)
    # (I - A) = [[1, -.5, -.5], [-.5, 1, 0], [0, 0, 1]]
    assert L == pytest.approx(np.array([[4 / 3, 2 / 3, 2 / 3], [2 / 3, 4 / 3, 1 / 3], [0, 0, 1]]))
    res = cr.linkages(G)
    # total 6; without a: b, c alone -> 2; without b: a -> c -> 5/2; without c: the a<->b block sums to 4
    assert res["a"]["loss"] == pytest.approx(4.0)
    assert res["b"]["loss"] == pytest.approx(3.5)
    assert res["c"]["loss"] == pytest.approx(2.0)
    assert {n: v["loss"] for n, v in res.items()} == pytest.approx(_brute_losses(G))


def test_extraction_identity_matches_brute_force_on_a_random_graph():
    rng = random.Random(7)
    edges = {(f"s{u}", f"s{v}", rng.choice([None, 0.2, 0.5])) for v in range(1, 15) for u in rng.sample(range(v), min(v, 2))}
    edges |= {("s12", "s3", 0.3)}  # one cycle
    G = supply(sorted(edges, key=lambda e: (e[0], e[1])))
    res = cr.linkages(G)
    assert {n: v["loss"] for n, v in res.items()} == pytest.approx(_brute_losses(G))


# ---------------------------------------------------------------- combined score


def test_criticality_by_hand():
    G = supply([("ore", "metal"), ("metal", "car")], metal={"chokepoint": True})
    c = cr.criticality(G)
    # dominance 2,1,0 -> 1, .5, 0; betweenness metal only; reach 2,1,0; linkage (BL+FL)/2 = 33/34, 18/17,
    # 33/34 -> min-max 0, 1, 0; extraction 7/4, 9/4, 7/4 -> 7/9, 1, 7/9; chokepoint metal
    assert c["ore"]["score"] == pytest.approx(0.25 + 0.15 + 0.15 * 7 / 9)
    assert c["metal"]["score"] == pytest.approx(0.25 * 0.5 + 0.15 + 0.15 * 0.5 + 0.15 + 0.15 + 0.15)
    assert c["car"]["score"] == pytest.approx(0.15 * 7 / 9)
    assert c["ore"]["dominated"] == 2 and c["metal"]["reach_count"] == 1
    assert c["metal"]["chokepoint"] == 1.0


def test_criticality_custom_weights_and_errors():
    G = supply(PATH)
    only_dom = cr.criticality(G, weights={"dominance": 2.0})
    assert {n: v["score"] for n, v in only_dom.items()} == {"a": 1.0, "b": 0.5, "c": 0.0}
    with pytest.raises(InvalidInput, match="valid"):
        cr.criticality(G, weights={"popularity": 1.0})


def test_criticality_is_independent_of_insertion_order():
    rng = random.Random(3)
    edges = [(f"s{u:02d}", f"s{v:02d}") for v in range(1, 25) for u in rng.sample(range(v), min(v, 2))]
    G1, G2 = supply(edges), supply(list(reversed(edges)))
    assert cr.criticality(G1) == cr.criticality(G2)


def test_empty_and_isolated_graphs():
    assert cr.criticality(nx.DiGraph()) == {}
    G = nx.DiGraph()
    G.add_nodes_from(["a", "b"])
    c = cr.criticality(G)
    assert c["a"]["score"] == pytest.approx(0.15 * 1.0)  # extraction 1 each (max-scaled), nothing else
    assert c["a"]["score"] == c["b"]["score"]


# ---------------------------------------------------------------- chain leaders


def test_chain_leader_candidates_by_hand():
    G = supply(PATH)
    # loss shares on the whole path: a 7/17, b 9/17, c 7/17
    ranked = cr.chain_leader_candidates(G, {"f1": {"b": 1.0}, "f2": {"a": 0.5}, "f3": {"a": 0.5, "c": 1.0}})
    assert [r["id"] for r in ranked] == ["f3", "f1", "f2"]
    assert ranked[0]["score"] == pytest.approx(round(10.5 / 17, 4))
    assert ranked[1]["score"] == pytest.approx(round(9 / 17, 4))


def test_chain_leader_candidates_use_the_local_system_only():
    G = supply(PATH)
    # only a and c are local: no local link between them, each loses 1 of 2
    ranked = cr.chain_leader_candidates(G, {"f1": {"a": 1.0}, "f2": {"c": 1.0}, "f0": {"zz": 1.0}}, top=1)
    assert ranked == [{"id": "f1", "score": 0.5, "segments": ["a"]}]
    assert cr.chain_leader_candidates(G, {}) == []


@pytest.mark.parametrize("seed", range(6))
def test_scipy_components_equal_networkx_on_random_graphs_with_cycles(seed):
    """Reach, dominated counts and diag(L) from scipy's strong components == networkx / dense algebra."""
    rng = random.Random(seed)
    n = 40
    G = supply([(f"n{rng.randrange(n):02d}", f"n{rng.randrange(n):02d}") for _ in range(70)])
    G.remove_edges_from(list(nx.selfloop_edges(G)))
    H = cr.supply_digraph(G)
    assert cr.downstream_reach(G) == {v: len(nx.descendants(H, v)) for v in H}
    R = H.copy()
    C = nx.condensation(H)
    for c in C:
        if C.in_degree(c) == 0:
            R.add_edges_from((cr._SUPER, m) for m in C.nodes[c]["members"])
    idom = nx.immediate_dominators(R, cr._SUPER)
    sets = {v: {w for w in H if w != v and _dominates(idom, v, w)} for v in H}
    assert cr.dominated_counts(G) == {v: len(s) for v, s in sets.items()}
    order, L = cr.leontief_inverse(G)
    _, A = cr.technical_coefficients(G)
    assert np.allclose(cr._diag_of_inverse(H, order, A), np.diag(L), rtol=0, atol=1e-12)


def _dominates(idom, v, w):
    while w in idom and idom[w] != w and idom[w] != cr._SUPER:
        w = idom[w]
        if w == v:
            return True
    return False
