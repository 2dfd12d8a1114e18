"""Shulga kernel of the generalized Allen formula (optical scattering rate).

PHYSICS.md §2, with T meaning k_B T in meV::

    1/τ(ω, T) = ∫₀^∞ dΩ  I²χ(Ω) K(ω, Ω, T)
    K(ω, Ω, T) = (π/ω) [ 2ω coth(Ω/2T) − (ω+Ω) coth((ω+Ω)/2T) + (ω−Ω) coth((ω−Ω)/2T) ]

Writing ``c(x) = x coth(x/2T)`` (even, ``c(0) = 2T``, ``c(x) → |x|`` as T → 0)
the bracket is ``2ω c(Ω)/Ω − c(ω+Ω) + c(ω−Ω)``. ``c`` is evaluated as
``|x| / tanh(|x|/2T)``, which cannot overflow (tanh saturates at 1), with the
series ``2T (1 + (x/T)²/12)`` for ``|x| < 10⁻⁶ T``.

At T = 0 the kernel is Allen's ``(2π/ω)(ω − Ω) θ(ω − Ω)`` (``temperature=0`` is
accepted and gives exactly that), whose closed-form inverse is
``I²χ(ω) = (1/2π) d²/dω² [ω/τ(ω)]`` (solver ``allen``).

The kernel behaves like ``4πT/Ω`` at small Ω (that term gives the high-T
``1/τ → 2πλT``), so glue meshes must start above Ω = 0; the default mesh of
:mod:`specinv.optics.setup` has its first cell at [2, 6] meV.

Cell integrals ``∫_cell K dΩ`` use Gauss–Legendre quadrature on each cell,
split at Ω = ω where the kernel has its (thermally rounded) kink, so the T = 0
limit is integrated exactly (the kernel is then piecewise linear in Ω).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.base import Kernel

#: Gauss–Legendre nodes per sub-cell
_N_GAUSS = 8


def x_coth(x: np.ndarray, t: float) -> np.ndarray:
    """``x coth(x / 2t)`` for energies ``x`` and ``t = k_B T`` (same unit), overflow-safe.

    Parameters
    ----------
    x : ndarray
        Energies (any shape).
    t : float
        ``k_B T`` (>= 0); ``t = 0`` gives ``|x|``.

    Returns
    -------
    ndarray
        Same shape as ``x``; equals ``2t`` at ``x = 0``.
    """
    a = np.abs(np.asarray(x, dtype=float))
    if t == 0:
        return a
    z = a / t
    small = z < 1e-6
    # |x| / tanh(|x|/2t) (tanh saturates at 1, never overflows); series 2t (1 + z²/12)
    out = a / np.tanh(0.5 * np.where(small, 1.0, z))
    return np.where(small, 2.0 * t * (1.0 + z * z / 12.0), out)


def shulga(omega: np.ndarray, big_omega: np.ndarray, t: float) -> np.ndarray:
    """Shulga kernel ``K(ω, Ω, T)`` (broadcasting), energies in meV, ``t = k_B T`` in meV.

    Parameters
    ----------
    omega : ndarray
        Photon energies ω > 0 (meV).
    big_omega : ndarray
        Boson energies Ω > 0 (meV), broadcastable against ``omega``.
    t : float
        ``k_B T`` (meV), >= 0.

    Returns
    -------
    ndarray
        ``K(ω, Ω, T)`` with the broadcast shape: dimensionless, so that
        ``∫ dΩ I²χ(Ω) K`` (Ω in meV, I²χ dimensionless) is 1/τ in meV.
    """
    w = np.asarray(omega, dtype=float)
    o = np.asarray(big_omega, dtype=float)
    bracket = 2.0 * w * x_coth(o, t) / o - x_coth(w + o, t) + x_coth(w - o, t)
    return (np.pi / w) * bracket


def allen_cell_integrals(omega: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Exact ``∫_{e_j}^{e_{j+1}} (2π/ω)(ω − Ω) θ(ω − Ω) dΩ`` (T = 0).

    Parameters
    ----------
    omega : ndarray of shape (n_ω,)
        Photon energies ω > 0 (meV).
    edges : ndarray of shape (n_cells + 1,)
        Cell edges of the glue mesh (meV).

    Returns
    -------
    ndarray of shape (n_ω, n_cells)
        Cell integrals of Allen's kernel (meV).
    """
    w = np.asarray(omega, dtype=float)[:, None]
    e = np.minimum(np.asarray(edges, dtype=float)[None, :], w)  # integrand vanishes above ω
    prim = (2.0 * np.pi / w) * (w * e - 0.5 * e * e)
    return np.diff(prim, axis=1)


class ShulgaKernel(Kernel):
    """Optical scattering rate (data, ω in meV) × glue function (mesh, Ω in meV).

    Parameters
    ----------
    omega_data_meV : ndarray of shape (n_omega,)
        Photon energies ω > 0 where 1/τ(ω) is given, meV.
    mesh : Mesh
        Boson-energy mesh of I²χ(Ω), meV; its first cell edge must be > 0.
    temperature : float, default 100
        Temperature in K (0 gives Allen's T = 0 kernel).

    Notes
    -----
    ``matrix @ glue`` is 1/τ in meV for a dimensionless glue sampled on the
    mesh cells. Add a constant impurity rate ``1/τ_imp`` to the data model
    yourself if needed; the ``allen`` solver is insensitive to it.
    """

    data_label = "omega (meV)"
    spectrum_label = "Omega (meV)"

    def __init__(self, omega_data_meV: np.ndarray, mesh: Mesh, *,
                 temperature: float = 100.0) -> None:
        if not np.isfinite(temperature) or temperature < 0:
            raise ParameterError(f"temperature must be >= 0 K, got {temperature}")
        super().__init__(omega_data_meV, mesh)
        if np.any(self.data_points <= 0):
            raise ParameterError("optical frequencies ω must all be > 0 meV")
        if not mesh.edges[0] > 0:
            raise ParameterError(
                f"glue mesh must start above Ω = 0 (first cell edge {mesh.edges[0]:g} meV): "
                "the Shulga kernel diverges like 1/Ω there")
        self.temperature = float(temperature)

    @property
    def t_mev(self) -> float:
        """``k_B T`` in meV."""
        return KB_MEV_PER_K * self.temperature

    def parameters(self) -> dict[str, Any]:
        """Physical parameters, recorded in every result's metadata.

        Returns
        -------
        dict
            ``temperature_K`` (K) and ``units`` (``"meV"``).
        """
        return {"temperature_K": self.temperature, "units": "meV"}

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        if self.temperature == 0:
            return allen_cell_integrals(x, mesh.edges)
        nodes, weights = np.polynomial.legendre.leggauss(_N_GAUSS)
        lo = mesh.edges[None, :-1]
        hi = mesh.edges[None, 1:]
        split = np.clip(x[:, None], lo, hi)  # kink Ω = ω, clipped into each cell
        out = np.zeros((x.size, mesh.size))
        for a, b in ((lo, split), (split, hi)):
            a = np.broadcast_to(a, out.shape)
            half = 0.5 * (b - a)
            mid = 0.5 * (b + a)
            for z, wq in zip(nodes, weights, strict=True):
                o = mid + half * z
                out += wq * half * shulga(x[:, None], o, self.t_mev)
        return out
