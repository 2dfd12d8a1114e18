"""Extended Drude analysis (``specinv.optics.drude``) on metals with known answers.

The test spectra are written here in SI units (σ = ε₀ω_p²/(γ − iω) for the carriers,
−iε₀ω(ε_∞ − 1) for the background), independently of the module's Gaussian-unit
conversion, so a wrong unit constant fails them.
"""

from __future__ import annotations

import numpy as np

from specinv.core.units import CM1_PER_MEV
from specinv.optics.drude import extended_drude, sum_rule_plasma_frequency, to_epsilon, to_sigma

EPS0 = 8.8541878128e-12  # F/m
RAD_PER_S_PER_MEV = 1e-3 * 1.602176634e-19 / 1.054571817e-34
WP, GAMMA, EPS_INF = 1500.0, 25.0, 4.0  # meV, meV, dimensionless


def drude_sigma(w: np.ndarray, wp: float = WP, gamma: float = GAMMA,
                eps_inf: float = EPS_INF) -> np.ndarray:
    """Total σ (Ω⁻¹cm⁻¹) of a Drude metal on a background ε_∞, from SI formulas."""
    x, p, g = (v * RAD_PER_S_PER_MEV for v in (w, wp, gamma))
    si = EPS0 * p**2 / (g - 1j * x) - 1j * EPS0 * x * (eps_inf - 1.0)
    return si / 100.0  # S/m -> S/cm


def test_exact_drude_metal_gives_flat_rate_and_unit_mass():
    w = np.linspace(2.0, 1500.0, 400)
    s = drude_sigma(w)
    inv_tau, mass = extended_drude(w, to_epsilon(w, s.real, s.imag, "sigma"), WP, EPS_INF)
    # the target is a flat 1/τ within 1 %; the analysis is exact, so only rounding remains
    assert np.max(np.abs(inv_tau / GAMMA - 1)) < 1e-2
    assert np.max(np.abs(inv_tau / GAMMA - 1)) < 1e-9
    assert np.max(np.abs(mass - 1)) < 1e-9


def test_epsilon_and_n_inputs_agree_with_sigma():
    w = np.linspace(2.0, 800.0, 100)
    s = drude_sigma(w)
    eps = to_epsilon(w, s.real, s.imag, "sigma")
    n = np.sqrt(eps)
    a = extended_drude(w, eps, WP, EPS_INF)
    b = extended_drude(w, to_epsilon(w, eps.real, eps.imag, "epsilon"), WP, EPS_INF)
    c = extended_drude(w, to_epsilon(w, n.real, n.imag, "n"), WP, EPS_INF)
    np.testing.assert_allclose(b, a, rtol=1e-12)
    np.testing.assert_allclose(c, a, rtol=1e-10)
    np.testing.assert_allclose(to_sigma(w, eps), s, rtol=1e-12)


def test_frequency_dependent_rate_and_mass_are_recovered():
    """σ = ε₀ω_p²/(1/τ(ω) − iω m*/m(ω)) with a rising rate and a falling mass."""
    w = np.linspace(5.0, 600.0, 200)
    rate = 10.0 + 0.3 * w
    mass = 1.0 + 2.0 / (1.0 + (w / 100.0) ** 2)
    x = w * RAD_PER_S_PER_MEV
    si = EPS0 * (WP * RAD_PER_S_PER_MEV) ** 2 / (rate * RAD_PER_S_PER_MEV - 1j * x * mass)
    s = si / 100.0 - 1j * EPS0 * x * (EPS_INF - 1.0) / 100.0
    got = extended_drude(w, to_epsilon(w, s.real, s.imag, "sigma"), WP, EPS_INF)
    np.testing.assert_allclose(got[0], rate, rtol=1e-9)
    np.testing.assert_allclose(got[1], mass, rtol=1e-9)


def test_sum_rule_plasma_frequency_of_a_drude_metal():
    """Up to ω_c the Drude weight is (2/π) arctan(ω_c/γ) of ω_p²."""
    w = np.linspace(1.0, 3000.0, 3000)
    s = drude_sigma(w)
    eps = to_epsilon(w, s.real, s.imag, "sigma")
    for cutoff in (500.0, 3000.0):
        rule = sum_rule_plasma_frequency(w, eps, cutoff)
        expected = WP**2 * 2 / np.pi * np.arctan(cutoff / GAMMA)
        # trapezoid error ~ h²/12 max|σ₁''| ω_c and the flat σ₁ below ω = 1 meV
        # ((1/γ)² ω_min³/3 of the weight): both below 1e-3 of ω_p² here
        assert abs(rule.plasma_frequency**2 / expected - 1) < 1e-3
        inv_tau, _ = extended_drude(w, eps, rule.plasma_frequency, EPS_INF)
        assert np.ptp(inv_tau) / np.mean(inv_tau) < 1e-2  # flat within 1 %
        assert 0 < rule.below_data < 2 * w[0] / (np.pi / 2 * GAMMA)


def test_cm1_sigma_constant_matches_the_textbook_sixty():
    """ε₂ = 4πσ₁/ω: with σ in Ω⁻¹cm⁻¹ and ω in cm⁻¹ the factor is 2c·1e-9 ≈ 59.96."""
    w_cm = 1000.0
    eps = to_epsilon(np.array([w_cm / CM1_PER_MEV]), np.array([1.0]), np.array([0.0]),
                     "sigma")
    assert abs(eps.imag[0] * w_cm - 2 * 29.9792458) < 1e-3 * 60
