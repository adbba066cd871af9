"""Contract of conditional writes (optimistic concurrency) on every backend: :func:`object_tag`,
:meth:`Store.guarded` and :meth:`Store.find_link`.

The point of ``guarded`` is atomicity: the tag check and the write happen in one
transaction, so writers that read the same version cannot both write.  The threaded
tests below fail on a store whose transaction does not serialise writers (a check
outside the transaction loses updates within a few rounds).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from chainmap.exceptions import NotFound, PreconditionFailed
from chainmap.models import Chain, Link, Segment
from chainmap.storage.base import ANY_TAG, Store, object_tag


@pytest.fixture
def graph(store: Store) -> Store:
    store.bulk_upsert(
        chains=[Chain(id="mg", name_zh="镁", name_en="Mg", letter="材")],
        segments=[
            Segment(id="mg.ore", chain="mg", name_zh="矿", name_en="ore", stage="upstream"),
            Segment(id="mg.ingot", chain="mg", name_zh="锭", name_en="ingot", stage="midstream"),
        ],
        links=[Link(source="mg.ore", target="mg.ingot", weight=0.5)],
    )
    return store


def _segment(tx: Store) -> Segment:
    return tx.get_segment("mg.ore")


def test_tag_follows_the_stored_content(graph: Store) -> None:
    before = object_tag(graph.get_segment("mg.ore"))
    assert before == object_tag(graph.get_segment("mg.ore"))  # stable across reads
    graph.upsert_segment(graph.get_segment("mg.ore").model_copy(update={"order": 7}))
    assert object_tag(graph.get_segment("mg.ore")) != before
    graph.put_record("project", "p1", {"n": 1})
    assert object_tag(graph.get_record("project", "p1")) == object_tag({"id": "p1", "n": 1})


def test_guarded_writes_when_the_tag_matches(graph: Store) -> None:
    tag = object_tag(graph.get_segment("mg.ore"))
    with graph.guarded(_segment, {tag}, what="segment 'mg.ore'") as tx:
        tx.upsert_segment(tx.get_segment("mg.ore").model_copy(update={"order": 1}))
    assert graph.get_segment("mg.ore").order == 1
    with graph.guarded(_segment, {ANY_TAG}, what="segment") as tx:  # '*': any existing object
        tx.upsert_segment(tx.get_segment("mg.ore").model_copy(update={"order": 2}))
    with graph.guarded(_segment, None, what="segment") as tx:  # no condition
        tx.upsert_segment(tx.get_segment("mg.ore").model_copy(update={"order": 3}))
    assert graph.get_segment("mg.ore").order == 3


def test_guarded_refuses_a_stale_tag_and_writes_nothing(graph: Store) -> None:
    stale = object_tag(graph.get_segment("mg.ore"))
    graph.upsert_segment(graph.get_segment("mg.ore").model_copy(update={"order": 5}))
    current = object_tag(graph.get_segment("mg.ore"))
    revision = graph.revision()
    with pytest.raises(PreconditionFailed) as info:
        with graph.guarded(_segment, {stale}, what="segment 'mg.ore'") as tx:
            tx.upsert_segment(tx.get_segment("mg.ore").model_copy(update={"order": 9}))
    assert info.value.current_tag == current
    assert "segment 'mg.ore'" in str(info.value) and info.value.hint.startswith("已被他人修改")
    assert graph.get_segment("mg.ore").order == 5
    assert object_tag(graph.get_segment("mg.ore")) == current
    assert graph.revision() == revision  # the refused transaction was rolled back


def test_guarded_on_absent_objects(graph: Store) -> None:
    with pytest.raises(NotFound):  # the reader's NotFound propagates, condition or not
        with graph.guarded(lambda tx: tx.get_segment("nope"), None, what="segment"):
            pass
    absent: Callable[[Store], Link | None] = lambda tx: tx.find_link("mg.ingot", "mg.ore", "supplies")  # noqa: E731
    with pytest.raises(PreconditionFailed) as info:  # an expected version of nothing: 412, not a create
        with graph.guarded(absent, {ANY_TAG}, what="link") as tx:
            tx.upsert_link(Link(source="mg.ingot", target="mg.ore"))
    assert info.value.current_tag is None
    assert graph.find_link("mg.ingot", "mg.ore", "supplies") is None
    with graph.guarded(absent, None, what="link") as tx:  # unconditional create
        tx.upsert_link(Link(source="mg.ingot", target="mg.ore"))
    assert graph.find_link("mg.ingot", "mg.ore", "supplies") == Link(source="mg.ingot", target="mg.ore")


def test_find_link(graph: Store) -> None:
    assert graph.find_link("mg.ore", "mg.ingot", "supplies") == Link(source="mg.ore", target="mg.ingot", weight=0.5)
    assert graph.find_link("mg.ore", "mg.ingot", "part_of") is None


THREADS, ROUNDS = 8, 15


def _run(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(i: int) -> None:
        try:
            work(i)
        except BaseException as err:  # reported by the test
            errors.append(err)

    pool = [threading.Thread(target=guard, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    return errors


def test_concurrent_guarded_increments_lose_nothing(graph: Store) -> None:
    """Each thread reads the counter and its tag outside any transaction, then writes
    counter + 1 under ``guarded``; a refusal means re-read and retry."""
    graph.put_record("project", "counter", {"n": 0})
    refused = [0] * THREADS

    def work(i: int) -> None:
        for _ in range(ROUNDS):
            while True:
                rec = graph.get_record("project", "counter")
                try:
                    with graph.guarded(lambda tx: tx.get_record("project", "counter"), {object_tag(rec)}, what="counter") as tx:
                        tx.put_record("project", "counter", {"n": rec["n"] + 1})
                    break
                except PreconditionFailed:
                    refused[i] += 1

    assert _run(THREADS, work) == []
    assert graph.get_record("project", "counter")["n"] == THREADS * ROUNDS


def test_only_one_of_the_writers_holding_one_tag_wins(graph: Store) -> None:
    tag = object_tag(graph.get_segment("mg.ore"))
    barrier = threading.Barrier(THREADS)
    won: list[int] = []

    def work(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            with graph.guarded(_segment, {tag}, what="segment") as tx:
                tx.upsert_segment(tx.get_segment("mg.ore").model_copy(update={"order": 100 + i}))
            won.append(i)
        except PreconditionFailed:
            pass

    assert _run(THREADS, work) == []
    assert len(won) == 1
    assert graph.get_segment("mg.ore").order == 100 + won[0]
