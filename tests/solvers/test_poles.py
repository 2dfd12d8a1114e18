"""The AAA (barycentric-rational) continuation: exact on rational data, causal, positive."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import Mesh, Problem, solve
from specinv.kernels.matsubara import FermionicMatsubaraKernel

BETA = 20.0
WN = np.pi * (2 * np.arange(60) + 1) / BETA


def _problem(g: np.ndarray, sigma: float, mesh: Mesh) -> Problem:
    k = FermionicMatsubaraKernel(WN, mesh, beta=BETA)
    return Problem(k, k.stack(g.real, g.imag), sigma=np.full(2 * WN.size, sigma))


def test_a_lorentzian_is_one_pole_and_is_recovered_exactly():
    # G(z) = 1/(z − x0 + iη) is rational of degree 1: AAA stops after one pole, found to
    # the data's precision, and A(ω) = (η/π)/((ω − x0)² + η²) follows at every mesh point
    x0, eta, sigma = 0.7, 0.4, 1e-12
    mesh = Mesh.uniform(-8.0, 8.0, 321)
    r = solve(_problem(1.0 / (1j * WN - x0 + 1j * eta), sigma, mesh), "aaa")
    assert r.hyperparameters["n_poles_causal"] == 1
    np.testing.assert_allclose(r.extras["poles"], [x0 - 1j * eta], atol=1e-8)
    exact = (eta / np.pi) / ((mesh.points - x0) ** 2 + eta**2)
    np.testing.assert_allclose(r.spectrum, exact, rtol=1e-6)
    assert r.hyperparameters["clipped_weight"] == 0.0


def test_poles_in_the_upper_half_plane_are_dropped():
    # an acausal term ρ/(z − p) with Im p > 0 in the data: the answer keeps only the
    # physical pole, and says how much residue it dropped
    mesh = Mesh.uniform(-8.0, 8.0, 321)
    g = 1.0 / (1j * WN + 1.0 + 0.5j) + 0.05 / (1j * WN - 2.0 - 3.0j)
    r = solve(_problem(g, 1e-12, mesh), "aaa")
    assert r.hyperparameters["n_poles_causal"] == 1
    assert r.hyperparameters["dropped_pole_weight"] == pytest.approx(0.05, rel=1e-6)
    assert r.spectrum.min() >= 0.0
