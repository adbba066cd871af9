"""``import_chain``: edge lists (CSV / XLSX, Chinese or English headers) and GraphML / GEXF, on both stores."""

from __future__ import annotations

import io

import openpyxl
import pytest

from chainmap import service
from chainmap.chain_import import import_chain, infer_stages
from chainmap.exceptions import Conflict, InvalidInput
from chainmap.graph import export_graph
from chainmap.models import Stage
from chainmap.seed import load_seed
from chainmap.storage.base import Store
from tests.anychain.conftest import MINIMAL_SEED

ZH = (
    "上游环节,下游环节,关系,权重,说明,来源\n"
    "硅料,硅片,供应关系,0.6,拉晶切片,src-1\n"
    "硅片,电池片,,,,src-1\n"
    "电池片,组件,,,,src-2;src-3\n"
    "组件,qi.charging,赋能,,光储充,src-2\n"
)
EN = (
    "Source,Target,Kind,Weight,Note,Sources,Target_Stage\n"
    "polysilicon,wafer,supplies,,,s1,\n"
    "wafer,cell,supplies,,,s1,downstream\n"
)


def _snapshot(store: Store) -> tuple[int, int, int, int]:
    return (len(store.list_chains()), len(store.list_segments()), len(store.list_links()), len(store.list_enterprises()))


def test_chinese_edge_list_creates_chain_segments_links(seeded: Store) -> None:
    before = _snapshot(seeded)
    s = import_chain(seeded, ZH.encode(), filename="pv.csv", chain_id="pv", name_zh="光伏", letter="光")
    assert (s["segments"], s["links"], s["cross_chain_links"], s["neighbours"]) == (4, 4, 1, ["qi.charging"])
    assert _snapshot(seeded) == (before[0] + 1, before[1] + 4, before[2] + 4, before[3])
    seg = {x.name_zh: x for x in seeded.list_segments() if x.chain == "pv"}
    assert seg["硅料"].id == "pv.gui_liao" and seg["硅料"].stage is Stage.upstream and seg["硅料"].stage_inferred
    assert seg["组件"].name_en == "组件（zh）"
    links = {(ln.source, ln.target): ln for ln in seeded.list_links() if ln.source.startswith("pv.")}
    assert links[("pv.gui_liao", "pv.gui_pian")].weight == 0.6
    assert links[("pv.zu_jian", "qi.charging")].kind.value == "enables"
    assert links[("pv.dian_chi_pian", "pv.zu_jian")].sources == ["src-2", "src-3"]
    chain = seeded.get_chain("pv")
    assert chain.letter == "光" and chain.name_en == "光伏（zh）"
    data = service.chain_data(store=seeded)
    assert data.graph.edges["pv.zu_jian", "qi.charging"]["cross_chain"] is True


def test_english_headers_and_a_given_stage(sqlite_store: Store) -> None:
    s = import_chain(sqlite_store, EN.encode(), filename="pv.csv", chain_id="pv", name_zh="光伏", name_en="PV")
    assert s["stages_inferred"] == ["pv.polysilicon", "pv.wafer"]
    cell = sqlite_store.get_segment("pv.cell")
    assert cell.stage is Stage.downstream and not cell.stage_inferred and cell.name_en == "cell（zh）"


