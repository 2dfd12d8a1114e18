"""The α-window term of the bootstrap band: answers the data cannot tell from the answer."""

import numpy as np
import pytest

import specinv
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers.alpha_window import (
    MAX_DECADES,
    STEPS_PER_DECADE,
    chi2_window,
    window_departures,
    window_spread,
)
from specinv.solvers.bands import bootstrap_std


def test_window_is_one_standard_deviation_of_chi2_widened_to_the_answer():
    n = 200  # √(2N) = 20
    assert chi2_window(200.0, n) == pytest.approx((180.0, 220.0))
    assert chi2_window(300.0, n) == pytest.approx((180.0, 300.0))
    assert chi2_window(100.0, n) == pytest.approx((100.0, 220.0))


def test_spread_is_the_rms_departure_over_the_window_in_log_alpha():
    """A path f(α) = log10(α/α̂) u with χ² = N + 10 log10(α/α̂): the window N ± √(2N) with
    N = 200 holds |log10(α/α̂)| ≤ 2, i.e. 16 steps of 1/8 decade on each side."""
    u = np.array([1.0, -0.5, 0.0])
    alpha0, n = 1e3, 200

    def step(alpha, state):
        x = np.log10(alpha / alpha0)
        return n + 10.0 * x, x * u, state

    assert window_departures(step, alpha0, float(n), 0 * u, n).shape == (32, 3)
    x = np.arange(-16, 17) / STEPS_PER_DECADE  # the answer's own α (x = 0) included
    np.testing.assert_allclose(window_spread(step, alpha0, float(n), 0 * u, n),
                               np.abs(u) * np.sqrt(np.mean(x ** 2)))


def test_walk_goes_at_most_its_decades_and_stops_at_the_first_exit():
    calls = []

    def step(alpha, state):
        calls.append(alpha)
        return 1.0, np.ones(2), state  # always inside the window

    window_spread(step, 1.0, 1.0, np.zeros(2), 4)
    assert len(calls) == 2 * MAX_DECADES * STEPS_PER_DECADE
    assert max(calls) == pytest.approx(10.0 ** MAX_DECADES)
    calls.clear()
    out = window_spread(lambda a, s: (1e9, np.ones(2), s), 1.0, 4.0, np.zeros(2), 4)
    assert not out.any()  # no neighbour fits: no α uncertainty


def test_bootstrap_std_adds_the_window_in_quadrature():
    f = np.array([1.0, 2.0])
    reps = np.array([[1.5, 2.0], [2.5, 2.0]])  # variance 0.5, bias 1.0
    np.testing.assert_allclose(bootstrap_std(f, reps, np.array([0.5, 2.0])),
                               [np.sqrt(1.75), 2.0])


def _tau_problem(noise: float) -> Problem:
    beta = 10.0
    tau = np.linspace(0.0, beta, 41)
    mesh = Mesh.uniform(-6.0, 6.0, 61)
    x = mesh.points
    truth = np.exp(-((x - 1.0) ** 2) / 0.5) + np.exp(-((x + 1.5) ** 2) / 0.8)
    truth /= np.sum(truth * mesh.weights)
    kernel = FermionicTauKernel(tau, mesh, beta=beta)
    g = kernel.forward(truth)
    rng = np.random.default_rng(1)
    return Problem(kernel, g + noise * rng.standard_normal(g.size), sigma=np.full(g.size, noise))


@pytest.mark.parametrize(("solver", "options"), [
    ("tikhonov", {}), ("maxent", {"alpha_rule": "chi2curv"})])
def test_solvers_with_an_alpha_rule_report_the_window_in_the_band(solver, options):
    problem = _tau_problem(1e-3)
    r = specinv.solve(problem, solver, band="bootstrap", n_band=4, band_window=True, **options)
    window, raw = r.extras["band_alpha_window"], r.extras["band_std_raw"]
    assert window.shape == r.spectrum.shape and np.all(window >= 0) and window.max() > 0
    assert np.all(raw >= window * (1 - 1e-12))  # a term of the band, in quadrature


@pytest.mark.parametrize("options", [{"lam": 10.0, "band_window": True},
                                     {"band_window": False}])
def test_a_fixed_alpha_or_band_window_off_has_no_window(options):
    problem = _tau_problem(1e-3)
    r = specinv.solve(problem, "tikhonov", band="bootstrap", n_band=4, **options)
    assert not r.extras["band_alpha_window"].any()
