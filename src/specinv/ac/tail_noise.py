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
of the correlation chosen by the Bayesian information criterion).
:func:`apply_model` sets up the fit with the measured errors (diagonal: a fit whitened
with the AR model smooths more and was further from the known answer on simulated
data) and without exact rows; :func:`recheck` judges its residuals after removing the
correlation with the exact whitening filter of the AR model (:func:`ar_filter`), so a
good fit of correlated data is not reported as a structured misfit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from specinv.kernels.base import Kernel, RotatedKernel

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
#: scale of an error column that gives the error of the complex value: 1/√2 per part,
#: recognized (and said) within this tolerance
SQRT_HALF, COMPLEX_TOL = float(np.sqrt(0.5)), 0.05


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
                "rescaled": self.rescaled, "n_total": self.n_total}


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
        n), or the imaginary part shows no scatter at all (noise-free data).
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
    if not s_im > 1e-12 * float(np.max(np.abs(im[half] / err))):
        return None
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
                     float(wn[n // 2]), m, bool(rescaled), n)


def ar_filter(model: TailNoise, n: int) -> sparse.csr_matrix:
    """Whitening filter ``R`` of ``n`` consecutive unit-variance AR(p) values: ``R T Rᵀ = 1``.

    ``T`` is the model's Toeplitz correlation; row ``i`` is the Durbin–Levinson predictor
    of order ``min(i, p)`` divided by the square root of its innovation variance (the exact
    Cholesky whitening of a stationary AR(p) process).

    Parameters
    ----------
    model : TailNoise
        The measured noise (its ``acf`` up to the model's order).
    n : int
        Length of the series.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, n)
        Lower triangular, ``p + 1`` diagonals.
    """
    p = model.ar.size
    phi, v = durbin_levinson(np.concatenate([[1.0], model.acf]))
    rows, cols, vals = [], [], []
    for i in range(n):
        k = min(i, p)
        rows += [i] * (k + 1)
        cols += (i - np.arange(k + 1)).tolist()
        vals += (np.concatenate([[1.0], -phi[k][:k]]) / np.sqrt(v[k])).tolist()
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))


def row_errors(error: np.ndarray | None, model: TailNoise) -> tuple[np.ndarray, np.ndarray]:
    """Errors of the Re and Im rows under the model (diagonal of its covariance).

    Parameters
    ----------
    error : ndarray of shape (n,) or None
        Error column of the data (None: the model's scales are the errors).
    model : TailNoise
        The measured noise.

    Returns
    -------
    sigma_re, sigma_im : ndarray of shape (n,)
        The error column, scaled to the scatter when it was measured off (or absent).
    """
    base = np.ones(model.n_total) if error is None else np.asarray(error, dtype=float)
    if error is not None and not model.rescaled:
        return base, base
    return base * model.scale_re, base * model.scale_im


