"""ACTest's ACT100 set: 100 spectra in six subsets, as G(τ) data for ``bench ac``.

Re-entered from the ACTest repository (``src/dataset.jl``, github huangli712/ACTest;
Huang, Comput. Phys. Commun. 316, 109785 (2025)), which defines the set as the union of
six subsets:

=========  ====  ==========  =======================================================
subset     size  statistics  spectra
=========  ====  ==========  =======================================================
std_fg     20    fermionic   Gaussian peaks, A ≥ 0 (:data:`specinv.ac.actest.STD_FG`)
std_fd     20    fermionic   δ-like peaks (Γ = 0.02), A ≥ 0 (``actest.STD_FD``)
std_frd    10    fermionic   rise-and-decay peaks with signs: A changes sign
                             (an off-diagonal element)
std_bg     20    bosonic     the std_fg peaks, as Ã(ω) = A(ω)/ω ≥ 0
std_bd     20    bosonic     the std_fd peaks (first centre −0.2 instead of 0)
std_brd    10    bosonic     rise-and-decay peaks with signs (two centres moved)
=========  ====  ==========  =======================================================

A rise-and-decay peak is ``h exp(−|ω − c|^γ)``. As in ACTest, a spectrum is normalized to
unit weight only when all its signs are positive. The protocol is that of
:mod:`specinv.ac.actest` (β = 20, 101 uniform τ points, white noise σ with σ as the error
column, spectra on ``[−8, 8]``, scored by ``Err = ∫|A − A₀| / ∫|A₀|``): fermionic data
are ``G(τ) = −∫ e^{−τω}/(1 + e^{−βω}) A(ω) dω``, bosonic data
``χ(τ) = ∫ ω e^{−τω}/(1 − e^{−βω}) Ã(ω) dω`` (the ``bosonic-tau`` kernel of
``specinv ac continue``; ACTest gives the bosonic sets on Matsubara frequencies with the
kernel ``ω/(iΩ_n − ω)``, the same Ã).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specinv.ac import actest
from specinv.kernels.imaginary_time import bosonic_tau_kernel

#: rise-and-decay spectra of std_frd: peaks (c, γ, h) and their signs
STD_FRD: tuple[tuple[tuple[tuple[float, float, float], ...], tuple[float, ...]], ...] = (
    (((0.0, 1.5, 1.0),), (-1.0,)),
    (((-1.0, 1.5, 0.5), (1.0, 1.5, 0.5)), (-1.0, 1.0)),
    (((-1.0, 1.5, 0.5), (1.0, 1.5, 0.5)), (1.0, -1.0)),
    (((-3.0, 2.0, 0.2), (3.0, 2.0, 0.5)), (-1.0, 1.0)),
    (((-3.0, 2.0, 0.5), (3.0, 2.0, 0.2)), (1.0, -1.0)),
    (((-2.0, 1.5, 0.5), (2.0, 1.5, 0.5)), (-1.0, -1.0)),
    (((-2.5, 1.5, 0.2), (0.0, 1.5, 0.5), (2.5, 1.5, 0.2)), (-1.0, 1.0, -1.0)),
    (((-2.5, 1.5, 0.5), (0.0, 1.5, 0.2), (2.5, 1.5, 0.5)), (1.0, -1.0, 1.0)),
    (((-3.0, 0.5, 0.2), (-1.0, 0.5, 0.25), (1.0, 0.5, 0.25), (3.0, 0.5, 0.2)),
     (-1.0, 1.0, 1.0, -1.0)),
    (((-3.0, 0.5, 0.2), (-1.0, 0.5, 0.5), (0.0, 0.5, 0.5), (1.0, 0.5, 0.5), (3.0, 0.5, 0.2)),
     (1.0, -1.0, 1.0, -1.0, 1.0)),
)
#: std_brd: std_frd with the first centre of spectrum 2 at −0.5 and the signs of 4 swapped
STD_BRD = (STD_FRD[0], (((-0.5, 1.5, 0.5), (1.0, 1.5, 0.5)), (-1.0, 1.0)), STD_FRD[2],
           (STD_FRD[3][0], (1.0, -1.0)), *STD_FRD[4:])
#: std_bd: std_fd with the single peak of spectrum 1 at −0.2 (Ã at ω = 0 is ill-defined)
STD_BD = (((1.0, actest.STD_FD[0][0][1], -0.2),), *actest.STD_FD[1:])


@dataclass(frozen=True)
class Subset:
    """One subset of ACT100.

    Parameters
    ----------
    spectra : tuple
        Gaussian subsets: tuples of peaks (A, Γ, ϵ); rise-and-decay subsets: tuples
        ``(peaks (c, γ, h), signs)``.
    statistics : {"fermionic", "bosonic"}
        Kernel of the data.
    signed : bool
        Rise-and-decay spectra with signs (A may be negative).
    """

    spectra: tuple
    statistics: str
    signed: bool

    @property
    def kernel(self) -> str:
        """Kernel name of ``specinv ac continue`` for this subset's data."""
        return f"{self.statistics}-tau"


