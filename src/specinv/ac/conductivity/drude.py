"""Drude conductivity and its exact imaginary-time current correlation (PHYSICS.md §4).

For ``σ(ω) = γ/(ω² + γ²)`` (so ``(1/π)∫σ dω = 1``)::

    Λ(iν_n) = γ/(γ + |ν_n|)
    Λ(τ)    = T Σ_n cos(ν_n τ) γ/(γ + |ν_n|)
            = (γ/π) Σ_{m≥0} [g(γ(τ + mβ)) + g(γ(β − τ + mβ))]

with the auxiliary function ``g(z) = ∫₀^∞ t e^{−zt}/(t² + 1) dt =
−Ci(z) cos z − (Si(z) − π/2) sin z`` (Abramowitz–Stegun 5.2.7), obtained by
expanding ``1/(1 − e^{−βω})`` in the τ kernel. The m-sum is done exactly for
m < 6 and by Euler–Maclaurin beyond (``∫_z^∞ g = f``, the companion
auxiliary function, and ``g' = f − 1/z``), which is accurate to ~2e-8 (relative)
for every γβ. Λ diverges logarithmically at τ → 0 and τ → β, so τ must lie in
the open interval (0, β). The seed's eqs. 4–6 are not used: they disagree with
this (and with direct quadrature), even turning negative for large γ.
"""

from __future__ import annotations

import numpy as np
from scipy.special import sici

from specinv.core.errors import ParameterError

_N_DIRECT = 6


def aux_fg(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Auxiliary functions ``f(z) = ∫₀^∞ e^{−zt}/(t²+1) dt`` and ``g(z)`` for z > 0.

    Asymptotic series above z = 30 (relative error < 1e-9), ``sici`` below.

    Parameters
    ----------
    z : ndarray
        Arguments, > 0.

    Returns
    -------
    f, g : ndarray
        ``f(z)`` and ``g(z)``, the shape of ``z``.
    """
    z = np.asarray(z, dtype=float)
    f = np.empty_like(z)
    g = np.empty_like(z)
    big = z > 30.0
    zb = z[big]
    if zb.size:
        i2 = 1.0 / zb**2
        f[big] = (1.0 / zb) * (1 - 2 * i2 + 24 * i2**2 - 720 * i2**3 + 40320 * i2**4)
        g[big] = i2 * (1 - 6 * i2 + 120 * i2**2 - 5040 * i2**3 + 362880 * i2**4)
    zs = z[~big]
    if zs.size:
        si, ci = sici(zs)
        s, c = np.sin(zs), np.cos(zs)
        f[~big] = ci * s - (si - 0.5 * np.pi) * c
        g[~big] = -ci * c - (si - 0.5 * np.pi) * s
    return f, g


def _branch_sum(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``Σ_{m≥0} g(c(m + x))`` for c > 0, 0 < x ≤ 1 (broadcast)."""
    c, x = np.broadcast_arrays(np.asarray(c, dtype=float), np.asarray(x, dtype=float))
    total = np.zeros(c.shape)
    for m in range(_N_DIRECT):
        total += aux_fg(c * (m + x))[1]
    z = c * (_N_DIRECT + x)
    f, g = aux_fg(z)
    g1 = f - 1.0 / z
    g3 = -(f - 1.0 / z) - 2.0 / z**3
    return total + f / c + 0.5 * g - c * g1 / 12.0 + c**3 * g3 / 720.0


def drude_sigma(omega: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """``σ(ω) = γ/(ω² + γ²)`` (broadcast), normalized so ``(1/π)∫σ dω = 1``.

    Parameters
    ----------
    omega : ndarray
        Real frequencies (energy unit of the problem).
    gamma : ndarray
        Scattering rates γ > 0 (same unit), broadcastable against ``omega``.

    Returns
    -------
    ndarray
        σ(ω) in 1/energy, the broadcast shape.
    """
    omega, gamma = np.asarray(omega, dtype=float), np.asarray(gamma, dtype=float)
    return gamma / (omega**2 + gamma**2)


def drude_lambda_matsubara(nu: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """``Λ(iν_n) = γ/(γ + |ν_n|)`` (broadcast).

    Parameters
    ----------
    nu : ndarray
        Bosonic Matsubara frequencies ν_n (energy unit of the problem).
    gamma : ndarray
        Scattering rates γ > 0 (same unit), broadcastable against ``nu``.

    Returns
    -------
    ndarray
        Λ(iν_n), dimensionless, the broadcast shape.
    """
    nu, gamma = np.asarray(nu, dtype=float), np.asarray(gamma, dtype=float)
    return gamma / (gamma + np.abs(nu))


def drude_lambda_tau(tau: np.ndarray, gamma: np.ndarray, beta: float | np.ndarray) -> np.ndarray:
    """Exact ``Λ(τ)`` of a unit-weight Drude term (broadcast over all arguments).

    Parameters
    ----------
    tau : ndarray
        Imaginary times in the open interval (0, β).
    gamma : ndarray
        Scattering rates γ > 0 (same energy unit as 1/β).
    beta : float or ndarray
        Inverse temperature(s).

    Returns
    -------
    ndarray
        Λ(τ), broadcast shape of the inputs.
    """
    tau, gamma, beta = np.broadcast_arrays(np.asarray(tau, dtype=float),
                                           np.asarray(gamma, dtype=float),
                                           np.asarray(beta, dtype=float))
    if np.any(gamma <= 0) or np.any(beta <= 0):
        raise ParameterError("drude_lambda_tau needs gamma > 0 and beta > 0")
    x = tau / beta
    if np.any(x <= 0) or np.any(x >= 1):
        raise ParameterError("Λ(τ) diverges at τ = 0 and τ = β; use τ in the open interval (0, β)")
    c = gamma * beta
    return (gamma / np.pi) * (_branch_sum(c, x) + _branch_sum(c, 1.0 - x))


def drude_lambda_tau_matsubara(tau: np.ndarray, gamma: float, beta: float,
                               n_terms: int = 200000) -> np.ndarray:
    """Reference route: the Matsubara sum ``T Σ_{|n|≤N} cos(ν_n τ) γ/(γ+|ν_n|)``.

    Converges like 1/N² away from τ = 0, β (slow; used by the tests only).

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Imaginary times in (0, β).
    gamma : float
        Scattering rate γ > 0 (same energy unit as 1/β).
    beta : float
        Inverse temperature.
    n_terms : int
        Positive frequencies N kept in the sum.

    Returns
    -------
    ndarray of shape (n,)
        Λ(τ) (energy unit of 1/β).
    """
    tau = np.asarray(tau, dtype=float)
    t = 1.0 / beta
    n = np.arange(1, n_terms + 1)
    nu = 2 * np.pi * n * t
    w = gamma / (gamma + nu)
    return t * (1.0 + 2.0 * np.cos(np.outer(tau, nu)) @ w)


def tau_grid(beta: float, n: int = 200) -> np.ndarray:
    """``n`` cell-midpoint times ``(k + ½)β/n`` in (0, β) (the data-set grid).

    Parameters
    ----------
    beta : float
        Inverse temperature.
    n : int
        Number of times.

    Returns
    -------
    ndarray of shape (n,)
        Imaginary times (unit of β).
    """
    return (np.arange(n) + 0.5) * beta / n
