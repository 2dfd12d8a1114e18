"""Continuation of a self-energy Σ(iω_n): tail fit, normalized Σ, Σ(ω) with its KK real part.

A self-energy is not a Green's function: it tends to the Hartree shift Σ(∞) and its
spectral weight is the 1/iω_n tail coefficient Σ₁, not 1::

    Σ(iω_n) = Σ∞ + Σ₁/(iω_n) + O(1/ω_n²),    Σ₁ = ∫ σ_Σ(ω) dω,   σ_Σ = −Im Σ(ω+i0)/π ≥ 0.

:func:`fit_tail` reads Σ∞ and Σ₁ (and their errors) off the asymptotic part of the data by
weighted least squares of the 1/ω_n expansion of Re Σ and Im Σ. The normalized self-energy
``g(iω_n) = (Σ(iω_n) − Σ∞)/Σ₁`` is then a Green's function of unit weight whose spectral
function ``σ(ω) = −Im Σ(ω)/(π Σ₁)`` is continued with the fermionic Matsubara kernel
(:func:`continue_self_energy`) on the frequencies below a stitched tail, under the noise
measured on their tail (:mod:`specinv.ac.stitch`); Σ(ω) is rebuilt as

    Im Σ(ω) = −π Σ₁ σ(ω),     Re Σ(ω) = Σ∞ + Σ₁ P∫ σ(x)/(ω − x) dx,

the principal value done exactly on the real mesh (:func:`~.kramers_kronig.hilbert_real_part`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specinv.ac.kramers_kronig import hilbert_real_part
from specinv.core.errors import InputError
from specinv.io.qmc import ContinuationInput

#: χ²/dof up to which the two-term tail expansion is taken to describe the data
TAIL_CHI2 = 2.0
#: the 1/ω_n³ term may be at most this fraction of the 1/ω_n term at the fit's start
TAIL_CORRECTION = 0.1
#: fewest frequencies of a tail fit
MIN_TAIL_POINTS = 4
#: half-width of the window of the Z fit, in units of T = 1/β: ±2πT, the thermal scale
#: below which Matsubara data at temperature T resolve no structure
Z_WINDOW = 2 * np.pi
#: default real-frequency points of a self-energy (its window is wide, and Z needs
#: several points within ±2πT of ω = 0)
SIGMA_N_OMEGA = 401
#: fewest mesh points inside the Z fit window before a note asks for a finer mesh
Z_MIN_POINTS = 5
#: automatic window: W = WIDTH_FACTOR·√m₂ of the normalized spectral function (as for G)
WIDTH_FACTOR = 5.0


@dataclass
class TailFit:
    """High-frequency expansion ``Σ∞ + Σ₁/(iω_n)`` read off the data.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    sigma_inf, sigma_inf_err : float
        Hartree shift Σ(∞) and its one-σ error (energy unit of the data).
    sigma_1, sigma_1_err : float
        Tail coefficient Σ₁ = ∫σ_Σ dω and its error (energy²).
    omega_from : float
        Lowest Matsubara frequency of the fit.
    n_points : int
        Frequencies fitted.
    chi2_reduced : float
        χ²/dof of the two fits together (error bars scaled up by √χ²/dof when > 1).
    """

    sigma_inf: float
    sigma_inf_err: float
    sigma_1: float
    sigma_1_err: float
    omega_from: float
    n_points: int
    chi2_reduced: float

    def metadata(self) -> dict[str, Any]:
        """JSON-ready record of the fit.

        Returns
        -------
        dict
            Every attribute, by name.
        """
        return dict(self.__dict__)


def _wls(basis: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares: coefficients, their covariance (unscaled), χ²."""
    a = basis * w[:, None]
    coef, *_ = np.linalg.lstsq(a, y * w, rcond=None)
    cov = np.linalg.pinv(a.T @ a)
    chi2 = float(np.sum(((basis @ coef - y) * w) ** 2))
    return coef, cov, chi2


