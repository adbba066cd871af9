"""Tests of chainmap.analysis.relatedness.

Three kinds of evidence:

* the published outputs of the Harvard Growth Lab's Stata ``ecomplexity``
  package on its 2-year x 10-country x 30-product fixture
  (tests/fixtures/ecomplexity, MIT, see ATTRIBUTION.md);
* tiny matrices whose answer is worked out by hand below;
* hypothesis properties, and the PyPI ``ecomplexity`` package where its
  conventions coincide with the reference.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from chainmap.analysis.relatedness import (
    cog,
    coi,
    complexity,
    density,
    diversity,
    eci_pci,
    presence,
    proximity,
    rca,
    ubiquity,
)
from chainmap.exceptions import InvalidInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ecomplexity"
YEARS = (1995, 1996)


# --------------------------------------------------------------------------
# reference fixture


def _trade() -> pd.DataFrame:
    df = pd.read_csv(FIXTURES / "trade_data_sample.csv")
    # the reference run stored export_val as float32; that reproduces its RCA to ~1e-15
    df["export_val"] = df["export_val"].astype(np.float32).astype(np.float64)
    return df


def _wide(df: pd.DataFrame, column: str, year: int) -> pd.DataFrame:
    """One year's column as a sorted origin x hs92 table."""
    part = df[df["year"] == year]
    return part.pivot(index="origin", columns="hs92", values=column).sort_index().sort_index(axis=1)


@pytest.fixture(scope="module")
def reference() -> dict[int, dict[str, object]]:
    """Per year: input matrix, our results and the Stata reference tables."""
    trade = _trade()
    truth = pd.read_csv(FIXTURES / "stata_ground_truth.csv")
    prox = pd.read_csv(FIXTURES / "stata_proximity_discrete_sym.csv")
    out: dict[int, dict[str, object]] = {}
    n = trade["hs92"].nunique()
    for i, year in enumerate(YEARS):
        X = _wide(trade, "export_val", year)
        block = prox.iloc[i * n * n : (i + 1) * n * n]
        phi = block.pivot(index="hs92_1", columns="hs92_2", values="proximity").loc[X.columns, X.columns]
        truth_y = {c: _wide(truth, c, year).loc[X.index, X.columns].to_numpy() for c in truth.columns[4:]}
        out[year] = {"X": X, "res": complexity(X.to_numpy()), "truth": truth_y, "phi": phi.to_numpy()}
    return out


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


@pytest.mark.parametrize("year", YEARS)
def test_reference_rca_presence_counts(reference, year):
    ref = reference[year]
    res, truth = ref["res"], ref["truth"]
    np.testing.assert_allclose(res["rca"], truth["rca"], rtol=1e-9, atol=0)
    np.testing.assert_array_equal(res["M"], truth["M"])
    np.testing.assert_array_equal(res["diversity"], truth["diversity"][:, 0])
    np.testing.assert_array_equal(res["ubiquity"], truth["ubiquity"][0, :])


@pytest.mark.parametrize("year", YEARS)
def test_reference_proximity(reference, year):
    ref = reference[year]
    np.testing.assert_allclose(ref["res"]["proximity"], ref["phi"], rtol=1e-12, atol=1e-15)
    assert np.all(np.diag(ref["phi"]) == 0)


@pytest.mark.parametrize("year", YEARS)
def test_reference_eci_pci(reference, year):
    res, truth = reference[year]["res"], reference[year]["truth"]
    np.testing.assert_allclose(res["eci"], truth["eci"][:, 0], rtol=1e-5)
    np.testing.assert_allclose(res["pci"], truth["pci"][0, :], rtol=1e-5)


@pytest.mark.parametrize("year", YEARS)
def test_reference_density_coi_cog(reference, year):
    res, truth = reference[year]["res"], reference[year]["truth"]
    np.testing.assert_allclose(res["density"], truth["density"], rtol=1e-4)
    np.testing.assert_allclose(res["coi"], truth["coi"][:, 0], rtol=1e-4)
    np.testing.assert_allclose(res["cog"], truth["cog"], rtol=1e-4, atol=1e-12)


