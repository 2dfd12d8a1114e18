"""Analytic-continuation kernels: imaginary time τ and Matsubara frequencies.

All kernels are written in the problem's own energy unit (β is 1/energy, τ in
units of 1/energy); nothing here assumes meV, because QMC data come in eV,
units of the hopping t, or the seed's dimensionless units.

Fermionic (spectrum ``A(ω) = −Im G(ω + i0)/π ≥ 0`` on the full axis)::

    G(τ)    = −∫ dω  e^{−τω} / (1 + e^{−βω})  A(ω),            0 ≤ τ ≤ β
    G(iω_n) =  ∫ dω  A(ω) / (iω_n − ω),                         ω_n = (2n+1)π/β

Bosonic (spectrum ``A(ω) = χ''(ω)/(πω) ≥ 0``, ``∫A = χ(iΩ=0)``)::

    χ(τ)     = ∫ dω  ω e^{−τω} / (1 − e^{−βω})  A(ω)
    χ(iΩ_n)  = ∫ dω  ω (ω + iΩ_n) / (ω² + Ω_n²)  A(ω),          Ω_n = 2πn/β

Conductivity (PHYSICS.md §4, σ even, spectrum σ(ω) on ω ≥ 0)::

    Λ(τ)    = (1/π) ∫₀^∞ dω  ω [e^{−τω} + e^{−(β−τ)ω}] / (1 − e^{−βω})  σ(ω)
    Λ(iν_n) = (1/π) ∫₀^∞ dω  2ω² / (ω² + ν_n²)  σ(ω)

The τ kernels use the two-branch form ``|ω| e^{−τ'|ω|}/(1 − e^{−β|ω|})``
(``τ' = τ`` for ω > 0, ``β − τ`` for ω < 0) so nothing overflows for any βω,
and the ω → 0 limits (``1/β`` bosonic per branch, ``2T/π`` conductivity) are
taken exactly. Complex Matsubara data are handled as the real vector
``[Re; Im]`` (rows stacked), so every solver works unchanged; a
``components`` option keeps only the real or imaginary rows (e.g. the
imaginary part of a particle–hole symmetric G).

Cell integrals ``∫_cell k(x, ω) dω`` use Gauss–Legendre quadrature with
``n_sub`` nodes per cell (default 8): exact to ~1e-12 for cells narrower than
the kernel's decay length, which every sensible mesh satisfies.
``quadrature="point"`` instead uses ``k(x, ω_j) · Δω_j`` (the point-value
discretization of TRIQS/maxent, ALPS and ana_cont) — for reproducing their
numbers; on the SrVO3 benchmark the two differ by 1e-3 in L1 distance.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.kernels.base import Kernel

Components = Literal["both", "re", "im"]


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


def _gauss_cells(mesh: Mesh, n_sub: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (n_mesh·n_sub,) and weights (n_mesh, n_sub) of per-cell Gauss–Legendre."""
    x, w = np.polynomial.legendre.leggauss(n_sub)
    lo, hi = mesh.edges[:-1, None], mesh.edges[1:, None]
    half = 0.5 * (hi - lo)
    nodes = 0.5 * (hi + lo) + half * x[None, :]
    return nodes.ravel(), half * w[None, :]


