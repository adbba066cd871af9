"""Criticality of chain segments: chokepoints, betweenness, reach and Leontief linkages.

Pure functions on the chain :class:`~networkx.DiGraph` of :mod:`chainmap.graph`
(nodes are segment ids; only edges whose ``kind`` is ``"supplies"`` form the
*supply graph* used here; ``weight`` is the share of the target's inputs or
``None``).  Results are plain dicts keyed by segment id; nothing is cached and
nothing depends on the order in which nodes or edges were added (every
computation runs on the nodes and edges sorted by id).

The families:

* **dominators** -- a super-source feeds every raw input (a node without supply
  predecessors; also every node of a source cycle that has none), then
  :func:`networkx.immediate_dominators`.  A segment *dominates* ``v`` when every
  supply path from the raw inputs to ``v`` passes through it: losing it cuts
  ``v`` off.  :func:`dominated_counts` gives the size of each dominated set.
* **betweenness** on the supply graph (:func:`supply_betweenness`), sampled
  above :data:`BETWEENNESS_EXACT_MAX` nodes.
* **downstream reach** -- number of supply descendants (:func:`downstream_reach`).
* **Leontief linkages** -- ``A`` is the column-normalised weight matrix scaled by
  :data:`LEONTIEF_SCALE`, ``L = (I - A)^-1``; normalised Rasmussen-Hirschman
  backward / forward indices and hypothetical-extraction losses
  (:func:`linkages`).
* the seed's 卡脖子 flag (node attribute ``chokepoint``).

:func:`criticality` combines them into one score in [0, 1], scaled over the graph it
is given; :func:`chain_criticality` runs it once per top-level chain on the chain's
own segments plus their linked neighbours in other chains (:func:`chain_scopes`), so
a chain's scores do not depend on unrelated chains in the same store;
:func:`chain_leader_candidates` ranks local firms by the first-order loss of
their extraction.

>>> G = nx.DiGraph()
>>> G.add_edges_from([("ore", "metal"), ("metal", "part"), ("scrap", "part"), ("part", "car")],
...                  kind="supplies", weight=None)
>>> raw_inputs(G)
['ore', 'scrap']
>>> dominated_counts(G)
{'car': 0, 'metal': 0, 'ore': 1, 'part': 1, 'scrap': 0}
>>> chokepoints(G)
['ore', 'part']
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from chainmap.exceptions import InvalidInput

__all__ = [
    "LEONTIEF_SCALE",
    "BETWEENNESS_EXACT_MAX",
    "BETWEENNESS_K",
    "CRITICALITY_WEIGHTS",
    "supply_digraph",
    "raw_inputs",
    "dominator_tree",
    "dominated_counts",
    "dominated_sets",
    "chokepoints",
    "supply_betweenness",
    "downstream_reach",
    "technical_coefficients",
    "leontief_inverse",
    "linkages",
    "criticality",
    "chain_scopes",
    "chain_criticality",
    "chain_leader_candidates",
    "rank_firm_extraction",
]

#: Scale of the technical coefficients: every column of ``A`` with inputs sums to
#: this value, i.e. a segment buys half of its output value from the segments
#: supplying it and adds the other half itself.  Any value in (0, 1) keeps
#: ``I - A`` invertible (the column sums bound the spectral radius).
LEONTIEF_SCALE = 0.5

#: Exact betweenness up to this many nodes; above, Brandes' algorithm runs from
#: :data:`BETWEENNESS_K` sampled sources (``seed`` fixed, so still deterministic).
BETWEENNESS_EXACT_MAX = 2000
BETWEENNESS_K = 128

#: Weights of the normalised components in :func:`criticality` (they sum to 1).
CRITICALITY_WEIGHTS: dict[str, float] = {
    "dominance": 0.25,
    "betweenness": 0.15,
    "reach": 0.15,
    "linkage": 0.15,
    "extraction": 0.15,
    "chokepoint": 0.15,
}

#: Super-source of the dominator computation: a tuple, so it never collides with a string id.
_SUPER = ("__chainmap_super_source__",)

# diagonal of the Leontief inverse inside a supply cycle: dense inverse up to this size, sparse LU above
_DENSE_MAX = 200


# ---------------------------------------------------------------- helpers


def supply_digraph(G: nx.DiGraph, nodes: Any = None) -> nx.DiGraph:
    """The supply graph as a new DiGraph with nodes and edges inserted in sorted order.

    Keeps the edges whose ``kind`` is ``"supplies"`` (an edge without ``kind``
    counts as a supply edge) and their ``weight``.  With ``nodes``, the
    subgraph induced by those nodes.

    >>> G = nx.DiGraph()
    >>> G.add_edge("b", "a", kind="supplies", weight=0.3); G.add_edge("a", "c", kind="enables")
    >>> H = supply_digraph(G)
    >>> list(H.nodes), list(H.edges(data="weight"))
    (['a', 'b', 'c'], [('b', 'a', 0.3)])
    """
    keep = set(G.nodes) if nodes is None else set(nodes) & set(G.nodes)
    H = nx.DiGraph()
    H.add_nodes_from(sorted(keep))
    edges = sorted(
        (u, v, d.get("weight"))
        for u, v, d in G.edges(data=True)
        if d.get("kind", "supplies") == "supplies" and u in keep and v in keep
    )
    H.add_weighted_edges_from(edges)
    return H


def raw_inputs(G: nx.DiGraph) -> list[str]:
    """Segments without supply predecessors (the raw inputs of the supply graph), sorted."""
    H = supply_digraph(G)
    return [n for n in H if H.in_degree(n) == 0]


def _edge_index(H: nx.DiGraph) -> tuple[list[Any], dict[Any, int], np.ndarray, np.ndarray]:
    """Node order, node -> position, and the edges as (source, target) position arrays."""
    order = list(H)
    idx = {v: i for i, v in enumerate(order)}
    m = H.number_of_edges()
    src = np.fromiter((idx[u] for u, _ in H.edges()), dtype=np.int64, count=m)
    dst = np.fromiter((idx[v] for _, v in H.edges()), dtype=np.int64, count=m)
    return order, idx, src, dst


def _strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray]:
    """Number of strongly connected components and each node's component label (scipy)."""
    if n == 0:
        return 0, np.zeros(0, dtype=np.int64)
    A = sp.csr_array((np.ones(src.size), (src, dst)), shape=(n, n))
    ncomp, labels = csgraph.connected_components(A, directed=True, connection="strong")
    return int(ncomp), labels.astype(np.int64)