@pytest.mark.parametrize("year", YEARS)
def test_reference_through_individual_functions(reference, year):
    """The public step-by-step functions give what complexity() gives."""
    X = reference[year]["X"].to_numpy()
    truth = reference[year]["truth"]
    M = presence(rca(X))
    phi = proximity(M)
    eci, pci, kp = eci_pci(M, return_raw=True)
    np.testing.assert_array_equal(diversity(M), truth["diversity"][:, 0])
    np.testing.assert_array_equal(ubiquity(M), truth["ubiquity"][0, :])
    np.testing.assert_allclose(density(M, phi), truth["density"], rtol=1e-4)
    np.testing.assert_allclose(eci, truth["eci"][:, 0], rtol=1e-5)
    np.testing.assert_allclose(pci, truth["pci"][0, :], rtol=1e-5)
    np.testing.assert_allclose(coi(M, phi, kp), truth["coi"][:, 0], rtol=1e-4)
    np.testing.assert_allclose(cog(M, phi, kp), truth["cog"], rtol=1e-4, atol=1e-12)


@pytest.mark.parametrize("year", YEARS)
def test_reference_sparse_input(reference, year):
    """A scipy.sparse input gives the same results as the dense one."""
    dense = reference[year]["res"]
    res = complexity(sp.csr_array(reference[year]["X"].to_numpy()))
    assert sp.issparse(res["rca"]) and sp.issparse(res["M"])
    for key in ("rca", "M"):
        np.testing.assert_allclose(res[key].toarray(), dense[key], rtol=1e-12)
    for key in ("diversity", "ubiquity", "proximity", "density", "eci", "pci", "coi", "cog"):
        np.testing.assert_allclose(res[key], dense[key], rtol=1e-9, atol=1e-12)


def test_reference_standardisation_is_over_the_long_table(reference):
    """Documents the convention: ECI's mean over locations, sd (ddof=1) over N_c x N_p rows."""
    res, truth = reference[1995]["res"], reference[1995]["truth"]
    n_c, n_p = res["M"].shape
    # PCI and ECI share ECI's statistics: raw kc = (M / k_c) kp, standardised with them
    kc = (res["M"] / res["diversity"][:, None]) @ res["pci_raw"]
    sd_long = np.repeat(kc, n_p).std(ddof=1)
    np.testing.assert_allclose((kc - kc.mean()) / sd_long, truth["eci"][:, 0], rtol=1e-9)
    np.testing.assert_allclose((res["pci_raw"] - kc.mean()) / sd_long, truth["pci"][0], rtol=1e-9)
    # the per-location sd (ddof=1 or 0) does not reproduce the reference
    assert _max_rel((kc - kc.mean()) / kc.std(ddof=1), truth["eci"][:, 0]) > 1e-3
    assert _max_rel((kc - kc.mean()) / kc.std(ddof=0), truth["eci"][:, 0]) > 1e-4
    assert n_c * n_p == 300


# --------------------------------------------------------------------------
# the PyPI ecomplexity package (bench extra)


