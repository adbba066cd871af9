"""Per-chain criticality: a chain linked to nothing leaves every 合汽生材 report byte-identical.

On both stores (real SQLite file, real Neo4j): the gap reports of 合, 汽, 生 and 材 (JSON and
Markdown, zh and en) and their leads are rendered, a disconnected chain is imported, and they
are rendered again from the store.
"""

from __future__ import annotations

import networkx as nx
import pytest

from chainmap import service
from chainmap.analysis.criticality import chain_criticality, chain_scopes, criticality
from chainmap.chain_import import import_chain
from chainmap.storage.base import Store
from tests.anychain.conftest import LANDMARK

#: a chain of 115 segments in a line with a branch every 7 (like the knowledge-graph chain of #18)
_N = 115
EDGE_LIST = "上游环节,下游环节,来源\n" + "".join(
    f"节点{i:03d},节点{j:03d},kg-test\n" for i in range(_N) for j in (i + 1, i + 7) if j < _N and (j == i + 1 or i % 7 == 0)
)


def _reports(store: Store) -> dict[str, str]:
    data = service.chain_data(store=store)
    out = {}
    for ch in LANDMARK:
        for lang in ("zh", "en"):
            rep = service.gap_report(data=data, chain=ch, lang=lang)
            out[f"{ch}.{lang}.json"] = str(service.render_gap_report(data=data, report=rep, fmt="json"))
            out[f"{ch}.{lang}.md"] = str(service.render_gap_report(data=data, report=rep, fmt="md"))
    return out


def test_disconnected_chain_changes_no_landmark_report(seeded: Store) -> None:
    before = _reports(seeded)
    summary = import_chain(seeded, EDGE_LIST.encode(), filename="kg.csv", chain_id="ckg", name_zh="知识图谱链")
    assert summary["segments"] == _N and summary["cross_chain_links"] == 0
    after = _reports(seeded)
    assert service.chain_data(store=seeded).chain_root["ckg"] == "ckg"  # the chain is there
    changed = [k for k in before if before[k] != after[k]]
    assert changed == []
    assert before["qi.zh.json"] == after["qi.zh.json"] and len(before["qi.zh.json"]) > 10_000


def test_whole_graph_scaling_would_have_changed_them() -> None:
    """The same check fails for the old rule (scaling over the whole store): the test can fail."""
    from chainmap.seed import load_seed

    G = load_seed().graph
    H = G.copy()
    for i in range(_N - 1):
        H.add_node(f"ckg.n{i}", top_chain="ckg", chain="ckg")
        H.add_node(f"ckg.n{i + 1}", top_chain="ckg", chain="ckg")
        H.add_edge(f"ckg.n{i}", f"ckg.n{i + 1}", kind="supplies", weight=None)
    old_before, old_after = criticality(G), criticality(H)
    assert any(old_before[n] != old_after[n] for n in G.nodes)
    new_before, new_after = chain_criticality(G), chain_criticality(H)
    assert all(new_before[n] == new_after[n] for n in G.nodes)


def test_scope_is_the_chain_and_its_declared_neighbours() -> None:
    from chainmap.seed import load_seed

    G = load_seed().graph
    scopes = chain_scopes(G)
    assert set(scopes) == set(LANDMARK)
    qi_own = {n for n, d in G.nodes(data=True) if d["top_chain"] == "qi"}
    neighbours = set(scopes["qi"]) - qi_own
    assert neighbours and all(G.nodes[n]["top_chain"] != "qi" for n in neighbours)
    assert all(any(G.has_edge(n, m) or G.has_edge(m, n) for m in qi_own) for n in neighbours)


def test_a_linked_chain_is_a_neighbour_and_may_change_the_report() -> None:
    """Declared cross-chain links do count: linking into 汽 changes 汽's scope."""
    G = nx.DiGraph()
    G.add_nodes_from(["a1", "a2"], top_chain="a")
    G.add_edge("a1", "a2", kind="supplies", weight=None)
    before = chain_criticality(G)
    G.add_node("b1", top_chain="b")
    G.add_edge("b1", "a1", kind="supplies", weight=None)
    after = chain_criticality(G)
    assert chain_scopes(G)["a"] == ["a1", "a2", "b1"]
    assert before["a1"] != after["a1"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_english_output_of_the_new_chain_falls_back_marked(seeded: Store, lang: str) -> None:
    import_chain(seeded, EDGE_LIST.encode(), filename="kg.csv", chain_id="ckg", name_zh="知识图谱链")
    data = service.chain_data(store=seeded)
    rep = service.gap_report(data=data, chain="ckg", lang=lang)
    if lang == "en":
        assert rep.chain_names["ckg"] == "知识图谱链（zh）"
        assert all(i.segment_name.endswith("（zh）") for i in rep.items)
    else:
        assert rep.chain_names["ckg"] == "知识图谱链" and not any("（zh）" in i.segment_name for i in rep.items)
