"""Analytic-continuation kernels: limits, overflow safety, closed forms vs quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from specinv.ac.conductivity.drude import (
    drude_lambda_matsubara,
    drude_lambda_tau,
    drude_lambda_tau_matsubara,
    drude_sigma,
)
from specinv.core.errors import ParameterError
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import (
    BosonicTauKernel,
    ConductivityTauKernel,
    FermionicTauKernel,
    bosonic_tau_kernel,
    conductivity_tau_kernel,
    fermionic_tau_kernel,
)
from specinv.kernels.matsubara import (
    BosonicMatsubaraKernel,
    FermionicMatsubaraKernel,
    bosonic_matsubara,
    fermionic_matsubara,
)


def test_tau_kernels_finite_for_extreme_beta_omega():
    w = np.array([-1e4, -50.0, -1e-12, 0.0, 1e-12, 50.0, 1e4])
    tau = np.array([0.0, 0.5, 1000.0])
    for k in (fermionic_tau_kernel(tau, w, 1000.0), bosonic_tau_kernel(tau, w, 1000.0)):
        assert np.all(np.isfinite(k)) and np.all(k >= 0)


def test_omega_zero_limits():
    beta = 3.0
    tau = np.array([0.2, 1.5])
    small = np.array([1e-9])
    assert np.allclose(bosonic_tau_kernel(tau, np.array([0.0]), beta), 1 / beta)
    assert np.allclose(bosonic_tau_kernel(tau, small, beta), 1 / beta, rtol=1e-7)
    assert np.allclose(conductivity_tau_kernel(tau, np.array([0.0]), beta), 2 / (np.pi * beta))


def test_fermionic_tau_sum_rule_and_sign():
    mesh = Mesh.uniform(-8, 8, 801)
    beta = 5.0
    k = FermionicTauKernel(np.array([0.0, beta]), mesh, beta=beta)
    a = np.exp(-(mesh.points**2) / 2) / np.sqrt(2 * np.pi)
    g = k.forward(a)
    assert np.all(g < 0)
    # -G(0) - G(β) = ∫A = 1 (to the Gaussian's truncation and the cell rule)
    assert -g.sum() == pytest.approx(1.0, abs=1e-6)


def test_tau_and_matsubara_fermionic_agree_via_fourier():
    """G(iω_n) = ∫_0^β e^{iω_n τ} G(τ) dτ computed from the τ kernel by quadrature."""
    beta = 4.0
    mesh = Mesh.uniform(-6, 6, 241)
    a = np.exp(-((mesh.points - 0.7) ** 2)) + 0.5 * np.exp(-((mesh.points + 1.5) ** 2) / 0.5)
    wn = fermionic_matsubara(beta, 3)
    km = FermionicMatsubaraKernel(wn, mesh, beta=beta)
    gm = km.forward(a)
    tau = np.linspace(0, beta, 4001)
    gt = FermionicTauKernel(tau, mesh, beta=beta).forward(a)
    ft = np.trapezoid(np.exp(1j * np.outer(wn, tau)) * gt, tau, axis=1)
    assert np.allclose(gm[:3], ft.real, atol=2e-6)
    assert np.allclose(gm[3:], ft.imag, atol=2e-6)


def test_bosonic_matsubara_from_tau_quadrature():
    beta = 2.0
    mesh = Mesh.uniform(-10, 10, 401)
    a = np.exp(-((mesh.points - 1.0) ** 2))  # not even: Im part non-zero
    nu = bosonic_matsubara(beta, 4)
    km = BosonicMatsubaraKernel(nu, mesh, beta=beta)
    tau = np.linspace(0, beta, 4001)
    gt = BosonicTauKernel(tau, mesh, beta=beta).forward(a)
    ft = np.trapezoid(np.exp(1j * np.outer(nu, tau)) * gt, tau, axis=1)
    gm = km.forward(a)
    # χ(iΩ) = ∫ ω(ω + iΩ)/(ω²+Ω²) A: the τ transform gives the complex conjugate convention
    assert np.allclose(gm[:4], ft.real, atol=1e-5)
    assert np.allclose(np.abs(gm[4:]), np.abs(ft.imag), atol=1e-5)


@pytest.mark.parametrize("gamma,beta", [(0.01, 10.0), (0.3, 1.0), (5.0, 10.0), (10.0, 1.0)])
def test_drude_closed_form_matches_direct_quadrature(gamma, beta):
    tau = (np.arange(7) + 0.5) * beta / 7
    closed = drude_lambda_tau(tau, gamma, beta)

    def integrand(w, t):
        return conductivity_tau_kernel(np.array([t]), np.array([w]), beta)[0, 0] * \
            drude_sigma(w, gamma)

    direct = np.array([quad(integrand, 0, np.inf, args=(t,), limit=400)[0] for t in tau])
    assert np.allclose(closed, direct, rtol=1e-7)
    assert np.all(closed > 0)


def test_drude_closed_form_matches_matsubara_sum():
    gamma, beta = 1.0, 5.0
    tau = np.array([0.5, 1.7, 2.5])
    a = drude_lambda_tau(tau, gamma, beta)
    b = drude_lambda_tau_matsubara(tau, gamma, beta, n_terms=200000)
    # tail of the cosine sum ~ γT/(ν_N² τ) ≈ 1e-12 relative at these τ; allow 1e-5
    assert np.allclose(a, b, rtol=1e-5)


def test_conductivity_kernel_reproduces_closed_form_on_a_mesh():
    gamma, beta = 0.5, 4.0
    pts = np.concatenate([[0.0], np.geomspace(1e-3, 400, 3000)])
    mid = 0.5 * (pts[1:] + pts[:-1])
    mesh = Mesh(pts, np.concatenate([[0.0], mid, [2 * pts[-1] - mid[-1]]]))
    tau = (np.arange(5) + 0.5) * beta / 5
    k = ConductivityTauKernel(tau, mesh, beta=beta)
    # cell averages of σ (exact antiderivative arctan(ω/γ))
    avg = np.diff(np.arctan(mesh.edges / gamma)) / mesh.weights
    assert np.allclose(k.forward(avg), drude_lambda_tau(tau, gamma, beta), rtol=2e-3)
    # Matsubara: Λ(iν_n) = γ/(γ+|ν_n|)
    nu = bosonic_matsubara(beta, 4)
    km = BosonicMatsubaraKernel(nu, mesh, beta=beta, components="re", symmetric=True,
                                prefactor=1 / np.pi)
    # the mesh misses the tail beyond W: (2/π)∫_W^∞ γ/ω² = 2γ/(πW)
    tail = 2 * gamma / (np.pi * pts[-1])
    assert np.allclose(km.forward(avg), drude_lambda_matsubara(nu, gamma), rtol=1e-4,
                       atol=1.1 * tail)


def test_parameter_errors():
    mesh = Mesh.uniform(-1, 1, 11)
    with pytest.raises(ParameterError):
        FermionicTauKernel(np.array([0.0, 3.0]), mesh, beta=2.0)
    with pytest.raises(ParameterError):
        ConductivityTauKernel(np.array([0.5]), mesh, beta=2.0)
    with pytest.raises(ParameterError):
        drude_lambda_tau(np.array([0.0]), 1.0, 2.0)


def test_point_quadrature_is_kernel_times_weight():
    mesh = Mesh.from_points(np.sinh(np.linspace(-2.0, 2.0, 41)))
    tau = np.linspace(0.0, 4.0, 9)
    k = FermionicTauKernel(tau, mesh, beta=4.0, quadrature="point")
    expect = -fermionic_tau_kernel(tau, mesh.points, 4.0) * mesh.weights
    np.testing.assert_allclose(k.matrix, expect, rtol=1e-14)
    assert k.describe()["parameters"]["quadrature"] == "point" if "parameters" in \
        k.describe() else k.parameters()["quadrature"] == "point"
    # on a smooth spectrum the two discretizations agree to O(h²)
    cell = FermionicTauKernel(tau, mesh, beta=4.0)
    a = np.exp(-mesh.points**2)
    h = np.max(mesh.weights)
    assert np.max(np.abs(k.forward(a) - cell.forward(a))) < h**2
    with pytest.raises(ParameterError, match="quadrature"):
        FermionicTauKernel(tau, mesh, beta=4.0, quadrature="trapezoid")


def test_spectral_norm_from_tau_and_matsubara_data():
    from specinv.ac.continuation import build_problem
    from specinv.ac.window import spectral_norm
    from specinv.io.qmc import ContinuationInput

    beta = 10.0
    fine = Mesh.uniform(-6.0, 6.0, 2001)
    a = 0.7 * np.exp(-((fine.points - 1.0) ** 2)) / np.sqrt(np.pi)  # ∫A = 0.7
    tau = np.linspace(0.0, beta, 201)
    g = FermionicTauKernel(tau, fine, beta=beta).forward(a)
    d = ContinuationInput(tau, g, error=np.full(tau.size, 1e-5))
    assert spectral_norm(d, "fermionic-tau", beta) == pytest.approx(0.7, rel=1e-9)
    # without τ = 0 and β the ends are extrapolated by cubic fits over 8 points: error
    # ≲ |G| (8Δτ)⁴/4! with |G| ≤ ∫ω⁴A
    inner = ContinuationInput(tau[1:-1], g[1:-1])
    m4 = float(np.sum(fine.points**4 * a * fine.weights))
    assert spectral_norm(inner, "fermionic-tau", beta) == pytest.approx(
        0.7, abs=m4 * (8 * (tau[1] - tau[0])) ** 4 / 24)
    wn = fermionic_matsubara(beta, 400)
    km = FermionicMatsubaraKernel(wn, fine, beta=beta)
    gm = km.forward(a)
    dm = ContinuationInput(wn, gm[:400], gm[400:])
    # −ω_n Im G = m0 − m2/ω_n² + …: the tail median is within m2/ω_min² of m0
    m2 = float(np.sum(fine.points**2 * a * fine.weights))
    assert spectral_norm(dm, "fermionic-matsubara") == pytest.approx(
        0.7, abs=m2 / wn[320] ** 2)
    assert spectral_norm(d, "bosonic-tau") is None
    setup = build_problem(d, "fermionic-tau", beta, omega_max=6.0, n_omega=101)
    m = setup.problem.kernel.mesh
    np.testing.assert_allclose(np.sum(setup.problem.default_model * m.weights), 0.7, rtol=1e-6)