def _rooted(H: nx.DiGraph) -> nx.DiGraph:
    """``H`` plus the super-source feeding every node of every source SCC."""
    order, _, src, dst = _edge_index(H)
    ncomp, lab = _strong_components(len(order), src, dst)
    entered = np.zeros(ncomp, dtype=bool)
    cross = lab[src] != lab[dst]
    entered[lab[dst[cross]]] = True
    R = H.copy()
    R.add_node(_SUPER)
    R.add_edges_from((_SUPER, order[i]) for i in np.flatnonzero(~entered[lab]).tolist())
    return R


def dominator_tree(G: nx.DiGraph) -> dict[str, str | None]:
    """Immediate dominator of every segment in the supply graph.

    A super-source feeds every raw input (and every node of a supply cycle that
    has no entry from outside); a segment whose immediate dominator is that
    super-source maps to ``None``.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph.

    Returns
    -------
    dict
        ``{segment: immediate dominator or None}``, keys sorted.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c"), ("b", "d"), ("c", "e"), ("d", "e")], kind="supplies")
    >>> dominator_tree(G)
    {'a': None, 'b': 'a', 'c': 'b', 'd': 'b', 'e': 'b'}
    """
    return _dominator_tree(supply_digraph(G))


def _dominator_tree(H: nx.DiGraph) -> dict[str, str | None]:
    idom = nx.immediate_dominators(_rooted(H), _SUPER)
    return {n: (None if idom[n] == _SUPER else idom[n]) for n in H}


def _tree_children(idom: Mapping[str, str | None]) -> dict[str | None, list[str]]:
    children: dict[str | None, list[str]] = {}
    for n, p in idom.items():
        children.setdefault(p, []).append(n)
    return children


def dominated_counts(G: nx.DiGraph) -> dict[str, int]:
    """Size of each segment's dominated set (the segments it strictly dominates).

    Computed as subtree sizes of the dominator tree, in linear time.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c"), ("b", "d"), ("c", "e"), ("d", "e")], kind="supplies")
    >>> dominated_counts(G)
    {'a': 4, 'b': 3, 'c': 0, 'd': 0, 'e': 0}
    """
    return _dominated_counts(supply_digraph(G))


