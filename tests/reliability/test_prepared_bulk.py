"""Bulk writes of prepared enterprises (validated, kept as JSON; ``storage._common.PreparedEnterprises``).

A store may write their JSON as it is instead of rebuilding the models (the SQLite store does;
the Neo4j store iterates the models): either way the stored enterprises must equal those of the
same bulk write given as models, and every check of a bulk write (references, duplicate ids,
credit codes) must still refuse a bad batch with nothing written. Runs on both stores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chainmap.exceptions import Conflict, InvalidInput
from chainmap.models import Chain, Enterprise, Region, Segment, Stage
from chainmap.storage import _common as common
from chainmap.storage.base import Store


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    st: Store = request.getfixturevalue(f"{request.param}_store")
    st.bulk_upsert(
        chains=[Chain(id="qi", name_zh="汽车", name_en="Auto", letter="汽")],
        regions=[Region(id="yc", kind="city", name_zh="运城", name_en="Yuncheng"),
                 Region(id="yj", kind="county", name_zh="永济", name_en="Yongji", parent="yc")],
        segments=[Segment(id="qi.a", chain="qi", name_zh="电池", name_en="Battery", stage=Stage.upstream),
                  Segment(id="qi.b", chain="qi", name_zh="整车", name_en="Vehicle", stage=Stage.downstream)],
    )  # fmt: skip
    return st


class Prepared:
    """A real PreparedEnterprises: validated models kept as their JSON; counts model rebuilds."""

    def __init__(self, ents: list[Enterprise]) -> None:
        self.texts = [common.enterprise_json(e).encode() for e in ents]
        self.rebuilt = 0

    def __iter__(self) -> Iterator[Enterprise]:
        for t in self.texts:
            self.rebuilt += 1
            yield Enterprise.model_validate_json(t)

    def validated_json(self) -> Iterator[bytes]:
        return iter(self.texts)


def _firms(n: int = 30) -> list[Enterprise]:
    return [
        Enterprise(
            id=f"ent.{i:03d}", name=f"企业{i}", county="yj" if i % 2 else None, zone=None,
            segments=[{"segment": "qi.a"}, {"segment": "qi.b", "role": "user"}] if i % 3 else [],
            tags=["链主"] if i % 5 == 0 else [], revenue=float(i), note="x" * i,
            credit_code="91350100M000100Y43" if i == 7 else None,
        )
        for i in range(n)
    ]  # fmt: skip


def _dump(store: Store) -> list[str]:
    return sorted(e.model_dump_json() for e in store.list_enterprises())


def test_the_protocol_is_recognised() -> None:
    assert isinstance(Prepared([]), common.PreparedEnterprises)
    assert not isinstance(_firms(2), common.PreparedEnterprises)
    assert common.stored_enterprises(_firms(2)) is None


def test_prepared_and_model_bulk_writes_store_the_same(store: Store) -> None:
    firms = _firms()
    store.bulk_upsert(enterprises=firms, batch_size=7)
    as_models = _dump(store)
    seg_a = {e.id for e in store.search_enterprises(segment="qi.a", limit=100)[0]}
    tagged = {e.id for e in store.search_enterprises(tag="chain_leader", limit=100)[0]}
    in_yj = {e.id for e in store.search_enterprises(county="yj", limit=100)[0]}
    for e in firms:
        store.delete_enterprise(str(e.id))
    assert store.list_enterprises() == []
    prepared = Prepared(firms)
    counts = store.bulk_upsert(enterprises=prepared, batch_size=7)
    assert counts["enterprises"] == len(firms)
    assert _dump(store) == as_models
    # the side tables (search by segment, tag, county) hold the same rows
    assert {e.id for e in store.search_enterprises(segment="qi.a", limit=100)[0]} == seg_a
    assert {e.id for e in store.search_enterprises(tag="chain_leader", limit=100)[0]} == tagged
    assert {e.id for e in store.search_enterprises(county="yj", limit=100)[0]} == in_yj
    if store.backend == "sqlite":
        assert prepared.rebuilt == 0  # written from the JSON, no model rebuilt
    # a second prepared write replaces (upsert) instead of duplicating side rows
    store.bulk_upsert(enterprises=Prepared(firms))
    assert _dump(store) == as_models
    assert {e.id for e in store.search_enterprises(segment="qi.a", limit=100)[0]} == seg_a


@pytest.mark.parametrize(
    ("bad", "error", "field"),
    [
        (Enterprise(id="ent.x", name="X", segments=[{"segment": "qi.nope"}]), InvalidInput, "segments[0].segment"),
        (Enterprise(id="ent.x", name="X", county="nowhere"), InvalidInput, "county"),
        (Enterprise(id="ent.001", name="again"), InvalidInput, "id"),
        (Enterprise(id="ent.y", name="Y", credit_code="91350100M000100Y43"), Conflict, "credit_code"),
    ],
)
def test_prepared_bulk_write_refuses_what_a_model_write_refuses(
    store: Store, bad: Enterprise, error: type[Exception], field: str
) -> None:
    before = _dump(store)
    firms = [*_firms(10), bad]
    with pytest.raises(error) as model_err:
        store.bulk_upsert(enterprises=firms)
    with pytest.raises(error) as prepared_err:
        store.bulk_upsert(enterprises=Prepared(firms))
    # the same message, naming the same row and field
    assert str(prepared_err.value) == str(model_err.value)
    assert str(model_err.value).startswith(f"row {len(firms)}: {field}: ")
    assert _dump(store) == before  # nothing written
