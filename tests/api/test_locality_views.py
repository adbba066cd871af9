"""One locality rule across every view (issue 13).

One dataset: a county-only firm, a zone-only firm, a city-level firm (its county is the
city id) and a firm placed nowhere (neither county nor zone).  For the city, a county and a
zone, the local firms of the gap report (over HTTP), the local counts of
``/chains/qi/graph`` (over HTTP), ``chainmap chain show`` (the CLI) and, for the city, the
matching features' local names, the web page's region filter (``/enterprises?region=``) and
project KPIs by region all equal :func:`chainmap.data.local_enterprises`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.main import create_app
from api.settings import Settings
from chainmap.data import ChainData, local_enterprises
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from chainmap.names import normalize_company_name
from chainmap.seed import load_into_store
from chainmap.storage.sqlite import SQLiteStore
from matching.features import build_segment_context
from tests.api.conftest import API, ApiClient

CITY, COUNTY, OTHER_COUNTY, ZONE = "yc", "yanhu", "wenxi", "zone.yanhu_hi"
SEGS = ("qi.cell", "qi.pack", "qi.car")


def _data() -> ChainData:
    def firm(key: str, name: str, county: str | None, zone: str | None, segs: tuple[str, ...]) -> Enterprise:
        return Enterprise(id=f"ent.{key}", name=name, county=county, zone=zone,
                          segments=[{"segment": s} for s in segs], source="test")

    return ChainData(
        chains=[Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽")],
        regions=[
            Region(id=CITY, kind="city", name_zh="运城市", name_en="Yuncheng"),
            Region(id=COUNTY, kind="county", name_zh="盐湖区", name_en="Yanhu", parent=CITY),
            Region(id=OTHER_COUNTY, kind="county", name_zh="闻喜县", name_en="Wenxi", parent=CITY),
            Region(id=ZONE, kind="zone", name_zh="盐湖高新区", name_en="Yanhu hi-tech zone", county=COUNTY),
        ],
        segments=[
            Segment(id="qi.cell", chain="qi", name_zh="电芯", name_en="Cells", stage="upstream"),
            Segment(id="qi.pack", chain="qi", name_zh="电池包", name_en="Packs", stage="midstream"),
            Segment(id="qi.car", chain="qi", name_zh="整车", name_en="Vehicles", stage="downstream"),
        ],
        links=[Link(source="qi.cell", target="qi.pack"), Link(source="qi.pack", target="qi.car")],
        enterprises=[
            firm("county", "闻喜电芯有限公司", OTHER_COUNTY, None, ("qi.cell", "qi.car")),
            firm("zone", "高新电池包有限公司", None, ZONE, ("qi.pack",)),
            firm("city", "运城整车有限公司", CITY, None, ("qi.car",)),
            firm("nowhere", "无地址电芯有限公司", None, None, ("qi.cell", "qi.pack")),
        ],
    )


REGIONS = (CITY, COUNTY, OTHER_COUNTY, ZONE)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("locality") / "locality.db"
    store = SQLiteStore(path)
    try:
        load_into_store(store, _data())
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[ApiClient]:
    settings = Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=False,
                        chainmap_init_seed=False)
    with ApiClient(create_app(settings)) as c:
        yield c


def _expected(region: str) -> dict[str, set[str]]:
    """Segment -> local producer ids, by the one rule."""
    data = _data()
    return {s: {e.id for e in local_enterprises(data, region, segment=s)} for s in SEGS}


def test_the_rule_itself_on_this_dataset() -> None:
    data = _data()
    ids = {r: {e.id for e in local_enterprises(data, r)} for r in REGIONS}
    assert ids == {
        CITY: {"ent.county", "ent.zone", "ent.city"},
        COUNTY: {"ent.zone"},
        OTHER_COUNTY: {"ent.county"},
        ZONE: {"ent.zone"},
    }


@pytest.mark.parametrize("region", REGIONS)
def test_gap_report_over_http(client: ApiClient, region: str) -> None:
    r = client.get(f"{API}/gaps", params={"region": region})
    assert r.status_code == 200, r.text
    got = {i["segment_id"]: {e["id"] for e in i["local_enterprises"]} for i in r.json()["items"]}
    assert got == _expected(region)
    counts = {i["segment_id"]: i["local_count"] for i in r.json()["items"]}
    assert counts == {s: len(v) for s, v in _expected(region).items()}


@pytest.mark.parametrize("region", REGIONS)
def test_graph_local_counts_over_http(client: ApiClient, region: str) -> None:
    for fmt in ("json", "cytoscape"):
        r = client.get(f"{API}/chains/qi/graph", params={"region": region, "format": fmt})
        assert r.status_code == 200, r.text
        doc = r.json()
        nodes = doc["nodes"] if fmt == "json" else [n["data"] for n in doc["elements"]["nodes"]]
        got = {n["id"]: n["local_enterprises"] for n in nodes}
        assert got == {s: len(v) for s, v in _expected(region).items()}, fmt


@pytest.mark.parametrize("region", REGIONS)
def test_chain_show_cli(db: Path, region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    res = CliRunner().invoke(cli_app, ["chain", "show", "qi", "--region", region, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["region"] == region
    got = {s["id"]: set(s["local_enterprises"]) for segs in doc["stages"].values() for s in segs}
    names = {e.id: e.name for e in _data().enterprises}
    assert got == {s: {names[k] for k in v} for s, v in _expected(region).items()}


def test_chains_table_counts_cli_and_http(client: ApiClient, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    data = _data()
    for region in REGIONS:
        want = len(local_enterprises(data, region))
        res = CliRunner().invoke(cli_app, ["chains", "--region", region, "--format", "json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)[0]["enterprises"] == want, region
        assert client.get(f"{API}/chains", params={"region": region}).json()[0]["enterprises"] == want


def test_matching_features_use_the_city_rule() -> None:
    data = _data()
    ctx = build_segment_context(data)
    assert ctx.local_names == frozenset(normalize_company_name(e.name) for e in local_enterprises(data, CITY))
    assert normalize_company_name("无地址电芯有限公司") not in ctx.local_names


@pytest.mark.parametrize("region", REGIONS)
def test_web_page_region_filter_over_http(client: ApiClient, region: str) -> None:
    """The web panel lists a segment's firms with ``/enterprises?region=...``: the same rule."""
    for seg, want in _expected(region).items():
        r = client.get(f"{API}/enterprises", params={"region": region, "segment": seg, "page_size": 100})
        assert r.status_code == 200, r.text
        assert {e["id"] for e in r.json()["items"]} == want, seg
        assert r.json()["total"] == len(want)


def test_enterprise_region_narrowed_by_exact_fields(client: ApiClient) -> None:
    r = client.get(f"{API}/enterprises", params={"region": CITY, "county": OTHER_COUNTY})
    assert r.status_code == 200, r.text
    assert {e["id"] for e in r.json()["items"]} == {"ent.county"}
    r = client.get(f"{API}/enterprises", params={"region": CITY, "zone": ZONE})
    assert {e["id"] for e in r.json()["items"]} == {"ent.zone"}


def test_project_kpis_by_region_use_the_same_rule() -> None:
    """Projects placed like the four firms count for the same regions."""
    from chainmap.projects.kpis import projects_in_region
    from chainmap.projects.models import Project

    data = _data()
    projects = [
        Project(id=f"p.{e.id}", enterprise={"name": e.name}, task_force="t", task_force_kind="squad",
                owner="o", created="2025-01-01", county=e.county, zone=e.zone)
        for e in data.enterprises
    ]
    for region in REGIONS:
        got = {p.id for p in projects_in_region(projects, region, data.regions)}
        assert got == {f"p.{e.id}" for e in local_enterprises(data, region)}, region