def _dominated_counts(H: nx.DiGraph) -> dict[str, int]:
    idom = _dominator_tree(H)
    children = _tree_children(idom)
    size = dict.fromkeys(idom, 0)
    # iterative post-order from the roots (children of None)
    stack: list[tuple[str, bool]] = [(r, False) for r in children.get(None, [])]
    while stack:
        n, done = stack.pop()
        if done:
            size[n] = sum(size[c] + 1 for c in children.get(n, []))
        else:
            stack.append((n, True))
            stack.extend((c, False) for c in children.get(n, []))
    return size


def dominated_sets(G: nx.DiGraph) -> dict[str, set[str]]:
    """The set of segments each segment strictly dominates (quadratic; for small graphs).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c"), ("x", "c")], kind="supplies")
    >>> dominated_sets(G)
    {'a': {'b'}, 'b': set(), 'c': set(), 'x': set()}
    """
    idom = dominator_tree(G)
    children = _tree_children(idom)
    out: dict[str, set[str]] = {}
    for n in idom:
        seen: set[str] = set()
        stack = list(children.get(n, []))
        while stack:
            c = stack.pop()
            seen.add(c)
            stack.extend(children.get(c, []))
        out[n] = seen
    return out


def chokepoints(G: nx.DiGraph, *, min_dominated: int = 1) -> list[str]:
    """Segments dominating at least ``min_dominated`` others, most dominant first.

    Sorted by dominated-set size (descending) then id.
    """
    counts = dominated_counts(G)
    return sorted((n for n, c in counts.items() if c >= min_dominated), key=lambda n: (-counts[n], n))


def supply_betweenness(G: nx.DiGraph, *, k: int | None = None, seed: int = 0) -> dict[str, float]:
    """Normalised betweenness centrality on the supply graph (as networkx computes it).

    Brandes' algorithm run for a batch of sources at once with sparse-matrix
    products (breadth-first levels forward, dependency accumulation backward),
    so each level costs one ``(sources x n) @ (n x n)`` product instead of a
    Python loop per edge.  Exact (every node a source, in batches) up to
    :data:`BETWEENNESS_EXACT_MAX` nodes; above, estimated from ``k`` (default
    :data:`BETWEENNESS_K`) sources drawn with ``random.Random(seed)`` from the
    sorted nodes and rescaled by ``n / k`` like
    :func:`networkx.betweenness_centrality` does -- deterministic for a seed.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c")], kind="supplies")
    >>> supply_betweenness(G)
    {'a': 0.0, 'b': 0.5, 'c': 0.0}
    """
    return _betweenness(supply_digraph(G), k, seed)


_BATCH = 256


def _betweenness(H: nx.DiGraph, k: int | None, seed: int) -> dict[str, float]:
    order = list(H)
    n = len(order)
    if n == 0:
        return {}
    if k is None and n > BETWEENNESS_EXACT_MAX:
        k = BETWEENNESS_K
    if k is not None and k >= n:
        k = None
    idx = {v: i for i, v in enumerate(order)}
    sources = list(range(n)) if k is None else sorted(idx[v] for v in random.Random(seed).sample(order, k))
    src, dst = [idx[u] for u, _ in H.edges()], [idx[v] for _, v in H.edges()]
    A = sp.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    AT = sp.csr_array(A.T)
    bc = np.zeros(n)
    for start in range(0, len(sources), _BATCH):
        bc += _brandes_batch(A, AT, np.asarray(sources[start : start + _BATCH]), n)
    if n > 2:
        scale = 1.0 / ((n - 1) * (n - 2))
        if k is not None:
            scale *= n / k
        bc *= scale
    else:
        bc[:] = 0.0
    return {v: float(bc[i]) for i, v in enumerate(order)}


