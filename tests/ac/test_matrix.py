"""Matrix-valued continuation on simulated two-orbital data with a known A(ω)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.ac.matrix import continue_matrix, psd_project
from specinv.io.hdf5 import GfArrays
from specinv.kernels import Mesh

BETA, NOISE = 10.0, 1e-4


def two_orbital(theta: float, phase: float) -> tuple[Mesh, np.ndarray]:
    """A(ω) = U diag(A₁, A₂) U†: two Gaussian bands mixed by a complex rotation."""
    m = Mesh.uniform(-8, 8, 1601)
    w = m.points
    bands = [np.exp(-(w - c) ** 2 / (2 * s * s)) / (np.sqrt(2 * np.pi) * s)
             for c, s in ((-1.5, 0.5), (1.0, 0.7))]
    u = np.array([[np.cos(theta), -np.sin(theta) * np.exp(-1j * phase)],
                  [np.sin(theta) * np.exp(1j * phase), np.cos(theta)]])
    return m, np.einsum("ab,wb,cb->wac", u, np.c_[bands[0], bands[1]], u.conj())


def matsubara_data(m: Mesh, a: np.ndarray, seed: int = 1) -> GfArrays:
    wn = np.pi / BETA * (2 * np.arange(60) + 1)
    k = m.weights[None, :] / (1j * wn[:, None] - m.points[None, :])
    g = np.einsum("nw,wab->nab", k, a)
    rng = np.random.default_rng(seed)
    g = g + NOISE * (rng.normal(size=g.shape) + 1j * rng.normal(size=g.shape))
    return GfArrays("matsubara", wn, g, np.full(g.shape, NOISE), BETA, "simulated")


@pytest.mark.parametrize("phase", [0.0, 0.7])
def test_two_orbitals_with_complex_mixing(phase):
    m, exact = two_orbital(0.5, phase)
    r = continue_matrix(matsubara_data(m, exact), BETA)
    assert ("0,1i+" in r.parts) == (phase != 0.0)  # real-symmetric data skip Im A_ab
    assert r.check.verdict != "fail"
    a = r.spectrum
    assert np.allclose(a, np.conj(np.swapaxes(a, 1, 2)))
    assert np.linalg.eigvalsh(a).min() >= -1e-12  # positive semidefinite at every ω
    dw = np.diff(r.edges)
    for i, j in ((0, 0), (1, 1), (0, 1)):
        ref = np.interp(r.omega, m.points, exact[:, i, j].real) + 1j * np.interp(
            r.omega, m.points, exact[:, i, j].imag)
        l1 = np.sum(np.abs(a[:, i, j] - ref) * dw)
        # diagonal: the scalar MaxEnt error on Gaussians at this noise (L1 ~ 0.1 of the
        # unit weight); an off-diagonal element is a difference of two continued positive
        # spectra of weight 1 each, so up to twice that, plus 0.1 for the imaginary part
        bound = 0.15 if i == j else 0.3 + (0.1 if phase else 0.0)
        assert l1 < bound, (i, j, l1)


def test_psd_projection():
    a = np.array([[[1.0, 2.0], [2.0, 1.0]]], dtype=complex)  # eigenvalues 3 and −1
    fixed, lam, rel = psd_project(a)
    assert lam == pytest.approx(-1.0) and rel == pytest.approx(1 / 3)
    assert np.allclose(fixed[0], [[1.5, 1.5], [1.5, 1.5]])
