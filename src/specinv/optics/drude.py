"""Extended Drude analysis: complex optical response → 1/τ(ω) and m*/m(ω).

Every input (σ, ε or the complex refractive index n + ik) is first turned into the
total dielectric function ε(ω) = 1 + 4πiσ(ω)/ω (Gaussian units; e^{-iωt}). The
free carriers are what is left above the background ε_∞ of the higher-energy
(interband, core) excitations: ε(ω) = ε_∞ − ω_p² / (ω [ω m*/m(ω) + i/τ(ω)]), so

    1/τ(ω)   = (ω_p² / ω)  Im[1 / (ε_∞ − ε(ω))],
    m*/m(ω)  = (ω_p² / ω²) Re[1 / (ε_∞ − ε(ω))]

(Puchkov, Basov and Timusk, J. Phys.: Condens. Matter 8, 10049 (1996)). Both are
exact for a Drude metal, ε = ε_∞ − ω_p²/(ω(ω + iγ)): 1/τ = γ and m*/m = 1 at every ω.

When ω_p is not given it follows from the f-sum rule up to a cutoff ω_c,

    ω_p² = (2/π) ∫₀^{ω_c} ω ε₂(ω) dω   (= 8 ∫₀^{ω_c} σ₁ dω in Gaussian units),

with σ₁ held at its lowest measured value
below the data (the dc limit of a Drude–Hagen–Rubens metal). Energies are in meV;
σ in Ω⁻¹cm⁻¹.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specinv.core.errors import ParameterError

#: ε₂ = SIGMA_TO_EPS · σ₁ / ω for σ in Ω⁻¹cm⁻¹ and ω in meV: σ/(ε₀ω) in SI, with
#: σ[S/m] = 100 σ[Ω⁻¹cm⁻¹] and ω[rad/s] = ω[meV]·1e-3·e/ħ
SIGMA_TO_EPS = 100.0 / (8.8541878128e-12 * 1e-3 * 1.602176634e-19 / 1.054571817e-34)
#: the response kinds accepted as input, and their two columns
INPUT_KINDS = {"sigma": ("sigma1 (Ω⁻¹cm⁻¹)", "sigma2 (Ω⁻¹cm⁻¹)"),
               "epsilon": ("epsilon1", "epsilon2"),
               "n": ("n", "k")}


def to_epsilon(omega: np.ndarray, first: np.ndarray, second: np.ndarray,
               kind: str) -> np.ndarray:
    """Total complex dielectric function ε = ε₁ + iε₂ from σ, ε or n + ik.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Photon energies (meV), > 0.
    first, second : ndarray of shape (n,)
        Real and imaginary parts: σ₁, σ₂ (Ω⁻¹cm⁻¹), ε₁, ε₂ or n, k.
    kind : {"sigma", "epsilon", "n"}
        What ``first`` and ``second`` are.

    Returns
    -------
    ndarray of shape (n,), complex
        ε(ω) = 1 + 4πiσ/ω, ε₁ + iε₂ or (n + ik)².
    """
    z = np.asarray(first, dtype=float) + 1j * np.asarray(second, dtype=float)
    if kind == "sigma":
        return 1.0 + 1j * SIGMA_TO_EPS * z / np.asarray(omega, dtype=float)
    if kind == "epsilon":
        return z
    if kind == "n":
        return z**2
    raise ParameterError(f"input kind must be one of {sorted(INPUT_KINDS)}, got {kind!r}")


def to_sigma(omega: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Total complex conductivity σ = ω(ε − 1)/(4πi) in Ω⁻¹cm⁻¹.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Photon energies (meV), > 0.
    eps : ndarray of shape (n,), complex
        Dielectric function.

    Returns
    -------
    ndarray of shape (n,), complex
        σ₁ + iσ₂ (Ω⁻¹cm⁻¹).
    """
    return (np.asarray(eps) - 1.0) * np.asarray(omega, dtype=float) / (1j * SIGMA_TO_EPS)


