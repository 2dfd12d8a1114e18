"""The α analyzers of MaxEnt (curvature, line fit, entropy) on curves with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import Mesh, Problem, solve
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import alpha_rules


def test_curvature_of_a_circle_is_its_inverse_radius():
    t = np.linspace(0.2, 1.2, 41)
    x, y = 3.0 * np.cos(t), -3.0 * np.sin(t)  # lower arc: y'' > 0, curvature 1/3
    order = np.argsort(x)
    c = alpha_rules.curvature(x[order], y[order])
    assert np.isnan(c[0]) and np.isnan(c[-1])
    # central differences on a non-uniform grid: second-order error in the spacing (~0.08),
    # amplified near x = 3 where the arc turns vertical (slope ~ 2.5 at t = 0.2)
    np.testing.assert_allclose(c[1:-1], 1.0 / 3.0, rtol=0.02)


def _corner_scan(corner: float) -> tuple[np.ndarray, np.ndarray]:
    """ln χ² flat (noise floor) below ln α = corner, slope 1 above, smooth across."""
    la = np.linspace(12.0, -12.0, 97)
    return la, np.exp(np.logaddexp(0.0, la - corner) + np.log(100.0))


@pytest.mark.parametrize("corner", [-3.0, 0.5, 4.0])
def test_curvature_and_line_fit_find_the_corner(corner):
    la, chi2 = _corner_scan(corner)
    step = la[0] - la[1]
    # log₁₀ χ² = softplus(u)/ln 10 against x = γ u/ln 10 (u = ln α − corner): with s the
    # logistic function of u, the curvature is (ln 10/γ²) s(1 − s)/(1 + s²/γ²)^{3/2}; its
    # maximum, found here on a fine grid of that closed form, lies below the corner
    gamma = alpha_rules.CURVATURE_GAMMA
    u = np.linspace(-10.0, 10.0, 200001)
    sig = 1.0 / (1.0 + np.exp(-u))
    u_star = u[np.argmax(sig * (1 - sig) / (1 + sig**2 / gamma**2) ** 1.5)]
    assert abs(la[alpha_rules.chi2_curvature(la, chi2)] - (corner + u_star)) <= step / 2
    # the two lines (floor, slope 1) cross at the corner
    assert abs(la[alpha_rules.line_fit(la, chi2)] - corner) <= step


def test_curvature_rule_ignores_the_error_bar_scale():
    # error bars ×c multiply χ² by 1/c²: log χ² shifts by a constant, the corner stays
    la, chi2 = _corner_scan(1.0)
    for c in (0.1, 0.5, 2.0, 30.0):
        assert alpha_rules.chi2_curvature(la, chi2 / c**2) == alpha_rules.chi2_curvature(la, chi2)


def test_entropy_plateau_is_the_flattest_point():
    la = np.linspace(10.0, -10.0, 81)
    ent = -np.tanh(0.3 * la) ** 2 * 5.0 + 0.02 * la  # flattest where d/dla vanishes
    i = alpha_rules.entropy_plateau(la, ent)
    d = np.gradient(ent, la)
    assert abs(d[i]) <= np.min(np.abs(d[1:-1])) + 1e-12


def test_chi2curv_maxent_fits_the_data_to_about_their_noise():
    beta, w = 10.0, np.linspace(-8.0, 8.0, 4001)
    a = np.exp(-((w - 1.0) ** 2) / 0.8) + 0.5 * np.exp(-((w + 2.0) ** 2) / 0.5)
    a /= np.trapezoid(a, w)
    tau = np.linspace(0.0, beta, 61)
    g = -np.trapezoid(np.exp(-np.outer(tau, w) - np.logaddexp(0.0, -beta * w)) * a, w, axis=1)
    g += 1e-4 * np.random.default_rng(5).standard_normal(tau.size)
    mesh = Mesh.uniform(-8.0, 8.0, 161)
    r = solve(Problem(FermionicTauKernel(tau, mesh, beta=beta), g, sigma=np.full(61, 1e-4)),
              "maxent", alpha_rule="chi2curv")
    # the corner of χ²(α) sits where the noise floor begins: χ²/N of order one, within the
    # spread of a χ² variable with N = 61 degrees of freedom (± 5 √(2/N) ≈ ± 0.9)
    assert 0.3 < r.chi2_reduced < 1.0 + 5 * np.sqrt(2 / 61)
    assert not r.hyperparameters["alpha_at_grid_end"]


def test_curvature_rule_skips_a_bend_at_the_top_of_the_scan():
    # χ² levels off below the default model's misfit (a shelf from ln α ≈ 7) and bends
    # up again sharply at ln α = 11 (a convex bend in the upper half of the log χ² range,
    # sharper than the noise floor's corner at ln α ≈ −3): the floor's corner wins
    la, chi2 = _corner_scan(-3.0)
    shelf = 10.0 - np.logaddexp(0.0, 10.0 - np.log(chi2 / 100.0))  # min(ln χ²/100, 10)
    chi2 = 100.0 * np.exp(shelf + 0.1 / 8.0 * np.logaddexp(0.0, 8.0 * (la - 11.0)))
    y = np.log10(chi2)
    assert la[np.nanargmax(alpha_rules.curvature(0.1 * la / np.log(10), y))] > 10.0
    i = alpha_rules.chi2_curvature(la, chi2)
    assert y[i] <= y.min() + alpha_rules.LOWER_FRACTION * (y.max() - y.min())
    assert i == alpha_rules.chi2_curvature(*_corner_scan(-3.0))


def test_floor_reached_only_below_the_default_models_plateau():
    la, chi2 = _corner_scan(-3.0)
    flat_top = np.full(20, 7.5e3) * (1 - 1e-4 * np.arange(20))  # a plateau at the top
    assert not alpha_rules.floor_reached(la[:20], flat_top, 0.01)
    # on the floor for a decade of α after falling from the top: done
    # over the decade of α above ln α = corner + u, χ² falls by ≈ 10 e^u (1 − 1/10): below
    # 1 % for u < −6.8
    end = int(np.searchsorted(-la, 3.0 + 7.0))  # ln α = −10
    assert alpha_rules.floor_reached(la[:end + 1], chi2[:end + 1], 0.01)
    assert not alpha_rules.floor_reached(la[:40], chi2[:40], 0.01)  # still falling
