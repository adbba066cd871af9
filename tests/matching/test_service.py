"""matching.service on a real SQLite store holding the shipped seed: pages are
slices of one cached ranking, each piece is recomputed only when what it reads
changes, and every caller ranks with the same outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from chainmap import service as core
from chainmap.cache import ResultCache
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.projects.service import create_project, transition_project
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store
from chainmap.storage.factory import open_store
from matching import service
from matching.candidates import load_demo_candidates
from matching.ranking import rank_leads

PIECES = ("segment_context", "candidate_pool", "candidate_matrix", "lead_scorer", "ranking", "lead_list")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(backend="sqlite", sqlite_path=tmp_path / "chainmap.db")
    load_into_store(s, load_seed())
    yield s
    s.close()


def _counts(cache: ResultCache) -> dict[str, int]:
    return {k: cache.computed[k] for k in PIECES}


def test_pages_and_page_sizes_are_slices_of_one_ranking(store: Store) -> None:
    cache = ResultCache()
    data = core.chain_data(store=store, cache=cache)
    p1 = service.lead_page(store=store, data=data, cache=cache, k=20)
    assert _counts(cache) == dict.fromkeys(PIECES, 1)
    p2 = service.lead_page(store=store, data=data, cache=cache, k=20, page=2)
    p50 = service.lead_page(store=store, data=data, cache=cache, k=50)
    assert _counts(cache) == dict.fromkeys(PIECES, 1)  # no re-ranking, no rebuild
    assert p1.demo and p1.total > 40 and [ld.rank for ld in p2.items] == list(range(21, 41))
    assert p50.items[:20] == p1.items and p50.items[20:40] == p2.items
    # identical to the pure function on the same inputs
    report = core.gap_report(data=data, cache=cache)
    pool = load_demo_candidates(data).candidates
    assert rank_leads(data, report.items, pool, k=20, page=2, outcomes=[]) == p2
    # another language is another list of the same ranking
    en = service.lead_page(store=store, data=data, cache=cache, k=20, lang="en")
    assert cache.computed["ranking"] == 1 and cache.computed["lead_list"] == 2
    assert [ld.candidate_id for ld in en.items] == [ld.candidate_id for ld in p1.items]
    assert en.items[0].reason != p1.items[0].reason


def test_bad_page_or_scope_fails_before_any_work(store: Store) -> None:
    cache = ResultCache()
    data = core.chain_data(store=store, cache=cache)
    for bad in ({"k": 0}, {"k": 201}, {"page": 0}):
        with pytest.raises(InvalidInput) as ei:
            service.lead_page(store=store, data=data, cache=cache, **bad)  # type: ignore[arg-type]
        assert ei.value.context["field"] in bad
    assert sum(cache.computed.values()) == 1  # the read model only
    with pytest.raises(NotFound) as nf:
        service.lead_page(store=store, data=data, cache=cache, gap="qi.ghost")
    assert nf.value.context["field"] == "gap"


CSV = (
    "name,hq_province,hq_city,main_products,segments\n"
    "测试隔膜材料有限公司,江苏,常州,湿法隔膜,qi.separator\n"
    "测试电驱动有限公司,浙江,宁波,电驱动总成,\n"
)


def test_stored_candidates_replace_the_demo_pool(store: Store) -> None:
    cache = ResultCache()
    data = core.chain_data(store=store, cache=cache)
    assert service.candidate_pool(store=store, data=data, cache=cache).demo
    service.lead_page(store=store, data=data, cache=cache, chain="qi")
    done = service.import_candidates(store=store, data=data, source=CSV.encode(), filename="c.csv")
    assert done.counts["created"] == 2
    pool = service.candidate_pool(store=store, data=data, cache=cache)
    assert not pool.demo and len(pool) == 2
    page = service.lead_page(store=store, data=data, cache=cache, chain="qi", k=50)
    assert not page.demo and {ld.name for ld in page.items} <= {"测试隔膜材料有限公司", "测试电驱动有限公司"}
    assert cache.computed["segment_context"] == 1 and cache.computed["candidate_matrix"] == 2
    assert cache.computed["gaps"] == 1  # a record write leaves the gap report cached
    # the demo pool can still be asked for
    assert service.lead_page(store=store, data=data, cache=cache, chain="qi", demo=True).demo
    listed = service.list_candidates(store=store, name="隔膜")
    assert listed.total == 1 and listed.items[0]["name"] == "测试隔膜材料有限公司"
    assert service.list_candidates(store=store, segment="qi.separator", limit=5).total == 1


def test_outcomes_are_read_for_every_ranking(store: Store) -> None:
    cache = ResultCache()
    data = core.chain_data(store=store, cache=cache)
    before = service.lead_page(store=store, data=data, cache=cache, chain="qi", k=3)
    assert service._outcomes(store) == []
    create_project(
        store=store,
        project_in={"id": "p-1", "enterprise": {"name": "宁德时代新能源科技股份有限公司"}, "task_force": "专班",
                    "task_force_kind": "squad", "owner": "张三", "created": date(2021, 3, 1), "segment": "qi.pack"},
    )  # fmt: skip
    transition_project(store=store, project_id="p-1", to="dropped", on=date(2021, 4, 1), actor="张三", reason="选址他处")
    outcomes = service._outcomes(store)
    assert [o.label for o in outcomes] == [0]
    after = service.lead_page(store=store, data=data, cache=cache, chain="qi", k=3)
    assert cache.computed["lead_scorer"] == 2 and cache.computed["segment_context"] == 1
    # what `chainmap demo` shows per chain equals the pure ranking with the same outcomes
    report = core.gap_report(data=data, cache=cache)
    pool = load_demo_candidates(data).candidates
    for chain in report.chains:
        got = service.lead_page(store=store, data=data, cache=cache, chain=chain, k=3)
        assert got == rank_leads(data, report.items, pool, k=3, chain=chain, outcomes=outcomes)
    assert after.total == before.total


def test_without_a_cache_everything_is_computed_afresh(store: Store) -> None:
    data = core.chain_data(store=store)
    a = service.lead_page(store=store, data=data, k=5)
    b = service.lead_page(store=store, data=data, k=5)
    assert a == b and len(a.items) == 5