@dataclass(frozen=True)
class SumRule:
    """Plasma frequency from the f-sum rule (energies in meV).

    Parameters
    ----------
    plasma_frequency : float
        ω_p (meV).
    cutoff : float
        Upper end ω_c of the integral (meV).
    below_data : float
        Share of ω_p² contributed by the extrapolation below the lowest ω.
    """

    plasma_frequency: float
    cutoff: float
    below_data: float

    def to_dict(self) -> dict:
        """JSON-ready description.

        Returns
        -------
        dict
            ω_p, cutoff and the extrapolated share, with the rule used below the data.
        """
        return {"plasma_frequency_meV": self.plasma_frequency, "cutoff_meV": self.cutoff,
                "share_below_data": self.below_data,
                "below_data": "sigma1 held at its value at the lowest omega"}


def sum_rule_plasma_frequency(omega: np.ndarray, eps: np.ndarray, cutoff: float) -> SumRule:
    """ω_p² = (2/π) ∫₀^{ω_c} ω ε₂(ω) dω (trapezoid; σ₁ constant below the data).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Increasing photon energies (meV), > 0.
    eps : ndarray of shape (n,), complex
        Dielectric function.
    cutoff : float
        ω_c (meV), within the data range.

    Returns
    -------
    SumRule
        ω_p (meV) and how it was obtained.

    Raises
    ------
    ParameterError
        ``cutoff`` outside the data or a non-positive spectral weight.
    """
    w = np.asarray(omega, dtype=float)
    if not w[1] <= cutoff <= w[-1]:
        raise ParameterError(f"--sum-rule-cutoff must lie within the data, {w[1]:g}–{w[-1]:g} "
                             f"meV, got {cutoff:g} meV")
    f = w * np.imag(eps)  # ω ε₂ = 4π σ₁ in energy units
    inside = w <= cutoff
    wc, fc = w[inside], f[inside]
    if wc[-1] < cutoff:  # close the integral exactly at the cutoff
        fc = np.append(fc, np.interp(cutoff, w, f))
        wc = np.append(wc, cutoff)
    below = f[0] * w[0]
    total = below + float(np.sum(0.5 * (fc[1:] + fc[:-1]) * np.diff(wc)))
    if not total > 0:
        raise ParameterError(f"the spectral weight up to --sum-rule-cutoff {cutoff:g} meV is "
                             "not positive (is column 2 σ₁, ε₂ or k as --input says?)")
    return SumRule(float(np.sqrt(2.0 / np.pi * total)), float(cutoff), float(below / total))


def extended_drude(omega: np.ndarray, eps: np.ndarray, plasma_frequency: float,
                   eps_inf: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Scattering rate 1/τ(ω) and mass enhancement m*/m(ω) of the free carriers.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Photon energies (meV), > 0.
    eps : ndarray of shape (n,), complex
        Total dielectric function.
    plasma_frequency : float
        ω_p of the carriers (meV), > 0.
    eps_inf : float
        Background dielectric constant ε_∞ of the higher-energy excitations.

    Returns
    -------
    inv_tau : ndarray of shape (n,)
        1/τ(ω) (meV).
    mass_ratio : ndarray of shape (n,)
        m*/m(ω) (dimensionless).

    Raises
    ------
    ParameterError
        ε equals ε_∞ at some ω (no carrier response there).
    """
    w = np.asarray(omega, dtype=float)
    d = eps_inf - np.asarray(eps)
    if np.any(np.abs(d) == 0):
        i = int(np.flatnonzero(np.abs(d) == 0)[0])
        raise ParameterError(f"ε(ω) equals --eps-inf {eps_inf:g} at ω = {w[i]:g} meV: "
                             "no carrier response there")
    inv = plasma_frequency**2 / d
    return inv.imag / w, inv.real / w**2
