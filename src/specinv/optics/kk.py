"""Kramers–Kronig analysis of a normal-incidence reflectivity R(ω).

With r = (N − 1)/(N + 1) = √R e^{iθ} (N = n + ik, e^{-iωt}) the phase follows from
ln R over all frequencies,

    θ(ω) = −(ω/π) ∫₀^∞ [ln R(ω') − ln R(ω)] / (ω'² − ω²) dω'

(the subtracted form: P∫₀^∞ dω'/(ω'² − ω²) = 0, so the integrand is smooth at
ω' = ω, where it equals (d ln R/dω)/(2ω)). R outside the measured range comes
from the usual extrapolations, all recorded in :class:`Extrapolation`:

- below the data, Hagen–Rubens R = 1 − A√ω (A from the lowest point) or a
  Drude–Lorentz model fitted to the measured R (:mod:`specinv.optics.lorentz`);
- above the data, R ∝ ω^{-s} up to the free-electron onset, then R ∝ ω⁻⁴ (the
  asymptote of any ε = 1 − ω_p²/ω²); s is fitted to the top tenth of the data
  unless given.

Then N = (1 + r)/(1 − r), ε = N², σ = ω(ε − 1)/(4πi). Energies in meV, σ in Ω⁻¹cm⁻¹.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from specinv.core.errors import ParameterError
from specinv.optics.drude import to_sigma
from specinv.optics.lorentz import DrudeLorentz, fit_drude_lorentz

#: points of the extrapolation grids: below the data, data top → onset, onset → tail end
N_LOW, N_HIGH, N_TAIL = 400, 400, 1500
#: the ω⁻⁴ tail is integrated up to this multiple of the onset (the rest is < 1e-5 rad)
TAIL_END = 1e6
#: entries of the phase-integral matrix evaluated at once (bounds the memory to ~100 MB)
CHUNK_ENTRIES = 10_000_000
#: most data points accepted: the integral costs (points)² operations
MAX_POINTS = 50_000
LOW_METHODS = ("drude-lorentz", "hagen-rubens")


@dataclass
class Extrapolation:
    """How R(ω) is continued outside the data (energies in meV).

    Parameters
    ----------
    low : {"drude-lorentz", "hagen-rubens"}
        Model below the lowest measured ω.
    high_power : float or None
        Exponent s of R ∝ ω^{-s} above the data (None: fitted to the top tenth).
    onset : float or None
        Free-electron onset: R ∝ ω⁻⁴ above it (None: 10× the highest ω).
    oscillators : int
        Lorentz oscillators of the Drude–Lorentz fit.
    details : dict
        Filled by :func:`reflectivity_phase`: the values used and fit quality.
    """

    low: str = "drude-lorentz"
    high_power: float | None = None
    onset: float | None = None
    oscillators: int = 3
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready record of the extrapolations.

        Returns
        -------
        dict
            The options and what was used (fitted s, onset, model parameters).
        """
        return {"low": self.low, "high_power_given": self.high_power,
                "onset_given_meV": self.onset, "oscillators": self.oscillators,
                **self.details}