def whitened_residuals(normalized: np.ndarray, model: TailNoise) -> np.ndarray:
    """Residuals in units of their errors, with the modelled correlation removed.

    Parameters
    ----------
    normalized : ndarray of shape (n_rows,)
        ``(K f − g)/σ`` of the rows kept (``[Re; Im]``, or Im alone when
        ``model.exact_re``).
    model : TailNoise
        The measured noise.

    Returns
    -------
    ndarray of shape (n_rows,)
        Each component filtered by :func:`ar_filter`: independent unit-variance values
        when the model holds.
    """
    n = model.n_total
    filt = ar_filter(model, n)
    return np.concatenate([filt @ part for part in np.split(normalized, normalized.size // n)])


class RowKernel(RotatedKernel):
    """``R K`` for a sparse row transform ``R`` (here: keep the Im rows).

    Parameters
    ----------
    base : Kernel
        The continuation kernel (rows ``[Re; Im]``).
    rows : scipy.sparse.csr_matrix of shape (n_rows, base rows)
        The transform.
    """

    def __init__(self, base: Kernel, rows: sparse.csr_matrix) -> None:
        Kernel.__init__(self, np.arange(rows.shape[0], dtype=float), base.mesh)
        self.base, self.rows = base, rows
        self.positive_spectrum = base.positive_spectrum
        self.spectrum_label = base.spectrum_label
        self.data_label = base.data_label


def apply_model(kernel: Kernel, g: np.ndarray, error: np.ndarray | None, model: TailNoise
                ) -> tuple[Kernel, np.ndarray, np.ndarray, str]:
    """Kernel, data and errors of the continuation under the measured noise.

    The fit keeps independent errors (the diagonal of the modelled covariance: a
    whitened fit of correlated noise smooths more and was 26–35 % further from the known
    σ(ω) on simulated AR(1) data with ρ = 0.7); :func:`recheck` judges its residuals with
    the correlation removed.

    Parameters
    ----------
    kernel : Kernel
        Fermionic Matsubara kernel with rows ``[Re; Im]``.
    g : ndarray of shape (2n,)
        Stacked data.
    error : ndarray of shape (n,) or None
        Error column of the data.
    model : TailNoise
        The measured noise.

    Returns
    -------
    kernel : Kernel
        The kernel (its Im rows only when ``model.exact_re``).
    g : ndarray of shape (n_rows,)
        The data rows kept.
    sigma : ndarray of shape (n_rows,)
        Their errors.
    note : str
        What was measured and done, for the user.
    """
    n = g.size // 2
    s_re, s_im = row_errors(error, model)
    what = []
    if model.exact_re:
        what.append(f"Re is zero to round-off (scatter {model.scale_re:.2g} against "
                    f"{model.scale_im:.2g} for Im): particle-hole symmetric, Re rows dropped")
        rows = sparse.hstack([sparse.csr_matrix((n, n)), sparse.identity(n, format="csr")],
                             format="csr")
        kernel, g, sigma = RowKernel(kernel, rows), g[n:], s_im
    else:
        sigma = np.concatenate([s_re, s_im])
    if error is None:
        what.append(f"error {model.scale_im:.3g} from the scatter about the moment expansion")
    elif model.rescaled:
        complex_bar = max(abs(model.scale_re - SQRT_HALF), abs(model.scale_im - SQRT_HALF)) \
            <= COMPLEX_TOL
        what.append(f"the error column is scaled by {model.scale_re:.3g} (Re) and "
                    f"{model.scale_im:.3g} (Im) to the data's scatter" + (
                        ": it is the error of the complex value (the std of complex samples "
                        "is √2 × that of each part)" if complex_bar else ""))
    if model.ar.size:
        what.append(f"the noise is correlated between neighbouring frequencies (lag-1 "
                    f"autocorrelation {model.lag1:.2f}, modelled as AR({model.ar.size})): "
                    "the residual test and χ²/N of the check use the residuals with this "
                    "correlation removed")
    note = (f"noise measured on the tail (ω_n ≥ {model.omega_from:.4g}, {model.n_points} "
            f"frequencies): " + ("; ".join(what) or "independent, as the error column says"))
    return kernel, g, sigma, note


def recheck(result: Any, problem: Any, model: TailNoise, *, sigma_given: bool) -> None:
    """Judge ``result``'s residuals with the modelled correlation removed (in place).

    The findings of :func:`~specinv.core.check.check_fit` on the independent residuals
    are replaced by those on the whitened ones; every other finding stays.

    Parameters
    ----------
    result : InversionResult
        The answer to the problem of :func:`apply_model`.
    problem : Problem
        That problem.
    model : TailNoise
        The measured noise.
    sigma_given : bool
        The data came with an error column.
    """
    from specinv.core.check import VERDICTS, check_fit

    sigma = problem.noise()
    args = (problem.data, result.fitted, sigma)
    kw = {"spectrum": result.spectrum, "positive": problem.kernel.positive_spectrum}
    old = result.check
    plain = check_fit(*args, sigma_given=not problem.sigma_estimated, **kw)
    white = check_fit(*args, sigma_given=sigma_given, **kw, normalized=whitened_residuals(
        (result.fitted - problem.data) / sigma, model))
    kept = [r for r in old.reasons if r not in plain.reasons]
    white.details = {**old.details, "independent_residuals": {
        "chi2_reduced": plain.chi2_reduced, "runs_z": plain.runs_z, "lag1": plain.lag1}}
    for r in kept:
        level = r.split(":", 1)[0]
        white.reasons.append(r)
        if VERDICTS.index(level) > VERDICTS.index(white.verdict):
            white.verdict = level
    result.check = white
