"""Error bands that cover the truth: the parametric bootstrap of a solver's answer.

The error of a regularized answer ``f̂`` has two parts: the noise propagated
through the solver (variance) and the smoothing the regularization imposes
(bias, ``(S − I) f`` for a smoothing operator ``S``). Posterior widths, α spreads,
ensemble and sample spreads measure at most the first; on tunneling, imaginary-time
and optical problems the bias dominates near every peak, and those native spreads
cover 6–45 % of the truth where they claim 68 % (``specinv bench calibration``).

The parametric bootstrap measures both with the solver itself. The answer is
pushed through the exact forward model, fresh noise at the solver's σ is added,
and the solver is run again on each replica ``g*_m = K f̂ + σ ε_m``. The spread of
the replicas estimates the variance, and their mean minus ``f̂`` estimates the
bias at ``f̂`` (for a linear solver exactly ``(S − I) f̂``). The band reported is

    std = sqrt(var_m(f*_m) + (mean_m(f*_m) − f̂)² + d²)

Every replica is solved by the whole procedure, its α rule included, but the rules
re-pick nearly the α of the answer on data drawn from the answer (measured spread of
the replicas' α: 0.0–0.24 decades on the out-of-set continuation cases). For solvers with
an α rule (MaxEnt, Tikhonov) the band therefore also measures ``d``, the RMS spread of
the answers over the α whose χ² the data cannot tell from the answer's
(:mod:`specinv.solvers.alpha_window`; zero for a fixed α or a solver without a rule,
``extras["band_alpha_window"]``). Added to every band (option ``band_window``, off by
default; such a band is reported as ``uncalibrated``) it widened the noise-limited answers
too, and the conformal factors then shrank the bands of the spectra it missed (19 of 28
out-of-set coverages fell, ``docs/guide/verdict.rst``). By default it enters only the
bands of α-limited answers (``d`` at least twice ``σ_boot`` at the median mesh point) of
pairs whose factors carry an α-limited stratum (``alpha_limited``, fitted by ``specinv
bench calibration`` on those cases); such an answer reports the wider of its two
calibrated bands (:func:`specinv.solvers.alpha_window.alpha_limited_bands`).

The bias at ``f̂`` underestimates the bias at the truth where the regularization
removes most of a feature, and the errors have heavier tails than a Gaussian, so
this raw band ``σ_boot`` covers the truth less often than nominal, and no single
factor fixes both the 68 % and the 95 % band. It is therefore calibrated by split
conformal prediction: ``specinv bench calibration`` measures ``z = |f̂ − truth| /
σ_boot`` on simulated problems and, for each kernel class and method (solver and
the options that set its regularization), ships the 68 % and 95 % quantiles of ``z``
on half the cases as factors ``s68`` and ``s95`` (``specinv/data/bands/factors.json``);
their coverage is measured on the other half. A factor is not below the raw band's
Gaussian width (:data:`FLOORS`: 1 and 1.96) unless the shrink is validated outside the
calibration distribution: where the calibration cases asked to shrink the band (MaxEnt),
spectra outside them (the docs example) were covered less than nominal, so a factor may
go below its Gaussian floor only as far as every out-of-set case of its domain
(:mod:`specinv.cli.calibration_outofset`: other shapes, temperatures and grid sizes)
still covers the lower end of the target window; that floor is recorded with the
factors (``floor68``, ``floor95``, :func:`factor_floor`). A factor at or below its
Gaussian floor is reported when its held-out coverage reaches at least the lower end
of the target window (:func:`level_missed`), since covering more errs on the safe side.
A calibrated result reports
``spectrum_std = s68 σ_boot`` (the 68 % band) and ``spectrum_band95 = s95 σ_boot``
(the 95 % half-width), each only where its held-out coverage fell within its target
window (:data:`TARGETS`): a level that missed it is not reported (None), and
``hyperparameters["band_calibration"]`` says why. A kernel/method pair without
factors keeps the raw band in ``spectrum_std``, no 95 % band, and the label
``uncalibrated``; the raw band is always in ``extras["band_std_raw"]``.

When the data are the mean of Monte Carlo bins (:meth:`specinv.core.problem.Problem.from_bins`)
the jackknife over bins measures the statistical error of the answer directly: the bins
are grouped into ``n_band`` contiguous blocks, the solver is rerun on the mean with each
block left out (same covariance), and ``std² = (m − 1)/m Σ_b (f_(b) − f̄)²`` over the
``m`` blocks. It propagates the actual spread of the bins (correlations and non-Gaussian
tails included) but, unlike the bootstrap band, contains no bias term: the smoothing of
the regularization is not in it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.core.result import jsonable

#: bands a solver can report (common option ``band``)
BANDS = ("none", "bootstrap", "jackknife")
#: the shipped calibration factors, inside the ``specinv`` package
FACTORS_RESOURCE = "data/bands/factors.json"
#: nominal coverage -> the window its held-out coverage must fall in for the band to be shown
TARGETS = {"68": (0.60, 0.76), "95": (0.90, 0.98)}
#: nominal coverage -> the Gaussian width of the raw band: the smallest factor shipped unless
#: the out-of-set cases validate a smaller one (the calibration's own cases under-represent
#: users' spectra)
FLOORS = {"68": 1.0, "95": 1.96}
#: solver options that do not change the band's calibration (all others must match)
FREE_OPTIONS = ("band", "band_seed", "blas_threads")


def check_band_options(options: dict[str, Any]) -> None:
    """Refuse band options a solver cannot honour.

    Parameters
    ----------
    options : dict
        A solver's options, with ``band``, ``n_band`` and ``band_window``.

    Raises
    ------
    ParameterError
        ``band`` not one of :data:`BANDS`, ``n_band`` below 2 or ``band_window`` not a
        boolean (``true``/``false`` on the command line).
    """
    if options["band"] not in BANDS:
        raise ParameterError(f"option band must be one of {', '.join(BANDS)}, "
                             f"got {options['band']!r}")
    if int(options["n_band"]) < 2:
        raise ParameterError(f"option n_band must be at least 2, got {options['n_band']}")
    if not isinstance(options["band_window"], bool):
        raise ParameterError("option band_window must be true or false, got "
                             f"{options['band_window']!r}")


def bootstrap_replicas(problem: Problem, spectrum: np.ndarray, sigma: np.ndarray,
                       n: int, seed: int) -> list[Problem]:
    """Replica problems ``g* = K f̂ + σ ε`` with the fit's error bars.

    Each replica is ``problem`` (kernel, default model, name) with new data.

    Parameters
    ----------
    problem : Problem
        The problem that was solved (its kernel and whether errors were given).
    spectrum : ndarray of shape (n_mesh,)
        The answer ``f̂``.
    sigma : ndarray of shape (n_data,)
        Error bars the solver judged its fit with (given or estimated).
    n : int
        Number of replicas (≥ 2).
    seed : int
        Seed of the replica noise.

    Returns
    -------
    list of Problem
        ``n`` problems with the error bars ``sigma`` attached.
    """
    rng = np.random.default_rng(seed)
    clean = problem.kernel.forward(spectrum)
    return [replace(problem, data=clean + sigma * rng.standard_normal(clean.size), sigma=sigma)
            for _ in range(n)]


def bootstrap_std(spectrum: np.ndarray, replicas: np.ndarray,
                  window: np.ndarray | None = None) -> np.ndarray:
    """Band from replica answers: ``sqrt(variance + bias² + d²)`` per mesh point.

    Parameters
    ----------
    spectrum : ndarray of shape (n_mesh,)
        The answer ``f̂``.
    replicas : ndarray of shape (n_replicas, n_mesh)
        The solver's answers to the replica problems.
    window : ndarray of shape (n_mesh,), optional
        The α-window envelope ``d`` of a solver with an α rule
        (:mod:`specinv.solvers.alpha_window`); none: ``d = 0``.

    Returns
    -------
    ndarray of shape (n_mesh,)
        One-standard-deviation band, in the spectrum's unit.
    """
    replicas = np.asarray(replicas, dtype=float)
    bias = replicas.mean(axis=0) - spectrum
    d2 = 0.0 if window is None else np.asarray(window, dtype=float) ** 2
    return np.sqrt(replicas.var(axis=0, ddof=1) + bias ** 2 + d2)


def jackknife_replicas(problem: Problem, n_blocks: int) -> list[Problem]:
    """Leave-one-block-out problems from the bins of ``problem``.

    Parameters
    ----------
    problem : Problem
        A problem with ``bins`` (n_bins, n_data), e.g. from
        :meth:`~specinv.core.problem.Problem.from_bins`.
    n_blocks : int
        Number of contiguous blocks the bins are grouped into (at most ``n_bins``).

    Returns
    -------
    list of Problem
        ``min(n_blocks, n_bins)`` problems, each with ``data`` the mean of the bins outside
        one block and the covariance (and error bars) of ``problem``.
    """
    if problem.bins is None:
        raise ParameterError("band=jackknife needs the Monte Carlo bins the data are the mean "
                             "of (Problem.from_bins; on the command line --bins)")
    bins = problem.bins
    total = bins.sum(axis=0)
    blocks = np.array_split(np.arange(bins.shape[0]), min(int(n_blocks), bins.shape[0]))
    return [replace(problem, data=(total - bins[b].sum(axis=0)) / (bins.shape[0] - b.size),
                    bins=None) for b in blocks]


def jackknife_std(replicas: np.ndarray) -> np.ndarray:
    """Jackknife standard deviation ``sqrt((m − 1)/m Σ_b (f_(b) − f̄)²)``.

    Parameters
    ----------
    replicas : ndarray of shape (m, n_mesh)
        Answers to the ``m`` leave-one-block-out problems.

    Returns
    -------
    ndarray of shape (n_mesh,)
        One-standard-deviation band, in the spectrum's unit.
    """
    f = np.asarray(replicas, dtype=float)
    m = f.shape[0]
    return np.sqrt((m - 1) / m * np.sum((f - f.mean(axis=0)) ** 2, axis=0))


def calibration_options(options: dict[str, Any]) -> dict[str, Any]:
    """The solver options a calibration holds for, as plain JSON values.

    Parameters
    ----------
    options : dict
        A solver's options (defaults filled in).

    Returns
    -------
    dict
        ``options`` without :data:`FREE_OPTIONS`, arrays and tuples as lists.
    """
    return jsonable({k: v for k, v in options.items() if k not in FREE_OPTIONS})


@lru_cache(maxsize=1)
def shipped_factors() -> tuple[dict[str, Any], ...]:
    """Entries of the shipped factor file (written by ``specinv bench calibration``).

    Returns
    -------
    tuple of dict
        One entry per calibrated pair: ``kernel`` (class name), ``solver``, ``options``
        (:func:`calibration_options`), ``method`` (label), ``s68``, ``s95``, the
        held-out coverages ``heldout_68``, ``heldout_95``, from calibrations that
        validate shrinks out of set the floors ``floor68``, ``floor95``, and where the pair
        had enough α-limited cases their factors ``alpha_limited``
        (:func:`specinv.solvers.alpha_window.alpha_limited_bands`).
    """
    path = resources.files("specinv") / FACTORS_RESOURCE
    if not path.is_file():  # nothing calibrated (a checkout before its first calibration)
        return ()
    return tuple(json.loads(path.read_text(encoding="utf-8"))["factors"])


def find_factors(kernel: str, solver: str, options: dict[str, Any],
                 entries: tuple[dict[str, Any], ...] | None = None,
                 defaults: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The calibration entry for a kernel class, solver and its options, if any.

    Parameters
    ----------
    kernel : str
        Class name of the problem's kernel (e.g. ``"STSKernel"``).
    solver : str
        Registered solver name.
    options : dict
        The solver's options; all but :data:`FREE_OPTIONS` must equal the entry's.
    entries : tuple of dict, optional
        Entries to search (default :func:`shipped_factors`).
    defaults : dict, optional
        The solver's default options: an option the entry does not record (added to
        the solver after the calibration) matches when it is at its default.

    Returns
    -------
    dict or None
        The matching entry, or None when this pair was not calibrated.
    """
    wanted = calibration_options(options)
    default = calibration_options(defaults or {})
    for entry in shipped_factors() if entries is None else entries:
        recorded = entry["options"]
        if entry["kernel"] == kernel and entry["solver"] == solver \
                and all(wanted.get(k) == v for k, v in recorded.items()) \
                and all(k in default and default[k] == v
                        for k, v in wanted.items() if k not in recorded):
            return entry
    return None


