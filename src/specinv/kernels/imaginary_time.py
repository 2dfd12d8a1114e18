"""Analytic-continuation kernels on the imaginary-time axis τ.

All kernels are written in the problem's own energy unit (β is 1/energy, τ in
units of 1/energy); nothing here assumes meV, because QMC data come in eV,
units of the hopping t, or the seed's dimensionless units. The Matsubara-axis
kernels are in :mod:`specinv.kernels.matsubara`.

Fermionic (spectrum ``A(ω) = −Im G(ω + i0)/π ≥ 0`` on the full axis)::

    G(τ)    = −∫ dω  e^{−τω} / (1 + e^{−βω})  A(ω),            0 ≤ τ ≤ β

Bosonic (spectrum ``A(ω) = χ''(ω)/(πω) ≥ 0``, ``∫A = χ(iΩ=0)``)::

    χ(τ)     = ∫ dω  ω e^{−τω} / (1 − e^{−βω})  A(ω)

Conductivity (PHYSICS.md §4, σ even, spectrum σ(ω) on ω ≥ 0)::

    Λ(τ)    = (1/π) ∫₀^∞ dω  ω [e^{−τω} + e^{−(β−τ)ω}] / (1 − e^{−βω})  σ(ω)

The τ kernels use the two-branch form ``|ω| e^{−τ'|ω|}/(1 − e^{−β|ω|})``
(``τ' = τ`` for ω > 0, ``β − τ`` for ω < 0) so nothing overflows for any βω,
and the ω → 0 limits (``1/β`` bosonic per branch, ``2T/π`` conductivity) are
taken exactly. Cell quadrature as in :mod:`specinv.kernels.continuation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.kernels.continuation import ContinuationKernel


def _decaying_exponential(tau: np.ndarray, omega: np.ndarray, beta: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """``e^{−τ'|ω|}`` with τ' = τ for ω ≥ 0 and β − τ for ω < 0, and ``|ω|``.

    Rewriting ``e^{−τω}/(1 ± e^{−βω})`` for ω < 0 as ``e^{−(β−τ)|ω|}/(e^{−β|ω|} ± 1)``
    keeps every exponent non-positive, so neither branch overflows. Shapes (n, m).
    """
    t = np.asarray(tau, dtype=float)[:, None]
    w = np.asarray(omega, dtype=float)[None, :]
    aw = np.abs(w)
    return np.exp(-np.where(w >= 0, t, beta - t) * aw), aw


def fermionic_tau_kernel(tau: np.ndarray, omega: np.ndarray, beta: float) -> np.ndarray:
    """``e^{−τω}/(1 + e^{−βω})`` (positive, without the physical minus sign).

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Imaginary times in [0, β] (1/energy unit of ``omega``).
    omega : ndarray of shape (m,)
        Real frequencies (energy unit of the problem).
    beta : float
        Inverse temperature (1/energy unit of ``omega``).

    Returns
    -------
    ndarray of shape (n, m)
        Kernel values in (0, 1].
    """
    decay, aw = _decaying_exponential(tau, omega, beta)
    return decay / (1.0 + np.exp(-beta * aw))


def bosonic_tau_kernel(tau: np.ndarray, omega: np.ndarray, beta: float) -> np.ndarray:
    """``ω e^{−τω}/(1 − e^{−βω})`` on the full axis, overflow-safe; ``1/β`` at ω = 0.

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Imaginary times in [0, β] (1/energy unit of ``omega``).
    omega : ndarray of shape (m,)
        Real frequencies (energy unit of the problem).
    beta : float
        Inverse temperature (1/energy unit of ``omega``).

    Returns
    -------
    ndarray of shape (n, m)
        Kernel values (energy unit of ``omega``).
    """
    decay, aw = _decaying_exponential(tau, omega, beta)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(aw > 0, aw / -np.expm1(-beta * aw), 1.0 / beta)
    return ratio * decay


def conductivity_tau_kernel(tau: np.ndarray, omega: np.ndarray, beta: float) -> np.ndarray:
    """``(1/π) ω [e^{−τω} + e^{−(β−τ)ω}]/(1 − e^{−βω})`` for ω ≥ 0; ``2/(πβ)`` at ω = 0.

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Imaginary times in [0, β] (1/energy unit of ``omega``).
    omega : ndarray of shape (m,)
        Real frequencies; only ``|ω|`` is used (σ is even).
    beta : float
        Inverse temperature (1/energy unit of ``omega``).

    Returns
    -------
    ndarray of shape (n, m)
        Kernel values (energy unit of ``omega``).
    """
    w = np.abs(np.asarray(omega, dtype=float))
    return (bosonic_tau_kernel(tau, w, beta) + bosonic_tau_kernel(tau, -w, beta)) / np.pi


class _TauKernel(ContinuationKernel):
    def __init__(self, tau: np.ndarray, mesh: Mesh, *, beta: float, n_sub: int = 8,
                 quadrature: str = "cell") -> None:
        t = np.asarray(tau, dtype=float)
        if t.ndim == 1 and t.size and (t.min() < -1e-12 * beta or t.max() > beta * (1 + 1e-12)):
            raise ParameterError(
                f"imaginary times must lie in [0, beta = {beta:g}], got [{t.min():g}, {t.max():g}]")
        super().__init__(np.clip(t, 0.0, beta), mesh, beta=beta, n_sub=n_sub,
                         quadrature=quadrature)

    @property
    def tau(self) -> np.ndarray:
        """Imaginary times, shape (n_tau,)."""
        return self.data_points


class FermionicTauKernel(_TauKernel):
    """``G(τ) = −∫ e^{−τω}/(1 + e^{−βω}) A(ω) dω`` (physical sign, G ≤ 0).

    Parameters
    ----------
    tau : ndarray of shape (n_tau,)
        Imaginary times in [0, β].
    mesh : Mesh
        Real-frequency mesh of A(ω) (full axis).
    beta : float
        Inverse temperature (1/energy unit of the mesh).
    n_sub : int
        Gauss–Legendre nodes per cell.
    quadrature : {"cell", "point"}
        ``"cell"``: Gauss–Legendre cell integrals; ``"point"``: ``k(x, ω_j) Δω_j``
        (the point-value discretization of other codes).
    """

    def _point_kernel(self, x: np.ndarray, omega: np.ndarray) -> np.ndarray:
        return -fermionic_tau_kernel(x, omega, self.beta)


class BosonicTauKernel(_TauKernel):
    """``χ(τ) = ∫ ω e^{−τω}/(1 − e^{−βω}) A(ω) dω`` with ``A = χ''/(πω)``.

    ``symmetric=True`` takes a mesh on ω ≥ 0 and an even A(ω): the two
    branches are folded, ``ω[e^{−τω} + e^{−(β−τ)ω}]/(1 − e^{−βω})``.

    Parameters
    ----------
    tau : ndarray of shape (n_tau,)
        Imaginary times in [0, β].
    mesh : Mesh
        Real-frequency mesh of A(ω): full axis, or ω ≥ 0 when ``symmetric``.
    beta : float
        Inverse temperature (1/energy unit of the mesh).
    symmetric : bool
        Fold the ω < 0 branch onto an even A(ω) on ω ≥ 0.
    n_sub : int
        Gauss–Legendre nodes per cell.
    quadrature : {"cell", "point"}
        Cell integrals or point values times cell widths.
    """

    statistics = "bosonic"

    def __init__(self, tau: np.ndarray, mesh: Mesh, *, beta: float, symmetric: bool = False,
                 n_sub: int = 8, quadrature: str = "cell") -> None:
        if symmetric and mesh.edges[0] < -1e-12:
            raise ParameterError("a symmetric bosonic kernel needs a mesh on omega >= 0")
        super().__init__(tau, mesh, beta=beta, n_sub=n_sub, quadrature=quadrature)
        self.symmetric = bool(symmetric)

    def _point_kernel(self, x: np.ndarray, omega: np.ndarray) -> np.ndarray:
        if self.symmetric:
            return np.pi * conductivity_tau_kernel(x, omega, self.beta)
        return bosonic_tau_kernel(x, omega, self.beta)

    def parameters(self) -> dict[str, Any]:
        """Physical parameters, recorded in every result's metadata.

        Returns
        -------
        dict
            ``beta``, ``statistics``, ``n_sub``, ``quadrature`` and ``symmetric``.
        """
        return {**super().parameters(), "symmetric": self.symmetric}


class ConductivityTauKernel(_TauKernel):
    """Current–current correlation ``Λ(τ)`` from an even σ(ω) on ω ≥ 0 (PHYSICS.md §4).

    Parameters
    ----------
    tau : ndarray of shape (n_tau,)
        Imaginary times in [0, β].
    mesh : Mesh
        Mesh on ω ≥ 0 (the first edge may be 0).
    beta : float
        Inverse temperature (1/energy unit of the mesh).
    n_sub : int
        Gauss–Legendre nodes per cell.
    quadrature : {"cell", "point"}
        Cell integrals or point values times cell widths.
    """

    statistics = "bosonic"
    spectrum_label = "omega (sigma)"

    def __init__(self, tau: np.ndarray, mesh: Mesh, *, beta: float, n_sub: int = 8,
                 quadrature: str = "cell") -> None:
        if mesh.edges[0] < -1e-12:
            raise ParameterError("the conductivity kernel needs a mesh on omega >= 0 (σ is even)")
        super().__init__(tau, mesh, beta=beta, n_sub=n_sub, quadrature=quadrature)

    def _point_kernel(self, x: np.ndarray, omega: np.ndarray) -> np.ndarray:
        return conductivity_tau_kernel(x, omega, self.beta)
