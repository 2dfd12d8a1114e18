"""Nevanlinna interpolation of fermionic Matsubara data (Fei, Yeh, Gull, PRL 126, 056402).

``NG(z) = −G(z)`` maps the upper half-plane (UHP) into itself; the Möbius map
``h(w) = (w − i)/(w + i)`` sends it into the unit disk, so ``θ(z) = h(NG(z))`` is a Schur
function (analytic in the UHP, ``|θ| ≤ 1``). Interpolating ``θ(iω_k) = λ_k`` is possible
with a Schur function iff the Pick matrix

    P_kl = (1 − λ_k λ_l*) / (1 − h(iω_k) h(iω_l)*)

is positive semidefinite (:func:`pick_count`: the largest prefix of the frequencies whose
Pick matrix is, from one Cholesky factorization). The Schur recursion (:func:`schur_phis`)
then writes every interpolant as ``θ(z) = (a θ_N + b)/(c θ_N + d)`` (:func:`abcd`) with an
arbitrary Schur function ``θ_N`` left free, which :mod:`specinv.solvers.nevanlinna` chooses.
The Pick test and the recursion lose about one digit per frequency, so they run in mpmath
at :data:`DPS` decimal digits.
"""

from __future__ import annotations

import mpmath
import numpy as np

#: decimal digits of the Schur recursion (Fei et al. use 128 bits, about 38 digits)
DPS = 40


def _mobius(w: mpmath.mpc) -> mpmath.mpc:
    return (w - 1j) / (w + 1j)


def pick_count(wn: np.ndarray, ng: np.ndarray, tol: float = 0.0) -> int:
    """Largest ``n`` such that the Pick matrix of the first ``n`` points is positive definite.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive Matsubara frequencies, increasing (energy unit).
    ng : ndarray of shape (n,), complex
        ``−G(iω_n)`` (Im > 0 for causal data).
    tol : float
        A pivot of the Cholesky factorization must exceed ``tol`` times the diagonal entry.

    Returns
    -------
    int
        Number of leading points that a Schur function can interpolate (0 when the first
        value is already outside the upper half-plane).
    """
    with mpmath.workdps(DPS):
        lam = [_mobius(mpmath.mpc(complex(v))) for v in ng]
        y = [_mobius(mpmath.mpc(0, float(w))) for w in wn]
        n = len(lam)
        lower: list[list[mpmath.mpc]] = []
        for k in range(n):
            row = []
            for j in range(k):
                pkj = (1 - lam[k] * mpmath.conj(lam[j])) / (1 - y[k] * mpmath.conj(y[j]))
                row.append((pkj - mpmath.fsum(row[m] * mpmath.conj(lower[j][m])
                                              for m in range(j))) / lower[j][j])
            pkk = mpmath.re((1 - abs(lam[k]) ** 2) / (1 - abs(y[k]) ** 2))
            pivot = pkk - mpmath.fsum(abs(v) ** 2 for v in row)
            if not pivot > tol * pkk:
                return k
            row.append(mpmath.sqrt(pivot))
            lower.append(row)
    return n


def schur_phis(wn: np.ndarray, ng: np.ndarray) -> list[mpmath.mpc]:
    """Schur parameters ``φ_k = θ_{k−1}(iω_k)`` of the interpolation problem.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive Matsubara frequencies (energy unit), Pick-consistent.
    ng : ndarray of shape (n,), complex
        ``−G(iω_n)``.

    Returns
    -------
    list of mpmath.mpc
        ``φ_1 … φ_n`` at :data:`DPS` digits.
    """
    with mpmath.workdps(DPS):
        v = [_mobius(mpmath.mpc(complex(x))) for x in ng]
        z = [mpmath.mpc(0, float(w)) for w in wn]
        phis = []
        for j in range(len(v)):
            phi = v[j]
            phis.append(phi)
            for k in range(j + 1, len(v)):
                blaschke = (z[k] - z[j]) / (z[k] - mpmath.conj(z[j]))
                v[k] = (v[k] - phi) / (blaschke * (1 - mpmath.conj(phi) * v[k]))
    return phis


def abcd(wn: np.ndarray, phis: list[mpmath.mpc], z: np.ndarray) -> np.ndarray:
    """Möbius coefficients with ``θ_0(z) = (a θ_N(z) + b)/(c θ_N(z) + d)`` at each ``z``.

    The product of the recursion's matrices ``[[B_k(z), φ_k], [φ_k* B_k(z), 1]]`` (``B_k``
    the Blaschke factor of ``iω_k``) is formed in double precision: only finding the
    ``φ_k`` loses digits (each step divides by ``1 − |φ|²``-like factors); the forward
    product of these contractions is stable (on a two-peak test with 6, 9 and 12
    frequencies it agreed with a 40-digit product to 3e-15 in A).

    Parameters
    ----------
    wn : ndarray of shape (n,)
        The interpolated Matsubara frequencies (energy unit).
    phis : list of mpmath.mpc
        From :func:`schur_phis`.
    z : ndarray of shape (m,), complex
        Evaluation points in the upper half-plane (``ω + iη``, or ``iω_n``).

    Returns
    -------
    ndarray of shape (m, 4), complex
        ``a, b, c, d`` per point, scaled so that the largest has modulus 1.
    """
    phi = np.array([complex(p) for p in phis])
    blaschke = (z[:, None] - 1j * wn[None, :]) / (z[:, None] + 1j * wn[None, :])
    a, b = np.ones(z.size, complex), np.zeros(z.size, complex)
    c, d = np.zeros(z.size, complex), np.ones(z.size, complex)
    for k in range(phi.size):
        bl, p = blaschke[:, k], phi[k]
        a, b, c, d = (a * bl + b * np.conj(p) * bl, a * p + b,
                      c * bl + d * np.conj(p) * bl, c * p + d)
        scale = np.max(np.abs(np.stack([a, b, c, d])), axis=0)
        a, b, c, d = a / scale, b / scale, c / scale, d / scale
    return np.stack([a, b, c, d], axis=1)


def hardy_basis(z: np.ndarray, order: int) -> np.ndarray:
    """Hardy functions ``f_k(z) = ((z − i)/(z + i))^k / (√π (z + i))``, k = 0..order−1.

    Analytic in the upper half-plane with ``|f_k(z)| ≤ 1/√π`` there, so
    ``Σ c_k f_k`` is a Schur function whenever ``Σ |c_k| ≤ √π``.

    Parameters
    ----------
    z : ndarray of shape (m,), complex
        Points in the closed upper half-plane.
    order : int
        Number of functions.

    Returns
    -------
    ndarray of shape (m, order), complex
        ``f_k(z_j)``.
    """
    ratio = (z - 1j) / (z + 1j)
    return (ratio[:, None] ** np.arange(order)[None, :]) / (np.sqrt(np.pi) * (z + 1j))[:, None]
