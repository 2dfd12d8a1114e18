"""Kernel layer: normalization, limits, lock-in, quadrature and conditioning."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import IllConditionedWarning, Mesh, ParameterError, STSKernel
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.sts import lockin_nodes

EPS = np.finfo(float).eps


def test_rows_integrate_to_one_inside_the_mesh():
    mesh = Mesh.uniform(-10, 10, 801)
    k = STSKernel(np.linspace(-3, 3, 61), mesh, beta=4.0)
    # tails beyond the mesh are exp(-β·7) ≈ 7e-13 of the weight
    np.testing.assert_allclose(k.matrix.sum(axis=1), 1.0, atol=1e-11)


def test_cell_integrals_are_exact_primitive_differences():
    mesh = Mesh.uniform(-2, 2, 41)
    beta = 2.5
    k = STSKernel(np.array([0.3]), mesh, beta=beta)
    e = mesh.edges
    exact = np.diff(0.5 * np.tanh(0.5 * beta * (e - 0.3)))
    np.testing.assert_allclose(k.matrix[0], exact, rtol=1e-13, atol=1e-16)


def test_zero_temperature_limit_is_identity():
    mesh = Mesh.uniform(-1, 1, 51)
    k = STSKernel(mesh.points, mesh, beta=1e9)
    np.testing.assert_allclose(k.matrix, np.eye(51), atol=1e-12)


def test_point_quadrature_converges_to_cell_quadrature():
    mesh = Mesh.uniform(-8, 8, 3201)  # spacing 0.005 ≪ thermal width 1/β
    x = np.linspace(-2, 2, 9)
    a = STSKernel(x, mesh, beta=3.0).matrix
    b = STSKernel(x, mesh, beta=3.0, quadrature="point").matrix
    # midpoint rule error ~ h² f''/24 relative
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_seed_prefactor_and_sign_convention():
    mesh = Mesh.uniform(-6, 6, 121)
    x = np.linspace(-5, 5, 11)
    seed = STSKernel(x, mesh, beta=3.0, convention="seed", prefactor=1.0, quadrature="point")
    norm = STSKernel(-x, mesh, beta=3.0, quadrature="point")
    # a·cosh⁻²(β(ω+ε)/2) = (4a/β) · (β/4) sech²(β(ω − (−ε))/2)
    np.testing.assert_allclose(seed.matrix, (4.0 / 3.0) * norm.matrix, rtol=1e-13)
    w = mesh.weights[0]
    np.testing.assert_allclose(seed.matrix[5, 60], np.cosh(0.0) ** -2 * w, rtol=1e-13)


def test_lockin_width_to_zero_changes_nothing():
    mesh = Mesh.uniform(-4, 4, 201)
    x = np.linspace(-3, 3, 31)
    a = STSKernel(x, mesh, temperature=1.0).matrix
    b = STSKernel(x, mesh, temperature=1.0, lockin_rms=1e-9).matrix
    # a modulation of 1e-9 mV shifts arguments by ~1e-9 · β: change O(1e-8)
    np.testing.assert_allclose(a, b, atol=1e-8)


def test_lockin_nodes_reproduce_semicircle_moments():
    vp = 0.7
    u, w = lockin_nodes(5.0, vp)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert w @ u == pytest.approx(0.0, abs=1e-14)
    # second moment of L(u) = 2√(Vp² − u²)/(π Vp²) is Vp²/4
    assert w @ u**2 == pytest.approx(vp**2 / 4, rel=1e-12)


def test_lockin_preserves_normalization_and_broadens():
    mesh = Mesh.uniform(-10, 10, 2001)
    x = np.array([0.0])
    t = 0.5
    a = STSKernel(x, mesh, temperature=t).matrix[0]
    b = STSKernel(x, mesh, temperature=t, lockin_rms=0.3).matrix[0]
    assert b.sum() == pytest.approx(a.sum(), abs=1e-10)
    var = lambda row: row @ mesh.points**2 / row.sum()  # noqa: E731
    # variances add: thermal (π²/3)(k_B T)² plus lock-in V_p²/4 = 2·0.3²/4; cell
    # integration on a mesh of spacing h adds h²/12
    kt = KB_MEV_PER_K * t
    h = mesh.weights[0]
    assert var(a) == pytest.approx(np.pi**2 / 3 * kt**2 + h**2 / 12, rel=1e-6)
    assert var(b) - var(a) == pytest.approx(2 * 0.3**2 / 4, rel=1e-3)


def test_temperature_and_beta_agree():
    mesh = Mesh.uniform(-3, 3, 61)
    x = np.linspace(-2, 2, 5)
    a = STSKernel(x, mesh, temperature=4.2).matrix
    b = STSKernel(x, mesh, beta=1 / (KB_MEV_PER_K * 4.2)).matrix
    np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize("kwargs", [{"temperature": 0.0}, {"temperature": -1.0},
                                    {"beta": -2.0}, {"temperature": 1.0, "beta": 1.0}, {},
                                    {"temperature": 1.0, "lockin_rms": -0.1},
                                    {"temperature": 1.0, "convention": "other"}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ParameterError):
        STSKernel(np.zeros(3), Mesh.uniform(-1, 1, 5), **kwargs)


def test_svd_and_condition_number():
    mesh = Mesh.uniform(-6, 6, 301)
    k = STSKernel(np.linspace(-5, 5, 301), mesh, beta=3.0)
    u, s, vt = k.svd
    np.testing.assert_allclose((u * s) @ vt, k.matrix, atol=1e2 * EPS * s[0])
    assert k.condition_number > 1e12
    with pytest.warns(IllConditionedWarning, match="condition number"):
        k.check_conditioning(1e-3)


def test_cumulative_kernel_matches_cell_sums():
    mesh = Mesh.uniform(-3, 3, 31)
    k = STSKernel(np.linspace(-2, 2, 5), mesh, beta=2.0)
    np.testing.assert_allclose(np.diff(k.cumulative, axis=1), k.matrix, atol=1e-15)


def test_nonuniform_meshes():
    m = Mesh.focused(-6, 6, 301, center=0.0, width=1.5, density=5.0)
    w = np.diff(m.points)
    assert w.min() < w.max() / 3
    assert m.weights.sum() == pytest.approx(m.edges[-1] - m.edges[0])
    k = STSKernel(np.linspace(-3, 3, 31), m, beta=5.0)
    # weight beyond the mesh edge (≥ 3 away) is ≈ exp(−β·3)
    np.testing.assert_allclose(k.matrix.sum(axis=1), 1.0, atol=2 * np.exp(-5.0 * 3))
    with pytest.raises(ParameterError):
        Mesh.from_points(np.array([0.0, 1.0, 1.0]))


def test_trapezoid_mesh_weights_are_the_trapezoid_rule():
    pts = np.sinh(np.linspace(-2.0, 2.0, 41))
    m = Mesh.trapezoid(pts)
    assert np.allclose(m.weights, np.gradient(pts, edge_order=1) * np.r_[0.5, np.ones(39), 0.5])
    # exact for a straight line, unlike the midpoint cells of from_points
    assert np.sum(m.weights * (3.0 * pts + 1.0)) == pytest.approx(
        np.trapezoid(3.0 * pts + 1.0, pts), rel=1e-13)
    assert m.weights.sum() == pytest.approx(pts[-1] - pts[0], rel=1e-13)
    assert Mesh.from_points(pts).weights[0] == pytest.approx(2 * m.weights[0])
