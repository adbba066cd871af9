"""The app's gap cache: one analysis per (graph revision, region, lang) for every view of it,
and record writes (keys, projects, put_record) never invalidate it.

Counted with ``app.state.cache.computed["gaps"]`` (also served, to admins only, at /cache).
"""

from __future__ import annotations

from chainmap.models import Enterprise
from tests.api.conftest import API, ApiClient, error_of


def _computed(client: ApiClient, kind: str = "gaps") -> int:
    return int(client.app.state.cache.computed[kind])  # type: ignore[attr-defined]


def test_views_of_one_region_share_one_analysis(sqlite_client: ApiClient) -> None:
    """/gaps, a top-level chain's /gaps and its SVG diagram: one analysis; a sub-chain its own."""
    c, h = sqlite_client, sqlite_client.h("viewer")
    assert c.get(f"{API}/gaps", headers=h).status_code == 200
    assert _computed(c) == 1
    for url in ("/gaps?chain=qi", "/chains/qi/gaps", "/chains/he/gaps?type=fill",
                "/chains/qi/graph?format=svg", "/gaps?chain=sheng&format=markdown"):
        assert c.get(f"{API}{url}", headers=h).status_code == 200, url
    assert _computed(c) == 1
    assert c.get(f"{API}/chains/cai.al/gaps", headers=h).status_code == 200
    assert _computed(c) == 2  # a sub-chain is analysed on its own
    assert c.get(f"{API}/gaps?region=yanhu", headers=h).status_code == 200
    assert c.get(f"{API}/gaps?lang=en", headers=h).status_code == 200
    assert _computed(c) == 4
    assert _computed(c, "criticality") == 1  # region- and language-independent


def test_a_record_write_does_not_invalidate_the_gap_cache(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    first = c.get(f"{API}/gaps", headers=c.h("viewer"))
    assert first.status_code == 200
    n = _computed(c)
    assert n == 1

    r = c.post(f"{API}/keys", json={"role": "viewer", "label": "cache test"}, headers=c.h("admin"))
    assert r.status_code == 201, r.text
    r = c.post(
        f"{API}/projects",
        json={"enterprise": {"name": "缓存测试新材料有限公司"}, "segment": "qi.separator",
              "task_force": "汽车产业招商专班", "task_force_kind": "special_team", "owner": "张三",
              "county": "yongji"},
        headers=c.h("taskforce"),
    )
    assert r.status_code == 201, r.text
    c.store.put_record("candidate", "cand.cache-test", {"name": "缓存测试公司"})

    again = c.get(f"{API}/gaps", headers=c.h("viewer"))
    assert again.status_code == 200
    assert again.content == first.content
    assert _computed(c) == n, "a record write re-ran the gap analysis"
    assert _computed(c, "data") == 1, "a record write re-read the chain data"


def test_a_graph_write_does_invalidate_it(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    before = c.get(f"{API}/chains/qi/gaps", headers=c.h("viewer")).json()
    lidar = next(i for i in before["items"] if i["segment_id"] == "qi.lidar")
    assert lidar["local_count"] == 0
    c.store.upsert_enterprise(
        Enterprise(id="ent.cache-lidar", name="缓存测试激光雷达", county="yongji",
                   segments=[{"segment": "qi.lidar"}], source="test")
    )
    after = c.get(f"{API}/chains/qi/gaps", headers=c.h("viewer")).json()
    assert next(i for i in after["items"] if i["segment_id"] == "qi.lidar")["local_count"] == 1
    assert _computed(c) == 2


def test_cache_statistics_are_admin_only(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    c.get(f"{API}/gaps", headers=c.h("viewer"))
    error_of(c.get(f"{API}/cache"), 401)
    error_of(c.get(f"{API}/cache", headers=c.h("viewer")), 403)
    r = c.get(f"{API}/cache", headers=c.h("admin"))
    assert r.status_code == 200
    body = r.json()
    assert body["computed"]["gaps"] == 1 and body["misses"] >= 1 and body["size"] >= 1


def test_etag_revalidation(sqlite_client: ApiClient) -> None:
    c, h = sqlite_client, sqlite_client.h("viewer")
    r = c.get(f"{API}/gaps?chain=qi", headers=h)
    tag = r.headers["etag"]
    r2 = c.get(f"{API}/gaps?chain=qi", headers={**h, "If-None-Match": tag})
    assert r2.status_code == 304 and r2.headers["etag"] == tag and not r2.content
    assert c.get(f"{API}/gaps?chain=he", headers={**h, "If-None-Match": tag}).status_code == 200
