"""chainmap.service.gap_report: one analysis per (graph revision, region, lang), a top-level
chain's report restricted from it (and equal to analysing the chain alone)."""

from __future__ import annotations

import dataclasses

import pytest

from chainmap import service
from chainmap.analysis.gaps import analyze_gaps, restrict_report
from chainmap.cache import ResultCache
from chainmap.census.coverage import absence_rule
from chainmap.exceptions import NotFound
from chainmap.reports.gaps import gaps_json
from chainmap.seed import load_seed


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return dataclasses.replace(load_seed(), revision=7)  # as if read from a store at revision 7


@pytest.mark.parametrize("region", ["yuncheng", "yanhu", "wenxi", "zone.ycetdz"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_restricted_report_equals_the_chain_analysed_alone(seed, region: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    full = analyze_gaps(seed, region=region, lang=lang)
    assert full.chains == ["he", "qi", "sheng", "cai"]
    for chain in full.chains:
        alone = analyze_gaps(seed, region=region, chain=chain, lang=lang)
        assert gaps_json(restrict_report(full, chain)) == gaps_json(alone), chain


def test_restrict_to_a_chain_not_in_the_report(seed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound, match="cai.al"):
        restrict_report(analyze_gaps(seed, chain="qi"), "cai.al")


def test_one_analysis_for_all_top_level_chains(seed) -> None:  # type: ignore[no-untyped-def]
    cache = ResultCache()
    full = service.gap_report(data=seed, cache=cache)
    for chain in ("he", "qi", "sheng", "cai"):
        rep = service.gap_report(data=seed, cache=cache, chain=chain)
        assert rep.chains == [chain] and {i.chain_id for i in rep.items} == {chain}
        assert all(any(i is j for j in full.items) for i in rep.items)  # shared, not recomputed
    assert cache.computed["gaps"] == 1 and cache.computed["criticality"] == 1
    sub = service.gap_report(data=seed, cache=cache, chain="cai.al")
    alone = analyze_gaps(seed, chain="cai.al", absence_confirmed=absence_rule(seed))  # the service's census rule
    assert sub.chains == ["cai.al"] and gaps_json(sub.model_copy(update={"coverage": {}})) == gaps_json(alone)
    assert cache.computed["gaps"] == 2 and cache.computed["criticality"] == 1
    service.gap_report(data=seed, cache=cache, region="yanhu", lang="en")
    assert cache.computed["gaps"] == 3 and cache.computed["criticality"] == 1
    # a new graph revision is a new analysis
    service.gap_report(data=dataclasses.replace(seed, revision=8), cache=cache)
    assert cache.computed["gaps"] == 4


def test_data_read_from_files_is_not_cached() -> None:
    cache = ResultCache()
    data = load_seed()
    assert data.revision is None
    service.gap_report(data=data, cache=cache, chain="qi")
    assert cache.computed == {}


def test_unknown_region_chain_and_lang_name_the_field(seed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound) as err:
        service.gap_report(data=seed, region="atlantis")
    assert err.value.context["field"] == "region" and "yuncheng" in str(err.value)
    with pytest.raises(NotFound) as err:
        service.gap_report(data=seed, chain="nope")
    assert err.value.context["field"] == "chain" and "cai.al" in str(err.value)
    with pytest.raises(Exception, match="lang"):
        service.gap_report(data=seed, lang="fr")


def test_chain_graph_svg_uses_the_cached_report(seed) -> None:  # type: ignore[no-untyped-def]
    cache = ResultCache()
    g = service.chain_graph(data=seed, cache=cache, chain="qi", fmt="svg")
    assert g.text.startswith("<svg") and cache.computed["gaps"] == 1
    service.gap_page_json(data=seed, cache=cache, chain="qi")
    service.chain_graph(data=seed, cache=cache, chain="qi", fmt="svg")
    assert cache.computed["gaps"] == 1 and cache.computed["graph"] == 1