def calibrated_band(raw: np.ndarray, entry: dict[str, Any] | None, kernel: str, solver: str
                    ) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """The reported bands from the raw bootstrap band and the pair's calibration entry.

    Parameters
    ----------
    raw : ndarray of shape (n_mesh,)
        Raw bootstrap band ``σ_boot`` (:func:`bootstrap_std`).
    entry : dict or None
        The pair's calibration (:func:`find_factors`); None: uncalibrated.
    kernel, solver : str
        Kernel class and solver name, for the label.

    Returns
    -------
    std : ndarray of shape (n_mesh,) or None
        The 68 % band ``s68 σ_boot`` (raw ``σ_boot`` when uncalibrated; None when its
        held-out coverage missed its target window, :func:`level_missed`).
    band95 : ndarray of shape (n_mesh,) or None
        The 95 % half-width ``s95 σ_boot`` (None when uncalibrated or when its held-out
        coverage missed its target window).
    label : dict
        ``status`` (``"calibrated"``, ``"68 % band only"``, ``"95 % band only"``,
        ``"not calibratable"`` or ``"uncalibrated"``), the factors used, the levels
        held at their floor (``floored``) and why a level is missing.
    """
    if entry is None:
        return raw, None, {
            "status": "uncalibrated",
            "reason": f"no calibration factors for solver {solver!r} with these options on "
                      f"a {kernel}: spectrum_std is the raw bootstrap band, whose coverage "
                      "of the truth was not measured (raw bands of measured pairs cover "
                      "30-90 % at nominal 68 %); no 95 % band is reported"}
    keys = ("method", "s68", "s95", "heldout_68", "heldout_95", "calibration")
    label: dict[str, Any] = {"kernel": kernel, **{k: entry[k] for k in keys}}
    bands, missing = {}, []
    for level in TARGETS:
        why = level_missed(entry, level)
        if why is None:
            bands[level] = entry[f"s{level}"] * raw
        else:
            missing.append(f"the {level} % band is not reported: {why}")
    floored = [lv for lv in TARGETS if entry[f"s{lv}"] <= factor_floor(entry, lv)
               and lv in bands]
    if floored:
        label["floored"] = [f"{lv} %" for lv in floored]
    label["status"] = ("calibrated" if len(bands) == 2 else "not calibratable" if not bands
                       else f"{next(iter(bands))} % band only")
    if missing:
        label["reason"] = "; ".join(missing)
    return bands.get("68"), bands.get("95"), label


