"""Stitched tails located and cut (ac/stitch.py); the data's own scatter (ac/scatter.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.ac.cli import AC_DEFAULTS
from specinv.ac.scatter import OVERSTATED, point_scatter, report_overstated
from specinv.ac.selfenergy import continue_self_energy
from specinv.ac.stitch import (
    DROP,
    NOISE_LEVEL,
    WINDOW,
    cut_at_stitch,
    locate_stitch,
    measured_noise,
)
from specinv.cli.main import main
from specinv.core.check import Check

GIW_BETA = 10.0


def ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance AR(1) series with lag-1 autocorrelation ``rho``."""
    e, u = rng.standard_normal(n), np.empty(n)
    u[0] = e[0]
    for i in range(1, n):
        u[i] = rho * u[i - 1] + np.sqrt(1 - rho**2) * e[i]
    return u


def _giw(n: int, noise: float, rho: float, seed: int):
    """G(iω_n) of two Gaussian bands (β = 10) with AR(1) noise of error ``noise``."""
    wn = np.pi / GIW_BETA * (2 * np.arange(n) + 1)
    x = np.linspace(-8, 8, 4001)
    a = np.exp(-0.5 * ((x - 1.2) / 0.6) ** 2) + 0.7 * np.exp(-0.5 * ((x + 1.5) / 0.9) ** 2)
    a /= np.trapezoid(a, x)
    exact = np.trapezoid(a / (1j * wn[:, None] - x), x, axis=1)
    rng = np.random.default_rng(seed)
    return wn, exact, exact + noise * (ar1(n, rho, rng) + 1j * ar1(n, rho, rng))


@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_no_stitch_in_noisy_or_exact_data(rho):
    for seed in range(4):
        wn, exact, g = _giw(1000, 1e-4, rho, seed)
        assert locate_stitch(wn, g.real, g.imag, np.full(wn.size, 1e-4)) is None
    # noise-free data with an error column: the curve decays smoothly, no stitch
    assert locate_stitch(wn, exact.real, exact.imag, np.full(wn.size, 1e-4)) is None
    assert locate_stitch(wn, g.real, g.imag, None) is None


@pytest.mark.parametrize("at", [100, 250, 20])
def test_stitch_located_at_the_first_fitted_frequency(at):
    wn, exact, g = _giw(1000, 1e-4, 0.3, seed=1)
    g[at:] = exact[at:]
    s = locate_stitch(wn, g.real, g.imag, np.full(wn.size, 1e-4))
    if at < 2 * WINDOW:  # too few measured frequencies below it to judge a drop
        assert s is None or s.index == 2 * WINDOW
        return
    assert s.index == at and s.n_total == 1000 and s.omega == wn[at]
    assert s.measured_scatter > NOISE_LEVEL and s.stitched_scatter < DROP * s.measured_scatter


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_self_energy_cut_at_its_stitch_fits_the_measured_frequencies():
    noise, n = 2e-4, 400
    wn, exact, g = _giw(n, noise / 2, 0.0, seed=2)
    s_iw = 1.0 + 2.0 * np.where(np.arange(n) < 100, g, exact)  # Σ∞ = 1, Σ₁ = 2
    r = continue_self_energy(wn, s_iw, np.full(n, noise), GIW_BETA,
                             options=AC_DEFAULTS["maxent"])
    c = r.result.check
    assert c.details["stitch"]["index"] == 100 and c.details["stitch"]["n_dropped"] == 300
    assert r.setup.problem.data.size == 2 * 100
    assert "tail_stitch" not in c.details and c.verdict == "ok", c.reasons
    assert any("stitched at" in note for note in r.setup.notes)


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_cli_g_iw_with_a_stitched_tail(tmp_path, capsys):
    wn, exact, g = _giw(1000, 2e-4, 0.0, seed=3)
    g[160:] = exact[160:]
    path = tmp_path / "giw.dat"
    np.savetxt(path, np.c_[wn, g.real, g.imag, np.full(wn.size, 2e-4)])
    out = tmp_path / "a.csv"
    code = main(["ac", "continue", str(path), "--kernel", "fermionic-matsubara", "--beta",
                 str(GIW_BETA), "--output", str(out)])
    text = capsys.readouterr().out
    meta = json.loads(out.with_suffix(".json").read_text())
    assert code == 0 and meta["check"]["verdict"] == "ok", meta["check"]["reasons"]
    assert meta["check"]["details"]["stitch"]["index"] == 160
    assert "stitched at ω_n" in text and "840 dropped" in text
    assert 0.5 <= meta["check"]["chi2_reduced"] <= 2.0


def test_point_scatter_measures_the_noise_between_neighbours():
    tau = np.linspace(0, 5, 2001)
    rng = np.random.default_rng(4)
    curve = -np.exp(-tau) - 0.3 * np.exp(-2.5 * tau)
    err = np.full(tau.size, 1e-4)
    s = point_scatter(tau, [curve + 1e-4 * rng.standard_normal(tau.size)], err)
    # median of |N(0,1)| over 1997 points: standard error 1.25/√1997 of the scale, 5 allowed
    assert abs(s - 1.0) < 5 * 1.25 / np.sqrt(tau.size)
    assert point_scatter(tau[::-1] ** 2, [curve], err) is None  # non-uniform grid


def test_overstated_errors_become_the_first_reason():
    tau = np.linspace(0, 5, 501)
    y = -np.exp(-tau) + 1e-4 * np.random.default_rng(6).standard_normal(tau.size)
    check = Check("warn", ["warn: chi2/N < 0.5: ..."], 0.05, "given", 1e-3, 0.0, 0.0, y)
    report_overstated(check, tau, [y], np.full(tau.size, 1e-3), "supply the covariance")
    s = check.details["point_scatter"]
    assert s < OVERSTATED and abs(1 / s - 10) < 10 * 5 * 1.25 / np.sqrt(tau.size)
    assert check.reasons[0].startswith("warn: the error column is") and check.verdict == "warn"
    assert "overstated: omit the column" in check.reasons[0]  # lag-1 0: independent
    corr = Check("warn", [], 0.05, "given", 1e-3, 0.0, 0.9, y)
    report_overstated(corr, tau, [y], np.full(tau.size, 1e-3), "supply the covariance")
    first = corr.reasons[0]
    assert "correlated (lag-1 0.9)" in first and "supply the covariance" in first
    fine = Check("ok", [], 1.0, "given", 1e-4, 0.0, 0.0, y)
    report_overstated(fine, tau, [y], np.full(tau.size, 1e-4), "supply the covariance")
    assert fine.reasons == [] and "point_scatter" not in fine.details


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_white_noise_g_iw_answer_unchanged_by_the_measured_noise():
    from specinv.ac.continuation import continue_data
    from specinv.io.qmc import ContinuationInput

    wn, _, g = _giw(1000, 1e-4, 0.0, seed=0)
    data = ContinuationInput(wn, g.real, g.imag, np.full(wn.size, 1e-4))
    m = measured_noise(*cut_at_stitch(data), beta=GIW_BETA)
    assert m.stitch is None and m.reason is None
    assert not m.model.rescaled and m.model.ar.size == 0  # independent, right column
    kw = {"options": AC_DEFAULTS["maxent"], "default_model": "gaussian"}
    plain = continue_data(data, "fermionic-matsubara", GIW_BETA, **kw)[1]
    model = continue_data(data, "fermionic-matsubara", GIW_BETA, noise_model=m.model, **kw)[1]
    assert np.array_equal(plain.spectrum, model.spectrum)
    assert model.check.chi2_reduced == pytest.approx(plain.check.chi2_reduced, rel=1e-12)
