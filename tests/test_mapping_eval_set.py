"""Integrity of the labelled mapping evaluation set (benchmarks/data/mapping_eval/firms.csv).

The set is data the mapping benchmark scores against, so a broken label (an id the seed does not
have, a main segment in another chain, a row without a source) would silently corrupt every number
the benchmark prints. These checks read the shipped file and the shipped seed; each can fail.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from chainmap.data import ChainData
from chainmap.seed import load_seed

EVAL_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "mapping_eval"
FIRMS = EVAL_DIR / "firms.csv"
COLUMNS = [
    "id",
    "name",
    "chain",
    "segments",
    "products",
    "scope",
    "scope_kind",
    "industry_code",
    "source",
    "labelled_by",
    "note",
]
CHAINS = ("he", "qi", "sheng", "cai")
MIN_IN_SCOPE = 300
MIN_OUT_OF_SCOPE = 80
MIN_PER_CHAIN = 60


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with FIRMS.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS, f"{FIRMS.name}: header {reader.fieldnames}, expected {COLUMNS}"
        return list(reader)


@pytest.fixture(scope="module")
def seed() -> ChainData:
    return load_seed()


def top_chain(chain_id: str) -> str:
    """Top-level chain of a (sub-)chain id: 'cai.al' -> 'cai'."""
    return chain_id.split(".", 1)[0]


def test_file_is_utf8_without_bom() -> None:
    raw = FIRMS.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "firms.csv must be plain UTF-8 (no BOM)"
    raw.decode("utf-8")


def test_ids_unique_and_prefixed_by_chain(rows: list[dict[str, str]]) -> None:
    ids = Counter(r["id"] for r in rows)
    dup = sorted(i for i, n in ids.items() if n > 1)
    assert not dup, f"duplicate ids: {dup}"
    bad = [r["id"] for r in rows if not r["id"].startswith(r["chain"] + "-")]
    assert not bad, f"ids not prefixed with their chain: {bad}"


def test_names_unique(rows: list[dict[str, str]]) -> None:
    names = Counter(r["name"] for r in rows)
    dup = sorted(n for n, k in names.items() if k > 1)
    assert not dup, f"a firm appears twice: {dup}"


def test_chain_values(rows: list[dict[str, str]]) -> None:
    bad = [(r["id"], r["chain"]) for r in rows if r["chain"] not in (*CHAINS, "none")]
    assert not bad, f"chain must be one of {CHAINS} or 'none': {bad}"


def test_segments_exist_in_seed(rows: list[dict[str, str]], seed: ChainData) -> None:
    known = {s.id for s in seed.segments}
    bad = [(r["id"], sid) for r in rows for sid in filter(None, r["segments"].split(";")) if sid not in known]
    assert not bad, f"segment ids not in graph_seed/segments/*.yaml: {bad}"


def test_main_segment_matches_chain(rows: list[dict[str, str]], seed: ChainData) -> None:
    chain_of = {s.id: top_chain(s.chain) for s in seed.segments}
    errors = []
    for r in rows:
        segs = [s for s in r["segments"].split(";") if s]
        if r["chain"] == "none":
            if segs:
                errors.append((r["id"], "out-of-scope row carries segments", r["segments"]))
            continue
        if not segs:
            errors.append((r["id"], "in-scope row without segments", ""))
        elif chain_of.get(segs[0]) != r["chain"]:
            errors.append(
                (r["id"], f"main segment {segs[0]} is in chain {chain_of.get(segs[0])}", r["chain"])
            )
        if len(set(segs)) != len(segs):
            errors.append((r["id"], "segment listed twice", r["segments"]))
    assert not errors, errors


def test_counts(rows: list[dict[str, str]]) -> None:
    per_chain = Counter(r["chain"] for r in rows)
    in_scope = sum(per_chain[c] for c in CHAINS)
    assert in_scope >= MIN_IN_SCOPE, f"in-scope firms {in_scope} < {MIN_IN_SCOPE}"
    assert per_chain["none"] >= MIN_OUT_OF_SCOPE, (
        f"out-of-scope firms {per_chain['none']} < {MIN_OUT_OF_SCOPE}"
    )
    thin = {c: per_chain[c] for c in CHAINS if per_chain[c] < MIN_PER_CHAIN}
    assert not thin, f"chains below {MIN_PER_CHAIN} firms: {thin}"


def test_every_row_has_text_source_and_labeller(rows: list[dict[str, str]]) -> None:
    for field in ("name", "products", "scope", "source", "labelled_by"):
        empty = [r["id"] for r in rows if not r[field].strip()]
        assert not empty, f"rows without {field}: {empty}"


def test_scope_kind_and_industry_code(rows: list[dict[str, str]]) -> None:
    bad_kind = [
        (r["id"], r["scope_kind"]) for r in rows if r["scope_kind"] not in ("registered", "constructed")
    ]
    assert not bad_kind, f"scope_kind must be registered|constructed: {bad_kind}"
    bad_code = [
        (r["id"], r["industry_code"])
        for r in rows
        if r["industry_code"] and not (len(r["industry_code"]) == 4 and r["industry_code"].isdigit())
    ]
    assert not bad_code, f"industry_code must be empty or GB/T 4754-2017 four digits: {bad_code}"


def test_readme_counts_match_file(rows: list[dict[str, str]]) -> None:
    """The README states the counts; they must be the file's counts."""
    readme = (EVAL_DIR / "README.md").read_text(encoding="utf-8")
    per_chain = Counter(r["chain"] for r in rows)
    for chain in (*CHAINS, "none"):
        line = f"| {chain} | {per_chain[chain]} |"
        assert line in readme, f"README.md lacks the count row {line!r}"
    assert f"| total | {len(rows)} |" in readme
