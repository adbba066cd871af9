"""Segment-assignment quality and speed on the labelled evaluation set.

    python benchmarks/bench_mapping.py [--eval benchmarks/data/mapping_eval/firms.csv]
        [--texts 1000000] [--scope-texts N] [--no-legacy] [--errors N]

Reads the evaluation set (columns ``name, chain, segments, products, scope,
industry_code``; ``chain`` empty or ``none``/``out`` for out-of-scope firms; see its
README for provenance).  Skips with a message when the file is absent.

Prints, per chain and overall, for three inputs — product text (主要产品),
经营范围 only, and everything (name, code, products, scope):

* top-1: the first produced segment is one of the firm's labelled segments;
* recall@3: one of the labelled segments is among the first three;
* coverage@3: labelled segments found in the first three / min(3, labelled);
* FP: share of out-of-scope firms that get any produced segment;

for all firms, and for the two halves of a fixed split by the MD5 of the firm
name (``dev`` = even last hex digit: used while tuning the vocabulary; ``test`` =
odd: held out, not looked at while tuning).  Then the calibration of the
confidence (share of correct top-1 per band), the old text mapper's figures
(``matching/mapping.py`` of commit 191a3e0, read with ``git show``; skipped when
git or the commit is not there) and the speed (CPU time of this process, with the
load average): 1,000,000 product lists synthesised by resampling the evaluation
texts' items (3-8 items each, random order) and 1,000,000 registered 经营范围 (一般项目
of 3-8 resampled scope items with its boilerplate, half with a 许可项目 section),
mapped on one core with :meth:`SegmentClassifier.assign_many`; plus a cold run where every
item is new (a random 2-letter tag per item defeats the item cache).

The learned component (``--learned``, on by default; :mod:`chainmap.classify.learned`):
accumulating review decisions are simulated by training :class:`ReviewModel` on labels of the
``dev`` half only (one label per labelled segment of an in-scope firm, and firms out of scope
as :data:`OUT_OF_SCOPE`, as :func:`chainmap.census.review.review_labels` and
:func:`~chainmap.census.review.review_out_of_scope` give them), the firms taken in a fixed
random order until 30, 100 and all of the dev labels are reached; the blend (the import's
rule, :func:`chainmap.classify.learned.blend`) is then evaluated on the ``test`` half (other
firms), per chain, before (engine alone) and after.  The blend's constants were chosen on the dev
half only: a split of it (``dev-a`` trains, ``dev-b`` evaluates: printed too) and, for the
threshold of model-only proposals, five random splits of it (``--learned-sweep``).

Targets, printed per chain (合/汽/生/材) and overall: top-1 >= 85 %, recall@3 >= 95 %,
FP <= 5 %, 经营范围 within 5 points; speed < 60 CPU-s per 1M texts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_EVAL = ROOT / "benchmarks" / "data" / "mapping_eval" / "firms.csv"
LEGACY_COMMIT = "191a3e0"
OUT_OF_SCOPE = {"", "none", "out", "out_of_scope", "无"}
TARGETS = {"top1": 0.85, "recall3": 0.95, "fp": 0.05, "scope_gap": 0.05}


def split_of(name: str) -> str:
    """``dev`` or ``test`` by the last hex digit of the MD5 of the name (fixed, documented)."""
    return "dev" if int(hashlib.md5(name.encode("utf-8")).hexdigest()[-1], 16) % 2 == 0 else "test"


def read_eval(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        chain = (r.get("chain") or "").strip()
        labels = [s.strip() for s in (r.get("segments") or "").replace(",", ";").split(";") if s.strip()]
        out.append({
            "id": r.get("id") or "",
            "name": (r.get("name") or "").strip(),
            "chain": "" if chain.lower() in OUT_OF_SCOPE else chain,
            "labels": labels,
            "products": r.get("products") or "",
            "scope": r.get("scope") or "",
            "industry_code": (r.get("industry_code") or "").strip(),
            "industry_name": (r.get("industry_name") or "").strip(),
            "split": split_of((r.get("name") or "").strip()),
        })
    return out


MODES: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "products": lambda r: {"name": r["name"], "products": r["products"]},
    "scope": lambda r: {"name": r["name"], "scope": r["scope"]},
    "all": lambda r: {"name": r["name"], "products": r["products"], "scope": r["scope"],
                      "industry_code": r["industry_code"], "industry_name": r["industry_name"]},
}


def metrics(rows: Sequence[dict[str, Any]], preds: Sequence[list[str]]) -> dict[str, dict[str, float]]:
    """Per chain (and ``overall``): n, top1, recall3, coverage3; ``out`` gets n and fp."""
    acc: dict[str, dict[str, float]] = {}
    for r, p in zip(rows, preds, strict=True):
        key = r["chain"] or "out"
        for k in (key, "overall") if key != "out" else (key,):
            m = acc.setdefault(k, {"n": 0, "top1": 0, "recall3": 0, "coverage3": 0.0, "fp": 0})
            m["n"] += 1
            if key == "out":
                m["fp"] += bool(p)
                continue
            labels = set(r["labels"])
            m["top1"] += bool(p) and p[0] in labels
            m["recall3"] += bool(labels & set(p[:3]))
            m["coverage3"] += len(labels & set(p[:3])) / max(1, min(3, len(labels)))
    for m in acc.values():
        n = m["n"] or 1
        for k in ("top1", "recall3", "coverage3", "fp"):
            m[k] = m[k] / n
    return acc


def fmt_table(title: str, res: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [title, f"{'mode':<9} {'chain':<8} {'n':>4} {'top1':>7} {'rec@3':>7} {'cov@3':>7}"]
    for mode, acc in res.items():
        for chain in sorted(k for k in acc if k not in ("overall", "out")) + ["overall"]:
            if chain not in acc:
                continue
            m = acc[chain]
            lines.append(f"{mode:<9} {chain:<8} {m['n']:>4.0f} {m['top1']:>7.1%} {m['recall3']:>7.1%} {m['coverage3']:>7.1%}")
        if "out" in acc:
            lines.append(f"{mode:<9} {'out(FP)':<8} {acc['out']['n']:>4.0f} {acc['out']['fp']:>7.1%}")
        else:
            lines.append(f"{mode:<9} {'out(FP)':<8}    0  (no out-of-scope firms in the set yet)")
    return "\n".join(lines)


def classifier():
    from chainmap.classify import SegmentClassifier
    from chainmap.seed import load_seed

    data = load_seed()
    t0 = time.perf_counter()
    clf = SegmentClassifier.from_data(data)
    return data, clf, time.perf_counter() - t0


def run_engine(clf: Any, rows: Sequence[dict[str, Any]]) -> dict[str, list[list[str]]]:
    out = {}
    for mode, f in MODES.items():
        res = clf.assign_many([f(r) for r in rows])
        out[mode] = [[a.segment for a in lst if a.role.value == "producer"] for lst in res]
    return out


def legacy_mapper(data: Any) -> Any | None:
    """The text mapper of commit 191a3e0 (before this engine), or None."""
    try:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{LEGACY_COMMIT}:matching/mapping.py"],
                             capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    with tempfile.NamedTemporaryFile("w", suffix="_legacy_mapping.py", delete=False, encoding="utf-8") as fh:
        fh.write(src)
        path = fh.name
    try:
        spec = importlib.util.spec_from_file_location("legacy_mapping", path)
        if spec is None or spec.loader is None:
            return None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.SegmentMapper().fit(data.segments)
    finally:
        os.unlink(path)


def run_legacy(m: Any, rows: Sequence[dict[str, Any]]) -> dict[str, list[list[str]]]:
    texts = {
        "products": [r["products"] for r in rows],
        "scope": [r["scope"] for r in rows],
        "all": [f"{r['products']}；{r['scope']}" for r in rows],
    }
    return {mode: [[s for s, _c in lst] for lst in m.transform(t)] for mode, t in texts.items()}


def calibration(rows: Sequence[dict[str, Any]], clf: Any) -> str:
    bands = [(0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]
    stats = {b: [0, 0] for b in bands}
    for r in rows:
        if not r["chain"]:
            continue
        got = [a for a in clf.assign(**MODES["all"](r)) if a.role.value == "producer"]
        if not got:
            continue
        a = got[0]
        for b in bands:
            if b[0] <= a.confidence < b[1]:
                stats[b][0] += 1
                stats[b][1] += a.segment in r["labels"]
    lines = ["calibration (all inputs, in-scope firms, top-1): confidence band -> n, share correct"]
    for b, (n, ok) in stats.items():
        lines.append(f"  [{b[0]:.1f}, {min(b[1], 1.0):.1f}) n={n:>4} correct={ok / n if n else float('nan'):.1%}")
    return "\n".join(lines)


_GENERAL_TAIL = "。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
_LICENSED_TAIL = "。（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
_SECTION_HEAD_RE = re.compile(r"(一般项目|许可项目)：")


def scope_pools(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The raw items (between ``；``, boilerplate cut off) of the 一般项目 and the 许可项目 sections of the
    evaluation scopes: the material the synthetic 经营范围 texts are resampled from."""
    general: list[str] = []
    licensed: list[str] = []
    for r in rows:
        parts = _SECTION_HEAD_RE.split(r["scope"])
        for head, body in zip(parts[1::2], parts[2::2], strict=True):
            body = body.split("。（")[0].split("（依法须经")[0].split("（除依法须经")[0]
            items = [x.strip("。 ") for x in body.split("；") if x.strip("。 ")]
            (licensed if head == "许可项目" else general).extend(items)
    return general, licensed