def level_missed(entry: dict[str, Any], level: str) -> str | None:
    """Why a calibrated level is not reported, or None when it is.

    A level is reported when its held-out coverage fell within its window
    (:data:`TARGETS`). A factor at or below the raw band's Gaussian width
    (:data:`FLOORS`: the calibration asked to shrink the raw band, and the out-of-set
    cases allowed at most part of that) is reported when its coverage reached the
    window's lower end, since covering more than nominal there errs on the safe side.

    Parameters
    ----------
    entry : dict
        A calibration entry (``s68``, ``s95``, ``heldout_68``, ``heldout_95``).
    level : {"68", "95"}
        Nominal coverage.

    Returns
    -------
    str or None
        The reason, for the result's ``band_calibration`` label.
    """
    lo, hi = TARGETS[level]
    held = entry[f"heldout_{level}"]
    if entry[f"s{level}"] <= FLOORS[level]:
        hi = 1.0
    if lo <= held <= hi:
        return None
    return (f"rescaled, it covered {held:.1%} of the truth on the held-out cases (target "
            f"{lo:.0%}-{hi:.0%})")


def factor_floor(entry: dict[str, Any], level: str) -> float:
    """The smallest factor the calibration of ``entry`` allowed at ``level``.

    Parameters
    ----------
    entry : dict
        A calibration entry; ``floor68``/``floor95`` when the calibration recorded them
        (a floor below :data:`FLOORS` validated on the out-of-set cases).
    level : {"68", "95"}
        Nominal coverage.

    Returns
    -------
    float
        The recorded floor, else :data:`FLOORS` of that level.
    """
    return float(entry.get(f"floor{level}", FLOORS[level]))