SUBSETS = {
    "std_fg": Subset(actest.STD_FG, "fermionic", False),
    "std_fd": Subset(actest.STD_FD, "fermionic", False),
    "std_frd": Subset(STD_FRD, "fermionic", True),
    "std_bg": Subset(actest.STD_FG, "bosonic", False),
    "std_bd": Subset(STD_BD, "bosonic", False),
    "std_brd": Subset(STD_BRD, "bosonic", True),
}


def rise_decay(peaks: tuple[tuple[float, float, float], ...], signs: tuple[float, ...],
               omega: np.ndarray) -> np.ndarray:
    """``Σ_k s_k h_k exp(−|ω − c_k|^γ_k)``, normalized to unit weight if every s_k > 0.

    Parameters
    ----------
    peaks : tuple of (c, γ, h)
        Centre, exponent and height of each peak (energy unit of ω).
    signs : tuple of float
        Sign of each peak (±1).
    omega : ndarray of shape (n,)
        Uniform grid.

    Returns
    -------
    ndarray of shape (n,)
        A(ω), of either sign.
    """
    a = sum(s * h * np.exp(-np.abs(omega - c) ** g) for (c, g, h), s in
            zip(peaks, signs, strict=True))
    return a / np.trapezoid(a, omega) if all(s > 0 for s in signs) else a


def reference_spectrum(name: str, index: int, omega: np.ndarray) -> np.ndarray:
    """The exact spectrum ``index`` of subset ``name`` on ``omega``.

    Parameters
    ----------
    name : str
        A key of :data:`SUBSETS`.
    index : int
        Spectrum in the subset (0-based).
    omega : ndarray of shape (n,)
        Uniform grid.

    Returns
    -------
    ndarray of shape (n,)
        A(ω) (fermionic) or Ã(ω) = A(ω)/ω (bosonic).
    """
    sub = SUBSETS[name]
    entry = sub.spectra[index]
    return rise_decay(*entry, omega) if sub.signed else actest.spectrum(entry, omega)


def make_case(name: str, index: int, sigma: float, seed: int) -> dict:
    """One noisy case of subset ``name`` (the protocol of :func:`actest.make_case`).

    Parameters
    ----------
    name : str
        A key of :data:`SUBSETS`.
    index : int
        Spectrum in the subset (0-based).
    sigma : float
        Standard deviation of the white noise on the data (and the error column).
    seed : int
        Seed of the noise.

    Returns
    -------
    dict
        As :func:`specinv.ac.actest.make_case`, plus ``subset`` and ``signed``.
    """
    sub = SUBSETS[name]
    omega = actest.reference_grid()
    a = reference_spectrum(name, index, omega)
    tau = np.linspace(0.0, actest.BETA, actest.N_TAU)
    if sub.statistics == "fermionic":
        g = actest.green_tau(a, omega, tau, actest.BETA)
    else:
        g = np.trapezoid(bosonic_tau_kernel(tau, omega, actest.BETA) * a[None, :], omega,
                         axis=1)
    case = actest.noisy_case(a, g, sigma, seed, sub.kernel,
                             f"act100 {name}[{index}] sigma={sigma:g} seed={seed}")
    return {**case, "subset": name, "signed": sub.signed}
