"""Nevanlinna continuation: Pick criterion, exact interpolation, causality, recovery."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv import Mesh, ParameterError, Problem, solve
from specinv.kernels.matsubara import FermionicMatsubaraKernel
from specinv.solvers.nevanlinna import _ng, tail_norm
from specinv.solvers.nevanlinna_core import abcd, pick_count, schur_phis

BETA = 10.0
WN = np.pi * (2 * np.arange(30) + 1) / BETA
FINE = np.linspace(-8.0, 8.0, 40001)


def _two_peaks(x: np.ndarray) -> np.ndarray:
    a = np.exp(-((x - 1.5) ** 2) / 0.8) + 0.6 * np.exp(-((x + 2.0) ** 2) / 1.2)
    return a / np.trapezoid(a, x)


def _green(a: np.ndarray) -> np.ndarray:
    """Exact G(iω_n) of the spectrum ``a`` on FINE (trapezoid, error ≪ 1e-10)."""
    return np.trapezoid(a[None, :] / (1j * WN[:, None] - FINE[None, :]), FINE, axis=1)


def _problem(g: np.ndarray, sigma: float, mesh: Mesh, seed: int = 0) -> Problem:
    k = FermionicMatsubaraKernel(WN, mesh, beta=BETA)
    noise = sigma * np.random.default_rng(seed).standard_normal(2 * WN.size)
    return Problem(k, k.stack(g.real, g.imag) + noise, sigma=np.full(2 * WN.size, sigma))


def test_the_interpolant_reproduces_every_interpolated_point_for_any_free_function():
    # at z = iω_k the Blaschke factor vanishes, so θ_0 = b/d whatever θ_N is: the data are
    # matched to the rounding of the Möbius maps (|G| ~ 0.1-1, double precision)
    g = _green(_two_peaks(FINE))
    n = pick_count(WN, -g)
    assert n >= 4
    coef = abcd(WN[:n], schur_phis(WN[:n], -g[:n]), 1j * WN[:n])
    for theta in (np.zeros(n), 0.7 * np.exp(1j * np.arange(n))):
        np.testing.assert_allclose(-_ng(coef, theta)[0], g[:n], rtol=1e-9)


def test_pick_count_stops_at_the_first_non_causal_value():
    g = _green(_two_peaks(FINE))[:6].copy()
    g[3] = np.conj(g[3])  # Im G(iω_3) > 0: no Nevanlinna function takes that value
    assert pick_count(WN[:6], -g) == 3
    g[0] = np.conj(g[0])
    assert pick_count(WN[:6], -g) == 0


def test_acausal_data_are_refused_with_the_reason():
    g = np.conj(_green(_two_peaks(FINE)))
    with pytest.raises(ParameterError, match="sign of G"):
        solve(_problem(g, 1e-8, Mesh.uniform(-6.0, 6.0, 61)), "nevanlinna")


def test_the_answer_is_causal_even_on_noisy_data():
    # noise of 1e-2 breaks the Pick criterion early, but A ≥ 0 holds by construction
    # (|θ_N| ≤ 1 on the mesh), not by clipping
    mesh = Mesh.uniform(-6.0, 6.0, 121)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = solve(_problem(_green(_two_peaks(FINE)), 1e-2, mesh), "nevanlinna")
    assert r.hyperparameters["max_abs_theta"] <= 1.0
    assert r.spectrum.min() >= 0.0 and r.hyperparameters["n_pick"] >= 1


def test_tail_norm_is_the_sum_rule():
    # −ω_n Im G = m₀ − m₂/ω_n² + O(ω_n⁻⁴): the fit on the upper half recovers m₀ = 1 to
    # the size of the neglected term, m₄/ω_n⁴ ≲ 10/(15π/10)⁴ ≈ 5e-3
    assert tail_norm(WN, _green(_two_peaks(FINE))) == pytest.approx(1.0, abs=5e-3)


def test_two_peaks_are_recovered_from_near_exact_data_and_smoothing_helps():
    # ACTest's scale: Err = ∫|A − A₀|/∫A₀ ≤ 0.2 scores 0.8 of a spectrum; the Hardy
    # optimization must at least halve the error of the bare interpolant (θ_N = 0)
    mesh = Mesh.uniform(-6.0, 6.0, 301)
    p = _problem(_green(_two_peaks(FINE)), 1e-8, mesh)
    ref = np.interp(mesh.points, FINE, _two_peaks(FINE))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errs = [float(np.abs(solve(p, "nevanlinna", hardy_order=h).spectrum - ref)
                      @ mesh.weights) for h in (0, 8)]
    assert errs[1] <= 0.2 and errs[1] <= 0.5 * errs[0]
