"""The α-window term of the bootstrap band: answers the data cannot tell from the answer."""

import numpy as np
import pytest

import specinv
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers.alpha_window import (
    ALPHA_LIMITED,
    MAX_DECADES,
    STEPS_PER_DECADE,
    alpha_limited_bands,
    alpha_ratio,
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


def test_a_fixed_alpha_has_no_window():
    problem = _tau_problem(1e-3)
    r = specinv.solve(problem, "tikhonov", band="bootstrap", n_band=4, lam=10.0,
                      band_window=True)
    assert not r.extras["band_alpha_window"].any()


def test_band_window_off_keeps_the_window_out_of_the_raw_band_but_reports_it():
    problem = _tau_problem(1e-3)
    on, off = (specinv.solve(problem, "tikhonov", band="bootstrap", n_band=4, band_window=w)
               for w in (True, False))
    np.testing.assert_array_equal(on.extras["band_alpha_window"],
                                  off.extras["band_alpha_window"])
    np.testing.assert_allclose(on.extras["band_std_raw"], np.hypot(
        off.extras["band_std_raw"], off.extras["band_alpha_window"]))


def test_alpha_ratio_is_the_median_window_to_bootstrap_ratio_where_the_band_is_positive():
    boot = np.array([1.0, 2.0, 0.0, 4.0])
    assert alpha_ratio(boot, np.array([3.0, 2.0, 5.0, 2.0])) == 1.0  # median of 3, 1, 0.5
    assert alpha_ratio(np.zeros(3), np.ones(3)) == 0.0


@pytest.mark.parametrize(("ratio", "widened"), [(ALPHA_LIMITED * 0.99, False),
                                                (ALPHA_LIMITED, True)])
def test_only_an_alpha_limited_answer_gets_the_wider_of_its_two_bands(ratio, widened):
    boot, window = np.array([1.0, 1.0, 1.0]), np.full(3, ratio)
    entry = {"alpha_limited": {"s68": 1.0, "s95": 2.0}}
    std, band95 = np.full(3, 1.5), np.full(3, 5.0)
    s, b, info = alpha_limited_bands(boot, window, std, band95, entry)
    assert info["alpha_limited"] is widened and info["widened"] is widened
    wide = np.hypot(1.0, ratio)
    np.testing.assert_allclose(s, max(1.5, wide) if widened else 1.5)
    np.testing.assert_allclose(b, max(5.0, 2.0 * wide) if widened else 5.0)


def test_no_stratum_or_no_reported_level_leaves_the_bands_alone():
    boot, window = np.ones(2), np.full(2, 10.0)
    s, b, info = alpha_limited_bands(boot, window, np.ones(2), None, {"s68": 1.0})
    assert info["alpha_limited"] and not info["widened"]
    assert b is None
    np.testing.assert_array_equal(s, 1.0)
    s, b, _ = alpha_limited_bands(boot, window, None, np.ones(2),
                                  {"alpha_limited": {"s68": 1.0, "s95": 2.0}})
    assert s is None and np.all(b == 2.0 * np.hypot(1.0, 10.0))
