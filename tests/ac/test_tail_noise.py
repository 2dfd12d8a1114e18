"""Noise measured on the tail of Matsubara data: scale, exact parts, correlation, verdict.

The self-energies here are built in this file (quasiparticle part + asymmetric
Hubbard-like bands, not the shapes of :mod:`specinv.ac` or of test_selfenergy), with
noise correlated between neighbouring frequencies and an error column given as the error
of the complex value (√2 × the error of each part), as in the ana_cont w2dynamics files.
"""

from __future__ import annotations

import numpy as np
import pytest

import specinv.ac.tail_noise as tn
from specinv.ac.cli import AC_DEFAULTS
from specinv.ac.selfenergy import continue_self_energy
from specinv.ac.tail_whiten import ar_filter
from specinv.core.check import RUNS_Z
from specinv.io.qmc import ContinuationInput

BETA, RHO = 20.0, 0.7
X = np.linspace(-30.0, 30.0, 30001)


def _gauss(c: float, w: float) -> np.ndarray:
    return np.exp(-0.5 * ((X - c) / w) ** 2) / (w * np.sqrt(2 * np.pi))


def sigma_spectrum() -> np.ndarray:
    """σ_Σ(x) of unit weight: bands at −1.8 and +3.0 and a Fermi-liquid part ∝ x² at 0."""
    fl = X**2 * np.exp(-0.5 * (X / 0.6) ** 2) * (1 + 0.5 * np.tanh(X))
    s = 0.3 * _gauss(-1.8, 0.5) + 0.55 * _gauss(3.0, 1.1) + 0.15 * fl / np.trapezoid(fl, X)
    return s / np.trapezoid(s, X)


def ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance AR(1) series with lag-1 autocorrelation ``rho``."""
    e, u = rng.standard_normal(n), np.empty(n)
    u[0] = e[0]
    for i in range(1, n):
        u[i] = rho * u[i - 1] + np.sqrt(1 - rho**2) * e[i]
    return u


def simulated(n: int, noise: float, rho: float, seed: int):
    """Σ(iω_n) = 1 + 2∫σ(x)/(iω_n − x)dx + correlated noise; returns wn, Σ, σ(x)."""
    wn = np.pi / BETA * (2 * np.arange(n) + 1)
    s = sigma_spectrum()
    exact = 1.0 + 2.0 * np.trapezoid(s / (1j * wn[:, None] - X), X, axis=1)
    rng = np.random.default_rng(seed)
    return wn, exact + noise * (ar1(n, rho, rng) + 1j * ar1(n, rho, rng)), s


def _l1(r, s: np.ndarray) -> float:
    truth = np.interp(r.omega, X, s)
    return float(np.sum(np.abs(r.result.spectrum - truth) * r.result.mesh.weights))


def test_durbin_levinson_and_the_filter_whiten_an_ar2_exactly():
    phi = np.array([0.5, 0.3])  # a stationary AR(2)
    rho = [1.0, phi[0] / (1 - phi[1])]
    for _ in range(30):
        rho.append(phi[0] * rho[-1] + phi[1] * rho[-2])
    acf = np.array(rho)
    coef, v = tn.durbin_levinson(acf[:3])
    assert np.allclose(coef[2], phi, atol=1e-12)
    assert np.all(np.diff(v) <= 0)
    model = tn.TailNoise(1.0, 1.0, False, coef[2], acf[1:3], acf[1], 0.0, 0, False, 25)
    r = ar_filter(model, 25).toarray()
    toeplitz = acf[np.abs(np.subtract.outer(np.arange(25), np.arange(25)))]
    assert np.allclose(r @ toeplitz @ r.T, np.eye(25), atol=1e-10)


def _two_poles(wn: np.ndarray, shift: float) -> np.ndarray:
    return 0.5 / (1j * wn - 1.0 - shift) + 0.5 / (1j * wn + 1.0)


def test_scale_and_correlation_measured_on_the_tail():
    beta, n, noise = 10.0, 4000, 1e-4
    wn = np.pi / beta * (2 * np.arange(n) + 1)
    rng = np.random.default_rng(3)
    g = _two_poles(wn, 0.3) + noise * (ar1(n, RHO, rng) + 1j * ar1(n, RHO, rng))
    m = tn.tail_noise(wn, g.real, g.imag, np.full(n, np.sqrt(2) * noise), beta)
    # 2 × 2000 residuals of an AR(1) with ρ = 0.7: effective count 4000 (1 − ρ)/(1 + ρ)
    # = 706, so the scale's standard error is 1/√(2·706) = 2.7 %; 4 of them allowed
    eff = 2 * (n // 2) * (1 - RHO) / (1 + RHO)
    tol = 4 / np.sqrt(2 * eff)
    assert m.rescaled and not m.exact_re
    assert abs(m.scale_re * np.sqrt(2) - 1) < tol and abs(m.scale_im * np.sqrt(2) - 1) < tol
    assert abs(m.lag1 - RHO) < 4 * (1 - RHO**2) / np.sqrt(eff)
    assert m.ar.size >= 1 and abs(m.ar[0] - RHO) < 0.1


def test_exact_real_part_and_independent_noise():
    beta, n, noise = 10.0, 1000, 1e-4
    wn = np.pi / beta * (2 * np.arange(n) + 1)
    g = _two_poles(wn, 0.0)  # particle-hole symmetric: Re g = 0 up to round-off
    g = g.real + 1j * (g.imag + noise * np.random.default_rng(5).standard_normal(n))
    m = tn.tail_noise(wn, g.real, g.imag, np.full(n, noise), beta)
    assert m.exact_re and not m.rescaled  # the error column is right for Im
    assert abs(m.lag1) < 4 / np.sqrt(m.n_points)
    # solvers on the Matsubara kernel's own points cannot lose the Re rows: no model
    data = ContinuationInput(wn, g.real.copy(), g.imag.copy(), np.full(n, noise))
    assert tn.measure(data, beta, "maxent")[0] is not None
    assert tn.measure(data, beta, "aaa") == (None, None)


def test_no_model_from_short_or_gapped_data():
    beta = 10.0
    wn = np.pi / beta * (2 * np.arange(100) + 1)
    g = _two_poles(wn, 0.3)
    assert tn.tail_noise(wn, g.real, g.imag, None, beta) is None  # 50 < 64 tail points
    wn2 = np.pi / beta * (2 * np.arange(0, 600, 2) + 1)  # every other frequency
    g2 = _two_poles(wn2, 0.3)
    assert tn.tail_noise(wn2, g2.real, g2.imag, None, beta) is None


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_correlated_self_energy_gets_an_ok_verdict_and_the_same_answer(monkeypatch):
    """The command's defaults on Σ with AR(1) noise (ρ = 0.7) and a complex error column.

    Without the noise model the check reports structure (the issue's real-data symptom)
    and χ²/N ≈ 0.5; with it the verdict is ok, and σ(ω) stays as close to the known one
    as the continuation with the correct error bars of each part (within 10 %).
    """
    noise, n = 2e-4, 600
    wn, s_iw, s = simulated(n, noise, RHO, seed=11)
    opts = AC_DEFAULTS["maxent"]
    r = continue_self_energy(wn, s_iw, np.full(n, np.sqrt(2) * noise), BETA, options=opts)
    c = r.result.check
    assert c.verdict == "ok", c.reasons
    assert 0.5 <= c.chi2_reduced <= 2.0 and c.runs_z > -RUNS_Z
    assert c.details["independent_residuals"]["runs_z"] < -RUNS_Z  # the structure it explains
    monkeypatch.setattr(tn, "tail_noise", lambda *a, **k: None)  # measure() → no model
    base = continue_self_energy(wn, s_iw, np.full(n, noise), BETA, options=opts)
    assert base.result.check.runs_z < -RUNS_Z  # correlated noise, judged as independent
    assert _l1(r, s) <= 1.1 * _l1(base, s)


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_a_stitched_tail_is_refused_and_the_verdict_says_so():
    # QMC noise on the first 100 frequencies, then the exact function (a fitted tail, as
    # in iQIST's output), and no error column: the tail scatters by ~1e-12 of the
    # roughness of the lower frequencies (with an error column the stitch is located and
    # cut instead: tests/ac/test_stitch.py)
    noise, n = 2e-4, 400
    wn, s_iw, _ = simulated(n, noise, 0.0, seed=2)
    exact = simulated(n, 0.0, 0.0, seed=2)[1]
    s_iw[100:] = exact[100:]
    r = continue_self_energy(wn, s_iw, None, BETA, options=AC_DEFAULTS["maxent"])
    assert "correlated" not in r.setup.problem.info  # no model from that tail
    first = r.result.check.reasons[0]
    assert first.startswith("warn: the upper half of the frequencies") and "stitched" in first
    assert r.result.check.details["tail_stitch"] is True
