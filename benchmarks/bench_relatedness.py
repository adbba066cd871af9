"""Benchmark chainmap.analysis.relatedness against the PyPI ``ecomplexity`` package.

For each size (locations x activities) a random sparse-ish non-negative matrix
is built with a fixed seed; our full pipeline (:func:`complexity`: RCA, M,
proximity, density, ECI/PCI, COI/COG) and ``ecomplexity.ecomplexity()`` on
the same data as a long DataFrame (which computes its proximity internally)
are timed alternately, median of 3 runs each.  Then both are compared with the
published Stata outputs in tests/fixtures/ecomplexity (max relative error per
quantity).

    python benchmarks/bench_relatedness.py --quick   # 100x500 and 500x2000 only
    python benchmarks/bench_relatedness.py           # also 2000x5000 (the PyPI package needs many minutes)

``run(quick)`` returns the rows (dicts with ``kind`` "timing" or "agreement").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SIZES: list[tuple[int, int]] = [(100, 500), (500, 2000), (2000, 5000)]
QUICK_SIZES = SIZES[:2]
SEED = 20240601
REPEATS = 3
FILL = 0.3  # share of non-zero cells
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ecomplexity"
QUANTITIES = ("rca", "M", "diversity", "ubiquity", "proximity", "density", "eci", "pci", "coi", "cog")
_PYPI_COLUMN = {"M": "mcp"}


def make_matrix(n_locations: int, n_activities: int, seed: int = SEED) -> np.ndarray:
    """Random non-negative matrix, ~FILL non-zero, every row and column non-zero."""
    rng = np.random.default_rng(seed)
    X = rng.lognormal(mean=0.0, sigma=2.0, size=(n_locations, n_activities))
    X *= rng.random((n_locations, n_activities)) < FILL
    X[np.arange(n_locations), np.arange(n_locations) % n_activities] += 1.0
    X[np.arange(n_activities) % n_locations, np.arange(n_activities)] += 1.0
    return X


def _long(X: np.ndarray) -> Any:
    import pandas as pd

    n_loc, n_act = X.shape
    return pd.DataFrame(
        {
            "year": 0,
            "loc": np.repeat(np.arange(n_loc), n_act),
            "prod": np.tile(np.arange(n_act), n_loc),
            "val": X.ravel(),
        }
    )


_COLS = {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}


def _pypi() -> Callable[..., Any] | None:
    try:
        from ecomplexity import ecomplexity
    except ImportError:
        return None
    return ecomplexity


def _run_pypi(ecomplexity: Callable[..., Any], df: Any, cols: dict[str, str]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ecomplexity(df, cols, check_logsupermodularity=False, verbose=False)


def _time(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def time_size(n_locations: int, n_activities: int, repeats: int = REPEATS) -> dict[str, Any]:
    """Median wall time of ours and the PyPI package (alternating runs) on one size."""
    from chainmap.analysis.relatedness import complexity

    X = make_matrix(n_locations, n_activities)
    ecomplexity = _pypi()
    df = _long(X) if ecomplexity is not None else None
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        ours.append(_time(lambda: complexity(X)))
        if ecomplexity is not None:
            theirs.append(_time(lambda: _run_pypi(ecomplexity, df, _COLS)))
    ours_s = statistics.median(ours)
    theirs_s = statistics.median(theirs) if theirs else None
    return {
        "kind": "timing",
        "bench": "relatedness",
        "case": f"{n_locations}x{n_activities}",
        "nnz_share": float(np.count_nonzero(X) / X.size),
        "ours_s": ours_s,
        "ecomplexity_s": theirs_s,
        "ratio": theirs_s / ours_s if theirs_s is not None else None,
        "repeats": repeats,
    }


def _max_rel(a: np.ndarray, b: np.ndarray, *, off_diagonal: bool = False) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    err = np.abs(a - b) / np.maximum(np.abs(b), 1e-12)
    if off_diagonal:
        err = err[~np.eye(err.shape[0], dtype=bool)]
    return float(np.max(err))


def _reference_tables() -> tuple[Any, Any, Any]:
    import pandas as pd

    trade = pd.read_csv(FIXTURES / "trade_data_sample.csv")
    # the reference run stored export_val as float32 (see PROVENANCE.md)
    trade["export_val"] = trade["export_val"].astype(np.float32).astype(np.float64)
    truth = pd.read_csv(FIXTURES / "stata_ground_truth.csv")
    prox = pd.read_csv(FIXTURES / "stata_proximity_discrete_sym.csv")
    return trade, truth, prox


def _wide(df: Any, column: str, year: int, index: Any, columns: Any) -> np.ndarray:
    part = df[df["year"] == year].pivot(index="origin", columns="hs92", values=column)
    return part.loc[index, columns].to_numpy()


def agreement() -> list[dict[str, Any]]:
    """Max relative error vs the Stata reference, per quantity, ours and PyPI (both years)."""
    from chainmap.analysis.relatedness import complexity

    trade, truth, prox = _reference_tables()
    ecomplexity = _pypi()
    theirs = None
    pypi_prox = None
    cols = {"time": "year", "loc": "origin", "prod": "hs92", "val": "export_val"}
    if ecomplexity is not None:
        theirs = _run_pypi(ecomplexity, trade, cols)
        from ecomplexity import proximity as pypi_proximity

        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # it prints each year
            warnings.simplefilter("ignore")
            pypi_prox = pypi_proximity(trade, cols)
    errors: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    errors_pypi: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    n = trade["hs92"].nunique()
    for i, year in enumerate(sorted(trade["year"].unique())):
        X = trade[trade["year"] == year].pivot(index="origin", columns="hs92", values="export_val")
        X = X.sort_index().sort_index(axis=1)
        res = complexity(X.to_numpy())
        block = prox.iloc[i * n * n : (i + 1) * n * n]
        phi_ref = block.pivot(index="hs92_1", columns="hs92_2", values="proximity").loc[X.columns, X.columns]
        ref = {q: _wide(truth, q, year, X.index, X.columns) for q in QUANTITIES if q != "proximity"}
        ref["proximity"] = phi_ref.to_numpy()
        ours = dict(res)
        ours["diversity"] = res["diversity"][:, None]
        ours["eci"] = res["eci"][:, None]
        ours["coi"] = res["coi"][:, None]
        for q in QUANTITIES:
            target, mine = ref[q], ours[q]
            if q in ("diversity", "eci", "coi"):
                target = target[:, :1]
            elif q in ("ubiquity", "pci"):
                target = target[0]
            errors[q].append(_max_rel(mine, target))
            if q == "proximity":  # ours has Stata's zero diagonal; PyPI's (1) is compared off it
                assert np.all(np.diag(mine) == 0) and np.all(np.diag(target) == 0)
            if theirs is not None:
                if q == "proximity":
                    p = pypi_prox[pypi_prox["year"] == year]
                    got = p.pivot(index="hs92_1", columns="hs92_2", values="proximity")
                    got = got.loc[X.columns, X.columns].to_numpy()
                else:
                    got = _wide(theirs, _PYPI_COLUMN.get(q, q), year, X.index, X.columns)
                    if q in ("diversity", "eci", "coi"):
                        got = got[:, :1]
                    elif q in ("ubiquity", "pci"):
                        got = got[0]
                errors_pypi[q].append(_max_rel(got, target, off_diagonal=q == "proximity"))
    return [
        {
            "kind": "agreement",
            "bench": "relatedness",
            "case": "stata-fixture",
            "quantity": q,
            "ours_max_rel": max(errors[q]),
            "ecomplexity_max_rel": max(errors_pypi[q]) if errors_pypi[q] else None,
        }
        for q in QUANTITIES
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """All rows: one timing row per size, then one agreement row per quantity."""
    sizes = QUICK_SIZES if quick else SIZES
    rows = []
    for n_loc, n_act in sizes:
        rows.append(time_size(n_loc, n_act))
        print(f"  timed {rows[-1]['case']}", file=sys.stderr, flush=True)  # progress: 2000x5000 takes long
    rows.extend(agreement())
    return rows


def _fmt(x: float | None, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def print_rows(rows: list[dict[str, Any]]) -> None:
    timing = [r for r in rows if r["kind"] == "timing"]
    if timing:
        print(f"relatedness pipeline, median of {timing[0]['repeats']} alternating runs (seconds)")
        print(f"{'size':>12} {'nnz':>5} {'chainmap':>10} {'ecomplexity':>12} {'speed-up':>9}")
        for r in timing:
            print(
                f"{r['case']:>12} {r['nnz_share']:>5.2f} {r['ours_s']:>10.3f} "
                f"{_fmt(r['ecomplexity_s'], '.3f'):>12} {_fmt(r['ratio'], '.1f'):>9}"
            )
    agree = [r for r in rows if r["kind"] == "agreement"]
    if agree:
        print("\nagreement with the Stata ecomplexity reference (max relative error, both years)")
        print(f"{'quantity':>10} {'chainmap':>10} {'ecomplexity':>12}")
        for r in agree:
            theirs = _fmt(r["ecomplexity_max_rel"], ".1e")
            print(f"{r['quantity']:>10} {r['ours_max_rel']:>10.1e} {theirs:>12}")
        print(
            "(ecomplexity 0.5.x keeps a proximity diagonal of 1 (Stata and chainmap: 0; its proximity is\n"
            " compared off the diagonal) -> density/COI/COG differ; it standardises ECI/PCI/COI with the\n"
            " ddof=0 sd over locations instead of the ddof=1 sd over the long table -> ECI/PCI ~0.17% off)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two smaller sizes")
    args = parser.parse_args(argv)
    print_rows(run(args.quick))


if __name__ == "__main__":
    main()
