"""Bryan's singular-space iteration takes over where MaxEnt's Newton iteration in A stalls."""

import warnings

import numpy as np

from specinv.core.errors import ConvergenceWarning
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.imaginary_time import BosonicTauKernel, bosonic_tau_kernel
from specinv.solvers import solve
from specinv.solvers.linalg import scaled_svd
from specinv.solvers.maxent_core import MaxEntCore
from specinv.solvers.maxent_singular import BryanIterationCore, solve_singular

BETA, SIGMA = 20.0, 1e-4
#: the α path of the test: warm starts from large α down to the last value
ALPHAS = np.logspace(6, 0, 12)


def _case():
    """χ(τ) of one narrow peak (width 0.02) at ω = −4, 101 τ, σ = 1e-4, on ±8 (401
    points): the data see the peak on the last few τ only, and at small α the Newton
    iteration in A drives the weights beside it to zero and stalls (ACT100 std_bd)."""
    tau = np.linspace(0.0, BETA, 101)
    fine = np.linspace(-8.0, 8.0, 16001)
    peak = np.exp(-0.5 * ((fine + 4.0) / 0.02) ** 2)
    peak /= np.trapezoid(peak, fine)
    chi = np.trapezoid(bosonic_tau_kernel(tau, fine, BETA) * peak, fine, axis=1)
    data = chi + SIGMA * np.random.default_rng(1003).standard_normal(tau.size)
    return BosonicTauKernel(tau, Mesh.uniform(-8.0, 8.0, 401), beta=BETA), data


def _core(cls: type[MaxEntCore]) -> MaxEntCore:
    """The core of :func:`_case` with a flat unit-weight default model."""
    kernel, data = _case()
    w = kernel.mesh.weights
    sigma = np.full(data.size, SIGMA)
    return cls(scaled_svd(kernel, 1.0 / sigma, 1.0 / w), data / sigma,
               np.full(w.size, 1.0 / 16.0) * w, 1e-12, 1e-2)


def _path(core: MaxEntCore) -> tuple[np.ndarray, bool]:
    a, ok = core.start(), True
    for alpha in ALPHAS:
        a, ok = core.solve(a, alpha, max_iter=400)
    return a, ok


def test_stalled_newton_goes_on_to_a_lower_q():
    alpha = ALPHAS[-1]
    new_core, old_core = _core(BryanIterationCore), _core(MaxEntCore)
    new, _ = _path(new_core)
    old, converged = _path(old_core)
    assert not converged  # the Newton iteration in A alone stalls here
    # Q = χ²/2 − αS: a drop of more than 1/2 is more than one unit of χ² (one error bar²)
    assert new_core.objective(new, alpha) < old_core.objective(old, alpha) - 0.5
    assert new_core.chi2(new) < old_core.chi2(old)
    assert np.all(np.isfinite(new)) and np.all(new > 0)


def test_option_selects_the_core():
    kernel, data = _case()
    problem = Problem(kernel, data, sigma=SIGMA)
    with warnings.catch_warnings():  # the plain Newton iteration says it did not converge
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = solve(problem, "maxent", alpha=10.0)
    bryan = solve(problem, "maxent", alpha=10.0, bryan_iteration=True)
    # the same α reached from the top of the scan: Bryan's iteration fits the data better
    assert bryan.chi2_reduced < plain.chi2_reduced - 1.0 / data.size


def test_never_returns_a_higher_q():
    core = _core(MaxEntCore)
    rng = np.random.default_rng(0)
    for alpha in (1e4, 30.0, 1.0):
        a = core.m * np.exp(rng.normal(0.0, 3.0, core.m.size))  # far from any minimum
        out, _ = solve_singular(core, a, alpha, max_iter=20)
        assert core.objective(out, alpha) <= core.objective(a, alpha)
        assert np.all(np.isfinite(out)) and np.all(out > 0)