def _brandes_batch(A: sp.csr_array, AT: sp.csr_array, sources: np.ndarray, n: int) -> np.ndarray:
    """Sum over ``sources`` of Brandes' dependencies (unnormalised).

    Work is proportional to the (source, node) pairs reached: each level is a
    sparse frontier matrix times the adjacency matrix.
    """
    b = len(sources)
    rows = np.arange(b)
    sigma = np.zeros((b, n))
    dist = np.full((b, n), -1, dtype=np.int32)
    sigma[rows, sources] = 1.0
    dist[rows, sources] = 0
    levels: list[tuple[np.ndarray, np.ndarray]] = [(rows, np.asarray(sources))]
    frontier = sp.csr_array((np.ones(b), (rows, sources)), shape=(b, n))
    while True:
        nxt = (frontier @ A).tocoo()  # path counts one step further
        r, c, v = nxt.row, nxt.col, nxt.data
        keep = (dist[r, c] < 0) & (v > 0)
        if not keep.any():
            break
        r, c, v = r[keep], c[keep], v[keep]
        dist[r, c] = len(levels)
        sigma[r, c] = v
        levels.append((r, c))
        frontier = sp.csr_array((v, (r, c)), shape=(b, n))
    delta = np.zeros((b, n))
    for d in range(len(levels) - 1, 0, -1):
        r, c = levels[d]
        coeff = sp.csr_array(((1.0 + delta[r, c]) / sigma[r, c], (r, c)), shape=(b, n))
        contrib = (coeff @ AT).tocoo()  # for each predecessor: sum over its successors at level d
        pr, pc, pv = contrib.row, contrib.col, contrib.data
        keep = dist[pr, pc] == d - 1
        pr, pc = pr[keep], pc[keep]
        delta[pr, pc] += sigma[pr, pc] * pv[keep]
    delta[rows, sources] = 0.0
    return delta.sum(axis=0)


def downstream_reach(G: nx.DiGraph) -> dict[str, int]:
    """Number of segments reachable downstream through supply links.

    Bitset propagation over the condensation in reverse topological order
    (linear in edges times ``n / 64`` machine words), so it scales to 10^4 nodes.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c"), ("c", "b"), ("x", "c")], kind="supplies")
    >>> downstream_reach(G)
    {'a': 2, 'b': 1, 'c': 1, 'x': 2}
    """
    return _reach(supply_digraph(G))


def _reach(H: nx.DiGraph) -> dict[str, int]:
    order, _, src, dst = _edge_index(H)
    n = len(order)
    ncomp, lab = _strong_components(n, src, dst)
    labels = lab.tolist()
    size = np.bincount(lab, minlength=ncomp).tolist()
    comp_bits = [0] * ncomp
    for i, c in enumerate(labels):
        comp_bits[c] |= 1 << i
    cross = lab[src] != lab[dst]
    pairs = np.unique(lab[src[cross]] * ncomp + lab[dst[cross]]).tolist()  # condensation edges
    succ: list[list[int]] = [[] for _ in range(ncomp)]
    indeg = [0] * ncomp
    for p in pairs:
        a, b = divmod(p, ncomp)
        succ[a].append(b)
        indeg[b] += 1
    # Kahn's topological order of the condensation, then bitsets from the sinks up
    topo = [c for c in range(ncomp) if indeg[c] == 0]
    for c in topo:
        for b in succ[c]:
            indeg[b] -= 1
            if indeg[b] == 0:
                topo.append(b)
    reach = [0] * ncomp
    for c in reversed(topo):
        bits = comp_bits[c] if size[c] > 1 else 0
        for b in succ[c]:
            bits |= reach[b] | comp_bits[b]
        reach[c] = bits
    return {v: reach[labels[i]].bit_count() - (1 if size[labels[i]] > 1 else 0) for i, v in enumerate(order)}


# ---------------------------------------------------------------- Leontief


def technical_coefficients(
    G: nx.DiGraph, *, scale: float = LEONTIEF_SCALE, nodes: Any = None
) -> tuple[list[str], sp.csc_array]:
    """The technical-coefficient matrix ``A`` of the supply graph.

    ``A[i, j]`` is the share of segment ``j``'s output value bought from ``i``:
    the link weight (a missing weight counts as an equal share ``1 / in-degree``),
    normalised so that each column with inputs sums to 1, then times ``scale``.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph.
    scale : float, default :data:`LEONTIEF_SCALE`
        Column sum of ``A``, in (0, 1).
    nodes : iterable, optional
        Restrict to the subgraph induced by these nodes.

    Returns
    -------
    nodes : list of str
        Row / column order (sorted ids).
    A : scipy.sparse.csc_array

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "c", kind="supplies", weight=0.6); G.add_edge("b", "c", kind="supplies", weight=0.2)
    >>> order, A = technical_coefficients(G)
    >>> order, A.toarray().round(3).tolist()
    (['a', 'b', 'c'], [[0.0, 0.0, 0.375], [0.0, 0.0, 0.125], [0.0, 0.0, 0.0]])
    """
    return _coefficients(supply_digraph(G, nodes), scale)


