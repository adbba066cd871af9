"""Relatedness density of a region around a chain's segments, for the gap analysis.

``omega = sum_k M_k phi_ks / sum_k phi_ks`` (:func:`chainmap.analysis.relatedness.density`)
over a chain's segments and their linked neighbours.  ``phi`` is the
co-occurrence proximity of segments within enterprises (all enterprises of the
data, role producer) when at least :data:`COOCCURRENCE_MIN_FIRMS` enterprises
produce in two or more of those segments and they cover at least
:data:`COOCCURRENCE_MIN_COVERAGE` of the chain's segments; otherwise the
adjacency of the undirected link graph (any link kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

# the unvalidated kernels of relatedness.density / proximity: the matrices built here are binary
# and finite by construction (the public functions would re-check 10^7 entries per chain)
from chainmap.analysis.relatedness import _density as _density_of
from chainmap.analysis.relatedness import _proximity as _proximity_of
from chainmap.models import Enterprise, Role

__all__ = ["COOCCURRENCE_MIN_FIRMS", "COOCCURRENCE_MIN_COVERAGE", "relatedness_density"]

#: Co-occurrence proximity needs at least this many enterprises producing in two or more segments ...
COOCCURRENCE_MIN_FIRMS = 30
#: ... covering at least this share of the chain's segments; else phi comes from the links.
COOCCURRENCE_MIN_COVERAGE = 0.5


def _producer_pairs(
    enterprises: Iterable[Enterprise | Sequence[str]], idx: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``(row, col)`` arrays: enterprise ``row`` (its position in ``enterprises``) produces in
    segment ``col = idx[segment]``; segments not in ``idx`` are skipped, repeated pairs kept."""
    rows: list[int] = []
    cols: list[int] = []
    producer = Role.producer
    for i, e in enumerate(enterprises):
        if isinstance(e, Enterprise):
            segs: Iterable[str] = (p.segment for p in e.presences(producer))
        else:
            segs = e
        for s in segs:
            j = idx.get(s)
            if j is not None:
                rows.append(i)
                cols.append(j)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _link_phi(G: nx.DiGraph, scope: Sequence[str]) -> np.ndarray:
    idx = {n: i for i, n in enumerate(scope)}
    phi = np.zeros((len(scope), len(scope)))
    for u, v in G.edges():
        if u in idx and v in idx:
            phi[idx[u], idx[v]] = phi[idx[v], idx[u]] = 1.0
    return phi


def relatedness_density(
    G: nx.DiGraph,
    scope: Sequence[str],
    present: Iterable[str],
    enterprises: Iterable[Enterprise | Sequence[str]],
    *,
    chain_nodes: Iterable[str] | None = None,
) -> tuple[dict[str, float], dict[str, int], str]:
    """Density of the region around every segment of ``scope``.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph.
    scope : sequence of str
        The segments (a chain and its linked neighbours).
    present : iterable of str
        Segments with a local producer (the region's row of ``M``).
    enterprises : iterable of Enterprise or of segment-id lists
        All enterprises of the data, local or not, for co-occurrence (or, to
        save time on repeated calls, each one's list of producer segments).
    chain_nodes : iterable of str, optional
        The chain's own segments, for the coverage test (default: ``scope``).

    Returns
    -------
    density : dict
        ``{segment: omega}``.
    related : dict
        ``{segment: number of local segments with phi > 0 to it}``.
    mode : str
        ``"cooccurrence"`` or ``"links"`` (see the module docstring for the rule).

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> relatedness_density(G, ["a", "b", "c"], ["a"], [])
    ({'a': 0.0, 'b': 0.5, 'c': 0.0}, {'a': 0, 'b': 1, 'c': 0}, 'links')
    """
    scope = sorted(scope)
    if not scope:
        return {}, {}, "links"
    idx = {n: i for i, n in enumerate(scope)}
    rows, cols = _producer_pairs(enterprises, idx)
    return _scope_density(G, scope, present, rows, cols, scope if chain_nodes is None else chain_nodes)


def _scope_density(
    G: nx.DiGraph,
    scope: list[str],
    present: Iterable[str],
    rows: np.ndarray,
    cols: np.ndarray,
    chain_nodes: Iterable[str],
) -> tuple[dict[str, float], dict[str, int], str]:
    """:func:`relatedness_density` on producer pairs already mapped to ``scope`` (sorted) columns.

    ``rows`` are enterprise numbers (any order, repeats allowed), ``cols`` positions in ``scope``.
    The co-occurrence counts are integers, so the order of the enterprises does not matter.
    """
    n = len(scope)
    idx = {s: i for i, s in enumerate(scope)}
    own = set(chain_nodes)
    mode = "links"
    if rows.size:
        # one row per enterprise with a segment in scope, its columns deduplicated and sorted
        pair = np.unique(rows * n + cols)
        prow, pcol = pair // n, pair % n
        _, start, per_row = np.unique(prow, return_index=True, return_counts=True)
        multi = per_row >= 2
        in_multi = np.repeat(multi, per_row)
        covered = {scope[c] for c in np.unique(pcol[in_multi]).tolist()} & own
        if (
            int(multi.sum()) >= COOCCURRENCE_MIN_FIRMS
            and own
            and len(covered) / len(own) >= COOCCURRENCE_MIN_COVERAGE
        ):
            mode = "cooccurrence"
            indptr = np.concatenate(([0], np.cumsum(per_row)))
            Ment = sp.csr_array((np.ones(pcol.size), pcol, indptr), shape=(per_row.size, n))
            phi = _proximity_of(Ment)
    if mode == "links":
        phi = _link_phi(G, scope)
    M = np.zeros((1, n))
    for s in present:
        if s in idx:
            M[0, idx[s]] = 1.0
    omega = _density_of(M, phi)[0]
    here = np.flatnonzero(M[0] > 0)
    related = (phi[here] > 0).sum(axis=0)
    return (
        dict(zip(scope, omega.tolist(), strict=True)),
        dict(zip(scope, related.tolist(), strict=True)),
        mode,
    )