def test_against_pypi_ecomplexity(reference):
    """Agreement with PyPI ``ecomplexity`` where its conventions coincide with Stata's.

    ecomplexity 0.5.x differs from the Stata reference in two documented ways:
    (1) its proximity keeps a diagonal of 1 (ours and Stata's is 0), which
    changes density, COI and COG; (2) it standardises ECI/PCI/COI with the
    ``ddof=0`` sd over the N_c locations instead of the ``ddof=1`` sd over the
    N_c x N_p long table, so ECI/PCI differ by the constant factor
    ``sqrt((N_c N_p - 1) / (N_c N_p))`` (about 0.17% here).  RCA, M,
    diversity and ubiquity agree exactly; ECI and PCI agree after that factor;
    and feeding our functions its unit-diagonal proximity reproduces its density
    and COG, which pins the difference down to the diagonal convention.
    """
    ecomplexity = pytest.importorskip("ecomplexity", reason="PyPI ecomplexity is a bench extra").ecomplexity
    trade = _trade()
    cols = {"time": "year", "loc": "origin", "prod": "hs92", "val": "export_val"}
    with warnings.catch_warnings():  # the package emits pandas FutureWarnings
        warnings.simplefilter("ignore")
        theirs = ecomplexity(trade, cols, check_logsupermodularity=False, verbose=False)
    for year in YEARS:
        X = reference[year]["X"]
        res = reference[year]["res"]
        t = {
            c: _wide(theirs, c, year).loc[X.index, X.columns].to_numpy()
            for c in ("rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "cog", "coi")
        }
        n_c, n_p = X.shape
        factor = math.sqrt((n_c * n_p - 1) / (n_c * n_p))
        np.testing.assert_allclose(res["rca"], t["rca"], rtol=1e-12)
        np.testing.assert_array_equal(res["M"], t["mcp"])
        np.testing.assert_array_equal(res["diversity"], t["diversity"][:, 0])
        np.testing.assert_array_equal(res["ubiquity"], t["ubiquity"][0])
        np.testing.assert_allclose(res["eci"], t["eci"][:, 0] * factor, rtol=1e-9)
        np.testing.assert_allclose(res["pci"], t["pci"][0] * factor, rtol=1e-9)
        # the documented difference: unit diagonal
        assert _max_rel(res["density"], t["density"]) > 1e-2
        phi1 = res["proximity"].copy()
        np.fill_diagonal(phi1, 1.0)
        np.testing.assert_allclose(density(res["M"], phi1), t["density"], rtol=1e-9)
        kc_sd0 = np.std((res["M"] / res["diversity"][:, None]) @ res["pci_raw"])
        np.testing.assert_allclose(
            cog(res["M"], phi1, res["pci_raw"], normalize=False) / kc_sd0, t["cog"], rtol=1e-9, atol=1e-12
        )


# --------------------------------------------------------------------------
# hand-computed cases


def test_rca_by_hand():
    # totals: rows 4, 4; columns 2, 6; grand 8
    R = rca([[2, 2], [0, 4]])
    np.testing.assert_allclose(
        R, [[(2 / 4) / (2 / 8), (2 / 4) / (6 / 8)], [0, (4 / 4) / (6 / 8)]], rtol=1e-15
    )
    np.testing.assert_array_equal(presence(R), [[1, 0], [0, 1]])


def test_rca_zero_rows_and_columns_are_zero_not_nan():
    R = rca([[0, 0, 0], [1, 0, 3], [2, 0, 2]])
    assert np.isfinite(R).all()
    assert (R[0] == 0).all() and (R[:, 1] == 0).all()
    np.testing.assert_array_equal(rca(np.zeros((2, 2))), np.zeros((2, 2)))


def test_presence_threshold_is_inclusive():
    np.testing.assert_array_equal(presence([[1.0, 0.999999], [2.5, 0.0]]), [[1, 0], [1, 0]])
    np.testing.assert_array_equal(presence([[1.0, 2.0]], threshold=2), [[0, 1]])


# M3: three locations x three activities
#   loc0: a b .      ubiquity k = (3, 2, 2)
#   loc1: a . c      co-occurrence C_ab = 2, C_ac = 2, C_bc = 1
#   loc2: a b c      phi = C / max(k, k'): ab = 2/3, ac = 2/3, bc = 1/2
M3 = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=float)
PHI3 = np.array([[0, 2 / 3, 2 / 3], [2 / 3, 0, 1 / 2], [2 / 3, 1 / 2, 0]])


def test_counts_by_hand():
    np.testing.assert_array_equal(diversity(M3), [2, 2, 3])
    np.testing.assert_array_equal(ubiquity(M3), [3, 2, 2])
    assert diversity(M3).dtype == np.int64


def test_proximity_by_hand():
    np.testing.assert_allclose(proximity(M3), PHI3, rtol=1e-15)


def test_density_by_hand():
    # row sums of phi: a 4/3, b 7/6, c 7/6
    # loc0 (a b .): a (2/3)/(4/3) = 1/2, b (2/3)/(7/6) = 4/7, c (2/3 + 1/2)/(7/6) = 1
    # loc1 (a . c): a 1/2, b (2/3 + 1/2)/(7/6) = 1, c 4/7; loc2 has everything: 1
    expected = [[1 / 2, 4 / 7, 1], [1 / 2, 1, 4 / 7], [1, 1, 1]]
    np.testing.assert_allclose(density(M3, PHI3), expected, rtol=1e-15)


def test_density_with_isolated_activity_is_zero():
    M = [[1, 0], [1, 0]]
    np.testing.assert_array_equal(density(M, proximity(M)), [[0, 0], [0, 0]])


def test_eci_pci_by_hand():
    # M = [[1, 1], [1, 0]]: M~_pp' = [[3/4, 1/4], [1/2, 1/2]], eigenvalues 1 and 1/4;
    # for 1/4: kp ~ (-1, 2)/sqrt(5), kc = (M/k_c) kp = (1/2, -1)/sqrt(5) (sign: ECI ~ diversity)
    # mean kc = -1/(4 sqrt(5)), long sd^2 = 2 * (2 * (3/4)^2 / 5) / (4 - 1) = 0.15
    eci, pci, kp = eci_pci([[1, 1], [1, 0]], return_raw=True)
    r3 = math.sqrt(3)
    np.testing.assert_allclose(kp, np.array([-1, 2]) / math.sqrt(5), rtol=1e-12)
    np.testing.assert_allclose(eci, [r3 / 2, -r3 / 2], rtol=1e-12)
    np.testing.assert_allclose(pci, [-r3 / 2, 3 * r3 / 2], rtol=1e-12)
    # phi = [[0, 1/2], [1/2, 0]]; density loc1 = (0, 1); raw COI = (0, 2/sqrt(5)) -> +-sqrt(3)/2
    np.testing.assert_allclose(
        coi([[1, 1], [1, 0]], proximity([[1, 1], [1, 0]]), kp), [-r3 / 2, r3 / 2], rtol=1e-12
    )