class _ContinuationKernel(Kernel):
    """Shared machinery: β, per-cell Gauss–Legendre quadrature of a point kernel."""

    data_label = "tau"
    spectrum_label = "omega"
    statistics = "fermionic"

    def __init__(self, data_points: np.ndarray, mesh: Mesh, *, beta: float,
                 n_sub: int = 8, quadrature: str = "cell") -> None:
        if not np.isfinite(beta) or beta <= 0:
            raise ParameterError(f"beta must be a positive finite number, got {beta}")
        if int(n_sub) < 1:
            raise ParameterError(f"n_sub must be >= 1, got {n_sub}")
        if quadrature not in ("cell", "point"):
            raise ParameterError(f"quadrature must be 'cell' or 'point', got {quadrature!r}")
        super().__init__(data_points, mesh)
        self.beta = float(beta)
        self.n_sub = int(n_sub)
        self.quadrature = quadrature

    def _point_kernel(self, x: np.ndarray, omega: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _nodes(self, mesh: Mesh) -> tuple[np.ndarray, np.ndarray, int]:
        """Quadrature nodes (n_mesh·k,), weights (n_mesh, k) and k."""
        if self.quadrature == "point":
            return mesh.points, mesh.weights[:, None], 1
        nodes, weights = _gauss_cells(mesh, self.n_sub)
        return nodes, weights, self.n_sub

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        nodes, weights, k_sub = self._nodes(mesh)
        k = self._point_kernel(x, nodes).reshape(x.size, mesh.size, k_sub)
        return np.einsum("ijk,jk->ij", k, weights)

    def parameters(self) -> dict[str, Any]:
        return {"beta": self.beta, "statistics": self.statistics, "n_sub": self.n_sub,
                "quadrature": self.quadrature}


class _TauKernel(_ContinuationKernel):
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


class _MatsubaraKernel(_ContinuationKernel):
    """Complex data as stacked rows ``[Re; Im]`` (or one of them)."""

    data_label = "matsubara frequency"

    def __init__(self, frequencies: np.ndarray, mesh: Mesh, *, beta: float,
                 components: Components = "both", n_sub: int = 8,
                 quadrature: str = "cell") -> None:
        if components not in ("both", "re", "im"):
            raise ParameterError(f"components must be 'both', 're' or 'im', got {components!r}")
        wn = np.asarray(frequencies, dtype=float)
        self.frequencies = wn
        self.components = components
        rows = {"both": np.concatenate([wn, wn]), "re": wn, "im": wn}[components]
        super().__init__(rows, mesh, beta=beta, n_sub=n_sub, quadrature=quadrature)

    def _re_im(self, wn: np.ndarray, omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        nodes, weights, k_sub = self._nodes(mesh)
        re, im = self._re_im(self.frequencies, nodes)
        parts = {"both": (re, im), "re": (re,), "im": (im,)}[self.components]
        k = np.concatenate(parts, axis=0).reshape(-1, mesh.size, k_sub)
        return np.einsum("ijk,jk->ij", k, weights)

    def stack(self, real: np.ndarray, imag: np.ndarray) -> np.ndarray:
        """Data vector matching the kernel rows from Re and Im parts.

        Parameters
        ----------
        real, imag : ndarray of shape (n_freq,)
            Real and imaginary parts at :attr:`frequencies` (only those the
            ``components`` option keeps are used).

        Returns
        -------
        ndarray of shape (n_data,)
            ``[Re; Im]``, ``Re`` or ``Im``, as the kernel rows.
        """
        parts = {"both": (real, imag), "re": (real,), "im": (imag,)}[self.components]
        return np.concatenate([np.asarray(p, dtype=float) for p in parts])

    def parameters(self) -> dict[str, Any]:
        return {**super().parameters(), "components": self.components}


class FermionicMatsubaraKernel(_MatsubaraKernel):
    """``G(iω_n) = ∫ A(ω)/(iω_n − ω) dω``: Re ``−ω/(ω_n²+ω²)``, Im ``−ω_n/(ω_n²+ω²)``.

    Parameters
    ----------
    frequencies : ndarray of shape (n_freq,)
        Matsubara frequencies ω_n (energy unit of the mesh).
    mesh : Mesh
        Real-frequency mesh of A(ω) (full axis).
    beta : float
        Inverse temperature (1/energy unit of the mesh).
    components : {"both", "re", "im"}
        Which rows the data hold: ``[Re; Im]`` (2 n_freq rows), Re or Im only.
    n_sub : int
        Gauss–Legendre nodes per cell.
    quadrature : {"cell", "point"}
        Cell integrals or point values times cell widths.
    """

    def _re_im(self, wn: np.ndarray, omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, n = omega[None, :], wn[:, None]
        d = n**2 + w**2
        return -w / d, -n / d


class BosonicMatsubaraKernel(_MatsubaraKernel):
    """``χ(iΩ_n) = ∫ ω(ω + iΩ_n)/(ω² + Ω_n²) A(ω) dω``, ``A = χ''/(πω)``.

    Re ``ω²/(ω² + Ω_n²)`` (1 at Ω_0 = 0, so ``χ(0) = ∫A``), Im ``ωΩ_n/(ω² + Ω_n²)``.
    ``symmetric=True``: mesh on ω ≥ 0, even A, Re doubled and Im zero (use
    ``components="re"``). ``prefactor`` scales the kernel (``1/π`` for Λ(iν_n) of σ).

    Parameters
    ----------
    frequencies : ndarray of shape (n_freq,)
        Bosonic Matsubara frequencies Ω_n (energy unit of the mesh).
    mesh : Mesh
        Real-frequency mesh of A(ω): full axis, or ω ≥ 0 when ``symmetric``.
    beta : float
        Inverse temperature (1/energy unit of the mesh).
    components : {"both", "re", "im"}
        Which rows the data hold: ``[Re; Im]`` (2 n_freq rows), Re or Im only.
    symmetric : bool
        Even A(ω) on a mesh on ω ≥ 0 (Re doubled, Im zero).
    prefactor : float
        Overall factor of the kernel.
    n_sub : int
        Gauss–Legendre nodes per cell.
    quadrature : {"cell", "point"}
        Cell integrals or point values times cell widths.
    """

    statistics = "bosonic"

    def __init__(self, frequencies: np.ndarray, mesh: Mesh, *, beta: float,
                 components: Components = "both", symmetric: bool = False,
                 prefactor: float = 1.0, n_sub: int = 8, quadrature: str = "cell") -> None:
        if symmetric and mesh.edges[0] < -1e-12:
            raise ParameterError("a symmetric bosonic kernel needs a mesh on omega >= 0")
        self.symmetric = bool(symmetric)
        self.prefactor = float(prefactor)
        super().__init__(frequencies, mesh, beta=beta, components=components, n_sub=n_sub,
                         quadrature=quadrature)

    def _re_im(self, wn: np.ndarray, omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, n = omega[None, :], wn[:, None]
        d = w**2 + n**2
        with np.errstate(invalid="ignore", divide="ignore"):
            re = np.where(d > 0, w**2 / d, 1.0)
            im = np.where(d > 0, w * n / d, 0.0)
        if self.symmetric:
            re, im = 2.0 * re, np.zeros_like(im)
        return self.prefactor * re, self.prefactor * im

    def parameters(self) -> dict[str, Any]:
        """Physical parameters, recorded in every result's metadata.

        Returns
        -------
        dict
            ``beta``, ``statistics``, ``n_sub``, ``quadrature``, ``components``,
            ``symmetric`` and ``prefactor``.
        """
        return {**super().parameters(), "symmetric": self.symmetric, "prefactor": self.prefactor}


def fermionic_matsubara(beta: float, n: int) -> np.ndarray:
    """``ω_n = (2n+1)π/β`` for n = 0..n−1.

    Parameters
    ----------
    beta : float
        Inverse temperature (1/energy unit).
    n : int
        Number of positive frequencies.

    Returns
    -------
    ndarray of shape (n,)
        Fermionic Matsubara frequencies (energy unit).
    """
    return (2 * np.arange(n) + 1) * np.pi / beta


def bosonic_matsubara(beta: float, n: int) -> np.ndarray:
    """``Ω_n = 2πn/β`` for n = 0..n−1.

    Parameters
    ----------
    beta : float
        Inverse temperature (1/energy unit).
    n : int
        Number of non-negative frequencies (Ω_0 = 0 included).

    Returns
    -------
    ndarray of shape (n,)
        Bosonic Matsubara frequencies (energy unit).
    """
    return 2 * np.arange(n) * np.pi / beta
