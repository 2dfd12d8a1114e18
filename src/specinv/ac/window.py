"""The real-frequency window of a continuation: kernel names, data moments, mesh.

Kernel names (:data:`KERNELS`) and what they imply (τ or Matsubara axis, fermionic or
bosonic, full or half frequency axis); the window W estimated from the spectral moments
of the data (:func:`auto_omega_max`), the zeroth moment ``∫A dω`` used as the norm of the
default model and as the sum rule (:func:`spectral_norm`), and the real-frequency mesh on
that window (:func:`default_mesh`).
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.io.qmc import ContinuationInput
from specinv.kernels import Mesh

KERNELS = ("fermionic-tau", "fermionic-matsubara", "bosonic-tau", "bosonic-matsubara",
           "conductivity-tau")


def is_tau(kernel: str) -> bool:
    """True for imaginary-time kernels.

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS`.

    Returns
    -------
    bool
        Whether the data are on the τ axis.
    """
    return kernel.endswith("-tau")


def is_fermionic(kernel: str) -> bool:
    """True for fermionic kernels.

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS`.

    Returns
    -------
    bool
        Whether the kernel is fermionic.
    """
    return kernel.startswith("fermionic")


def half_axis(kernel: str) -> bool:
    """True when the spectrum lives on ω ≥ 0 (even spectra).

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS`.

    Returns
    -------
    bool
        Whether the mesh covers ω ≥ 0 only.
    """
    return kernel in ("bosonic-matsubara", "conductivity-tau")


def sign_change_note(data: ContinuationInput, kernel: str) -> str | None:
    """A note when fermionic G(τ) changes sign, which no spectrum A ≥ 0 gives.

    Data clearly positive somewhere and clearly negative elsewhere (beyond 5 error bars,
    or 5 % of max |G| without errors) come from a spectrum of either sign, e.g. an
    off-diagonal element, which needs ``--signed``.

    Parameters
    ----------
    data : ContinuationInput
        The data, as read (after any flip of the sign convention).
    kernel : str
        One of :data:`KERNELS` (only ``fermionic-tau`` is tested).

    Returns
    -------
    str or None
        The note, or None.
    """
    if kernel != "fermionic-tau":
        return None
    g = np.asarray(data.values, float)
    scale = 5.0 * (np.asarray(data.error, float) if data.error is not None
                   else 0.05 * np.max(np.abs(g)))
    if not (np.any(g > scale) and np.any(g < -scale)):
        return None
    return (f"G(τ) changes sign (from {g.min():.3g} to {g.max():.3g}): no spectrum A ≥ 0 "
            "gives that; for an off-diagonal element use --signed")


def tau_end_fits(tau: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Cubic fits to the first and last ``min(8, n/4)`` points of G(τ), in ``τ − τ_end``.

    Their constant and quadratic coefficients are G and G''/2 at each end: moments of the
    spectrum weighted towards ω > 0 at τ = 0 and towards ω < 0 at τ = β.

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Imaginary times, increasing.
    g : ndarray of shape (n,)
        G(τ).

    Returns
    -------
    (ndarray, ndarray) or None
        The coefficients (highest power first) at τ = 0 and at τ = β; None for n < 16.
    """
    k = min(8, tau.size // 4)
    if k < 4:
        return None
    return (np.polyfit(tau[:k] - tau[0], g[:k], 3), np.polyfit(tau[-k:] - tau[-1], g[-k:], 3))


def auto_omega_max(data: ContinuationInput, kernel: str, beta: float) -> float:
    """Frequency window W from the data's spectral moments.

    τ data: ``m0 = −G(0) − G(β)``-like sums and second derivatives at the ends
    give ``m2/m0``; Matsubara data: the 1/ω_n² decay of the last points. W is
    ``5 √(m2/m0)``, at least ``20/β`` (so the thermal window is covered).

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data.
    kernel : str
        One of :data:`KERNELS`.
    beta : float
        Inverse temperature (1/energy unit of the data).

    Returns
    -------
    float
        W in the data's energy unit.
    """
    floor = 20.0 / beta
    try:
        if is_tau(kernel):
            fits = tau_end_fits(data.points, data.values)
            if fits is None:
                return floor
            p0, p1 = fits
            m0 = abs(p0[-1] + p1[-1])
            m2 = abs(2 * p0[-3] + 2 * p1[-3])
        else:
            wn = data.points
            re = data.values
            im = data.imag if data.imag is not None else data.values
            sel = wn > 0
            tail = slice(-max(3, sel.sum() // 5), None)
            if is_fermionic(kernel):
                m0, m2 = matsubara_moments(wn[sel], im[sel])
                # Re G ≈ −m1/ω_n²: a shifted band widens the window by |m1/m0|
                m1 = float(np.median(-re[sel][tail] * wn[sel][tail] ** 2))
                m2 = max(m2, m1**2 / max(m0, 1e-300))
            else:
                m0 = abs(float(re[0]))
                m2 = float(np.median(np.abs(re[sel][tail] * wn[sel][tail] ** 2)))
        ratio = m2 / m0 if m0 > 0 else 0.0
        w = 5.0 * np.sqrt(ratio) if np.isfinite(ratio) and ratio > 0 else floor
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        w = floor
    return float(max(w, floor))


def matsubara_moments(wn: np.ndarray, im: np.ndarray) -> tuple[float, float]:
    """Zeroth and second moments of A from the tail ``Im G = −m0/ω_n + m2/ω_n³``.

    A straight-line fit of ``−ω_n Im G = m0 − m2/ω_n²`` against ``1/ω_n²`` over the
    upper half of the positive frequencies (taking the median of either side alone
    lets the ``m2/ω_n²`` term cancel part of ``m2``: a ±4 band read as ±0.66).

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive Matsubara frequencies, increasing.
    im : ndarray of shape (n,)
        Im G(iω_n).

    Returns
    -------
    m0, m2 : float
        ``∫A dω`` and ``∫ω² A dω`` (m2 ≥ 0).
    """
    half = slice(wn.size // 2, None)
    x, y = 1.0 / wn[half] ** 2, -wn[half] * im[half]
    if x.size < 3:
        return float(np.median(y)), 0.0
    slope, m0 = np.polyfit(x, y, 1)
    return float(m0), float(max(-slope, 0.0))


def spectral_norm(data: ContinuationInput, kernel: str,
                  beta: float | None = None) -> float | None:
    """Zeroth moment ``∫A dω`` of a fermionic spectrum read off the data.

    τ data: ``−G(0⁺) − G(β⁻)`` (the sampled values when τ = 0 and τ = β are
    on the grid and ``beta`` is given, else cubic extrapolation of the first
    and last points); Matsubara data: ``data.info["zeroth_moment"]`` when the data were
    normalized by a fitted tail (a self-energy divided by Σ₁: 1), else
    ``−ω_n Im G(iω_n)`` on the last fifth of the frequencies. ``None`` for bosonic kernels or when
    the estimate is not positive and finite.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data.
    kernel : str
        One of :data:`KERNELS`.
    beta : float, optional
        Inverse temperature (1/energy unit of the data).

    Returns
    -------
    float or None
        ``∫A dω`` (1 for a normalized spectral function).
    """
    if not is_fermionic(kernel):
        return None
    try:
        if is_tau(kernel):
            tau, g = data.points, data.values
            k = min(8, tau.size // 2)
            if k < 4:
                return None
            end = beta if beta is not None else np.inf
            g0 = g[0] if tau[0] == 0 else np.polyval(np.polyfit(tau[:k] - tau[0], g[:k], 3),
                                                     -tau[0])
            gb = g[-1] if abs(tau[-1] - end) <= 1e-9 * end else np.polyval(
                np.polyfit(tau[-k:] - tau[-1], g[-k:], 3), end - tau[-1]
                if beta is not None else 0.0)
            norm = -(g0 + gb)
        else:
            if data.info.get("zeroth_moment") is not None:  # normalized by a fitted tail
                return float(data.info["zeroth_moment"])
            wn, im = data.points, data.imag
            sel = wn > 0
            tail = slice(-max(3, int(sel.sum()) // 5), None)
            norm = float(np.median(-im[sel][tail] * wn[sel][tail]))
    except (np.linalg.LinAlgError, ValueError, TypeError):
        return None
    return float(norm) if np.isfinite(norm) and norm > 0 else None


def default_mesh(kernel: str, omega_max: float, n_omega: int) -> Mesh:
    """Real-frequency mesh, denser near ω = 0 (3× within W/4).

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS` (half-axis kernels get a mesh on [0, W]).
    omega_max : float
        Window W (energy unit of the data), > 0.
    n_omega : int
        Mesh points, >= 10.

    Returns
    -------
    Mesh
        Mesh on [−W, W], or on [0, W] with a first cell starting at 0.
    """
    if not omega_max > 0:
        raise ParameterError(f"--omega-max must be > 0, got {omega_max}")
    if n_omega < 10:
        raise ParameterError(f"--n-omega must be >= 10, got {n_omega}")
    if half_axis(kernel):
        full = Mesh.focused(-omega_max, omega_max, 2 * n_omega - 1, center=0.0,
                            width=omega_max / 4, density=3.0)
        pts = full.points[n_omega - 1:]
        pts = np.concatenate([[0.0], pts[1:]]) if pts[0] != 0 else pts
        mid = 0.5 * (pts[1:] + pts[:-1])
        edges = np.concatenate([[0.0], mid, [pts[-1] + (pts[-1] - mid[-1])]])
        return Mesh(pts, edges)
    return Mesh.focused(-omega_max, omega_max, n_omega, center=0.0, width=omega_max / 4,
                        density=3.0)
