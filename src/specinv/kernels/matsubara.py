"""Analytic-continuation kernels on the Matsubara axis, and the Matsubara frequencies.

Written in the problem's own energy unit (β is 1/energy), like the τ kernels of
:mod:`specinv.kernels.imaginary_time`.

Fermionic (spectrum ``A(ω) = −Im G(ω + i0)/π ≥ 0`` on the full axis)::

    G(iω_n) =  ∫ dω  A(ω) / (iω_n − ω),                         ω_n = (2n+1)π/β

Bosonic (spectrum ``A(ω) = χ''(ω)/(πω) ≥ 0``, ``∫A = χ(iΩ=0)``)::

    χ(iΩ_n)  = ∫ dω  ω (ω + iΩ_n) / (ω² + Ω_n²)  A(ω),          Ω_n = 2πn/β

Conductivity (PHYSICS.md §4, σ even, spectrum σ(ω) on ω ≥ 0)::

    Λ(iν_n) = (1/π) ∫₀^∞ dω  2ω² / (ω² + ν_n²)  σ(ω)

Complex Matsubara data are handled as the real vector ``[Re; Im]`` (rows
stacked), so every solver works unchanged; a ``components`` option keeps only
the real or imaginary rows (e.g. the imaginary part of a particle–hole
symmetric G). Cell quadrature as in :mod:`specinv.kernels.continuation`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.kernels.continuation import ContinuationKernel

Components = Literal["both", "re", "im"]


class _MatsubaraKernel(ContinuationKernel):
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
