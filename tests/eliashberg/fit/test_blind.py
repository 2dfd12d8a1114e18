"""Bounds on λ and ω_log from the α²F weight a gap function barely sees (below E_blind)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import gaussian_a2f
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.blind import (
    LADDER,
    TOL,
    _LowWeight,
    blind_bounds,
    blind_energy,
)
from specinv.eliashberg.fit.forward import EngineForward

T, MU = 1.5, 0.1


@pytest.fixture(scope="module")
def setup():
    """A two-peak α²F (λ = 1.1, nothing below 3 meV) on a 12-hat basis and its forward model."""
    basis = HatBasis(12, 18.0)
    spec = gaussian_a2f(basis.mesh, (6.0, 13.0), (2.0, 1.5), (1.0, 0.6), lam=1.1)
    a = basis.project(basis.mesh, spec.values)
    omega = np.linspace(0.0, 22.0, 90)[1:]
    return a, EngineForward(basis, T, omega, 0.1), blind_energy(T, omega)


def _residual(data: np.ndarray, sigma: float):
    def residual(forward: EngineForward, a: np.ndarray) -> np.ndarray:
        d = forward(a, MU).delta
        return (np.concatenate([d.real, d.imag]) - data) / sigma
    return residual


def _gap(forward: EngineForward, a: np.ndarray, energy: float, hidden: float) -> np.ndarray:
    low = _LowWeight(forward, energy)
    low.s = hidden
    d = low(a, MU).delta
    return np.concatenate([d.real, d.imag])


def test_blind_energy_is_the_lowest_matsubara_frequency_or_the_data_step():
    assert blind_energy(1.16, np.linspace(0, 35, 201)) == pytest.approx(np.pi * KB_MEV_PER_K
                                                                         * 1.16)
    assert blind_energy(1.16, np.linspace(0, 35, 51)) == pytest.approx(0.7)


def test_no_range_when_the_answer_is_the_truth(setup):
    """Data = the answer's own gap: χ²(0) = 0, any added weight raises it, nothing below
    E_blind to remove (the spectrum starts at 3 meV): the range is the answer itself."""
    a, forward, energy = setup
    data = _gap(forward, a, energy, 0.0)
    bb = blind_bounds(forward, a, _residual(data, 3e-3 * np.abs(data).max()), energy)
    assert bb.hidden_lambda_max == 0.0 and bb.bounded
    assert bb.widths(1.1, 1.0)[0] == pytest.approx(0.0, abs=1e-12)
    assert bb.lambda_range[0] == pytest.approx(1.1, rel=1e-3)


def test_weight_the_data_ask_for_below_e_blind_widens_the_range(setup):
    """The gap of the same α²F plus 3 % of λ in a hat below E_blind (the bench's silent miss
    hides 5.5 % below 0.3 meV): the answer without it reproduces the data worse than answers
    with some of it, and χ² rises again before the ladder's 8 % (the data bound it), so the
    ω_log range (3 % of λ at ~0.2 meV moves ln ω_log by 0.03 ln(0.2/4.8) ≈ −10 %) exceeds the
    5 % tolerance and reaches the truth's side."""
    a, forward, energy = setup
    hidden = 0.03 * 1.1
    data = _gap(forward, a, energy, hidden)
    bb = blind_bounds(forward, a, _residual(data, 1e-4 * np.abs(data).max()), energy)
    assert bb.bounded and 0 < bb.hidden_lambda_max
    ww = bb.widths(1.1, bb.omega_log_range_meV[1])[1]
    assert ww > TOL and bb.lambda_range[1] > 1.1 * (1 + 0.5 * 0.03)
    assert bb.chi2_reduced_ends[1] <= bb.chi2_reduced_fit


def test_weight_beyond_the_ladder_is_reported_as_not_bounded(setup):
    """30 % of λ hidden below E_blind: χ² still falls at the ladder's top (8 %), so the data
    do not bound the weight within it: ``bounded`` is False and the top is reported."""
    a, forward, energy = setup
    data = _gap(forward, a, energy, 0.3 * 1.1)
    bb = blind_bounds(forward, a, _residual(data, 1e-4 * np.abs(data).max()), energy)
    assert not bb.bounded
    assert bb.hidden_lambda_max == pytest.approx(LADDER[-1] * 1.1, rel=1e-3)
