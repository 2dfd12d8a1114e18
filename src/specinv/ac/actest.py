"""ACTest standard sets (Huang, Comput. Phys. Commun. 316, 109785 (2025)) for ``bench ac``.

The spectra are re-entered from the ACTest repository (``src/dataset.jl``, github
huangli712/ACTest): ``STD_FG`` holds 20 fermionic spectra built from Gaussian peaks
``A·exp(−(ω − ϵ)²/(2Γ²))`` (continuum, A ≥ 0); ``STD_FD`` 20 spectra of "δ-like" peaks,
Gaussians of width Γ = 0.02 (discrete, A ≥ 0). They are the two positive fermionic
subsets of ACTest's ACT100 set; the other four (signed rise-and-decay spectra, the
bosonic half) are in :mod:`specinv.ac.act100`.

Data as the issue's STD_FG protocol: each spectrum normalized to ∫A = 1 on
``[−OMEGA_MAX, OMEGA_MAX]``, ``G(τ) = −∫ e^{−τω}/(1 + e^{−βω}) A(ω) dω`` at β = 20 on 101
uniform τ points in [0, β], plus white noise of standard deviation σ (fixed seed per
spectrum and noise level), with σ as the error column. Score of one answer:
``Err = ∫|A − A₀| / ∫|A₀|`` on the reference grid (the answer linearly interpolated, zero
outside its own mesh); of a method over a set ``f = Σ max(0, 1 − Err)`` (maximum: the
number of spectra).
"""

from __future__ import annotations

import numpy as np

from specinv.io.qmc import ContinuationInput

#: inverse temperature and τ points of the protocol
BETA, N_TAU = 20.0, 101
#: half-width of ACTest's real-frequency window (its ``wmax``)
OMEGA_MAX = 8.0
#: reference grid points on [−OMEGA_MAX, OMEGA_MAX] (δ-like peaks of width 0.02 resolved)
N_REF = 16001
#: noise levels σ of the bench tables
NOISE_LEVELS = (1e-2, 1e-4, 1e-6)

#: 20 Gaussian-peak spectra, each a tuple of peaks (amplitude A, width Γ, centre ϵ)
STD_FG: tuple[tuple[tuple[float, float, float], ...], ...] = (
    ((1.0, 0.8, 0.0),),
    ((1.0, 0.8, -2.0),),
    ((1.0, 0.8, 2.0),),
    ((1.0, 0.5, -0.8), (1.0, 0.5, 0.8)),
    ((1.0, 0.5, -1.8), (1.0, 0.5, 1.8)),
    ((1.0, 0.5, -3.0), (1.0, 0.5, 3.0)),
    ((1.0, 0.4, 0.0), (1.0, 0.4, -3.0)),
    ((1.0, 0.4, 0.0), (1.0, 0.4, 3.0)),
    ((0.5, 0.5, -3.0), (1.5, 0.5, 3.0)),
    ((1.5, 0.5, -3.0), (0.5, 0.5, 3.0)),
    ((1.0, 0.1, 0.0), (0.5, 1.0, -1.0), (0.5, 1.0, 1.0)),
    ((1.0, 0.1, 0.0), (0.5, 1.0, -2.0), (0.5, 1.0, 2.0)),
    ((1.0, 0.05, 0.0), (0.5, 1.0, -3.0), (0.5, 1.0, 3.0)),
    ((1.0, 0.05, 0.0), (0.4, 0.5, -3.5), (0.4, 0.5, 3.5)),
    ((1.0, 0.05, -1.0), (0.4, 0.8, -3.0), (0.4, 0.8, 3.0)),
    ((1.0, 0.05, 1.0), (0.4, 0.8, -3.0), (0.4, 0.8, 3.0)),
    ((1.0, 0.2, 0.0), (0.6, 0.6, -1.0), (0.6, 0.6, -3.0)),
    ((1.0, 0.2, 0.0), (0.6, 0.6, 1.0), (0.6, 0.6, 3.0)),
    ((1.0, 0.2, 0.0), (0.1, 0.4, -2.0), (0.6, 1.0, 2.0)),
    ((1.0, 0.2, 0.0), (0.1, 0.4, 2.0), (0.6, 1.0, -2.0)),
)

_D = 0.02  # width of ACTest's δ-like peaks
#: 20 δ-like-peak spectra (centres; every peak has A = 1, Γ = 0.02)
STD_FD: tuple[tuple[tuple[float, float, float], ...], ...] = tuple(
    tuple((1.0, _D, c) for c in centres) for centres in (
        (0.0,), (-2.0,), (2.0,), (-4.0,), (4.0,), (-2.0, 2.0), (-1.0, -3.0), (1.0, 3.0),
        (-0.5, 3.0), (-3.0, 0.5), (0.0, -0.5, 0.5), (0.0, -3.0, 3.0),
        (-1.5, -0.5, 0.5, 1.5), (-3.0, -0.5, 0.5, 3.0), (-3.0, -1.0, 1.0, 3.0),
        (0.0, -3.0, -2.5, 2.5, 3.0), (0.0, -3.0, -0.5, 0.5, 3.0), (0.0, -4.0, -2.0, 2.0, 4.0),
        (-4.0, -3.5, -3.0, 3.0, 3.5, 4.0), (-4.0, -1.0, -0.5, 0.5, 1.0, 4.0)))



