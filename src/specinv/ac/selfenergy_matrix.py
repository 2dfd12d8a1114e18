"""Matrix-valued self-energy Σ_ab(iω_n) → Σ_ab(ω): normalized, continued as a matrix.

``Σ(iω_n) = Σ∞ + Σ₁/(iω_n) + …`` with Hermitian Σ∞ and a Hermitian positive-definite
Σ₁ (the matrix of spectral weights). The normalized function

    g(iω_n) = Σ₁^{-1/2} (Σ(iω_n) − Σ∞) Σ₁^{-1/2}

is a matrix Green's function with unit weight (``g → 1/(iω_n)``), continued by
:func:`~specinv.ac.matrix.continue_matrix` to a positive-semidefinite A_g(ω); then

    Σ(ω) = Σ∞ + Σ₁^{1/2} [P∫A_g(x)/(ω − x)dx − iπ A_g(ω)] Σ₁^{1/2},

with the principal value done exactly on the real mesh, element by element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.ac.kramers_kronig import hilbert_real_part
from specinv.ac.matrix import MatrixResult, continue_matrix
from specinv.ac.selfenergy import fit_tail
from specinv.core.errors import InputError
from specinv.io.hdf5 import GfArrays


@dataclass
class MatrixSelfEnergyResult:
    """Σ(ω) of a matrix self-energy.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    omega : ndarray of shape (m,)
        Real frequencies (energy unit).
    sigma : ndarray of shape (m, k, k), complex
        Σ(ω + i0) (energy unit).
    sigma_inf, sigma_1 : ndarray of shape (k, k), complex
        Hartree matrix and tail-coefficient matrix (Hermitian).
    sigma_inf_err, sigma_1_err : ndarray of shape (k, k)
        Their one-σ errors, element by element.
    omega_from : float
        Lowest Matsubara frequency of the tail fit.
    matrix : MatrixResult
        The continuation of the normalized function (A_g, checks, positivity figures).
    """

    omega: np.ndarray
    sigma: np.ndarray
    sigma_inf: np.ndarray
    sigma_1: np.ndarray
    sigma_inf_err: np.ndarray
    sigma_1_err: np.ndarray
    omega_from: float
    matrix: MatrixResult


def fit_matrix_tail(gf: GfArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                            float]:
    """Σ∞ and Σ₁ matrices by complex least squares over the asymptotic frequencies.

    The fit starts at the highest start chosen by :func:`~specinv.ac.selfenergy.fit_tail`
    for the diagonal elements; every element is fitted with ``c₀ + c₁/(iω_n) +
    c₂/(iω_n)² + c₃/(iω_n)³`` (complex c) and Σ∞ = Herm(c₀), Σ₁ = Herm(c₁).

    Parameters
    ----------
    gf : GfArrays
        Σ(iω_n) of shape (n, k, k) with optional errors.

    Returns
    -------
    sigma_inf, sigma_1 : ndarray of shape (k, k), complex
        Hermitian matrices.
    sigma_inf_err, sigma_1_err : ndarray of shape (k, k)
        One-σ errors (from the weighted fit; scaled by √χ²/dof when above 1).
    omega_from : float
        Lowest frequency fitted.
    """
    k = gf.data.shape[1]
    err = gf.error
    starts = [fit_tail(gf.points, gf.data[:, a, a], None if err is None else err[:, a, a],
                       source=gf.source).omega_from for a in range(k)]
    sel = gf.points >= max(starts)
    x = 1.0 / (1j * gf.points[sel])
    basis = np.c_[np.ones_like(x), x, x**2, x**3]
    coef = np.zeros((4, k, k), dtype=complex)
    cerr = np.zeros((4, k, k))
    for a in range(k):
        for b in range(k):
            w = 1.0 / err[sel, a, b] if err is not None else np.ones(x.size)
            y = gf.data[sel, a, b]
            bw = basis * w[:, None]
            c, *_ = np.linalg.lstsq(bw, y * w, rcond=None)
            res = (basis @ c - y) * w
            chi2 = float(np.sum(np.abs(res) ** 2)) / max(2 * x.size - 8, 1)
            scale = max(chi2, 1.0) if err is not None else chi2
            cov = np.linalg.pinv((bw.conj().T @ bw).real)
            coef[:, a, b], cerr[:, a, b] = c, np.sqrt(np.diag(cov) * scale)
    herm = 0.5 * (coef + np.conj(np.swapaxes(coef, 1, 2)))
    return herm[0], herm[1], cerr[0], cerr[1], float(gf.points[sel][0])


def _sqrt_and_inverse(m: np.ndarray, src: str) -> tuple[np.ndarray, np.ndarray]:
    lam, vec = np.linalg.eigh(m)
    if not lam.min() > 1e-12 * max(lam.max(), 0.0):
        raise InputError(f"the 1/iω_n tail matrix Σ₁ is not positive definite (eigenvalues "
                         f"{', '.join(f'{v:.3g}' for v in lam)}): not a causal self-energy", src)
    root = np.sqrt(lam)
    return (vec * root) @ vec.conj().T, (vec / root) @ vec.conj().T


def continue_matrix_self_energy(gf: GfArrays, beta: float, *, method: str = "maxent",
                                options: dict[str, Any] | None = None,
                                omega_max: float | None = None,
                                n_omega: int | None = None) -> MatrixSelfEnergyResult:
    """Continue a k×k self-energy Σ(iω_n) to Σ(ω) through its normalized matrix.

    Parameters
    ----------
    gf : GfArrays
        Σ(iω_n), shape (n, k, k), on positive Matsubara frequencies.
    beta : float
        Inverse temperature (1/energy unit).
    method : str
        Registered solver for every scalar continuation.
    options : dict, optional
        Solver options.
    omega_max, n_omega : optional
        Real-frequency window and size (automatic when omitted).

    Returns
    -------
    MatrixSelfEnergyResult
        Σ(ω), tail matrices with errors and the matrix continuation.
    """
    s_inf, s_1, e_inf, e_1, start = fit_matrix_tail(gf)
    root, inv = _sqrt_and_inverse(s_1, gf.source)
    g = np.einsum("ab,nbc,cd->nad", inv, gf.data - s_inf, inv)
    err = None
    if gf.error is not None:
        m2 = np.abs(inv) ** 2
        err = np.sqrt(np.einsum("ab,nbc,cd->nad", m2, gf.error**2, m2))
    norm = GfArrays("matsubara", gf.points, g, err, gf.beta, gf.source)
    res = continue_matrix(norm, beta, method=method, options=options, omega_max=omega_max,
                          n_omega=n_omega)
    a = res.spectrum
    m, k = a.shape[0], a.shape[1]
    flat = a.reshape(m, k * k)
    kk = (hilbert_real_part(res.omega, flat.real, edges=res.edges)
          + 1j * hilbert_real_part(res.omega, flat.imag, edges=res.edges)).reshape(m, k, k)
    sigma = s_inf + np.einsum("ab,nbc,cd->nad", root, kk - 1j * np.pi * a, root)
    return MatrixSelfEnergyResult(res.omega, sigma, s_inf, s_1, e_inf, e_1, start, res)
