"""Model densities of states of superconductors, averaged over mesh cells.

BCS diverges at ±Δ, so sampling the formula at points is meaningless there
(PHYSICS.md §1). Every model here is returned as its **cell average**
``(1/w_j) ∫_{cell j} ρ(ω) dω`` computed from the exact antiderivative: for the
Dynes form ``ρ = Re[z/√(z² − Δ²)]`` with ``z = ω + iΓ`` the antiderivative is
``Re √(z − Δ)·√(z + Δ)`` (product of principal roots, the branch with
ρ → 1 at large |ω| on both sides). Γ = 0 gives BCS exactly.
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh


def _as_mesh(omega: Mesh | np.ndarray) -> Mesh:
    return omega if isinstance(omega, Mesh) else Mesh.from_points(np.asarray(omega, float))


def _dynes_primitive(e: np.ndarray, gap: np.ndarray | float, gamma: float) -> np.ndarray:
    z = np.asarray(e, dtype=complex) + 1j * gamma
    return np.real(np.sqrt(z - gap) * np.sqrt(z + gap))


def _check(gap: float, gamma: float) -> None:
    if not np.isfinite(gap) or gap < 0:
        raise ParameterError(f"gap must be >= 0 meV, got {gap}")
    if not np.isfinite(gamma) or gamma < 0:
        raise ParameterError(f"Dynes gamma must be >= 0 meV, got {gamma}")


def dynes_dos(omega: Mesh | np.ndarray, gap: float, gamma: float = 0.0) -> np.ndarray:
    """Dynes-broadened BCS DOS ``Re[(ω + iΓ)/√((ω + iΓ)² − Δ²)]``, cell-averaged.

    Parameters
    ----------
    omega : Mesh or ndarray of shape (n,)
        Energy mesh in meV (points are turned into a mesh with midpoint edges).
    gap : float
        Δ in meV.
    gamma : float, default 0
        Dynes broadening Γ in meV (0 gives BCS).

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F on each cell.
    """
    _check(gap, gamma)
    m = _as_mesh(omega)
    return np.diff(_dynes_primitive(m.edges, gap, gamma)) / m.weights


def bcs_dos(omega: Mesh | np.ndarray, gap: float) -> np.ndarray:
    """BCS DOS ``|ω|/√(ω² − Δ²)`` (0 inside the gap), cell-averaged; see :func:`dynes_dos`.

    Parameters
    ----------
    omega : Mesh or ndarray of shape (n,)
        Energy mesh (meV), or its points.
    gap : float
        Δ (meV), >= 0.

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F on each cell.
    """
    return dynes_dos(omega, gap, 0.0)


def dwave_dos(omega: Mesh | np.ndarray, gap: float, gamma: float = 0.0,
              n_theta: int = 256) -> np.ndarray:
    """d-wave DOS: Dynes form with ``Δ cos 2θ`` averaged over the Fermi-surface angle.

    By symmetry the average over θ ∈ [0, 2π) equals that over [0, π/4]; it is
    done with ``n_theta``-point Gauss–Legendre quadrature, each angle exactly
    cell-averaged.

    Parameters
    ----------
    omega : Mesh or ndarray of shape (n,)
        Energy mesh (meV), or its points.
    gap : float
        Gap maximum Δ (meV), >= 0.
    gamma : float
        Dynes broadening Γ (meV), >= 0.
    n_theta : int
        Gauss–Legendre angles on [0, π/4].

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F on each cell.
    """
    _check(gap, gamma)
    m = _as_mesh(omega)
    x, w = np.polynomial.legendre.leggauss(n_theta)
    theta = (x + 1.0) * np.pi / 8.0
    gaps = gap * np.cos(2.0 * theta)
    prim = _dynes_primitive(m.edges[None, :], gaps[:, None], gamma)
    return (w / w.sum()) @ (np.diff(prim, axis=1) / m.weights)


def two_gap_dos(omega: Mesh | np.ndarray, gap1: float, gap2: float, weight1: float = 0.5,
                gamma1: float = 0.0, gamma2: float = 0.0) -> np.ndarray:
    """Weighted sum ``w₁ ρ(Δ₁, Γ₁) + (1 − w₁) ρ(Δ₂, Γ₂)`` of two Dynes/BCS terms.

    Parameters
    ----------
    omega : Mesh or ndarray of shape (n,)
        Energy mesh (meV), or its points.
    gap1, gap2 : float
        Δ₁ and Δ₂ (meV), >= 0.
    weight1 : float
        w₁ in [0, 1].
    gamma1, gamma2 : float
        Γ₁ and Γ₂ (meV), >= 0.

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F on each cell.
    """
    if not 0.0 <= weight1 <= 1.0:
        raise ParameterError(f"weight1 must be in [0, 1], got {weight1}")
    return weight1 * dynes_dos(omega, gap1, gamma1) + (1 - weight1) * dynes_dos(omega, gap2, gamma2)


def bcs_dos_sampled(points: np.ndarray, gap: float) -> np.ndarray:
    """BCS formula sampled at points, as seed 000 does (for reproducing it only).

    ``|ω|/√(ω² − Δ²)`` for ``|ω| > Δ`` and 0 otherwise, evaluated at the
    points themselves (a point at exactly ±Δ gets 0). Prefer :func:`bcs_dos`,
    whose cell averages are the correct discretization of the divergence.

    Parameters
    ----------
    points : ndarray of shape (n,)
        Energies (meV, or the seed's units of Δ).
    gap : float
        Δ in the unit of ``points``, >= 0.

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F at the points.
    """
    _check(gap, 0.0)
    w = np.asarray(points, dtype=float)
    out = np.zeros_like(w)
    above = np.abs(w) > gap
    out[above] = np.abs(w[above]) / np.sqrt(w[above] ** 2 - gap**2)
    return out