def _coefficients(H: nx.DiGraph, scale: float) -> tuple[list[str], sp.csc_array]:
    if not 0 < scale < 1:
        raise InvalidInput(f"scale must be in (0, 1), got {scale!r}", field="scale")
    order = list(H)
    idx = {n: i for i, n in enumerate(order)}
    n = len(order)
    rows, cols, vals = [], [], []
    indeg = dict(H.in_degree())
    for u, v, w in H.edges(data="weight"):
        rows.append(idx[u])
        cols.append(idx[v])
        vals.append(float(w) if w is not None else 1.0 / indeg[v])
    data = np.asarray(vals, dtype=np.float64)
    colsum = np.bincount(np.asarray(cols, dtype=np.int64), weights=data, minlength=n) if n else np.zeros(0)
    if data.size:
        denom = colsum[np.asarray(cols)]
        data = np.divide(data * scale, denom, out=np.zeros_like(data), where=denom > 0)
    A = sp.csc_array(
        (data, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))), shape=(n, n)
    )
    return order, A


def leontief_inverse(
    G: nx.DiGraph, *, scale: float = LEONTIEF_SCALE, nodes: Any = None
) -> tuple[list[str], np.ndarray]:
    """The dense Leontief inverse ``L = (I - A)^-1`` (for small graphs and inspection).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c")], kind="supplies", weight=None)
    >>> order, L = leontief_inverse(G)
    >>> L.tolist()
    [[1.0, 0.5, 0.25], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]]
    """
    order, A = technical_coefficients(G, scale=scale, nodes=nodes)
    n = len(order)
    return order, np.linalg.inv(np.eye(n) - A.toarray())


def _diag_of_inverse(H: nx.DiGraph, order: list[str], A: sp.csc_array) -> np.ndarray:
    """``diag((I - A)^-1)``: 1 outside supply cycles; per strongly connected component inside."""
    d = np.ones(len(order))
    _, _, src, dst = _edge_index(H)
    ncomp, lab = _strong_components(len(order), src, dst)
    by_comp = np.argsort(lab, kind="stable")  # node positions grouped by component, ascending
    bounds = np.searchsorted(lab[by_comp], np.arange(ncomp + 1))
    for c in np.flatnonzero(np.diff(bounds) >= 2).tolist():
        ids = by_comp[bounds[c] : bounds[c + 1]]
        sub = sp.csc_array(A[ids][:, ids])
        M = sp.identity(len(ids), format="csc") - sub
        if len(ids) <= _DENSE_MAX:
            d[ids] = np.diag(np.linalg.inv(M.toarray()))
        else:  # a large supply cycle: sparse solves for blocks of unit columns
            lu = spla.splu(sp.csc_matrix(M))
            m = len(ids)
            for j0 in range(0, m, 256):
                cols = np.arange(j0, min(m, j0 + 256))
                E = np.zeros((m, len(cols)))
                E[cols, np.arange(len(cols))] = 1.0
                d[ids[cols]] = lu.solve(E)[cols, np.arange(len(cols))]
    return d


def linkages(
    G: nx.DiGraph, *, scale: float = LEONTIEF_SCALE, nodes: Any = None
) -> dict[str, dict[str, float]]:
    """Rasmussen-Hirschman linkages and hypothetical-extraction losses.

    With ``L = (I - A)^-1`` (see :func:`technical_coefficients`) and a unit final
    demand for every segment (no output data exist for a chain map):

    * ``backward[j] = colsum(L)[j] / mean(colsum(L))`` -- how much the segment
      pulls from its suppliers (> 1: above average);
    * ``forward[i] = rowsum(L)[i] / mean(rowsum(L))`` -- how much the chain
      depends on it;
    * ``loss[k]`` -- total output ``1' L 1`` lost when row and column ``k`` are
      removed (hypothetical extraction), computed exactly by the Schur-complement
      identity ``loss[k] = colsum(L)[k] * rowsum(L)[k] / L[k, k]``;
      ``loss_share[k] = loss[k] / (1' L 1)``.

    Row and column sums come from one sparse LU factorisation of ``I - A``
    (two solves; no dense inverse), so this scales to 10^4 segments; ``L[k, k]`` is 1 outside
    supply cycles and is taken from each cycle's own block otherwise.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph.
    scale : float, default :data:`LEONTIEF_SCALE`
        Column sum of ``A``.
    nodes : iterable, optional
        Restrict to the subgraph induced by these nodes.

    Returns
    -------
    dict
        ``{segment: {"backward", "forward", "loss", "loss_share"}}``, keys sorted.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c")], kind="supplies", weight=None)
    >>> res = linkages(G)
    >>> {n: (round(v["backward"], 4), round(v["forward"], 4), v["loss"]) for n, v in res.items()}
    {'a': (0.7059, 1.2353, 1.75), 'b': (1.0588, 1.0588, 2.25), 'c': (1.2353, 0.7059, 1.75)}
    """
    return _linkages(supply_digraph(G, nodes), scale)


