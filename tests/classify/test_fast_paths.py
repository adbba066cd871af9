"""The fast paths of the classifier give what the plain definitions give.

* :func:`normalize` skips the full NFKC when the quick check says a text is normalised and splits
  white space with ``str.split``; the reference is the regex definition it replaced.
* chunks without ``)`` are cut with ``str`` methods instead of the look-ahead regex; the
  boilerplate regex runs only when one of its words occurs.
* ``assign_many`` works from caches (items, chunks, evidence texts, identical firms) with the
  cyclic GC paused; the reference is :meth:`assign` on a classifier whose caches were cleared
  before every firm, on the whole labelled evaluation set.
"""

from __future__ import annotations

import csv
import gc
import random
import re
import unicodedata
from pathlib import Path

import pytest

from chainmap.classify import SegmentClassifier
from chainmap.classify import text as text_mod
from chainmap.classify.text import normalize, parse_scope, section_chunks, section_groups, split_products
from chainmap.seed import load_seed

FIRMS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mapping_eval" / "firms.csv"


def reference_normalize(text: str | None) -> str:
    if not text:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip().lower()


def reference_chunks(text: str) -> list[str]:
    if "/" in text:
        text = text_mod._SAME_SLASH_RE.sub(lambda m: (m.group(1) or "碳") * 2, text)
    return [c for c in (x.strip() for x in text_mod._STRONG_RE.split(text)) if c]


def reference_section_chunks(text: str | None, kind: str) -> list[tuple[str, str]]:
    t = reference_normalize(text)
    if not t:
        return []
    if kind != "scope":
        return [("products", c) for c in reference_chunks(t)]
    t = text_mod._EXCLUDE_PAREN_RE.sub(";", t)
    t = text_mod._BOILER_RE.sub(";", t)
    parts = text_mod._SECTION_RE.split(t)
    out: list[tuple[str, str]] = []
    section = "scope"
    for k, part in enumerate(parts):
        if k % 2 == 1:
            section = "licensed" if "许可" in part else "general"
            continue
        out.extend((section, c) for c in reference_chunks(part))
    return out


@pytest.fixture(scope="module")
def firms() -> list[dict[str, str]]:
    if not FIRMS.exists():
        pytest.fail(f"evaluation set missing: {FIRMS}")
    with open(FIRMS, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 380
    return rows


@pytest.fixture(scope="module")
def texts(firms: list[dict[str, str]]) -> list[str]:
    """The evaluation texts, and texts mixed from their items with odd spacing, parentheses,
    slashes and full-width punctuation."""
    out = [r["products"] for r in firms] + [r["scope"] for r in firms]
    items = [i.text for r in firms for i in split_products(r["products"])]
    rng = random.Random(14)
    seps = ["；", "，", "、", ";", ",", "。", " / ", "／", "\u3000", "  ", "\t", "\n", "|", "．"]
    for _ in range(3000):
        parts = [rng.choice(items) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.3:
            k = rng.randrange(len(parts))
            parts[k] = f"{parts[k]}（{rng.choice(items)}；{rng.choice(items)}）"
        out.append("".join(p + rng.choice(seps) for p in parts))
    return out


def test_normalize_equals_the_regex_definition_for_every_character():
    bad = []
    for cp in range(0x30000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for s in (c, f"铜杆{c}；（x） {c}", f"{c}\u0301", f"；{c}"):
            if normalize(s) != reference_normalize(s):
                bad.append((hex(cp), s))
    assert bad == []


def test_normalize_equals_the_regex_definition_on_texts(texts: list[str]):
    extra = ["；\u0338", "（\u0301a）", "Ａ\u3000Ｂ", " \u00a0x\u2003y\u205f ", "ＰＥ", None, "", 3670.0]
    for t in [*texts, *extra]:
        assert normalize(t) == reference_normalize(t), t  # type: ignore[arg-type]


def test_section_chunks_equal_the_regex_definition(texts: list[str]):
    scopes = list(texts) + [
        "经营范围：铜冶炼；不得从事金融业务。具体经营项目以审批为准",
        "一般项目：技术服务（不含许可类）；许可项目：药品生产（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "前置许可经营项目：危险化学品生产。一般经营项目：汽车零部件、隔膜/电解液",
    ]
    for t in scopes:
        for kind in ("products", "scope"):
            assert section_chunks(t, kind) == reference_section_chunks(t, kind), (kind, t)
            groups = section_groups(t, kind)
            assert [(s, c) for s, cs in groups for c in cs] == reference_section_chunks(t, kind)


def test_batch_equals_one_firm_at_a_time_on_the_eval_set(firms: list[dict[str, str]]):
    """assign_many (caches, GC paused) == assign on a cold classifier, for every firm, every input
    and per-chain ranking: segment, role, confidence, method and evidence."""
    clf = SegmentClassifier.from_data(load_seed())
    modes = {
        "products": lambda r: {"name": r["name"], "products": r["products"]},
        "scope": lambda r: {"name": r["name"], "scope": r["scope"]},
        "all": lambda r: {"name": r["name"], "products": r["products"], "scope": r["scope"],
                          "industry_code": r["industry_code"]},
    }
    n_assigned = 0
    for f in modes.values():
        recs = [f(r) for r in firms]
        for chain, k in ((None, 3), ("sheng", 2)):
            clf.clear_cache()
            batch = clf.assign_many(recs + recs[:50], k=k, chain=chain)  # repeated firms come from the cache
            for rec, got in zip(recs + recs[:50], batch, strict=True):
                clf.clear_cache()
                assert got == clf.assign(**rec, k=k, chain=chain), rec
                n_assigned += bool(got)
        clf.clear_cache()
        detailed = clf.assign_detailed(recs)
        for rec, (_got, customers) in zip(recs, detailed, strict=True):
            clf.clear_cache()
            assert customers == clf.customers(products=rec.get("products", ""), scope=rec.get("scope", ""))
    assert n_assigned > 1000  # the comparison is not between empty lists


def test_assign_many_restores_the_garbage_collector():
    clf = SegmentClassifier.from_data(load_seed())
    assert gc.isenabled()
    clf.assign_many([{"products": "阴极铜、铜杆"}])
    assert gc.isenabled()

    def rows():
        yield {"products": "阴极铜"}
        assert not gc.isenabled()  # paused while mapping
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        clf.assign_many(rows())
    assert gc.isenabled()
    gc.disable()
    try:
        clf.assign_many([{"products": "阴极铜"}])
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


def test_parse_scope_on_the_eval_set_is_unchanged_by_the_fast_split(firms: list[dict[str, str]]):
    """parse_scope through the fast paths == the items of the regex definition's chunks."""
    for r in firms:
        items = parse_scope(r["scope"])
        ref = [(s, t) for s, c in reference_section_chunks(r["scope"], "scope")
               for t, *_f in text_mod.chunk_parts(c)]
        assert [(i.section, i.text) for i in items] == ref