def test_coi_cog_by_hand():
    # M: loc0 has a, loc1 has b, loc2 has a b c; ubiquity (2, 2, 1), all pairs co-occur once
    # phi = 1/2 off the diagonal, row sums 1; with kp = (1, 2, 3):
    # COG_cp = (1 - M_cp) sum_{p' absent} phi_p'p kp_p' / 1
    M = [[1, 0, 0], [0, 1, 0], [1, 1, 1]]
    phi = proximity(M)
    np.testing.assert_allclose(phi, [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    kp = [1.0, 2.0, 3.0]
    expected_cog = [[0, 0.5 * 3, 0.5 * 2], [0.5 * 3, 0, 0.5 * 1], [0, 0, 0]]
    np.testing.assert_allclose(cog(M, phi, kp, normalize=False), expected_cog, rtol=1e-15)
    # density loc0 = (0, .5, .5), loc1 = (.5, 0, .5); raw COI = (.5*2 + .5*3, .5*1 + .5*3, 0)
    raw = np.array([2.5, 2.0, 0.0])
    np.testing.assert_allclose(coi(M, phi, kp, normalize=False), raw, rtol=1e-15)
    dev = raw - raw.mean()
    sd_long = math.sqrt(3 * np.sum(dev**2) / (9 - 1))
    np.testing.assert_allclose(coi(M, phi, kp), dev / sd_long, rtol=1e-12)
    np.testing.assert_allclose(coi(M, phi, kp, density=density(M, phi)), dev / sd_long, rtol=1e-12)


def test_zero_diversity_location_gets_nan_and_does_not_change_others():
    X = np.array([[5, 1, 0, 1], [4, 1, 1, 0], [0, 3, 2, 2], [1, 0, 3, 3]], dtype=float)
    with_empty = np.vstack([X, np.zeros(4)])
    full, base = complexity(with_empty), complexity(X)
    assert np.isnan(full["eci"][-1]) and np.isnan(full["coi"][-1])
    np.testing.assert_allclose(full["eci"][:-1], base["eci"], rtol=1e-12)
    np.testing.assert_allclose(full["pci"], base["pci"], rtol=1e-12)
    np.testing.assert_allclose(full["coi"][:-1], base["coi"], rtol=1e-12)
    np.testing.assert_allclose(full["cog"][:-1], base["cog"], rtol=1e-12, atol=1e-15)


def test_rca_of_tiny_values_is_finite():
    np.testing.assert_array_equal(rca([[5e-324]]), [[1.0]])
    np.testing.assert_array_equal(rca(sp.csr_array(np.array([[5e-324, 0.0]]))).toarray(), [[1.0, 0.0]])


def test_identical_locations_give_nan_eci_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eci, pci = eci_pci([[1, 1], [1, 1]])
    assert not np.isfinite(eci).any()


def test_zero_ubiquity_activity_gets_nan_pci():
    M = np.array([[1, 1, 0, 0], [1, 0, 0, 1], [1, 1, 0, 1]], dtype=float)
    eci, pci, kp = eci_pci(M, return_raw=True)
    assert np.isnan(pci[2]) and np.isnan(kp[2]) and np.isfinite(eci).all()
    e2, p2 = eci_pci(np.delete(M, 2, axis=1))
    np.testing.assert_allclose(eci, e2, rtol=1e-12)
    np.testing.assert_allclose(np.delete(pci, 2), p2, rtol=1e-12)
    assert np.isfinite(cog(M, proximity(M), kp)).all()


# --------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    ("func", "bad", "name", "fragment"),
    [
        (rca, [[1, -2], [3, 4]], "X", "non-negative"),
        (rca, [1, 2, 3], "X", "2-D"),
        (rca, np.ones((2, 2, 2)), "X", "2-D"),
        (rca, np.zeros((0, 3)), "X", "empty"),
        (rca, [[]], "X", "empty"),
        (rca, [[1, np.nan]], "X", "finite"),
        (rca, [["a", "b"]], "X", "numeric"),
        (rca, sp.csr_array(np.array([[1.0, -1.0]])), "X", "non-negative"),
        (presence, [[-1.0]], "R", "non-negative"),
        (diversity, [[1, 2]], "M", "binary"),
        (ubiquity, [1, 0], "M", "2-D"),
        (proximity, [[0.5, 1]], "M", "binary"),
        (proximity, np.zeros((3, 0)), "M", "empty"),
        (eci_pci, [[1, 1], [0, 0]], "M", "at least 2"),
        (eci_pci, [[1, -1], [1, 1]], "M", "non-negative"),
    ],
)
def test_invalid_matrix_names_the_parameter(func, bad, name, fragment):
    with pytest.raises(InvalidInput) as info:
        func(bad)
    assert info.value.context["field"] == name
    assert str(info.value).startswith(f"{name}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize("threshold", [0, -1, math.nan, math.inf, True, "1"])
def test_invalid_threshold(threshold):
    with pytest.raises(InvalidInput, match="threshold") as info:
        presence([[1.0]], threshold=threshold)
    assert info.value.context["field"] == "threshold"
    with pytest.raises(InvalidInput, match="threshold"):
        complexity([[1.0, 2.0], [3.0, 4.0]], threshold=threshold)


def test_invalid_phi_and_pci_raw():
    with pytest.raises(InvalidInput, match="phi") as info:
        density(M3, np.zeros((2, 2)))
    assert info.value.context["field"] == "phi"
    with pytest.raises(InvalidInput, match="phi"):
        density(M3, -PHI3)
    with pytest.raises(InvalidInput, match="pci_raw") as info:
        cog(M3, PHI3, [1.0, 2.0])
    assert info.value.context["field"] == "pci_raw"
    with pytest.raises(InvalidInput, match="pci_raw"):
        coi(M3, PHI3, [1.0, math.inf, 0.0])
    with pytest.raises(InvalidInput, match="density"):
        coi(M3, PHI3, [1.0, 2.0, 3.0], density=np.zeros((2, 3)))


def test_inputs_are_not_modified():
    X = np.array([[1.0, 2.0], [3.0, 0.0]])
    S = sp.csr_array(X)
    complexity(X)
    complexity(S)
    np.testing.assert_array_equal(X, [[1, 2], [3, 0]])
    np.testing.assert_array_equal(S.toarray(), X)


# --------------------------------------------------------------------------
# properties

binary_matrices = arrays(
    np.float64,
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    elements=st.sampled_from([0.0, 1.0]),
)
value_matrices = arrays(
    np.float64,
    st.tuples(st.integers(1, 8), st.integers(1, 8)),
    # zero or a magnitude range where RCA cannot overflow (it is ~ max/min value)
    elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e6)),
)