def test_xlsx_edge_list(seeded: Store) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["上游环节", "下游环节", "来源"], ["锂矿", "碳酸锂", "s"], ["碳酸锂", "正极材料", "s"]]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    s = import_chain(seeded, buf.getvalue(), filename="li.xlsx", chain_id="li", name_zh="锂电材料")
    assert (s["segments"], s["links"]) == (3, 2)
    assert {x.stage for x in seeded.list_segments() if x.chain == "li"} == {Stage.upstream, Stage.midstream, Stage.downstream}


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_files_as_chainmap_exports_them(seeded: Store, fmt: str) -> None:
    demo = load_seed(MINIMAL_SEED)
    text = export_graph(demo.graph, fmt)
    # under another chain id the ids are made from the names
    s2 = import_chain(seeded, text.encode(), filename=f"demo.{fmt}", chain_id="demo2", name_zh="示例二", sources=["e"])
    assert sorted(s2["segment_ids"].values()) == ["demo2.jin_shu", "demo2.kuang_shi", "demo2.ling_jian"]
    # under its own chain id the exported ids are kept
    s = import_chain(seeded, text.encode(), filename=f"demo.{fmt}", chain_id="demo", name_zh="示例", sources=["example"])
    assert sorted(s["segment_ids"].values()) == ["demo.metal", "demo.ore", "demo.part"]
    assert s["stages_inferred"] == []  # the export carries the stages
    ore = seeded.get_segment("demo.ore")
    assert ore.stage is Stage.upstream and ore.kind.value == "endowment"
    assert {(ln.source, ln.target) for ln in seeded.list_links() if ln.source.startswith("demo.")} == {
        ("demo.ore", "demo.metal"), ("demo.metal", "demo.part")}
    # a third import of the same file names only stored segments: refused
    with pytest.raises(InvalidInput, match="already stored"):
        import_chain(seeded, text.encode(), filename=f"demo.{fmt}", chain_id="demo3", name_zh="示例三", sources=["e"])


def test_bad_rows_refuse_the_whole_file_naming_row_column_value(seeded: Store) -> None:
    before = _snapshot(seeded)
    bad = ZH + "组件,,,,,src\n硅料,组件,买卖,,,src\n硅片,电池片,,2,,src\n电池片,逆变器,,,,\n"
    with pytest.raises(InvalidInput) as err:
        import_chain(seeded, bad.encode(), filename="pv.csv", chain_id="pv", name_zh="光伏")
    got = {(e.row, e.column, str(e.value)) for e in err.value.errors}
    assert (6, "下游环节", "") in got
    assert (7, "kind", "买卖") in got
    assert (8, "weight", "2") in got
    assert (9, "sources", "") in got
    reasons = " ".join(e.reason for e in err.value.errors)
    assert "valid: enables, part_of, supplies" in reasons and "less than or equal to 1" in reasons
    assert _snapshot(seeded) == before
    with pytest.raises(Exception):  # noqa: B017 - any not-found error: the chain was not written
        seeded.get_chain("pv")


def test_seed_validation_runs_on_the_whole_store(seeded: Store) -> None:
    dup = "上游环节,下游环节,来源\n甲,乙,s\n甲,乙,s\n"
    with pytest.raises(InvalidInput) as err:
        import_chain(seeded, dup.encode(), filename="d.csv", chain_id="dd", name_zh="重复")
    assert str(err.value).startswith("d.csv:3: target: duplicate link dd.jia -> dd.yi")


def test_dry_run_writes_nothing_and_existing_chain_is_a_conflict(seeded: Store) -> None:
    before = _snapshot(seeded)
    s = import_chain(seeded, ZH.encode(), filename="pv.csv", chain_id="pv", name_zh="光伏", dry_run=True)
    assert s["dry_run"] is True and s["segments"] == 4
    assert _snapshot(seeded) == before
    with pytest.raises(Conflict, match="chain 'qi' already exists"):
        import_chain(seeded, ZH.encode(), filename="pv.csv", chain_id="qi", name_zh="汽")


def test_header_and_id_errors_are_clear(sqlite_store: Store) -> None:
    with pytest.raises(InvalidInput, match=r"missing required column\(s\) source, target; .*上游环节"):
        import_chain(sqlite_store, b"a,b\n1,2\n", filename="x.csv", chain_id="x", name_zh="x")
    with pytest.raises(InvalidInput, match="String should match pattern") as err:
        import_chain(sqlite_store, ZH.encode(), filename="x.csv", chain_id="Bad Id", name_zh="x")
    assert err.value.context["field"] == "--id"
    with pytest.raises(InvalidInput, match="DTD"):
        evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><graphml></graphml>'
        import_chain(sqlite_store, evil, filename="x.graphml", chain_id="x", name_zh="x")


def test_infer_stages_condenses_cycles() -> None:
    s = infer_stages(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")])
    assert s["b"] == s["c"] == Stage.midstream and s["a"] is Stage.upstream and s["d"] is Stage.downstream
    assert set(infer_stages(["x", "y"], []).values()) == {Stage.midstream}
