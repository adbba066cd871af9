"""The storage contract: every test runs against every backend (``store`` fixture).

Data is tiny and built here, so each test states what it expects by hand.
"""

from __future__ import annotations

import threading

import pytest

from chainmap.exceptions import Conflict, InvalidInput, NotFound
from chainmap.models import Chain, Enterprise, Link, Region, Segment, SegmentPresence, credit_code_check_char
from chainmap.storage.base import SCHEMA_VERSION, Store

# ---- builders ------------------------------------------------------------------


def code(n: int) -> str:
    """A valid 统一社会信用代码 derived from ``n``."""
    first = f"91140800MA{n:07d}"
    return first + credit_code_check_char(first)


def chain(cid: str = "mg", parent: str | None = None) -> Chain:
    return Chain(id=cid, name_zh="镁", name_en=cid.title(), letter="材", parent=parent, sources=["s1"])


def segment(sid: str, chain_id: str = "mg", stage: str = "upstream", parent: str | None = None) -> Segment:
    return Segment(id=sid, chain=chain_id, name_zh=sid, name_en=sid, stage=stage, parent=parent,
                   keywords_zh=["镁"], reference_share=0.25)


def region(rid: str, kind: str = "county", parent: str | None = "yuncheng", county: str | None = None) -> Region:
    return Region(id=rid, kind=kind, name_zh=rid, name_en=rid, parent=parent, county=county, lat=35.0, lon=111.0)


def enterprise(eid: str, *segs: str, **kw) -> Enterprise:
    presences = [SegmentPresence(segment=s) for s in segs]
    return Enterprise(id=eid, name=kw.pop("name", f"Enterprise {eid}"), segments=presences, **kw)


@pytest.fixture
def base(store: Store) -> Store:
    """Two chains (mg with sub-chain mg.alloy, auto), regions, four segments, one link."""
    store.bulk_upsert(
        chains=[chain("mg"), chain("mg.alloy", parent="mg"), chain("auto")],
        regions=[
            region("yuncheng", kind="city", parent=None),
            region("wenxi"),
            region("yanhu"),
            region("wenxi.zone", kind="zone", parent="yuncheng", county="wenxi"),
        ],
        segments=[
            segment("mg.ore"),
            segment("mg.ingot", stage="midstream"),
            segment("mg.alloy.die", chain_id="mg.alloy", stage="downstream"),
            segment("auto.body", chain_id="auto", stage="downstream"),
        ],
        links=[Link(source="mg.ore", target="mg.ingot", weight=0.5, note="主要原料", sources=["x"])],
    )
    return store


# ---- chains ----------------------------------------------------------------------


def test_chain_crud(store: Store) -> None:
    store.upsert_chain(chain("mg"))
    assert store.get_chain("mg") == chain("mg")
    changed = chain("mg").model_copy(update={"description": "镁产业链"})
    store.upsert_chain(changed)
    assert store.get_chain("mg").description == "镁产业链"
    store.upsert_chain(chain("auto"))
    assert [c.id for c in store.list_chains()] == ["auto", "mg"]
    store.delete_chain("auto")
    assert [c.id for c in store.list_chains()] == ["mg"]


def test_chain_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_chain("nope")
    with pytest.raises(NotFound):
        store.delete_chain("nope")


def test_chain_unknown_parent_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        store.upsert_chain(chain("mg.alloy", parent="mg"))
    assert err.value.context["field"] == "parent"
    assert store.list_chains() == []


def test_delete_chain_refused_while_referenced(base: Store) -> None:
    with pytest.raises(Conflict, match="mg.ore"):
        base.delete_chain("mg")
    with pytest.raises(Conflict, match="mg.alloy"):
        base.delete_chain("mg.alloy")  # its segment mg.alloy.die
    base.delete_segment("mg.alloy.die")
    base.delete_chain("mg.alloy")
    with pytest.raises(NotFound):
        base.get_chain("mg.alloy")


# ---- segments --------------------------------------------------------------------


def test_segment_crud_and_chain_filter(base: Store) -> None:
    assert base.get_segment("mg.ore") == segment("mg.ore")
    assert [s.id for s in base.list_segments()] == ["auto.body", "mg.alloy.die", "mg.ingot", "mg.ore"]
    # a chain's segments include those of its sub-chains
    assert [s.id for s in base.list_segments("mg")] == ["mg.alloy.die", "mg.ingot", "mg.ore"]
    assert [s.id for s in base.list_segments("mg.alloy")] == ["mg.alloy.die"]
    base.upsert_segment(segment("mg.ore").model_copy(update={"chokepoint": True}))
    assert base.get_segment("mg.ore").chokepoint is True
    with pytest.raises(NotFound):
        base.list_segments("nope")
    with pytest.raises(NotFound):
        base.get_segment("nope")