@settings(max_examples=200, deadline=None)
@given(binary_matrices)
def test_proximity_symmetric_zero_diagonal_in_unit_interval(M):
    phi = proximity(M)
    assert phi.shape == (M.shape[1], M.shape[1])
    np.testing.assert_array_equal(phi, phi.T)
    assert (np.diag(phi) == 0).all()
    assert ((phi >= 0) & (phi <= 1)).all()


@settings(max_examples=200, deadline=None)
@given(binary_matrices)
def test_density_in_unit_interval(M):
    omega = density(M, proximity(M))
    assert omega.shape == M.shape
    assert ((omega >= 0) & (omega <= 1 + 1e-12)).all()


@settings(max_examples=100, deadline=None)
@given(value_matrices, st.floats(1e-3, 1e3))
def test_rca_is_scale_free_and_never_nan(X, scale):
    R = rca(X)
    assert np.isfinite(R).all() and (R >= 0).all()
    np.testing.assert_allclose(rca(X * scale), R, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(rca(sp.csr_array(X)).toarray(), R, rtol=1e-12, atol=1e-15)


@settings(max_examples=100, deadline=None)
@given(binary_matrices)
def test_eci_correlates_non_negatively_with_diversity(M):
    kc0, kp0 = M.sum(axis=1), M.sum(axis=0)
    if (kc0 > 0).sum() < 2 or (kp0 > 0).sum() < 2:
        with pytest.raises(InvalidInput):
            eci_pci(M)
        return
    eci, pci = eci_pci(M)
    valid = kc0 > 0
    if np.isnan(eci[valid]).all():  # degenerate: every location has the same raw ECI
        return
    assert np.isnan(eci[~valid]).all() and np.isnan(pci[kp0 == 0]).all()
    d, e = kc0[valid], eci[valid]
    assert float(np.dot(d - d.mean(), e - e.mean())) >= -1e-9
