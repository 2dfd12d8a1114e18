"""Bryan's singular-space iteration takes over where MaxEnt's Newton iteration in A stalls."""

import numpy as np
import pytest

from specinv.core.mesh import Mesh
from specinv.kernels.imaginary_time import BosonicTauKernel, bosonic_tau_kernel
from specinv.solvers import maxent_core
from specinv.solvers.linalg import scaled_svd
from specinv.solvers.maxent_core import MaxEntCore
from specinv.solvers.maxent_singular import solve_singular

BETA, SIGMA = 20.0, 1e-4
#: the α path of the test: warm starts from large α down to the last value
ALPHAS = np.logspace(6, 0, 12)


@pytest.fixture(scope="module")
def delta_peak_core():
    """χ(τ) of one narrow peak (width 0.02) at ω = −4, 101 τ, σ = 1e-4, flat unit-weight
    model on ±8: the data see the peak on the last few τ only, and at small α the Newton
    iteration in A drives the weights beside it to zero and stalls (ACT100 std_bd)."""
    tau = np.linspace(0.0, BETA, 101)
    fine = np.linspace(-8.0, 8.0, 16001)
    peak = np.exp(-0.5 * ((fine + 4.0) / 0.02) ** 2)
    peak /= np.trapezoid(peak, fine)
    chi = np.trapezoid(bosonic_tau_kernel(tau, fine, BETA) * peak, fine, axis=1)
    data = chi + SIGMA * np.random.default_rng(1003).standard_normal(tau.size)
    mesh = Mesh.uniform(-8.0, 8.0, 401)
    kernel = BosonicTauKernel(tau, mesh, beta=BETA)
    w = mesh.weights
    sigma = np.full(tau.size, SIGMA)
    return MaxEntCore(scaled_svd(kernel, 1.0 / sigma, 1.0 / w), data / sigma,
                      np.full(w.size, 1.0 / 16.0) * w, 1e-12, 1e-2)


def _path(core: MaxEntCore) -> tuple[np.ndarray, bool]:
    a, ok = core.start(), True
    for alpha in ALPHAS:
        a, ok = core.solve(a, alpha, max_iter=400)
    return a, ok


def test_stalled_newton_goes_on_to_a_lower_q(delta_peak_core, monkeypatch):
    core, alpha = delta_peak_core, ALPHAS[-1]
    new, _ = _path(core)
    monkeypatch.setattr(maxent_core, "solve_singular", lambda c, a, *args: (a, False))
    old, converged = _path(core)
    assert not converged  # the Newton iteration in A alone stalls here
    # Q = χ²/2 − αS: a drop of more than 1/2 is more than one unit of χ² (one error bar²)
    assert core.objective(new, alpha) < core.objective(old, alpha) - 0.5
    assert core.chi2(new) < core.chi2(old)
    assert np.all(np.isfinite(new)) and np.all(new > 0)


def test_never_returns_a_higher_q(delta_peak_core):
    core = delta_peak_core
    rng = np.random.default_rng(0)
    for alpha in (1e4, 30.0, 1.0):
        a = core.m * np.exp(rng.normal(0.0, 3.0, core.m.size))  # far from any minimum
        out, _ = solve_singular(core, a, alpha, max_iter=20)
        assert core.objective(out, alpha) <= core.objective(a, alpha)
        assert np.all(np.isfinite(out)) and np.all(out > 0)