def reference_grid() -> np.ndarray:
    """The uniform grid on which spectra are built and scored.

    Returns
    -------
    ndarray of shape (N_REF,)
        ω on ``[−OMEGA_MAX, OMEGA_MAX]`` (energy unit of 1/β).
    """
    return np.linspace(-OMEGA_MAX, OMEGA_MAX, N_REF)


def spectrum(peaks: tuple[tuple[float, float, float], ...], omega: np.ndarray) -> np.ndarray:
    """Sum of Gaussian peaks, normalized to unit weight on ``omega`` (trapezoid rule).

    Parameters
    ----------
    peaks : tuple of (A, Γ, ϵ)
        Amplitude, width and centre of each peak (energy unit of ω).
    omega : ndarray of shape (n,)
        Uniform grid.

    Returns
    -------
    ndarray of shape (n,)
        A(ω) ≥ 0 with ∫A dω = 1.
    """
    a = sum(amp * np.exp(-((omega - eps) ** 2) / (2.0 * gam**2)) for amp, gam, eps in peaks)
    return a / np.trapezoid(a, omega)


def green_tau(a: np.ndarray, omega: np.ndarray, tau: np.ndarray, beta: float) -> np.ndarray:
    """Exact ``G(τ) = −∫ e^{−τω}/(1 + e^{−βω}) A(ω) dω`` by the trapezoid rule on ``omega``.

    Parameters
    ----------
    a : ndarray of shape (n,)
        Spectrum on ``omega``.
    omega : ndarray of shape (n,)
        Fine uniform grid.
    tau : ndarray of shape (m,)
        Imaginary times in [0, β].
    beta : float
        Inverse temperature.

    Returns
    -------
    ndarray of shape (m,)
        G(τ) ≤ 0.
    """
    # e^{−τω}/(1 + e^{−βω}) written without overflow for either sign of ω
    x = -np.outer(tau, omega) - np.logaddexp(0.0, -beta * omega)[None, :]
    return -np.trapezoid(np.exp(x) * a[None, :], omega, axis=1)


def make_case(peaks: tuple[tuple[float, float, float], ...], sigma: float,
              seed: int) -> dict:
    """One noisy case of the protocol.

    Parameters
    ----------
    peaks : tuple of (A, Γ, ϵ)
        The spectrum's peaks.
    sigma : float
        Standard deviation of the white noise added to G(τ) (and the error column).
    seed : int
        Seed of the noise.

    Returns
    -------
    dict
        ``data`` (:class:`~specinv.io.qmc.ContinuationInput`), ``kernel``, ``beta``,
        ``ref_omega`` (N_REF,), ``ref`` (N_REF,), ``window`` (OMEGA_MAX), ``sigma`` and
        ``seed``.
    """
    omega = reference_grid()
    a = spectrum(peaks, omega)
    tau = np.linspace(0.0, BETA, N_TAU)
    return noisy_case(a, green_tau(a, omega, tau, BETA), sigma, seed, "fermionic-tau",
                      f"actest sigma={sigma:g} seed={seed}")


def noisy_case(a: np.ndarray, g: np.ndarray, sigma: float, seed: int, kernel: str,
               source: str) -> dict:
    """The protocol's case from an exact spectrum and its exact data: white noise of σ added.

    Parameters
    ----------
    a : ndarray of shape (N_REF,)
        Exact spectrum on :func:`reference_grid`.
    g : ndarray of shape (N_TAU,)
        Its exact data on the protocol's τ points.
    sigma : float
        Standard deviation of the noise (and the error column).
    seed : int
        Seed of the noise.
    kernel : str
        Kernel name of the data (``specinv ac continue --kernel``).
    source : str
        Label of the data.

    Returns
    -------
    dict
        As :func:`make_case`.
    """
    tau = np.linspace(0.0, BETA, N_TAU)
    noisy = g + sigma * np.random.default_rng(seed).standard_normal(tau.size)
    data = ContinuationInput(tau, noisy, error=np.full(tau.size, sigma), source=source)
    return {"data": data, "kernel": kernel, "beta": BETA, "ref_omega": reference_grid(),
            "ref": a, "window": OMEGA_MAX, "sigma": sigma, "seed": seed}


def relative_error(omega: np.ndarray, spec: np.ndarray, ref_omega: np.ndarray,
                   ref: np.ndarray) -> float:
    """ACTest's ``Err = ∫|A − A₀| / ∫|A₀|`` on the reference grid.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Points of the answer (increasing).
    spec : ndarray of shape (n,)
        The answer A(ω).
    ref_omega : ndarray of shape (m,)
        Reference grid.
    ref : ndarray of shape (m,)
        Exact A₀ on it.

    Returns
    -------
    float
        Err ≥ 0 (0: exact; 1: as far as a zero answer).
    """
    a = np.interp(ref_omega, omega, spec, left=0.0, right=0.0)
    return float(np.trapezoid(np.abs(a - ref), ref_omega) / np.trapezoid(np.abs(ref), ref_omega))


def score(errs: list[float]) -> float:
    """``f = Σ max(0, 1 − Err)`` over a set (failures count 0).

    Parameters
    ----------
    errs : list of float
        Err of each spectrum (NaN for a failed run).

    Returns
    -------
    float
        The score, between 0 and the number of spectra.
    """
    e = np.asarray(errs, float)
    return float(np.sum(np.where(np.isfinite(e), np.maximum(0.0, 1.0 - e), 0.0)))
