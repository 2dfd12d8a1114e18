"""Noise model of Matsubara data read off their high-frequency tail.

Far above the spectrum a Matsubara function is its moment expansion,
``Re g = c₀ − c₂/ω_n² + c₄/ω_n⁴ − …`` and ``Im g = −c₁/ω_n + c₃/ω_n³ − …``, a smooth
curve with no information about the shape of the spectrum. What is left after
fitting it over the upper half of the frequencies is the noise itself, seen without
any continuation. Real QMC self-energies show three things there that a diagonal
error bar misses:

* the scatter differs from the error column by a constant factor: the ana_cont
  w2dynamics files (SrVO₃, square lattice U = 2) scatter by 0.69–0.72 × their error
  column in Re and in Im, the 1/√2 of an error bar computed as the standard deviation
  of complex samples (``numpy.std`` of a complex array is ``√(var Re + var Im)``);
* the noise is correlated between neighbouring frequencies (lag-1 autocorrelation
  0.74 for SrVO₃, 0.25 for the square lattice, 0.30 for CQMP U = 1): the sign runs
  of any fit's residuals are then long however good the fit is;
* the real part of a particle–hole symmetric Σ is zero to round-off (CQMP U = 1:
  1e-15 against 1.6e-4 for Im): its rows carry no measurement.

:func:`tail_noise` measures these (scale per component, an autoregressive model AR(p)
of the correlation chosen by the Bayesian information criterion); :func:`measure`
refuses a tail that scatters far less than the data claim (a stitched, fitted tail).
:mod:`specinv.ac.tail_whiten` fits with the measured errors (diagonal: a fit whitened
with the AR model smooths more and was further from the known answer on simulated
data), drops exact rows, and judges the residuals after removing the correlation, so
a good fit of correlated data is not reported as a structured misfit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.core.noise import RELATIVE_FLOOR, estimate_noise
from specinv.io.qmc import ContinuationInput

#: fewest tail residuals per component from which a noise model is estimated
MIN_NOISE_POINTS = 64
#: highest order of the autoregressive model of the correlation
MAX_AR_ORDER = 8
#: Re rows are taken as exact (a symmetry, not a measurement) when their scatter is below
#: this fraction of the scatter of Im
EXACT_RE = 1e-3
#: a given error column is rescaled when its scale is off by more than this many
#: standard errors of the scale
SCALE_Z = 3.0
#: terms of the moment expansion fitted to each component
TAIL_TERMS = 4
#: a tail scattering by less than this fraction of the error column (of the roughness of
#: the lower frequencies without one) is no measurement of the data's noise: a fitted
#: tail stitched to QMC data (ACFlow Bethe Σ: 3.5e-7), or error bars far too large
STITCH = 0.2


@dataclass
class TailNoise:
    """The noise of Matsubara data as measured on its tail.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    scale_re, scale_im : float
        RMS of the tail residuals of Re and Im in units of the error column (in the
        data's unit when there is none).
    exact_re : bool
        The real part is zero to round-off (its rows are dropped).
    ar : ndarray of shape (p,)
        Coefficients φ₁ … φ_p of the AR(p) model ``u_n = Σ φ_k u_{n−k} + ε_n`` of the
        normalized noise (empty: independent).
    acf : ndarray of shape (p,)
        Measured autocorrelation at lags 1 … p (the model reproduces it).
    lag1 : float
        Measured lag-1 autocorrelation (recorded whatever the order).
    omega_from : float
        Lowest frequency of the residuals (energy unit).
    n_points : int
        Residuals per component.
    rescaled : bool
        The scale differs from 1 beyond its statistical error (given error bars only;
        estimated ones are always replaced).
    n_total : int
        Frequencies of the data the model is applied to.
    tail_ratio : float
        Scatter of Im on the tail over the error column (over the roughness of the lower
        half of the frequencies without one).
    """

    scale_re: float
    scale_im: float
    exact_re: bool
    ar: np.ndarray
    acf: np.ndarray
    lag1: float
    omega_from: float
    n_points: int
    rescaled: bool = False
    n_total: int = 0
    tail_ratio: float = 1.0

    def metadata(self) -> dict[str, Any]:
        """JSON-ready record of the model.

        Returns
        -------
        dict
            ``kind = "tail noise model"`` and every attribute (arrays as lists).
        """
        return {"kind": "tail noise model", "scale_re": self.scale_re,
                "scale_im": self.scale_im, "exact_re": self.exact_re,
                "ar": self.ar.tolist(), "acf": self.acf.tolist(), "lag1": self.lag1,
                "omega_from": self.omega_from, "n_points": self.n_points,
                "rescaled": self.rescaled, "n_total": self.n_total,
                "tail_ratio": self.tail_ratio}


def durbin_levinson(acf: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Predictors of every order from an autocorrelation sequence.

    Parameters
    ----------
    acf : ndarray of shape (p + 1,)
        ρ₀ = 1, ρ₁ … ρ_p.

    Returns
    -------
    phi : list of ndarray
        ``phi[k]`` (shape (k,)) predicts ``u_n`` from ``u_{n−1} … u_{n−k}``.
    v : ndarray of shape (p + 1,)
        Innovation variance of each order (``v[0] = ρ₀``), decreasing.
    """
    p = acf.size - 1
    phi, v = [np.zeros(0)], np.empty(p + 1)
    v[0] = acf[0]
    for k in range(1, p + 1):
        prev = phi[-1]
        a = (acf[k] - prev @ acf[k - 1:0:-1]) / v[k - 1]
        phi.append(np.concatenate([prev - a * prev[::-1], [a]]))
        v[k] = v[k - 1] * (1.0 - a * a)
    return phi, v


def _residuals(wn: np.ndarray, y: np.ndarray, err: np.ndarray, odd: bool) -> np.ndarray:
    """Weighted residuals of the moment expansion, in units of ``err``."""
    powers = np.arange(TAIL_TERMS) * 2 + (1 if odd else 0)
    basis = (1.0 / wn[:, None]) ** powers[None, :]
    w = 1.0 / err
    coef, *_ = np.linalg.lstsq(basis * w[:, None], y * w, rcond=None)
    return (y - basis @ coef) * w


def _acf(u: list[np.ndarray], p: int) -> np.ndarray:
    """Pooled autocorrelation ρ₀ … ρ_p of zero-mean series (biased estimator: positive
    definite, so Yule–Walker gives a stationary model)."""
    num = np.array([sum(float(x[k:] @ x[:x.size - k]) for x in u) for k in range(p + 1)])
    return num / num[0]


def tail_noise(wn: np.ndarray, re: np.ndarray, im: np.ndarray, error: np.ndarray | None,
               beta: float) -> TailNoise | None:
    """Measure scale and correlation of the noise over the upper half of the frequencies.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Positive fermionic Matsubara frequencies, increasing (energy unit).
    re, im : ndarray of shape (n,)
        Real and imaginary parts of the data.
    error : ndarray of shape (n,) or None
        Error column (one value for Re and Im), or None.
    beta : float
        Inverse temperature (1/energy unit).

    Returns
    -------
    TailNoise or None
        None when fewer than :data:`MIN_NOISE_POINTS` frequencies lie in the upper half,
        the frequencies are not consecutive (the correlation is modelled in the index
        n), or data without an error column are noise-free (roughness at the floor of
        :func:`~specinv.core.noise.estimate_noise`). A tail scattering by less than
        :data:`STITCH` of the claimed noise gives a model with only scales and
        ``tail_ratio`` (no correlation), which :func:`measure` refuses.
    """
    n = wn.size
    half = slice(n // 2, None)
    m = n - n // 2
    step = 2.0 * np.pi / beta
    if m < MIN_NOISE_POINTS or not np.allclose(np.diff(wn), step, rtol=1e-6):
        return None
    err = np.ones(m) if error is None else np.asarray(error, dtype=float)[half]
    u_re = _residuals(wn[half], re[half], err, odd=False)
    u_im = _residuals(wn[half], im[half], err, odd=True)
    dof = np.sqrt(m / (m - TAIL_TERMS))
    s_re, s_im = float(np.sqrt(np.mean(u_re**2)) * dof), float(np.sqrt(np.mean(u_im**2)) * dof)
    if error is not None:
        ratio = s_im
    else:
        low = estimate_noise(im[:n // 2])
        if low <= RELATIVE_FLOOR * float(np.max(np.abs(im[:n // 2]))) * (1 + 1e-9):
            return None  # noise-free data: nothing to measure
        ratio = s_im / low
    if ratio < STITCH:  # no noise measured there: a stitched tail (see measure)
        return TailNoise(s_re, s_im, False, np.zeros(0), np.zeros(0), 0.0, float(wn[n // 2]),
                         m, False, n, float(ratio))
    exact_re = s_re <= EXACT_RE * s_im
    series = [u_im / s_im] if exact_re else [u_re / s_re, u_im / s_im]
    acf = _acf(series, MAX_AR_ORDER)
    phi, v = durbin_levinson(acf)
    count = sum(x.size for x in series)
    bic = [count * np.log(v[k]) + k * np.log(count) for k in range(MAX_AR_ORDER + 1)]
    p = int(np.argmin(bic))
    # standard error of a scale from `count` correlated points: effective count
    # count·(1 − ρ₁)/(1 + ρ₁)
    eff = count * (1.0 - acf[1]) / (1.0 + acf[1])
    s_all = s_im if exact_re else float(np.sqrt(0.5 * (s_re**2 + s_im**2)))
    rescaled = error is not None and abs(np.log(s_all)) > SCALE_Z / np.sqrt(2.0 * max(eff, 1.0))
    return TailNoise(s_re, s_im, bool(exact_re), phi[p], acf[1:p + 1], float(acf[1]),
                     float(wn[n // 2]), m, bool(rescaled), n, float(ratio))


def measure(data: ContinuationInput, beta: float, method: str = "maxent"
            ) -> tuple[TailNoise | None, str | None]:
    """The noise model of fermionic Matsubara data, or why the tail cannot give one.

    Parameters
    ----------
    data : ContinuationInput
        Positive Matsubara frequencies with Re, Im and the optional error column.
    beta : float
        Inverse temperature (1/energy unit).
    method : str
        The solver: one that works on the Matsubara kernel's own points (``aaa``,
        ``nevanlinna``) gets no model when Re is exact (its rows cannot be dropped).

    Returns
    -------
    model : TailNoise or None
        :func:`tail_noise`, None also when its tail scatters by less than
        :data:`STITCH` of the noise the data claim (a stitched tail).
    reason : str or None
        For the check when the tail is refused: what was measured and what to do.
    """
    from specinv.solvers.base import solver_class

    model = tail_noise(data.points, data.values, data.imag, data.error, beta)
    if model is not None and model.exact_re and solver_class(method).kernels is not None:
        return None, None
    if model is None or model.tail_ratio >= STITCH:
        return model, None
    ref = "the error column" if data.error is not None else \
        "the roughness of the lower frequencies"
    return None, (f"the upper half of the frequencies (ω_n ≥ {model.omega_from:.4g}) "
                  f"scatters by only {model.tail_ratio:.2g} × {ref}: a fitted tail stitched "
                  "to the QMC data, or error bars far too large; those points fit any "
                  "answer, so χ²/N and the residual test do not judge the measured "
                  "frequencies: keep only those (--n-matsubara)")


def report_stitch(check: Any, reason: str | None) -> None:
    """Put the refusal of :func:`measure` first among the check's reasons (it explains them).

    Parameters
    ----------
    check : Check
        The continuation's check (changed in place).
    reason : str or None
        What :func:`measure` returned (nothing is done for None).
    """
    if reason:
        check.add("warn", reason, tail_stitch=True)
        check.reasons.insert(0, check.reasons.pop())