def _linkages(H: nx.DiGraph, scale: float) -> dict[str, dict[str, float]]:
    order, A = _coefficients(H, scale)
    n = len(order)
    if n == 0:
        return {}
    M = sp.identity(n, format="csc") - A
    ones = np.ones(n)
    lu = spla.splu(sp.csc_matrix(M))
    rows = lu.solve(ones)
    cols = lu.solve(ones, trans="T")
    diag = _diag_of_inverse(H, order, A)
    total = float(rows.sum())
    loss = cols * rows / diag
    mean_r, mean_c = rows.mean(), cols.mean()
    return {
        node: {
            "backward": float(cols[i] / mean_c),
            "forward": float(rows[i] / mean_r),
            "loss": float(loss[i]),
            "loss_share": float(loss[i] / total),
        }
        for i, node in enumerate(order)
    }


# ---------------------------------------------------------------- combined


def _scaled(values: Mapping[str, float]) -> dict[str, float]:
    """Divide by the maximum (0 everywhere when the maximum is 0)."""
    top = max(values.values(), default=0.0)
    if top <= 0:
        return dict.fromkeys(values, 0.0)
    return {k: float(v) / top for k, v in values.items()}


def _minmax(values: Mapping[str, float]) -> dict[str, float]:
    """Min-max scaling to [0, 1] (0 everywhere when all values are equal)."""
    lo, hi = min(values.values(), default=0.0), max(values.values(), default=0.0)
    if hi - lo <= 1e-12:
        return dict.fromkeys(values, 0.0)
    return {k: (float(v) - lo) / (hi - lo) for k, v in values.items()}