def high_power(omega: np.ndarray, refl: np.ndarray) -> float:
    """Log-log slope −d ln R/d ln ω of the top tenth of the data (≥ 3 points), clipped to [0, 4].

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Increasing photon energies (meV).
    refl : ndarray of shape (n,)
        Reflectivity in (0, 1).

    Returns
    -------
    float
        The exponent s of R ∝ ω^{-s}.
    """
    k = max(3, omega.size // 10)
    slope = np.polyfit(np.log(omega[-k:]), np.log(refl[-k:]), 1)[0]
    return float(np.clip(-slope, 0.0, 4.0))


def _low_side(omega: np.ndarray, refl: np.ndarray, ext: Extrapolation) -> tuple:
    """Grid (0 ≤ ω < ω_min, clustered near 0) and R there."""
    w0 = float(omega[0])
    grid = w0 * (np.arange(N_LOW) / N_LOW) ** 2
    if ext.low == "hagen-rubens":
        a = (1.0 - refl[0]) / np.sqrt(w0)
        ext.details["hagen_rubens_A_per_sqrt_meV"] = float(a)
        return grid, np.clip(1.0 - a * np.sqrt(grid), 1e-12, 1.0)
    model: DrudeLorentz = fit_drude_lorentz(omega, refl, ext.oscillators)
    ext.details["drude_lorentz"] = model.to_dict()
    # scaled so that the model meets the lowest measured point
    scale = refl[0] / model.reflectivity(np.array([w0]))[0]
    ext.details["drude_lorentz_scale_at_lowest_omega"] = float(scale)
    low = model.reflectivity(np.maximum(grid, 1e-9 * w0)) * scale
    return grid, np.clip(low, 1e-300, 1.0)


def _high_side(omega: np.ndarray, refl: np.ndarray, ext: Extrapolation) -> tuple:
    """Grid above the data and R there: ω^{-s} up to the onset, then ω⁻⁴."""
    top, rtop = float(omega[-1]), float(refl[-1])
    s = high_power(omega, refl) if ext.high_power is None else float(ext.high_power)
    onset = 10.0 * top if ext.onset is None else float(ext.onset)
    if not onset > top:
        raise ParameterError(f"--free-electron-onset must exceed the highest ω of the data "
                             f"({top:g} meV), got {onset:g} meV")
    mid = np.geomspace(top, onset, N_HIGH + 1)[1:]
    tail = np.geomspace(onset, TAIL_END * onset, N_TAIL + 1)[1:]
    r_onset = rtop * (onset / top) ** (-s)
    ext.details.update({"high_power_used": s, "onset_used_meV": onset,
                        "tail": "R ∝ ω^-4 above the onset"})
    return (np.concatenate([mid, tail]),
            np.concatenate([rtop * (mid / top) ** (-s), r_onset * (tail / onset) ** (-4.0)]))


def reflectivity_phase(omega: np.ndarray, refl: np.ndarray,
                       ext: Extrapolation | None = None) -> np.ndarray:
    """Phase θ(ω) of r = √R e^{iθ} by Kramers–Kronig, at the measured ω.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Increasing photon energies (meV), > 0, n ≥ 10.
    refl : ndarray of shape (n,)
        Reflectivity, 0 < R < 1.
    ext : Extrapolation, optional
        Extrapolations (default: :class:`Extrapolation()`); its ``details`` are filled.

    Returns
    -------
    ndarray of shape (n,)
        θ(ω) (rad).
    """
    ext = Extrapolation() if ext is None else ext
    if ext.low not in LOW_METHODS:
        raise ParameterError(f"--low must be one of {', '.join(LOW_METHODS)}, got {ext.low!r}")
    w = np.asarray(omega, dtype=float)
    r = np.asarray(refl, dtype=float)
    lo_w, lo_r = _low_side(w, r, ext)
    hi_w, hi_r = _high_side(w, r, ext)
    grid = np.concatenate([lo_w, w, hi_w])
    lnr = np.log(np.concatenate([lo_r, r, hi_r]))
    slope = np.gradient(lnr, grid)
    weights = np.zeros_like(grid)  # trapezoid weights on the merged grid
    dg = np.diff(grid)
    weights[:-1] += dg / 2
    weights[1:] += dg / 2
    theta = np.empty(w.size)
    chunk = max(1, CHUNK_ENTRIES // grid.size)
    for start in range(0, w.size, chunk):
        rows = np.arange(start, min(start + chunk, w.size))
        x = w[rows, None]
        den = grid[None, :] ** 2 - x**2
        diag = lo_w.size + rows
        den[np.arange(rows.size), diag] = 1.0
        f = (lnr[None, :] - np.log(r[rows, None])) / den
        f[np.arange(rows.size), diag] = slope[diag] / (2.0 * w[rows])
        theta[rows] = -w[rows] / np.pi * (f @ weights)
    return theta


def optical_constants(omega: np.ndarray, refl: np.ndarray, theta: np.ndarray) -> dict:
    """N, ε and σ from R and its phase.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Photon energies (meV).
    refl : ndarray of shape (n,)
        Reflectivity.
    theta : ndarray of shape (n,)
        Phase of r (rad), convention r = (N − 1)/(N + 1).

    Returns
    -------
    dict
        ``"n"``, ``"epsilon"`` and ``"sigma"`` (Ω⁻¹cm⁻¹): complex arrays of shape (n,).
    """
    r = np.sqrt(refl) * np.exp(1j * np.asarray(theta))
    n = (1.0 + r) / (1.0 - r)
    eps = n**2
    return {"n": n, "epsilon": eps, "sigma": to_sigma(omega, eps)}
