"""Automatic real-frequency windows: from the data's moments, widened until the spectrum decays."""

import warnings

import numpy as np
import pytest

from specinv.ac.continuation import continue_data
from specinv.ac.window import auto_omega_max, matsubara_moments
from specinv.io.qmc import ContinuationInput


def _semicircle_giwn(beta: float, half_width: float, n: int) -> ContinuationInput:
    """G(iω_n) of a semicircular band (exact: m0 = 1, m2 = D²/4)."""
    wn = (2 * np.arange(n) + 1) * np.pi / beta
    z = 1j * wn
    g = 2.0 / half_width**2 * (z - np.sqrt(z**2 - half_width**2) * np.sign(wn))
    return ContinuationInput(wn, g.real, g.imag, np.full(n, 1e-5), source="semicircle")


def test_matsubara_tail_moments_exact():
    d = _semicircle_giwn(10.0, 4.0, 400)
    m0, m2 = matsubara_moments(d.points, d.imag)
    # the fit neglects the m4/ω⁴ term: relative error ~ m4/(m2 ω_min²) over the upper half
    assert m0 == pytest.approx(1.0, rel=1e-4)
    assert m2 == pytest.approx(4.0, rel=2e-2)
    assert auto_omega_max(d, "fermionic-matsubara", 10.0) > 4.0  # never cuts the band


def test_window_widened_when_spectrum_does_not_decay():
    d = _semicircle_giwn(10.0, 4.0, 200)
    with warnings.catch_warnings():  # a window that cuts the band need not converge
        warnings.simplefilter("ignore")
        setup, result = continue_data(d, "fermionic-matsubara", 10.0, omega_max=2.5)
    assert setup.omega_max < 2.6  # a window the user gave is kept (mesh edge: W + half a cell) ...
    assert any("decay" in r for r in result.check.reasons)  # ... and flagged
    setup2, result2 = continue_data(d, "fermionic-matsubara", 10.0)
    assert setup2.omega_max > 4.0
    assert not any("decay" in r for r in result2.check.reasons)
    assert result2.check.details["sum_rule_deviation"] < 0.05


def test_sign_change_of_fermionic_g_tau_is_noted_only_for_a_signed_spectrum():
    from specinv.ac import act100
    from specinv.ac.window import sign_change_note

    positive = act100.make_case("std_fg", 13, 1e-4, seed=1)  # G(τ) < 0 everywhere
    signed = act100.make_case("std_frd", 1, 1e-4, seed=1)  # ±peaks: G(0) < 0 < G(β)
    assert sign_change_note(positive["data"], "fermionic-tau") is None
    assert "--signed" in sign_change_note(signed["data"], "fermionic-tau")
    assert sign_change_note(signed["data"], "bosonic-tau") is None  # tested for G(τ) only