def fit_tail(wn: np.ndarray, sigma: np.ndarray, error: np.ndarray | None = None, *,
             source: str = "") -> TailFit:
    """Σ∞ and Σ₁ from the asymptotic part of Σ(iω_n), by weighted least squares.

    ``Re Σ = Σ∞ − c₂/ω_n² + c₄/ω_n⁴`` and ``Im Σ = −Σ₁/ω_n + c₃/ω_n³ − c₅/ω_n⁵`` are
    fitted over ω_n ≥ ω_s (the third terms keep the truncation bias of Σ₁ below its
    statistical error where the fit starts low). ω_s is the lowest Matsubara frequency
    (geometric grid of indices) from which the fits describe the data within their errors
    (χ²/dof ≤ :data:`TAIL_CHI2`) and the series has converged (the 1/ω_n³ term at ω_s
    below :data:`TAIL_CORRECTION` of the leading one): the tail is best resolved there,
    the highest frequencies of a QMC run are often noise-dominated.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Matsubara frequencies ω_n > 0, increasing (energy unit).
    sigma : ndarray of shape (n,), complex
        Σ(iω_n).
    error : ndarray of shape (n,), optional
        One-σ error of Re and Im Σ; without it the errors of the coefficients come from
        the scatter of the residuals over the highest half of the frequencies.
    source : str
        File name, for messages.

    Returns
    -------
    TailFit
        Coefficients, errors and what was fitted.

    Raises
    ------
    InputError
        Too few frequencies, or Σ₁ not positive (Im Σ(iω_n) must fall like −Σ₁/ω_n with
        Σ₁ > 0 for a causal self-energy).
    """
    n = wn.size
    if n < 2 * MIN_TAIL_POINTS:
        raise InputError(f"need at least {2 * MIN_TAIL_POINTS} Matsubara frequencies for the "
                         f"tail fit of a self-energy, found {n}", source)
    if not np.median(-wn[n // 2:] * sigma.imag[n // 2:]) > 0:
        raise InputError("Im Σ(iω_n) does not fall like −Σ₁/ω_n with Σ₁ > 0 at the highest "
                         "frequencies: not a causal self-energy, or the opposite sign "
                         "convention (Im Σ > 0 at ω_n > 0)", source)
    given = error is not None
    if given:
        err = np.asarray(error, dtype=float)
    else:
        half = slice(n // 2, None)
        _, _, chi = _wls(np.c_[-1.0 / wn[half], 1.0 / wn[half] ** 3], sigma.imag[half],
                         np.ones(n - n // 2))
        err = np.full(n, np.sqrt(chi / max(n - n // 2 - 2, 1)) or 1e-12)
    starts = np.unique(np.geomspace(1, n - MIN_TAIL_POINTS + 1, 60).astype(int)) - 1
    fit, ok = None, []
    for i in starts:
        x, s, w = wn[i:], sigma[i:], 1.0 / err[i:]
        c_re, cov_re, chi_re = _wls(np.c_[np.ones_like(x), -1.0 / x**2, 1.0 / x**4], s.real, w)
        c_im, cov_im, chi_im = _wls(np.c_[-1.0 / x, 1.0 / x**3, -1.0 / x**5], s.imag, w)
        chi2 = (chi_re + chi_im) / max(2 * x.size - 6, 1)
        fit = (i, c_re, cov_re, c_im, cov_im, chi2)
        converged = c_im[0] > 0 and abs(c_im[1]) / x[0] ** 2 <= TAIL_CORRECTION * c_im[0]
        if converged and (chi2 <= TAIL_CHI2 or not given):
            break
        ok += [fit] if converged else []
    else:  # no start fits the given errors: same rule with errors scaled to the best fit's
        low = min((f[-1] for f in ok), default=np.inf)  # χ² (not the last noisy points)
        fit = next((f for f in ok if f[-1] <= TAIL_CHI2 * low), fit)
    i, c_re, cov_re, c_im, cov_im, chi2 = fit
    if not c_im[0] > 0:
        raise InputError(f"Im Σ(iω_n) does not fall like −Σ₁/ω_n with Σ₁ > 0 (tail fit gives "
                         f"Σ₁ = {c_im[0]:.3g}): not a causal self-energy, or the opposite "
                         "sign convention (Im Σ > 0 at ω_n > 0)", source)
    scale = max(chi2, 1.0) if given else 1.0
    return TailFit(float(c_re[0]), float(np.sqrt(cov_re[0, 0] * scale)), float(c_im[0]),
                   float(np.sqrt(cov_im[0, 0] * scale)), float(wn[i]), int(n - i),
                   float(chi2 if given else np.nan))


def spectral_width(wn: np.ndarray, g: np.ndarray, error: np.ndarray | None) -> float:
    """Second moment ``m₂ = ∫ω²σ dω`` of a unit-weight Green's function from its tail.

    ``−ω_n Im g(iω_n) − 1 = −m₂/ω_n² + m₄/ω_n⁴`` holds once ω_n exceeds the spectral
    extent; the fit starts at the lowest frequency from which this form describes the
    data within their errors (χ²/dof ≤ 2): the points just above the spectrum resolve m₂.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive Matsubara frequencies, increasing (energy unit).
    g : ndarray of shape (n,), complex
        Normalized function, ``g ≈ 1/(iω_n)`` at large ω_n.
    error : ndarray of shape (n,) or None
        One-σ error of Im g (estimated from the scatter of the highest half when None).

    Returns
    -------
    float
        m₂ (energy²), ≥ 0; 0 when no start gives an acceptable fit.
    """
    y = -wn * g.imag - 1.0
    if error is None:
        half = slice(wn.size // 2, None)
        error = np.full(wn.size, float(np.std(y[half] / wn[half])) or 1e-12)
    ey = wn * np.asarray(error, dtype=float)
    basis = np.c_[-1.0 / wn**2, 1.0 / wn**4]
    starts = np.unique(np.geomspace(1, max(wn.size - 8, 1), 40).astype(int)) - 1
    for i in starts:
        if wn.size - i < 8:
            break
        coef, _, chi2 = _wls(basis[i:], y[i:], 1.0 / ey[i:])
        if chi2 / (wn.size - i - 2) <= 2.0:
            return float(max(coef[0], 0.0))
    return 0.0


def normalized_input(wn: np.ndarray, sigma: np.ndarray, error: np.ndarray | None,
                     tail: TailFit, source: str = "") -> ContinuationInput:
    """The unit-weight Green's function ``(Σ − Σ∞)/Σ₁`` as continuation input.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Matsubara frequencies (energy unit).
    sigma : ndarray of shape (n,), complex
        Σ(iω_n).
    error : ndarray of shape (n,) or None
        One-σ errors of Σ (scaled by 1/Σ₁ here).
    tail : TailFit
        Σ∞ and Σ₁.
    source : str
        File name, for messages.

    Returns
    -------
    ContinuationInput
        ``points = wn``, Re and Im of the normalized Σ and its errors.
    """
    g = (sigma - tail.sigma_inf) / tail.sigma_1
    err = None if error is None else np.asarray(error, dtype=float) / tail.sigma_1
    info = {"n_points": int(wn.size), "normalized_by": "Σ₁", "zeroth_moment": 1.0}
    return ContinuationInput(np.asarray(wn, dtype=float), g.real.copy(), g.imag.copy(), err,
                             False, source, info)


def real_axis_sigma(omega: np.ndarray, edges: np.ndarray, spectrum: np.ndarray,
                    tail: TailFit) -> tuple[np.ndarray, np.ndarray]:
    """Re Σ(ω) and Im Σ(ω) from the continued normalized spectral function σ(ω).

    Parameters
    ----------
    omega : ndarray of shape (m,)
        Real-frequency mesh points (energy unit).
    edges : ndarray of shape (m + 1,)
        The mesh's cell edges (σ falls to zero at the outer ones).
    spectrum : ndarray of shape (m,)
        σ(ω) ≥ 0 with ∫σ = 1 (1/energy).
    tail : TailFit
        Σ∞ and Σ₁.

    Returns
    -------
    re_sigma, im_sigma : ndarray of shape (m,)
        ``Σ∞ + Σ₁ P∫σ(x)/(ω − x)dx`` and ``−π Σ₁ σ(ω)`` (energy unit).
    """
    re = tail.sigma_inf + tail.sigma_1 * hilbert_real_part(omega, spectrum, edges=edges)
    return re, -np.pi * tail.sigma_1 * np.asarray(spectrum, dtype=float)


def quasiparticle_weight(omega: np.ndarray, re_sigma: np.ndarray, *,
                         half_width: float) -> tuple[float | None, float]:
    """``Z = 1/(1 − ∂Re Σ/∂ω|₀)`` from a quadratic fit of Re Σ over |ω| ≤ half_width.

    The quadratic term absorbs the particle–hole asymmetry of Re Σ around ω = 0, so the
    slope at 0 does not depend on the side the mesh points fall.

    Parameters
    ----------
    omega : ndarray of shape (m,)
        Real frequencies (energy unit), covering ω = 0.
    re_sigma : ndarray of shape (m,)
        Re Σ(ω).
    half_width : float
        Half-width of the fit window (energy unit); at least five points are used.

    Returns
    -------
    z : float or None
        The quasiparticle weight, None when ``1 − slope ≤ 0`` (no Fermi-liquid
        quasiparticle: a pole of Σ near ω = 0, as in a Mott insulator).
    slope : float
        ∂Re Σ/∂ω at ω = 0.
    """
    order = np.argsort(np.abs(omega))
    k = max(5, int(np.count_nonzero(np.abs(omega) <= half_width)))
    idx = order[:k]
    slope = float(np.polyfit(omega[idx], re_sigma[idx], 2)[1])
    return (1.0 / (1.0 - slope) if slope < 1.0 else None), slope


@dataclass
class SelfEnergyResult:
    """Σ(ω) on the real axis with what it came from.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    omega : ndarray of shape (m,)
        Real frequencies (energy unit).
    re_sigma, im_sigma : ndarray of shape (m,)
        Re and Im Σ(ω + i0) (energy unit).
    tail : TailFit
        Σ∞ and Σ₁ with errors.
    z : float or None
        Quasiparticle weight (None: no quasiparticle).
    slope : float
        ∂Re Σ/∂ω at 0.
    setup : ContinuationSetup
        The continuation of the normalized Σ.
    result : InversionResult
        Its answer (σ(ω), check).
    notes : list of str
        Remarks for the user.
    """

    omega: np.ndarray
    re_sigma: np.ndarray
    im_sigma: np.ndarray
    tail: TailFit
    z: float | None
    slope: float
    setup: Any
    result: Any
    notes: list[str] = field(default_factory=list)


def continue_self_energy(wn: np.ndarray, sigma: np.ndarray, error: np.ndarray | None,
                         beta: float, *, method: str = "maxent",
                         options: dict[str, Any] | None = None,
                         omega_max: float | None = None, n_omega: int | None = None,
                         source: str = "") -> SelfEnergyResult:
    """Continue Σ(iω_n) to Σ(ω) via the normalized self-energy.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive fermionic Matsubara frequencies (energy unit), increasing.
    sigma : ndarray of shape (n,), complex
        Σ(iω_n) including the Hartree shift.
    error : ndarray of shape (n,) or None
        One-σ error of Re and Im Σ (estimated from the data when None).
    beta : float
        Inverse temperature (1/energy unit).
    method : str
        Registered solver.
    options : dict, optional
        Solver options.
    omega_max, n_omega : optional
        Real-frequency window and size (window automatic when omitted, widened while σ
        does not decay at its edges; size default :data:`SIGMA_N_OMEGA`).
    source : str
        File name, for messages.

    Returns
    -------
    SelfEnergyResult
        Σ(ω), the tail fit, Z and the continuation (with its check).
    """
    from specinv.ac.continuation import EDGE_WEIGHT, MAX_WIDEN, WIDEN, continue_data
    from specinv.ac.stitch import cut_at_stitch, measured_noise
    from specinv.core.check import edge_weight

    raw, stitch = cut_at_stitch(ContinuationInput(wn, sigma.real, sigma.imag, error))
    wn, sigma, error = raw.points, raw.values + 1j * raw.imag, raw.error
    tail = fit_tail(wn, sigma, error, source=source)
    noise = measured_noise(normalized_input(wn, sigma, error, tail, source), stitch, beta, method)
    data = noise.data
    auto, n_omega = omega_max is None, n_omega or SIGMA_N_OMEGA
    if auto:
        m2 = spectral_width(wn, data.values + 1j * data.imag, data.error)
        omega_max = max(WIDTH_FACTOR * np.sqrt(m2), 20.0 / beta)
    for _ in range(MAX_WIDEN + 1):
        setup, result = continue_data(data, "fermionic-matsubara", beta, method=method,
                                      options=options, omega_max=omega_max, n_omega=n_omega,
                                      noise_model=noise.model)
        if not auto or edge_weight(result.spectrum, "both") <= EDGE_WEIGHT:
            break
        omega_max *= WIDEN
    setup.omega_max_auto, mesh = auto, result.mesh
    noise.report(result.check, setup.notes)
    re, im = real_axis_sigma(mesh.points, mesh.edges, result.spectrum, tail)
    z, slope = quasiparticle_weight(mesh.points, re, half_width=Z_WINDOW / beta)
    notes = [f"tail fit over ω_n ≥ {tail.omega_from:.4g}: Σ(∞) = {tail.sigma_inf:.6g} ± "
             f"{tail.sigma_inf_err:.2g}, Σ₁ = {tail.sigma_1:.6g} ± {tail.sigma_1_err:.2g}"]
    inside = int(np.count_nonzero(np.abs(mesh.points) <= Z_WINDOW / beta))
    if inside < Z_MIN_POINTS:
        notes.append(f"only {inside} mesh points within ±2πT = ±{Z_WINDOW / beta:.3g} of ω = 0: "
                     f"Z is fitted over the {Z_MIN_POINTS} nearest; pass a larger --n-omega "
                     "for a finer mesh there")
    if z is not None and slope >= 0:
        notes.append(f"∂Re Σ/∂ω at 0 is {slope:.3g} ≥ 0, so Z = {z:.3g} ≥ 1: Re Σ rises through "
                     "ω = 0, no Fermi-liquid quasiparticle at this temperature")
    if z is None:
        notes.append(f"∂Re Σ/∂ω at 0 is {slope:.3g} ≥ 1: no quasiparticle (Z undefined)")
    return SelfEnergyResult(mesh.points, re, im, tail, z, slope, setup, result, notes)