def scope_texts(rows: Sequence[dict[str, Any]], n: int, rng: random.Random) -> list[str]:
    """``n`` synthetic 经营范围 texts as registered: 一般项目 with 3-8 items resampled from the evaluation
    scopes and its boilerplate, and for half of them a 许可项目 section of 1-3 items with its boilerplate."""
    general, licensed = scope_pools(rows)
    out = []
    for _ in range(n):
        t = "一般项目：" + "；".join(rng.choice(general) for _ in range(rng.randint(3, 8))) + _GENERAL_TAIL
        if licensed and rng.random() < 0.5:
            t += "许可项目：" + "；".join(rng.choice(licensed) for _ in range(rng.randint(1, 3))) + _LICENSED_TAIL
        out.append(t)
    return out


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


def _timed(clf: Any, recs: list[dict[str, str]]) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, texts that got a segment) for one cold-cache assign_many."""
    clf.clear_cache()
    t0, c0 = time.perf_counter(), time.process_time()
    res = clf.assign_many(recs)
    return time.perf_counter() - t0, time.process_time() - c0, sum(1 for x in res if x)


def _speed_line(n: int, wall: float, cpu: float, mapped: int) -> str:
    """The timing line of ``n`` texts mapped in ``wall`` / ``cpu`` seconds, against < 60 CPU-s per 1M."""
    per_m = cpu * 1e6 / n
    return (
        f"    mapped in {wall:.1f} s wall, {cpu:.1f} s CPU ({n / cpu:,.0f} texts per CPU-second; "
        f"{mapped / n:.1%} got a segment) — per 1M: {per_m:.1f} CPU-s: {'PASS' if per_m < 60 else 'MISS'}"
    )


def speed(clf: Any, rows: Sequence[dict[str, Any]], n: int, n_scope: int, seed: int = 4754) -> str:
    from chainmap.classify.text import parse_scope, split_products

    pool = [i.text for r in rows for i in split_products(r["products"])]
    pool += [i.text for r in rows for i in parse_scope(r["scope"])]
    rng = random.Random(seed)
    lines = [f"speed ({_load()} at start; CPU time of this one process, one core; target < 60 CPU-s per 1M texts):"]
    if n:
        t0 = time.perf_counter()
        texts = ["；".join(rng.choice(pool) for _ in range(rng.randint(3, 8))) for _ in range(n)]
        gen = time.perf_counter() - t0
        wall, cpu, mapped = _timed(clf, [{"products": t} for t in texts])
        del texts
        lines.append(
            f"  product lists: {n:,} synthetic texts ({len(pool):,} distinct source items, 3-8 items per text; "
            f"generated in {gen:.1f} s)\n" + _speed_line(n, wall, cpu, mapped)
        )
    if n_scope:
        t0 = time.perf_counter()
        stexts = scope_texts(rows, n_scope, rng)
        gen = time.perf_counter() - t0
        avg = sum(map(len, stexts)) / len(stexts)
        wall, cpu, mapped = _timed(clf, [{"scope": t} for t in stexts])
        del stexts
        lines.append(
            f"  经营范围: {n_scope:,} synthetic registered scopes (一般项目 3-8 items, half with 许可项目 1-3, "
            f"boilerplate; {avg:.0f} characters on average; generated in {gen:.1f} s)\n"
            + _speed_line(n_scope, wall, cpu, mapped)
        )
    m = min(max(n, n_scope), 100_000)
    letters = "abcdefghijklmnopqrstuvwxyz"
    cold_texts = [
        "；".join(rng.choice(pool) + rng.choice(letters) + rng.choice(letters) for _ in range(rng.randint(3, 8)))
        for _ in range(m)
    ]
    cold, cold_cpu, _mapped = _timed(clf, [{"products": t} for t in cold_texts])
    lines.append(
        f"  cold items (every item new): {m:,} product lists in {cold:.1f} s wall, {cold_cpu:.1f} s CPU "
        f"(1M would take {cold_cpu * 1_000_000 / m:.0f} CPU-s)"
    )
    lines.append(f"  machine check: sum(range(10**7)) takes {_ref_loop():.2f} CPU-s here (about 0.15 on an idle core); "
                 f"{_load()} at the end")
    return "\n".join(lines)


def _ref_loop() -> float:
    c0 = time.process_time()
    sum(range(10**7))
    return time.process_time() - c0


def errors(rows: Sequence[dict[str, Any]], preds: dict[str, list[list[str]]], limit: int) -> str:
    lines = ["dev-half errors (all inputs): id | labels | predicted"]
    k = 0
    for r, p in zip(rows, preds["all"], strict=True):
        if r["split"] != "dev":
            continue
        wrong = (not r["chain"] and p) or (r["chain"] and (not p or p[0] not in r["labels"]))
        if wrong:
            lines.append(f"  {r['id']} {r['name']} | {';'.join(r['labels']) or '-'} | {';'.join(p[:3]) or '-'} | {r['products'][:60]}")
            k += 1
            if k >= limit:
                break
    return "\n".join(lines)


def verdict(res: dict[str, dict[str, dict[str, float]]]) -> str:
    a, s = res["all"]["overall"], res["scope"]["overall"]
    p = res["products"]["overall"]
    fp = res["all"].get("out", {}).get("fp")
    parts = [
        f"top-1 {a['top1']:.1%} ({'PASS' if a['top1'] >= TARGETS['top1'] else 'MISS'} >= 85 %)",
        f"recall@3 {a['recall3']:.1%} ({'PASS' if a['recall3'] >= TARGETS['recall3'] else 'MISS'} >= 95 %)",
        "FP n/a (no out-of-scope firms)" if fp is None else f"FP {fp:.1%} ({'PASS' if fp <= TARGETS['fp'] else 'MISS'} <= 5 %)",
        f"经营范围 top-1 {s['top1']:.1%} vs products {p['top1']:.1%} "
        f"({'PASS' if p['top1'] - s['top1'] <= TARGETS['scope_gap'] else 'MISS'} within 5 points)",
    ]
    return "targets (all inputs, overall): " + "; ".join(parts)


CHAIN_ZH = {"he": "合", "qi": "汽", "sheng": "生", "cai": "材"}


def _pf(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def chain_targets(res: dict[str, dict[str, dict[str, float]]]) -> str:
    """Per chain and overall: top-1 and recall@3 on all inputs against 85 / 95 %, on 经营范围 only against
    the same targets less 5 points (80 / 90 %), and the 经营范围 top-1 within 5 points of the product text's;
    then the false positives (<= 5 %, 经营范围 <= 10 %)."""
    lines = [
        "per-chain targets: all inputs top-1 >= 85 %, recall@3 >= 95 %; 经营范围 only top-1 >= 80 %, "
        "recall@3 >= 90 % and top-1 within 5 points of the product text's",
        f"  {'chain':<10} {'top-1':>13} {'recall@3':>13} {'范围 top-1':>13} {'范围 rec@3':>13} {'范围 vs 产品':>14}",
    ]
    a_all, a_scope, a_prod = res["all"], res["scope"], res["products"]
    chains = sorted((k for k in a_all if k not in ("overall", "out")),
                    key=lambda c: (list(CHAIN_ZH).index(c) if c in CHAIN_ZH else len(CHAIN_ZH), c))
    for c in [*chains, "overall"]:
        a, sc, pr = a_all[c], a_scope.get(c), a_prod.get(c)
        label = f"{c} {CHAIN_ZH[c]}" if c in CHAIN_ZH else c
        cells = [
            f"{a['top1']:6.1%} {_pf(a['top1'] >= TARGETS['top1'])}",
            f"{a['recall3']:6.1%} {_pf(a['recall3'] >= TARGETS['recall3'])}",
        ]
        if sc and pr:
            gap = pr["top1"] - sc["top1"]
            cells += [
                f"{sc['top1']:6.1%} {_pf(sc['top1'] >= TARGETS['top1'] - TARGETS['scope_gap'])}",
                f"{sc['recall3']:6.1%} {_pf(sc['recall3'] >= TARGETS['recall3'] - TARGETS['scope_gap'])}",
                f"{-gap * 100:+5.1f} pt {_pf(gap <= TARGETS['scope_gap'])}",
            ]
        lines.append(f"  {label:<10} " + " ".join(f"{x:>13}" for x in cells))
    fa, fs = a_all.get("out"), a_scope.get("out")
    if fa and fs:
        lines.append(f"  out-of-scope firms given a segment (FP): all inputs {fa['fp']:.1%} {_pf(fa['fp'] <= TARGETS['fp'])} "
                     f"(<= 5 %), 经营范围 only {fs['fp']:.1%} {_pf(fs['fp'] <= TARGETS['fp'] + TARGETS['scope_gap'])} "
                     f"(<= 10 %)")
    return "\n".join(lines)


LABEL_COUNTS = (30, 100, None)  # None: all labels of the training part


def training_labels(rows: Sequence[dict[str, Any]], seed: int = 14) -> list[tuple[dict[str, str], str]]:
    """The labels decisions would give on ``rows``, firm by firm in a fixed random order: one
    ``(all text fields, segment)`` per labelled segment, ``(texts, OUT_OF_SCOPE)`` for a firm of
    no chain."""
    from chainmap.classify.learned import OUT_OF_SCOPE

    order = list(rows)
    random.Random(seed).shuffle(order)
    out: list[tuple[dict[str, str], str]] = []
    for r in order:
        texts = MODES["all"](r)
        out.extend((texts, s) for s in r["labels"]) if r["chain"] else out.append((texts, OUT_OF_SCOPE))
    return out


def run_blend(
    data: Any, clf: Any, labels: Sequence[tuple[dict[str, str], str]], rows: Sequence[dict[str, Any]],
) -> tuple[dict[str, list[list[str]]], dict[str, Any]]:
    """Predictions of the blend (engine + a ReviewModel fitted on ``labels``) on ``rows`` per
    mode, and what the model did (weight, added, first segment changed)."""
    from chainmap.classify.learned import OUT_OF_SCOPE, ReviewModel, blend, blend_weight

    chain_of = {s.id: s.chain for s in data.segments}
    n_segs = len({s for _t, s in labels if s != OUT_OF_SCOPE})
    w = blend_weight(len(labels), n_segs)
    t0 = time.process_time()
    model = ReviewModel().fit([t for t, _s in labels], [s for _t, s in labels])
    fit_s = time.process_time() - t0
    classes = [str(c) for c in model.classes_]
    out: dict[str, list[list[str]]] = {}
    info = {"labels": len(labels), "segments": n_segs, "weight": w, "fit_s": fit_s, "added": {}, "added_ok": {},
            "top_changed": {}}
    for mode, f in MODES.items():
        recs = [f(r) for r in rows]
        engine = clf.assign_many(recs)
        proba = model.predict_proba(recs)
        preds, added, added_ok, changed = [], 0, 0, 0
        for r, got, pr in zip(rows, engine, proba, strict=True):
            mixed = blend(got, dict(zip(classes, map(float, pr), strict=True)), weight=w, n_labels=len(labels),
                          k=3, chain_of=chain_of)
            segs = [a.segment for a in mixed if a.role.value == "producer"]
            before = [a.segment for a in got if a.role.value == "producer"]
            added += sum(1 for a in mixed if a.method.value == "model")
            added_ok += sum(1 for a in mixed if a.method.value == "model" and a.segment in r["labels"])
            changed += (segs[:1] != before[:1])
            preds.append(segs)
        out[mode] = preds
        info["added"][mode], info["added_ok"][mode], info["top_changed"][mode] = added, added_ok, changed
    return out, info


def learned_report(data: Any, clf: Any, train: Sequence[dict[str, Any]], evaluate: Sequence[dict[str, Any]],
                   title: str) -> str:
    """Before / after the blend on ``evaluate``, the model trained on labels of ``train`` only."""
    names = {r["name"] for r in train}
    if names & {r["name"] for r in evaluate}:
        raise SystemExit("the training and evaluation firms overlap")
    all_labels = training_labels(train)
    before = {mode: metrics(evaluate, p) for mode, p in
              {m: [[a.segment for a in lst if a.role.value == "producer"] for lst in
                   clf.assign_many([f(r) for r in evaluate])] for m, f in MODES.items()}.items()}
    lines = [title, f"  trained on {len(train)} firms ({len(all_labels)} labels), evaluated on {len(evaluate)} other firms",
             f"  {'labels':>6} {'w':>5} {'mode':<9} {'chain':<8} {'top-1 before→after':>22} {'rec@3 before→after':>22}"]
    worst_ok = True
    for n in LABEL_COUNTS:
        labels = all_labels if n is None else all_labels[:n]
        preds, info = run_blend(data, clf, labels, evaluate)
        after = {mode: metrics(evaluate, p) for mode, p in preds.items()}
        for mode in MODES:
            b, a = before[mode], after[mode]
            for c in [*sorted(k for k in b if k not in ("overall", "out")), "overall"]:
                ok = a[c]["top1"] >= TARGETS["top1"] and a[c]["recall3"] >= TARGETS["recall3"]
                worst_ok &= ok or (b[c]["top1"] < TARGETS["top1"] or b[c]["recall3"] < TARGETS["recall3"])
                lines.append(
                    f"  {info['labels']:>6} {info['weight']:>5.2f} {mode:<9} {c:<8} "
                    f"{b[c]['top1']:>9.1%} → {a[c]['top1']:>6.1%} {_pf(a[c]['top1'] >= TARGETS['top1'])}"
                    f" {b[c]['recall3']:>7.1%} → {a[c]['recall3']:>6.1%} {_pf(a[c]['recall3'] >= TARGETS['recall3'])}"
                )
            if "out" in b:
                worst_ok &= a["out"]["fp"] <= TARGETS["fp"] or b["out"]["fp"] > TARGETS["fp"]
                lines.append(f"  {info['labels']:>6} {info['weight']:>5.2f} {mode:<9} {'out(FP)':<8} "
                             f"{b['out']['fp']:>9.1%} → {a['out']['fp']:>6.1%} {_pf(a['out']['fp'] <= TARGETS['fp'])}")
        lines.append(f"  {info['labels']:>6} labels, {info['segments']} segments, weight {info['weight']:.2f}, "
                     f"fitted in {info['fit_s']:.2f} CPU-s; model-only segments added (products/scope/all): "
                     f"{'/'.join(str(info['added'][m]) for m in MODES)} (of them a labelled segment: "
                     f"{'/'.join(str(info['added_ok'][m]) for m in MODES)}); first segment changed: "
                     f"{'/'.join(str(info['top_changed'][m]) for m in MODES)}")
    lines.append("  the blend keeps every target the engine meets: " + ("yes" if worst_ok else "NO"))
    return "\n".join(lines)


def learned_speed(rows: Sequence[dict[str, Any]], n: int = 50_000) -> str:
    """CPU time of the review model on all the set's labels: fitting, and the probabilities of ``n``
    firms (the evaluation records resampled, each with its own name: what an import of ``n`` new
    firms adds when the model is active)."""
    from chainmap.classify.learned import ReviewModel

    labels = training_labels(rows)
    c0 = time.process_time()
    model = ReviewModel().fit([t for t, _s in labels], [s for _t, s in labels])
    fit = time.process_time() - c0
    recs = [{**MODES["all"](rows[i % len(rows)]), "name": f"示例企业{i}有限公司"} for i in range(n)]
    c0 = time.process_time()
    model.predict_proba(recs)
    pred = time.process_time() - c0
    return (f"  review model speed ({_load()}): fitted on {len(labels)} labels in {fit:.2f} CPU-s; "
            f"probabilities of {n:,} firms in {pred:.1f} CPU-s ({pred * 1e6 / n:.0f} µs per firm)")


def learned_sweep(data: Any, clf: Any, rows: Sequence[dict[str, Any]], splits: int = 5) -> str:
    """The dev-only study behind ``MIN_PROBA`` and ``MIN_MODEL_CONFIDENCE``: ``splits`` random halves
    of the dev half (one trains, the other evaluates; 经营范围 and all inputs), the segments the model
    alone proposes and how many of them are labelled, by label count, with the probability floor
    alone (``p >= 0.3 / 0.4 / 0.5``) and with the rule of the blend (``p >= 0.3`` and ``w·p >= 0.1``)."""
    from chainmap.classify.learned import OUT_OF_SCOPE, ReviewModel, blend, blend_weight

    chain_of = {s.id: s.chain for s in data.segments}
    dev = [r for r in rows if r["split"] == "dev"]
    counts: dict[tuple[str, str], list[int]] = {}
    for seed in range(splits):
        order = list(dev)
        random.Random(100 + seed).shuffle(order)
        train, evaluate = order[: len(order) // 2], order[len(order) // 2 :]
        all_labels = training_labels(train, seed=seed)
        for mode in ("scope", "all"):
            recs = [MODES[mode](r) for r in evaluate]
            engine = clf.assign_many(recs)
            for n in (30, 60, 100, None):
                labels = all_labels if n is None else all_labels[:n]
                model = ReviewModel().fit([t for t, _s in labels], [s for _t, s in labels])
                classes = [str(c) for c in model.classes_]
                w = blend_weight(len(labels), len({s for _t, s in labels if s != OUT_OF_SCOPE}))
                proba = model.predict_proba(recs)
                for rule in ("p>=0.3", "p>=0.4", "p>=0.5", "blend"):
                    # the floor alone: a weight of 1 for the w·p test, so only p counts
                    floor, ww = (0.3, w) if rule == "blend" else (float(rule[3:]), 1.0)
                    acc = counts.setdefault((str(n or "all"), rule), [0, 0])
                    for r, got, pr in zip(evaluate, engine, proba, strict=True):
                        mixed = blend(got, dict(zip(classes, map(float, pr), strict=True)), weight=ww,
                                      n_labels=len(labels), chain_of=chain_of, min_proba=floor)
                        for a in mixed:
                            if a.method.value == "model":
                                acc[0] += 1
                                acc[1] += a.segment in r["labels"]
    lines = [f"== learned component: model-only proposals on {splits} random splits of the dev half "
             "(经营范围 and all inputs; added / of them a labelled segment) =="]
    for n in ("30", "60", "100", "all"):
        cells = [f"{rule}: {counts[(n, rule)][0]}/{counts[(n, rule)][1]}" for rule in ("p>=0.3", "p>=0.4", "p>=0.5", "blend")]
        lines.append(f"  {n:>4} labels  " + "  ".join(cells))
    return "\n".join(lines)


def learned_section(data: Any, clf: Any, rows: Sequence[dict[str, Any]]) -> str:
    dev = [r for r in rows if r["split"] == "dev"]
    test = [r for r in rows if r["split"] == "test"]
    dev_a = [r for r in dev if int(hashlib.md5(("b" + r["name"]).encode("utf-8")).hexdigest()[-1], 16) % 2 == 0]
    dev_b = [r for r in dev if r not in dev_a]
    return "\n\n".join([
        learned_report(data, clf, dev_a, dev_b, "== learned component: dev-a -> dev-b (where the blend was chosen) =="),
        learned_report(data, clf, dev, test, "== learned component: trained on the dev half, evaluated on the TEST half =="),
        learned_speed(rows),
    ])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", default=os.environ.get("CHAINMAP_MAPPING_EVAL", str(DEFAULT_EVAL)))
    ap.add_argument("--texts", type=int, default=1_000_000, help="product lists for the speed run (0: skip)")
    ap.add_argument("--scope-texts", type=int, default=None,
                    help="经营范围 texts for the speed run (default: as many as --texts; 0: skip)")
    ap.add_argument("--no-legacy", action="store_true", help="skip the old mapper's figures")
    ap.add_argument("--errors", type=int, default=0, help="print up to N dev-half errors")
    ap.add_argument("--no-learned", action="store_true", help="skip the learned component's before/after figures")
    ap.add_argument("--learned-sweep", action="store_true",
                    help="also print the dev-only study of the model-only proposals (about a minute)")
    args = ap.parse_args(argv)
    path = Path(args.eval)
    if not path.exists():
        print(f"SKIP: evaluation set not found at {path} (give --eval PATH or CHAINMAP_MAPPING_EVAL)")
        return 0
    rows = read_eval(path)
    n_in = sum(1 for r in rows if r["chain"])
    print(f"evaluation set {path}: {len(rows)} firms ({n_in} in scope, {len(rows) - n_in} out of scope); "
          f"split by md5(name): dev {sum(r['split'] == 'dev' for r in rows)}, test {sum(r['split'] == 'test' for r in rows)}")
    data, clf, build = classifier()
    print(f"classifier: {len(clf.segments)} segments, {len(clf.terms):,} terms, {len(clf.codes)} industry codes; built in {build:.2f} s")
    preds = run_engine(clf, rows)
    for split in ("all", "dev", "test"):
        idx = [i for i, r in enumerate(rows) if split == "all" or r["split"] == split]
        sub = [rows[i] for i in idx]
        res = {mode: metrics(sub, [p[i] for i in idx]) for mode, p in preds.items()}
        label = {"all": "ALL FIRMS", "dev": "DEV HALF (tuned on)", "test": "TEST HALF (held out)"}[split]
        print()
        print(fmt_table(f"== engine: {label} ==", res))
        print(verdict(res))
        print(chain_targets(res))
    print()
    print(calibration(rows, clf))
    if not args.no_legacy:
        m = legacy_mapper(data)
        print()
        if m is None:
            print(f"old mapper: not available (needs git and commit {LEGACY_COMMIT})")
        else:
            lp = run_legacy(m, rows)
            print(fmt_table(f"== old mapper (matching/mapping.py @ {LEGACY_COMMIT}), all firms ==",
                            {mode: metrics(rows, p) for mode, p in lp.items()}))
    if not args.no_learned:
        print()
        print(learned_section(data, clf, rows))
        if args.learned_sweep:
            print()
            print(learned_sweep(data, clf, rows))
    if args.errors:
        print()
        print(errors(rows, preds, args.errors))
    n_scope = args.texts if args.scope_texts is None else args.scope_texts
    if args.texts or n_scope:
        print()
        print(speed(clf, rows, args.texts, n_scope))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
