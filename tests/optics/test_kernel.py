"""Shulga kernel: T → 0 Allen limit, closed forms, overflow safety, high-T limit."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import Mesh, ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.shulga import ShulgaKernel, allen_cell_integrals, shulga, x_coth


def test_x_coth_limits_and_no_overflow():
    t = 2.0
    np.testing.assert_allclose(x_coth(np.array([0.0, 1e-9]), t), 2 * t, rtol=1e-12)
    x = np.array([0.3, -1.7, 5.0])
    np.testing.assert_allclose(x_coth(x, t), x / np.tanh(x / (2 * t)), rtol=1e-13)
    big = x_coth(np.array([1e5, -1e5]), 1e-3)  # x/T = 1e8: would overflow cosh
    np.testing.assert_allclose(big, 1e5, rtol=1e-15)
    np.testing.assert_array_equal(x_coth(x, 0.0), np.abs(x))


def test_zero_temperature_is_allen_kernel():
    mesh = Mesh.uniform(4, 400, 100)
    w = np.linspace(5, 400, 80)
    k0 = ShulgaKernel(w, mesh, temperature=0).matrix
    # exact cell integrals of (2π/ω)(ω − Ω)θ(ω − Ω), independently by dense midpoint rule
    fine = np.linspace(mesh.edges[0], mesh.edges[-1], 200 * mesh.size + 1)
    mid = 0.5 * (fine[1:] + fine[:-1])
    vals = (2 * np.pi / w[:, None]) * np.clip(w[:, None] - mid[None, :], 0, None) * np.diff(fine)
    dense = vals.reshape(w.size, mesh.size, 200).sum(axis=2)
    # midpoint error ≤ h²/24 · |f''| vanishes (f piecewise linear) except at the kink cells
    np.testing.assert_allclose(k0, dense, atol=2 * np.pi / 5 * (fine[1] - fine[0]) ** 2)


@pytest.mark.parametrize("t_kelvin", [1.0, 0.1])
def test_low_temperature_converges_to_allen(t_kelvin):
    mesh = Mesh.uniform(4, 400, 100)
    w = np.linspace(5, 400, 80)
    k = ShulgaKernel(w, mesh, temperature=t_kelvin).matrix
    k0 = allen_cell_integrals(w, mesh.edges)
    t = KB_MEV_PER_K * t_kelvin
    # corrections: 4πT/Ω·h from the coth(Ω/2T) term is exponentially small for Ω ≫ T;
    # the rounded kink contributes O(T²/ω) per cell (∫|x|coth − |x| = π²T²/3 ... × 2π/ω)
    np.testing.assert_allclose(k, k0, atol=2 * np.pi / w.min() * (np.pi**2 / 3) * t**2 * 2 + 1e-12)


def test_bracket_is_positive_and_matches_formula():
    t = KB_MEV_PER_K * 100
    w, o = 120.0, np.array([10.0, 119.0, 121.0, 300.0])
    direct = (np.pi / w) * (2 * w / np.tanh(o / (2 * t)) - (w + o) / np.tanh((w + o) / (2 * t))
                            + (w - o) / np.tanh((w - o) / (2 * t)))
    # the bracket cancels terms of size (ω+Ω): absolute accuracy ε·(π/ω)(ω+Ω)·few
    scale = 8 * np.finfo(float).eps * (np.pi / w) * (w + o)
    np.testing.assert_allclose(shulga(w, o, t), direct, rtol=1e-12, atol=scale.max())
    # at Ω = ω the last term is its limit 2T
    np.testing.assert_allclose(
        shulga(w, w, t), (np.pi / w) * (2 * w / np.tanh(w / (2 * t)) - 2 * w / np.tanh(w / t)
                                        + 2 * t), rtol=1e-12)
    assert np.all(shulga(w, o, t) > 0)


def test_high_temperature_rate_is_2_pi_lambda_t():
    """For T ≫ Ω, ω: 1/τ → 2πλT with λ = 2∫ I²χ/Ω dΩ (quasi-elastic limit)."""
    mesh = Mesh.uniform(1, 20, 96)
    glue = np.exp(-0.5 * ((mesh.points - 10) / 2) ** 2)
    lam = 2 * np.sum(glue / mesh.points * mesh.weights)
    k = ShulgaKernel(np.array([2.0]), mesh, temperature=20000.0)  # k_B T ≈ 1723 meV
    rate = k.forward(glue)[0]
    t = KB_MEV_PER_K * 20000.0
    # corrections are O((Ω/T)²) and O((ω/T)²) relative, < 1e-4 here
    assert abs(rate / (2 * np.pi * lam * t) - 1) < 1e-3


def test_cell_quadrature_converges():
    w = np.array([7.0, 55.0, 201.3])
    coarse = Mesh.uniform(4, 400, 100)
    k = ShulgaKernel(w, coarse, temperature=50).matrix
    fine = Mesh.uniform(coarse.edges[0] + 0.05, coarse.edges[-1] - 0.05, 4000)
    kf = ShulgaKernel(w, fine, temperature=50).matrix
    summed = kf.reshape(3, 100, 40).sum(axis=2)
    # tiny entries (Ω ≫ ω) are cancellation-limited: absolute floor ε·(4πT/Ω·h)·1e3
    np.testing.assert_allclose(k, summed, rtol=1e-6, atol=1e-12 * k.max())


def test_bad_parameters():
    mesh = Mesh.uniform(4, 400, 10)
    with pytest.raises(ParameterError, match="temperature"):
        ShulgaKernel(np.array([5.0]), mesh, temperature=-1)
    with pytest.raises(ParameterError, match="> 0 meV"):
        ShulgaKernel(np.array([0.0, 5.0]), mesh)
    with pytest.raises(ParameterError, match="start above"):
        ShulgaKernel(np.array([5.0]), Mesh.uniform(0, 400, 10))
