"""Preblur: MaxEnt of a hidden image blurred into the spectrum (A = B h)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import solve
from specinv.solvers.preblur import blur_matrix

BETA = 20.0


def test_blur_keeps_the_weight_and_has_the_asked_width():
    mesh = Mesh.uniform(-8, 8, 401)
    b = blur_matrix(mesh, 0.5)
    h = np.zeros(mesh.size)
    h[200] = 1.0 / mesh.weights[200]  # unit weight in the central cell
    a = b @ h
    assert a @ mesh.weights == pytest.approx(1.0, rel=1e-12)
    var = (a * mesh.points ** 2) @ mesh.weights  # the cell itself adds (Δω)²/12
    assert var == pytest.approx(0.5 ** 2, rel=0.02)
    edge = np.zeros(mesh.size)
    edge[0] = 1.0 / mesh.weights[0]
    assert (b @ edge) @ mesh.weights == pytest.approx(1.0, rel=1e-12)  # nothing leaves
    with pytest.raises(ParameterError, match="preblur width"):
        blur_matrix(mesh, -1.0)


def _problem(width: float, seed: int) -> tuple[Problem, np.ndarray]:
    tau = np.linspace(0, BETA, 101)
    mesh = Mesh.uniform(-8, 8, 321)
    k = FermionicTauKernel(tau, mesh, beta=BETA)
    w = mesh.points
    a = np.exp(-0.5 * ((w - 1.0) / width) ** 2) + np.exp(-0.5 * ((w + 1.5) / width) ** 2)
    a /= a @ mesh.weights
    g = k.forward(a) + 1e-4 * np.random.default_rng(seed).standard_normal(tau.size)
    return Problem(k, g, sigma=1e-4), a


def test_answer_is_the_blurred_hidden_image():
    p, _ = _problem(0.6, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = solve(p, "maxent", alpha_rule="chi2curv", preblur=0.2)
    h = r.extras["hidden_image"]
    assert np.allclose(r.spectrum, blur_matrix(p.kernel.mesh, 0.2) @ h)
    w = p.kernel.mesh.weights
    assert r.spectrum @ w == pytest.approx(h @ w, rel=1e-10)
    assert r.check.verdict != "fail" and r.options["preblur"] == 0.2


def test_blur_wider_than_a_peak_cannot_fit_and_says_so():
    """The failure mode: a peak of width 0.05 (β = 20 resolves it at σ = 1e-4) cannot be
    made of Gaussians of width 0.3; the verdict is fail (χ²/N above its bound)."""
    p, _ = _problem(0.05, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = solve(p, "maxent", alpha_rule="chi2curv")
        wide = solve(p, "maxent", alpha_rule="chi2curv", preblur=0.3)
    assert plain.check.verdict != "fail"
    assert wide.check.verdict == "fail"
