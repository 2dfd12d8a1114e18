"""Kramers–Kronig of a simulated Drude–Lorentz reflectivity (``specinv.optics.kk``).

The metal: ε_∞ = 1, a Drude term (ω_p = 1 eV), a mid-infrared and an interband
Lorentz oscillator, "measured" from the far infrared to the vacuum UV (2 meV–20 eV,
log grid). Its exact σ₁ is written here from ε directly.

Tolerance: σ₁ within 2 % pointwise from ω_min to ω_max/5, and within 2 % of max σ₁
over the whole measured range. The top 0.7 decade is excluded from the pointwise
test because the truncation error of any Kramers–Kronig analysis sits at the end
of the data: there R still falls faster than the ω⁻ˢ/ω⁻⁴ continuation and σ₁ is
below 1 % of its maximum, so a 1e-3 rad phase error is already a 2 % error of σ₁.
"""

from __future__ import annotations

import numpy as np
import pytest

from specinv.optics.kk import Extrapolation, high_power, optical_constants, reflectivity_phase

EPS0 = 8.8541878128e-12
RAD_PER_S_PER_MEV = 1e-3 * 1.602176634e-19 / 1.054571817e-34


def metal_epsilon(w: np.ndarray, gamma: float) -> np.ndarray:
    eps = 1.0 - 1000.0**2 / (w**2 + 1j * gamma * w)
    for w0, wp, g in ((400.0, 800.0, 200.0), (3000.0, 3000.0, 1500.0)):
        eps = eps + wp**2 / (w0**2 - w**2 - 1j * g * w)
    return eps


def reflectivity(eps: np.ndarray) -> np.ndarray:
    n = np.sqrt(eps)
    return np.abs((n - 1) / (n + 1)) ** 2


@pytest.mark.parametrize(("low", "gamma"), [("drude-lorentz", 30.0), ("hagen-rubens", 100.0)])
def test_sigma1_from_reflectivity_within_two_percent(low, gamma):
    w = np.geomspace(2.0, 20000.0, 1000)
    eps = metal_epsilon(w, gamma)
    exact = EPS0 * (w * RAD_PER_S_PER_MEV) * eps.imag / 100.0  # σ₁ = ε₀ωε₂ (Ω⁻¹cm⁻¹)
    ext = Extrapolation(low=low)
    r = reflectivity(eps)
    sigma1 = optical_constants(w, r, reflectivity_phase(w, r, ext))["sigma"].real
    inside = w <= w[-1] / 5
    assert np.max(np.abs(sigma1[inside] / exact[inside] - 1)) < 0.02
    assert np.max(np.abs(sigma1 - exact)) < 0.02 * exact.max()
    assert ext.details["high_power_used"] == pytest.approx(4.0, abs=0.5)
    if low == "drude-lorentz":
        assert ext.details["drude_lorentz"]["rms_R"] < 1e-4


def test_phase_of_a_drude_metal_matches_the_exact_phase():
    """Drude-only metal measured well past its plasma edge: θ to 2e-3 rad everywhere."""
    w = np.geomspace(1.0, 30000.0, 2000)
    eps = 1.0 - 800.0**2 / (w**2 + 1j * 20.0 * w)
    n = np.sqrt(eps)
    exact = np.angle((n - 1) / (n + 1))
    theta = reflectivity_phase(w, reflectivity(eps), Extrapolation(oscillators=0))
    assert np.max(np.abs(theta - exact)) < 2e-3


def test_high_power_is_the_log_slope_clipped():
    w = np.geomspace(10.0, 1000.0, 50)
    assert high_power(w, 0.5 * (w / 10) ** -1.5) == pytest.approx(1.5)
    assert high_power(w, 0.5 * (w / 10) ** -7.0) == 4.0
    assert high_power(w, np.full(w.size, 0.3)) == pytest.approx(0.0, abs=1e-12)