def test_segment_moves_to_another_chain(base: Store) -> None:
    base.upsert_segment(segment("mg.ore", chain_id="auto"))
    assert [s.id for s in base.list_segments("auto")] == ["auto.body", "mg.ore"]
    assert "mg.ore" not in [s.id for s in base.list_segments("mg")]


@pytest.mark.parametrize(
    ("seg", "field"),
    [(segment("x", chain_id="nope"), "chain"), (segment("x", parent="nope"), "parent")],
)
def test_segment_unknown_reference_is_invalid(base: Store, seg: Segment, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        base.upsert_segment(seg)
    assert err.value.context["field"] == field
    with pytest.raises(NotFound):
        base.get_segment("x")


def test_delete_segment_conflict_vs_cascade(base: Store) -> None:
    base.upsert_enterprise(enterprise("e1", "mg.ingot", "mg.ore"))
    with pytest.raises(Conflict, match="links"):
        base.delete_segment("mg.ingot")
    base.delete_link("mg.ore", "mg.ingot", "supplies")
    with pytest.raises(Conflict, match="e1"):
        base.delete_segment("mg.ingot")
    base.upsert_link(Link(source="mg.ore", target="mg.ingot"))
    base.delete_segment("mg.ingot", cascade=True)
    with pytest.raises(NotFound):
        base.get_segment("mg.ingot")
    assert base.list_links() == []
    assert base.get_enterprise("e1").segment_ids() == ["mg.ore"]
    assert base.search_enterprises(segment="mg.ingot") == ([], 0)


def test_delete_segment_with_children_is_refused_even_with_cascade(base: Store) -> None:
    base.upsert_segment(segment("mg.ore.fine", parent="mg.ore"))
    with pytest.raises(Conflict, match="mg.ore.fine"):
        base.delete_segment("mg.ore", cascade=True)
    base.delete_segment("mg.ore.fine")
    base.delete_segment("mg.ore", cascade=True)
    with pytest.raises(NotFound):
        base.delete_segment("mg.ore")


# ---- links -----------------------------------------------------------------------


def test_link_crud(base: Store) -> None:
    first = Link(source="mg.ore", target="mg.ingot", weight=0.5, note="主要原料", sources=["x"])
    assert base.list_links() == [first]
    base.upsert_link(Link(source="mg.ingot", target="auto.body", kind="enables"))
    base.upsert_link(Link(source="mg.ore", target="mg.ingot", kind="part_of"))
    base.upsert_link(first.model_copy(update={"weight": 0.75}))
    links = base.list_links()
    assert [ln.key for ln in links] == [
        ("mg.ingot", "auto.body", "enables"),
        ("mg.ore", "mg.ingot", "part_of"),
        ("mg.ore", "mg.ingot", "supplies"),
    ]
    assert links[2].weight == 0.75
    assert [ln.key for ln in base.list_links("auto")] == [("mg.ingot", "auto.body", "enables")]
    assert len(base.list_links("mg")) == 3
    base.delete_link("mg.ore", "mg.ingot", "part_of")
    assert len(base.list_links()) == 2
    with pytest.raises(NotFound):
        base.delete_link("mg.ore", "mg.ingot", "part_of")
    with pytest.raises(InvalidInput):
        base.delete_link("mg.ore", "mg.ingot", "feeds")


def test_link_unknown_end_is_invalid(base: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        base.upsert_link(Link(source="mg.ore", target="nope"))
    assert err.value.context["field"] == "target"


# ---- regions ---------------------------------------------------------------------


def test_region_crud(base: Store) -> None:
    assert base.get_region("wenxi.zone").county == "wenxi"
    assert [r.id for r in base.list_regions()] == ["wenxi", "wenxi.zone", "yanhu", "yuncheng"]
    base.upsert_region(region("yanhu").model_copy(update={"name_en": "Yanhu District"}))
    assert base.get_region("yanhu").name_en == "Yanhu District"
    with pytest.raises(InvalidInput) as err:
        base.upsert_region(region("z2", kind="zone", county="nope"))
    assert err.value.context["field"] == "county"
    with pytest.raises(NotFound):
        base.get_region("nope")


def test_delete_region(base: Store) -> None:
    with pytest.raises(Conflict, match="wenxi.zone"):
        base.delete_region("wenxi")
    base.upsert_enterprise(enterprise("e1", county="yanhu"))
    with pytest.raises(Conflict, match="e1"):
        base.delete_region("yanhu")
    base.delete_enterprise("e1")
    base.delete_region("yanhu")
    with pytest.raises(NotFound):
        base.delete_region("yanhu")


# ---- enterprises -----------------------------------------------------------------


def test_enterprise_round_trip(base: Store) -> None:
    e = Enterprise(
        id="e1", name="运城镁业 Yuncheng Mg", name_en="Yuncheng Mg", credit_code=code(1),
        county="wenxi", zone="wenxi.zone",
        segments=[
            SegmentPresence(segment="mg.ingot", role="producer", capacity=10.0, capacity_unit="万吨", output=3.5),
            SegmentPresence(segment="mg.ore", role="user"),
        ],
        tags=["链主", "listed"], revenue=12.5, employees=800, founded=2003, source="list.csv",
        confidence="medium", note="备注", attributes={"contact": {"phone": "0359"}, "rank": [1, 2]},
    )
    base.upsert_enterprise(e)
    assert base.get_enterprise("e1") == e
    assert base.list_enterprises() == [e]
    assert base.find_enterprise_by_credit_code(code(1).lower()) == e
    assert base.find_enterprise_by_credit_code(code(2)) is None


def test_enterprise_upsert_replaces(base: Store) -> None:
    base.upsert_enterprise(enterprise("e1", "mg.ore", tags=["gazelle"], county="wenxi"))
    base.upsert_enterprise(enterprise("e1", "mg.ingot", tags=["unicorn"], county="yanhu"))
    assert base.get_enterprise("e1").segment_ids() == ["mg.ingot"]
    assert base.search_enterprises(segment="mg.ore")[1] == 0
    assert base.search_enterprises(tag="gazelle")[1] == 0
    assert base.search_enterprises(county="wenxi")[1] == 0
    assert base.search_enterprises(tag="unicorn", county="yanhu", segment="mg.ingot")[1] == 1


def test_enterprise_without_id_is_invalid(base: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        base.upsert_enterprise(Enterprise(name="无名企业"))
    assert err.value.context["field"] == "id"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"county": "nope"}, "county"), ({"zone": "nope"}, "zone")],
)
def test_enterprise_unknown_region_is_invalid(base: Store, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        base.upsert_enterprise(enterprise("e1", **kwargs))
    assert err.value.context["field"] == field


def test_enterprise_unknown_segment_is_invalid(base: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        base.upsert_enterprise(enterprise("e1", "mg.ore", "nope"))
    assert err.value.context["field"] == "segments[1].segment"
    with pytest.raises(NotFound):
        base.get_enterprise("e1")


def test_credit_code_conflict_names_the_other(base: Store) -> None:
    base.upsert_enterprise(enterprise("e1", credit_code=code(1)))
    base.upsert_enterprise(enterprise("e1", credit_code=code(1), note="same enterprise again"))
    with pytest.raises(Conflict, match="'e1'") as err:
        base.upsert_enterprise(enterprise("e2", credit_code=code(1)))
    assert err.value.context["field"] == "credit_code"
    with pytest.raises(NotFound):
        base.get_enterprise("e2")
    # once e1 gives up the code, e2 may take it
    base.upsert_enterprise(enterprise("e1", credit_code=code(3)))
    base.upsert_enterprise(enterprise("e2", credit_code=code(1)))
    assert base.find_enterprise_by_credit_code(code(1)).id == "e2"


def test_delete_enterprise(base: Store) -> None:
    base.upsert_enterprise(enterprise("e1", "mg.ore", tags=["gazelle"]))
    base.delete_enterprise("e1")
    with pytest.raises(NotFound):
        base.get_enterprise("e1")
    with pytest.raises(NotFound):
        base.delete_enterprise("e1")
    assert base.search_enterprises(segment="mg.ore") == ([], 0)
    base.delete_segment("mg.ingot", cascade=True)  # nothing refers to it any more but links


# ---- search ----------------------------------------------------------------------


@pytest.fixture
def populated(base: Store) -> Store:
    base.bulk_upsert(
        enterprises=[
            enterprise("e01", "mg.ore", name="闻喜镁业 Mg Works", county="wenxi", zone="wenxi.zone", tags=["链主"]),
            enterprise("e02", "mg.ore", "mg.ingot", name="Yanhu MAGNESIUM", county="yanhu", tags=["gazelle"]),
            enterprise("e03", "mg.ingot", name="运城汽车", county="yanhu", tags=["gazelle", "listed"]),
            enterprise("e04", "auto.body", name="Body Shop", county="wenxi"),
            enterprise("e05", name="No Segment Ltd"),
            *[enterprise(f"e1{i}", "mg.alloy.die", name=f"Die caster {i}", county="wenxi") for i in range(5)],
        ]
    )
    return base


def ids(page: tuple[list[Enterprise], int]) -> tuple[list[str], int]:
    return [e.id for e in page[0]], page[1]


def test_search_filters(populated: Store) -> None:
    s = populated.search_enterprises
    assert ids(s(segment="mg.ore")) == (["e01", "e02"], 2)
    assert ids(s(segment="mg.ingot", tag="gazelle")) == (["e02", "e03"], 2)
    assert ids(s(tag="chain_leader")) == (["e01"], 1)
    assert ids(s(tag="链主")) == (["e01"], 1)
    assert ids(s(county="yanhu")) == (["e02", "e03"], 2)
    assert ids(s(zone="wenxi.zone")) == (["e01"], 1)
    assert ids(s(name="magnesium")) == (["e02"], 1)
    assert ids(s(name="MG ")) == (["e01"], 1)
    assert ids(s(name="镁业")) == (["e01"], 1)
    assert ids(s(name="运城", county="wenxi")) == ([], 0)
    assert ids(s(segment="nope")) == ([], 0)
    assert s()[1] == 10


def test_search_pagination(populated: Store) -> None:
    s = populated.search_enterprises
    assert ids(s(county="wenxi", limit=2)) == (["e01", "e04"], 7)
    assert ids(s(county="wenxi", limit=2, offset=2)) == (["e10", "e11"], 7)
    assert ids(s(county="wenxi", limit=5, offset=5)) == (["e13", "e14"], 7)
    assert ids(s(county="wenxi", limit=5, offset=50)) == ([], 7)
    assert ids(s(county="wenxi", limit=0)) == ([], 7)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"tag": "best"}, "tag"), ({"limit": -1}, "limit"), ({"offset": -3}, "offset")],
)
def test_search_bad_parameters(populated: Store, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        populated.search_enterprises(**kwargs)
    assert err.value.context["field"] == field


# ---- transactions ----------------------------------------------------------------


def test_transaction_commits_together(base: Store) -> None:
    with base.transaction() as tx:
        tx.upsert_enterprise(enterprise("e1", "mg.ore"))
        tx.put_record("project", "p1", {"enterprise": "e1"})
        assert tx.get_enterprise("e1").id == "e1"  # reads see the transaction's writes
    assert base.get_record("project", "p1")["enterprise"] == "e1"
    assert base.get_enterprise("e1").id == "e1"


def test_transaction_rolls_back_on_exception(base: Store) -> None:
    before = base.revision()
    with pytest.raises(RuntimeError), base.transaction() as tx:
        tx.upsert_enterprise(enterprise("e1", "mg.ore"))
        tx.put_record("project", "p1", {"enterprise": "e1"})
        tx.delete_link("mg.ore", "mg.ingot", "supplies")
        raise RuntimeError("boom")
    with pytest.raises(NotFound):
        base.get_enterprise("e1")
    with pytest.raises(NotFound):
        base.get_record("project", "p1")
    assert len(base.list_links()) == 1
    assert base.revision() == before


def test_transaction_rolls_back_on_domain_error(base: Store) -> None:
    with pytest.raises(InvalidInput), base.transaction() as tx:
        tx.upsert_chain(chain("new"))
        tx.upsert_segment(segment("x", chain_id="missing"))
    with pytest.raises(NotFound):
        base.get_chain("new")


# ---- bulk ------------------------------------------------------------------------


def test_bulk_counts_and_references_within_the_call(store: Store) -> None:
    counts = store.bulk_upsert(
        chains=[chain("mg.alloy", parent="mg"), chain("mg")],  # parent after child: fine
        regions=[region("wenxi", parent="yuncheng"), region("yuncheng", kind="city", parent=None)],
        segments=[segment("b", parent="a"), segment("a")],
        links=[Link(source="a", target="b")],
        enterprises=(enterprise(f"e{i}", "a", county="wenxi") for i in range(7)),
        batch_size=3,
    )
    assert counts == {"chains": 2, "regions": 2, "segments": 2, "links": 1, "enterprises": 7, "records": 0}
    assert store.search_enterprises(segment="a")[1] == 7
    assert store.get_chain("mg.alloy").parent == "mg"


@pytest.mark.parametrize(
    ("bad", "error", "field"),
    [
        (enterprise("bad", "nope"), InvalidInput, "segments[0].segment"),
        (Enterprise(name="no id"), InvalidInput, "id"),
        (enterprise("e2"), InvalidInput, "id"),  # duplicate id within the call
        (enterprise("bad", credit_code=code(1)), Conflict, "credit_code"),  # same code as e1
    ],
)
def test_bulk_is_all_or_nothing(base: Store, bad: Enterprise, error: type, field: str) -> None:
    rows = [enterprise(f"e{i}", "mg.ore", credit_code=code(i)) for i in range(1, 9)]
    rows.insert(4, bad)  # row 5: the middle of the second batch of 3
    before = base.revision()
    with pytest.raises(error) as err:
        base.bulk_upsert(chains=[chain("new")], enterprises=rows, batch_size=3)
    assert err.value.context["field"] == field
    assert err.value.context["row"] == 5
    assert base.list_enterprises() == []
    with pytest.raises(NotFound):
        base.get_chain("new")
    assert base.revision() >= before  # a bulk of several transactions was undone: data as before


def snapshot(store: Store) -> dict[str, list]:
    """Everything the store holds (models compare by value)."""
    return {
        "chains": store.list_chains(),
        "regions": store.list_regions(),
        "segments": store.list_segments(),
        "links": store.list_links(),
        "enterprises": store.list_enterprises(),
        "records": store.list_records("project"),
    }


def test_failed_bulk_restores_updated_rows_and_graph(base: Store) -> None:
    """A bulk that changes stored objects and then fails leaves every one as it was:
    properties, segments, locations, credit codes (also one that moved), graph objects."""
    base.bulk_upsert(enterprises=[
        enterprise("a", "mg.ore", "mg.ingot", credit_code=code(1), county="wenxi", zone="wenxi.zone",
                   revenue=12.5, attributes={"k": "v"}),
        enterprise("b", "auto.body", credit_code=code(2), county="yanhu", tags=["gazelle"]),
        enterprise("c", "mg.ingot", credit_code=code(3)),
    ])
    base.put_record("project", "p1", {"stage": "lead", "name": "镁合金"})
    before = snapshot(base)
    rows = [
        enterprise("b", "mg.ore", credit_code=code(9), county="wenxi"),  # b gives up code 2 ...
        enterprise("a", "mg.new", credit_code=code(2), name="renamed"),  # ... a takes it
        enterprise("n1", "mg.new", credit_code=code(1)),  # a new firm takes a's old code
        enterprise("n2", "auto.body"),
        enterprise("c", "auto.body", credit_code=code(3), county="yanhu"),
        enterprise("bad", "nope"),  # row 6: unknown segment
        enterprise("n3", "mg.ore"),
    ]
    with pytest.raises(InvalidInput) as err:
        base.bulk_upsert(
            chains=[chain("mg").model_copy(update={"name_zh": "镁（改）"}), chain("extra")],
            segments=[segment("mg.new"), segment("mg.ore").model_copy(update={"name_zh": "改"})],
            links=[Link(source="mg.ore", target="mg.ingot", weight=0.9), Link(source="mg.new", target="mg.ore")],
            enterprises=rows,
            records=[("project", "p1", {"stage": "signed"}), ("project", "p2", {"stage": "lead"})],
            batch_size=1,
        )
    assert err.value.context["row"] == 6
    assert snapshot(base) == before


def test_bulk_writes_records_with_the_rest(base: Store) -> None:
    base.put_record("project", "p1", {"stage": "lead"})
    counts = base.bulk_upsert(
        enterprises=[enterprise(f"e{i}", "mg.ore") for i in range(5)],
        records=[("project", "p1", {"stage": "signed"}), ("project", "p2", {"stage": "lead"}),
                 ("project", "p2", {"stage": "talks"})],  # the last data of a repeated record wins
        batch_size=2,
    )
    assert counts["records"] == 2 and counts["enterprises"] == 5
    assert base.list_records("project") == [{"id": "p1", "stage": "signed"}, {"id": "p2", "stage": "talks"}]


@pytest.mark.parametrize(
    ("records", "field"),
    [
        ([("project", "p1", {"a": 1}), ("nokind", "p2", {})], "kind"),
        ([("project", "p1", {"a": 1}), ("project", "p2", [1, 2])], "data"),
        ([("project", "p1", {"a": 1}), ("project", "p2")], "records"),
    ],
)
def test_bulk_refuses_bad_records_before_writing(base: Store, records: list, field: str) -> None:
    before = snapshot(base)
    with pytest.raises(InvalidInput) as err:
        base.bulk_upsert(enterprises=[enterprise("e1", "mg.ore")], records=records)
    assert err.value.context["row"] == 2
    assert err.value.context["field"] == field
    assert snapshot(base) == before


def test_failing_enterprise_source_leaves_nothing(base: Store) -> None:
    """The rows come from a generator (e.g. a file being read) that breaks part-way."""
    before = snapshot(base)

    def rows():
        for i in range(7):
            yield enterprise(f"e{i}", "mg.ore", credit_code=code(i))
        raise OSError("disk read error")

    with pytest.raises(OSError, match="disk read error"):
        base.bulk_upsert(enterprises=rows(), batch_size=2)
    assert snapshot(base) == before
    # ... and the same rows load once the source is fixed.
    assert base.bulk_upsert(enterprises=[enterprise(f"e{i}", "mg.ore", credit_code=code(i)) for i in range(7)],
                            batch_size=2)["enterprises"] == 7
    assert base.search_enterprises(segment="mg.ore")[1] == 7


def test_bulk_refuses_non_models_and_bad_batch_size(base: Store) -> None:
    with pytest.raises(InvalidInput):
        base.bulk_upsert(chains=[{"id": "x"}])  # type: ignore[list-item]
    with pytest.raises(InvalidInput) as err:
        base.bulk_upsert(enterprises=[], batch_size=0)
    assert err.value.context["field"] == "batch_size"


# ---- records ---------------------------------------------------------------------


def test_record_crud(store: Store) -> None:
    store.put_record("project", "p1", {"name": "镁合金压铸", "stage": "signed", "amount": 3, "active": True})
    store.put_record("project", "p2", {"name": "x", "stage": "lead", "amount": 1, "active": 1})
    store.put_record("lead", "p1", {"score": 0.5})
    assert store.get_record("project", "p1") == {
        "id": "p1", "name": "镁合金压铸", "stage": "signed", "amount": 3, "active": True
    }
    assert [r["id"] for r in store.list_records("project")] == ["p1", "p2"]
    assert [r["id"] for r in store.list_records("project", stage="lead")] == ["p2"]
    assert [r["id"] for r in store.list_records("project", active=True)] == ["p1"]
    assert store.list_records("project", stage="lead", amount=3) == []
    store.put_record("project", "p2", {"stage": "signed", "id": "ignored"})
    assert store.get_record("project", "p2") == {"id": "p2", "stage": "signed"}
    store.delete_record("project", "p2")
    with pytest.raises(NotFound):
        store.get_record("project", "p2")
    with pytest.raises(NotFound):
        store.delete_record("project", "p2")
    assert store.list_records("lead") == [{"id": "p1", "score": 0.5}]


@pytest.mark.parametrize(
    ("kind", "rid", "data", "field"),
    [
        ("projekt", "p1", {}, "kind"),
        ("project", "", {}, "id"),
        ("project", "p1", {"when": object()}, "data"),
        ("project", "p1", ["not", "a", "mapping"], "data"),
    ],
)
def test_record_invalid(store: Store, kind: str, rid: str, data, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        store.put_record(kind, rid, data)
    assert err.value.context["field"] == field


def test_update_record_read_modify_write(store: Store) -> None:
    assert store.update_record("meta", "counter", lambda cur: {"n": (cur or {"n": 0})["n"] + 1}) == {
        "id": "counter", "n": 1
    }
    store.update_record("meta", "counter", lambda cur: {"n": cur["n"] + 1})
    assert store.get_record("meta", "counter")["n"] == 2
    with pytest.raises(ZeroDivisionError):
        store.update_record("meta", "counter", lambda cur: {"n": 1 / 0})
    assert store.get_record("meta", "counter")["n"] == 2


# ---- revision, health, concurrency ---------------------------------------------------


def test_revision_grows_on_writes_only(store: Store) -> None:
    r0 = store.revision()
    store.upsert_chain(chain("mg"))
    r1 = store.revision()
    assert r1 > r0
    store.list_chains()
    store.get_chain("mg")
    assert store.revision() == r1
    store.put_record("project", "p", {})
    store.delete_chain("mg")
    assert store.revision() > r1 + 1
    r2 = store.revision()
    with pytest.raises(NotFound):
        store.delete_chain("mg")
    assert store.revision() == r2


def counters(store: Store, *kinds: str) -> tuple[int, ...]:
    """(revision, graph revision, record revision, record revision of each of ``kinds``)."""
    return (store.revision(), store.graph_revision(), store.record_revision(),
            *(store.record_revision(k) for k in kinds))


def test_record_writes_leave_the_graph_revision(base: Store) -> None:
    rev, graph, rec, cand, key = counters(base, "candidate", "api_key")
    base.put_record("candidate", "c1", {"name": "镁业"})
    r1, g1, rec1, cand1, key1 = counters(base, "candidate", "api_key")
    assert (r1 > rev, g1 == graph, rec1 > rec, cand1 > cand, key1 == key) == (True,) * 5
    assert cand1 <= rec1
    base.update_record("candidate", "c1", lambda cur: {**(cur or {}), "score": 1})
    r2, g2, rec2, cand2, key2 = counters(base, "candidate", "api_key")
    assert (r2 > r1, g2 == graph, rec2 > rec1, cand2 > cand1, key2 == key) == (True,) * 5
    base.put_record("api_key", "k1", {"hash": "x"})  # another kind: the candidate counter stays
    _, g3, rec3, cand3, key3 = counters(base, "candidate", "api_key")
    assert (g3 == graph, rec3 > rec2, cand3 == cand2, key3 > key2) == (True,) * 4
    base.delete_record("candidate", "c1")
    base.bulk_upsert(records=[("project", "p1", {"n": 1})])
    _, g4, rec4, cand4, key4, proj4 = counters(base, "candidate", "api_key", "project")
    assert (g4 == graph, rec4 > rec3 + 1, cand4 > cand3, key4 == key3, proj4 == rec4) == (True,) * 5


def test_graph_writes_raise_the_graph_revision_only(base: Store) -> None:
    def step(write) -> None:
        rev, graph, rec, proj = counters(base, "project")
        write()
        r1, g1, rec1, proj1 = counters(base, "project")
        assert (r1 > rev, g1 > graph, rec1 == rec, proj1 == proj) == (True,) * 4

    step(lambda: base.upsert_segment(segment("mg.scrap")))
    step(lambda: base.upsert_enterprise(enterprise("e1", "mg.ore", county="wenxi")))
    step(lambda: base.upsert_chain(chain("new")))
    step(lambda: base.upsert_region(region("jiangxian")))
    step(lambda: base.upsert_link(Link(source="mg.ingot", target="mg.alloy.die")))
    step(lambda: base.bulk_upsert(enterprises=[enterprise("e2", "mg.ore"), enterprise("e3", "mg.ore")], batch_size=1))
    step(lambda: base.delete_link("mg.ingot", "mg.alloy.die", "supplies"))
    step(lambda: base.delete_enterprise("e1"))
    step(lambda: base.delete_segment("mg.scrap"))
    step(lambda: base.delete_region("jiangxian"))
    step(lambda: base.delete_chain("new"))


def test_bulk_and_clear_raise_what_they_write(base: Store) -> None:
    rev, graph, rec, proj, cand = counters(base, "project", "candidate")
    base.bulk_upsert(segments=[segment("mg.scrap")], records=[("project", "p1", {})])
    _, g1, rec1, proj1, cand1 = counters(base, "project", "candidate")
    assert (g1 > graph, rec1 > rec, proj1 > proj, cand1 == cand) == (True,) * 4
    base.bulk_upsert()  # nothing written: graph and records unchanged (revision may grow)
    assert counters(base, "project", "candidate")[1:] == (g1, rec1, proj1, cand1)
    base.clear()
    _, g2, rec2, proj2, cand2 = counters(base, "project", "candidate")
    assert (g2 > g1, rec2 > rec1, proj2 > proj1, cand2 > cand1) == (True,) * 4


def test_rolled_back_transaction_bumps_no_counter(base: Store) -> None:
    before = counters(base, "project")
    with pytest.raises(RuntimeError), base.transaction() as tx:
        tx.upsert_enterprise(enterprise("e1", "mg.ore"))
        tx.put_record("project", "p1", {"enterprise": "e1"})
        raise RuntimeError("boom")
    assert counters(base, "project") == before
    with pytest.raises(NotFound):
        base.delete_record("project", "nope")  # a failed single write
    with pytest.raises(InvalidInput):
        base.upsert_segment(segment("x", chain_id="missing"))
    assert counters(base, "project") == before


def test_counters_inside_a_transaction(base: Store) -> None:
    rev, graph, rec, proj = counters(base, "project")
    with base.transaction() as tx:
        tx.upsert_enterprise(enterprise("e1", "mg.ore"))
        tx.put_record("project", "p1", {"enterprise": "e1"})
        inside = counters(tx, "project")  # readable in the open transaction (no deadlock)
        assert all(isinstance(v, int) for v in inside)
        assert all(a >= b for a, b in zip(inside[1:], (graph, rec, proj), strict=True))
    r1, g1, rec1, proj1 = counters(base, "project")
    assert (r1 > rev, g1 > graph, rec1 > rec, proj1 > proj) == (True,) * 4
    with base.transaction() as tx:  # records only: the graph revision stays
        tx.put_record("project", "p2", {})
        tx.update_record("project", "p1", lambda cur: {**(cur or {}), "stage": "signed"})
    assert base.graph_revision() == g1 and base.record_revision("project") > proj1


def test_failed_bulk_never_lowers_a_counter(base: Store) -> None:
    """A failed bulk (one transaction rolled back, or several committed and undone on
    Neo4j with small tx_rows) leaves the data as before and no counter lower."""
    base.put_record("project", "p0", {})
    before = counters(base, "project")
    rows = [enterprise(f"e{i}", "mg.ore", credit_code=code(i)) for i in range(1, 9)]
    rows.insert(6, enterprise("bad", "nope"))
    with pytest.raises(InvalidInput):
        base.bulk_upsert(chains=[chain("new")], enterprises=rows, records=[("project", "p1", {})], batch_size=2)
    after = counters(base, "project")
    assert all(a >= b for a, b in zip(after, before, strict=True)), (before, after)
    assert base.list_enterprises() == [] and [r["id"] for r in base.list_records("project")] == ["p0"]
    base.upsert_segment(segment("mg.scrap"))  # and they keep growing from there
    assert base.graph_revision() > after[1]


def test_record_revision_of_an_unknown_kind_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        store.record_revision("projects")
    assert err.value.context["field"] == "kind"


# ---- derived results -------------------------------------------------------------


def test_derived_result_answers_only_its_revision(base: Store) -> None:
    rev = base.graph_revision()
    assert base.get_derived("chain_summary:x", rev) is None
    base.put_derived("chain_summary:x", rev, '[{"id": "mg", "名": "镁"}]')
    assert base.get_derived("chain_summary:x", rev) == '[{"id": "mg", "名": "镁"}]'
    assert base.get_derived("chain_summary:x", rev + 1) is None  # another revision: no answer
    assert base.get_derived("chain_summary:y", rev) is None  # another key
    base.put_derived("chain_summary:x", rev + 1, "second")  # replaces, under the new revision
    assert base.get_derived("chain_summary:x", rev) is None
    assert base.get_derived("chain_summary:x", rev + 1) == "second"
    big = "链" * 200_000
    base.put_derived("big", rev, big)
    assert base.get_derived("big", rev) == big


def test_derived_result_is_no_write(base: Store) -> None:
    """Keeping a derived result bumps no counter (it would retire itself and every cache)."""
    before = (base.revision(), base.graph_revision(), base.record_revision(), base.record_revision("project"))
    exported = list(base.iter_all())
    base.put_derived("k", before[1], "v")
    base.put_derived("k", before[1], "w")
    after = (base.revision(), base.graph_revision(), base.record_revision(), base.record_revision("project"))
    assert after == before
    assert base.get_derived("k", before[1]) == "w"
    assert list(base.iter_all()) == exported  # not data: exports leave it out


def test_derived_result_joins_an_open_transaction(base: Store) -> None:
    rev = base.graph_revision()
    with pytest.raises(RuntimeError), base.transaction() as tx:
        tx.put_derived("k", rev, "v")
        raise RuntimeError("undo")
    assert base.get_derived("k", rev) is None
    with base.transaction() as tx:
        tx.upsert_segment(segment("mg.scrap"))
        tx.put_derived("k", rev, "v")
    assert base.get_derived("k", rev) == "v"
    assert base.graph_revision() > rev  # the segment counted; the entry answers only the old revision


def test_clear_drops_derived_results(base: Store) -> None:
    far = base.graph_revision() + 1000  # a revision clear's own bump does not reach
    base.put_derived("k", far, "v")
    assert base.get_derived("k", far) == "v"
    base.clear()
    assert base.get_derived("k", far) is None


def test_ping(store: Store) -> None:
    info = store.ping()
    assert info["reachable"] is True
    assert info["backend"] == store.backend
    assert info["schema_version"] == SCHEMA_VERSION


def test_clear(populated: Store) -> None:
    populated.put_record("project", "p", {})
    populated.clear()
    assert list(populated.iter_all()) == []


def test_concurrent_writers_lose_nothing(base: Store) -> None:
    threads, per_thread = 4, 8
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                base.upsert_enterprise(enterprise(f"t{t}.e{i}", "mg.ore", credit_code=code(t * 100 + i)))
                base.update_record("meta", "counter", lambda cur: {"n": (cur or {"n": 0})["n"] + 1})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    assert base.search_enterprises(segment="mg.ore", limit=0)[1] == threads * per_thread
    assert base.get_record("meta", "counter")["n"] == threads * per_thread


# ---- census fields (stage, assignment evidence) -------------------------------------


@pytest.mark.parametrize("bulk", [False, True])
def test_assignment_evidence_and_stage_round_trip(base: Store, bulk: bool) -> None:
    """Method, review status, confidence and evidence of each assignment and the firm's
    stage survive both write paths unchanged; a pending assignment and a firm under
    construction do not count as producers."""
    from chainmap.models import AssignmentMethod, AssignmentStatus, EnterpriseStage, Role

    e = Enterprise(
        id="e-census",
        name="运城某镁业有限公司",
        county="wenxi",
        stage=EnterpriseStage.construction,
        segments=[
            SegmentPresence(
                segment="mg.ingot", method=AssignmentMethod.code, status=AssignmentStatus.auto,
                confidence=0.91, evidence=["3216 有色金属合金制造", "镁锭"],
            ),
            SegmentPresence(segment="mg.alloy.die", method=AssignmentMethod.text, status=AssignmentStatus.pending,
                            confidence=0.4, evidence=["压铸"]),
        ],
    )
    if bulk:
        base.bulk_upsert(enterprises=[e])
    else:
        base.upsert_enterprise(e)
    got = base.get_enterprise("e-census")
    assert got.model_dump(mode="json") == e.model_dump(mode="json")
    assert got.stage is EnterpriseStage.construction
    assert [p.status for p in got.segments] == [AssignmentStatus.auto, AssignmentStatus.pending]
    assert got.segments[0].evidence == ["3216 有色金属合金制造", "镁锭"]
    assert got.presences(Role.producer) == []  # under construction: not yet a producer
    got.stage = EnterpriseStage.producing
    assert [p.segment for p in got.presences()] == ["mg.ingot"]  # pending never counts
    assert got.segment_ids(include_pending=True) == ["mg.ingot", "mg.alloy.die"]