def criticality(
    G: nx.DiGraph,
    *,
    scale: float = LEONTIEF_SCALE,
    weights: Mapping[str, float] | None = None,
    betweenness_k: int | None = None,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """One criticality score in [0, 1] per segment, with its components.

    Components, each scaled to [0, 1] by dividing by its maximum over the graph
    (``linkage``, whose indices hover around 1, by min-max scaling instead):

    ``dominance``
        size of the dominated set (:func:`dominated_counts`);
    ``betweenness``
        :func:`supply_betweenness`;
    ``reach``
        number of downstream segments (:func:`downstream_reach`);
    ``linkage``
        mean of the Rasmussen-Hirschman backward and forward indices (:func:`linkages`);
    ``extraction``
        share of total output lost by hypothetical extraction (:func:`linkages`);
    ``chokepoint``
        1 when the seed flags the segment as 卡脖子 (node attribute ``chokepoint``), else 0.

    ``score = sum(weights[c] * component[c])`` with :data:`CRITICALITY_WEIGHTS`
    (dominance 0.25, the five others 0.15 each); custom ``weights`` are
    normalised to sum to 1.

    Returns
    -------
    dict
        ``{segment: {"score", <the six components>, "dominated", "reach_count",
        "backward", "forward", "loss_share"}}`` (raw values kept for reports).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("ore", "metal"), ("metal", "car")], kind="supplies", weight=None)
    >>> G.nodes["metal"]["chokepoint"] = True
    >>> {n: round(v["score"], 3) for n, v in criticality(G).items()}
    {'car': 0.117, 'metal': 0.8, 'ore': 0.517}
    """
    w = dict(CRITICALITY_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(CRITICALITY_WEIGHTS)
    if unknown:
        raise InvalidInput(
            f"unknown criticality components {sorted(unknown)}; valid: {sorted(CRITICALITY_WEIGHTS)}",
            field="weights",
        )
    total_w = sum(w.values())
    if total_w <= 0:
        raise InvalidInput("criticality weights must sum to a positive number", field="weights")
    w = {k: v / total_w for k, v in w.items()}

    H = supply_digraph(G)
    nodes = list(H)
    dom = _dominated_counts(H)
    btw = _betweenness(H, betweenness_k, seed)
    reach = _reach(H)
    lk = _linkages(H, scale)
    comps = {
        "dominance": _scaled({n: float(dom[n]) for n in nodes}),
        "betweenness": _scaled(btw),
        "reach": _scaled({n: float(reach[n]) for n in nodes}),
        "linkage": _minmax({n: (lk[n]["backward"] + lk[n]["forward"]) / 2 for n in nodes}),
        "extraction": _scaled({n: lk[n]["loss_share"] for n in nodes}),
        "chokepoint": {n: 1.0 if G.nodes[n].get("chokepoint") else 0.0 for n in nodes},
    }
    out: dict[str, dict[str, float]] = {}
    for n in nodes:
        row = {c: comps[c][n] for c in CRITICALITY_WEIGHTS}
        row["score"] = min(1.0, max(0.0, sum(w.get(c, 0.0) * row[c] for c in CRITICALITY_WEIGHTS)))
        row["dominated"] = float(dom[n])
        row["reach_count"] = float(reach[n])
        row["backward"] = lk[n]["backward"]
        row["forward"] = lk[n]["forward"]
        row["loss_share"] = lk[n]["loss_share"]
        out[n] = row
    return out


def chain_scopes(G: nx.DiGraph) -> dict[str, list[str]]:
    """Top-level chain -> its segments plus their direct neighbours in other chains, sorted.

    A node's chain is its ``top_chain`` attribute (:func:`chainmap.graph.build_graph`);
    nodes without one form the chain ``""``.  A neighbour is a segment linked to or from
    one of the chain's segments by a link of any kind (a declared cross-chain link).

    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("a1", {"top_chain": "a"}), ("a2", {"top_chain": "a"}),
    ...                   ("b1", {"top_chain": "b"}), ("c1", {"top_chain": "c"})])
    >>> G.add_edges_from([("a1", "a2"), ("a2", "b1")], kind="supplies")
    >>> chain_scopes(G)
    {'a': ['a1', 'a2', 'b1'], 'b': ['a2', 'b1'], 'c': ['c1']}
    """
    own: dict[str, set[str]] = {}
    for n, d in G.nodes(data=True):
        own.setdefault(str(d.get("top_chain") or ""), set()).add(n)
    out: dict[str, list[str]] = {}
    for ch in sorted(own):
        scope = set(own[ch])
        for n in own[ch]:
            scope.update(G.predecessors(n))
            scope.update(G.successors(n))
        out[ch] = sorted(scope)
    return out


def chain_criticality(
    G: nx.DiGraph,
    *,
    scale: float = LEONTIEF_SCALE,
    weights: Mapping[str, float] | None = None,
    betweenness_k: int | None = None,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """:func:`criticality` of every segment, computed on its top-level chain's scope.

    For each chain of :func:`chain_scopes`, :func:`criticality` runs on the subgraph
    induced by the chain's segments and their linked neighbours in other chains; each
    segment keeps the scores of its own chain's run.  Every component is therefore
    scaled by its maximum over that scope, not over the whole store: adding a chain
    that is not linked to a chain leaves the chain's scores unchanged.  A graph without
    ``top_chain`` attributes is one chain, and the result equals :func:`criticality`.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(["ore", "metal", "car"], top_chain="a")
    >>> G.add_edges_from([("ore", "metal"), ("metal", "car")], kind="supplies", weight=None)
    >>> before = chain_criticality(G)
    >>> G.add_nodes_from(["x", "y", "z", "w"], top_chain="b")
    >>> G.add_edges_from([("x", "y"), ("y", "z"), ("z", "w")], kind="supplies", weight=None)
    >>> after = chain_criticality(G)
    >>> all(after[n] == before[n] for n in before), round(criticality(G)["ore"]["score"], 3) == round(before["ore"]["score"], 3)
    (True, False)
    """
    out: dict[str, dict[str, float]] = {}
    for ch, scope in chain_scopes(G).items():
        sub = G.subgraph(scope)
        scores = criticality(sub, scale=scale, weights=weights, betweenness_k=betweenness_k, seed=seed)
        for n in scope:
            if str(G.nodes[n].get("top_chain") or "") == ch:
                out[n] = scores[n]
    return {n: out[n] for n in sorted(out)}


def chain_leader_candidates(
    G: nx.DiGraph,
    shares: Mapping[str, Mapping[str, float]],
    *,
    scale: float = LEONTIEF_SCALE,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Local firms whose extraction would hurt the local chain most.

    The *local system* is the supply graph induced by the segments where some
    local firm produces.  A segment's weight is its hypothetical-extraction
    loss share within that local system (:func:`linkages` on the induced
    subgraph).  Extracting a firm removes its share of each of its segments'
    local presence, so its score is the first-order loss

    ``score(f) = sum_k shares[f][k] * loss_share_local[k]``

    which is exact for a sole producer of one segment.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph (or the chain's subgraph).
    shares : mapping
        ``{firm id: {segment id: share of the segment's local presence}}``;
        shares of one segment should sum to 1 (e.g. ``1 / producers``, or
        output shares).  Segments not in ``G`` are ignored.
    scale : float
        Passed to :func:`linkages`.
    top : int, optional
        Keep only the first ``top``.

    Returns
    -------
    list of dict
        ``{"id", "score", "segments"}`` sorted by score (descending) then id;
        firms with score 0 are dropped.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c")], kind="supplies", weight=None)
    >>> chain_leader_candidates(G, {"f1": {"b": 1.0}, "f2": {"a": 0.5}, "f3": {"a": 0.5, "c": 1.0}})
    [{'id': 'f3', 'score': 0.6176, 'segments': ['a', 'c']}, {'id': 'f1', 'score': 0.5294, 'segments': ['b']}, {'id': 'f2', 'score': 0.2059, 'segments': ['a']}]
    """
    firms: list[str] = []
    segs: list[str] = []
    vals: list[float] = []
    for firm, m in shares.items():
        for seg, v in m.items():
            if v > 0 and seg in G:
                firms.append(firm)
                segs.append(seg)
                vals.append(float(v))
    return rank_firm_extraction(G, firms, segs, vals, scale=scale, top=top)


def rank_firm_extraction(
    G: nx.DiGraph,
    firms: Sequence[str],
    segments: Sequence[str],
    shares: Sequence[float],
    *,
    scale: float = LEONTIEF_SCALE,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """:func:`chain_leader_candidates` on flat ``(firm, segment, share)`` triples.

    The triples must have ``share > 0``, a segment of ``G`` and no repeated
    ``(firm, segment)`` pair.  Vectorised: each firm's score is summed over its
    segments in sorted order (the same additions, in the same order, as the
    mapping version), so large maps (10^5 firms) cost one ``bincount``.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "b"), ("b", "c")], kind="supplies", weight=None)
    >>> rank_firm_extraction(G, ["f1", "f2"], ["b", "a"], [1.0, 1.0], top=1)
    [{'id': 'f1', 'score': 0.6, 'segments': ['b']}]
    """
    if not firms:
        return []
    firm_ids, firm_code = np.unique(np.asarray(firms, dtype=str), return_inverse=True)
    seg_ids, seg_code = np.unique(np.asarray(segments, dtype=str), return_inverse=True)
    present = seg_ids.tolist()
    lk = linkages(G, scale=scale, nodes=present)
    loss = np.asarray([lk[x]["loss_share"] for x in present], dtype=np.float64)
    order = np.lexsort((seg_code, firm_code))  # by firm, then segment id
    fc, sc = firm_code[order], seg_code[order]
    contrib = np.asarray(shares, dtype=np.float64)[order] * loss[sc]
    score = np.bincount(fc, weights=contrib, minlength=firm_ids.size)  # sequential per firm
    start = np.searchsorted(fc, np.arange(firm_ids.size + 1))
    names = firm_ids.tolist()
    ranked = sorted(
        ((-round(float(v), 4), names[f], f) for f, v in enumerate(score.tolist()) if v > 0),
    )
    if top is not None:
        ranked = ranked[:top]
    return [
        {"id": name, "score": -neg, "segments": [present[c] for c in sc[start[f] : start[f + 1]].tolist()]}
        for neg, name, f in ranked
    ]
