"""Continuation of spectra that may change sign (off-diagonal elements ``G_ab``).

:func:`continue_signed` is :func:`specinv.ac.continuation.continue_data` with
``signed=True`` (``specinv ac continue --signed``): an off-diagonal element of a matrix
Green's function, ``A_ab(ω) = −Im G_ab(ω + i0)/π``, has weight of either sign, so

- MaxEnt uses the plus-minus entropy (:mod:`specinv.solvers.maxent_pm`) with a flat
  default model at the data's absolute scale (no other model: a signed spectrum has no
  positive moments to build one from); ``tikhonov`` and ``tsvd`` are unconstrained
  already; the positive-only methods are refused;
- the window does not come from moments of a positive spectrum (the zeroth moment of
  ``A_ab`` is 0 for a true off-diagonal element, so ``m2/m0`` is meaningless):
  :func:`signed_omega_max` reads each end of the data separately, and the window is
  widened while ``|A|`` does not decay at its edge;
- the check judges the edge on ``|A|``, never complains about negative weight, and
  compares ``∫A`` with the data's zeroth moment (fermionic kernels) relative to ``∫|A|``.

Data are taken in the sign they come in (no sign flip): ``G(τ) = −∫ K(τ, ω) A(ω) dω``
as for a diagonal element.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from specinv.ac.window import half_axis, is_tau, spectral_norm, tau_end_fits
from specinv.core.errors import ParameterError
from specinv.io.qmc import ContinuationInput

#: methods whose answer may have either sign (maxent with the plus-minus entropy)
SIGNED_METHODS = ("maxent", "tikhonov", "tsvd")
#: kernels of spectra that may change sign (σ(ω) of conductivity-tau is ≥ 0)
SIGNED_KERNELS = ("fermionic-tau", "fermionic-matsubara", "bosonic-tau", "bosonic-matsubara")
#: solver options of a signed continuation unless given
SIGNED_DEFAULTS = {"maxent": {"alpha_rule": "chi2curv", "entropy": "plus-minus"}}
#: edge value of ``|A|`` (fraction of its maximum) above which an automatic window is widened
EDGE_WEIGHT = 0.05
#: widening factor and most widenings of an automatic window (up to ×25.6: a Matsubara
#: window starts at the thermal floor 20/β)
WIDEN, MAX_WIDEN = 1.5, 8
#: χ²/N up to which an answer fits its data: its edge weight is then the method's, and a
#: wider window that lowers neither it nor ``∫|A|`` is not taken (a window that cuts weight
#: misfits, or fits with large cancelling oscillations)
FITS = 2.0
#: deviation of ∫A from the data's zeroth moment, relative to ``∫|A|``, flagged by the check
SUM_RULE_TOL = 0.05


def check_signed(method: str, kernel: str, default_model: str,
                 options: dict[str, Any] | None) -> dict[str, Any]:
    """Refuse what a signed continuation cannot do; the solver options to use.

    Parameters
    ----------
    method : str
        Solver name.
    kernel : str
        Kernel name.
    default_model : str
        The ``default_model`` asked for (only ``"flat"`` is possible).
    options : dict or None
        Solver options given.

    Returns
    -------
    dict
        ``options`` over :data:`SIGNED_DEFAULTS` of the method.

    Raises
    ------
    ParameterError
        A method or kernel that cannot give a signed spectrum, a default model other than
        flat, or ``entropy="positive"`` for MaxEnt.
    """
    if method not in SIGNED_METHODS:
        raise ParameterError(f"--signed needs a method that can return a spectrum of either "
                             f"sign ({', '.join(SIGNED_METHODS)}); --method {method} gives "
                             "positive spectra only")
    if kernel not in SIGNED_KERNELS:
        raise ParameterError(f"--signed applies to {', '.join(SIGNED_KERNELS)}; the spectrum "
                             f"of --kernel {kernel} is positive")
    if default_model != "flat":
        raise ParameterError(f"--signed takes the flat default model only (at the data's "
                             f"scale); got --default-model {default_model}")
    merged = {**SIGNED_DEFAULTS.get(method, {}), **(options or {})}
    if method == "maxent" and merged["entropy"] != "plus-minus":
        raise ParameterError("--signed with maxent needs entropy=plus-minus, got "
                             f"--option entropy={merged['entropy']}")
    return merged


def _energy_scale(data: ContinuationInput, kernel: str) -> float | None:
    """Energy scale of the spectrum read off the data without dividing by ``∫A``; None
    when unusable.

    τ data: ``√(Σ|m2| / Σ|m0|)`` over the two ends (each end's value and curvature from a
    cubic fit). Matsubara data: None. Their tail gives ``m0 = ∫A`` (0 for an off-diagonal
    element) and higher moments that the noise swamps where ``|G|`` falls as ``m1/ω_n²``
    (a two-level ``G₁₂`` at σ = 1e-4: W = 1331 for a band within ±2), so the window
    starts at the thermal floor and is widened.
    """
    if not is_tau(kernel):
        return None
    fits = tau_end_fits(data.points, data.values)
    if fits is None:
        return None
    p0, p1 = fits
    return float(np.sqrt(2.0 * (abs(p0[-3]) + abs(p1[-3])) / (abs(p0[-1]) + abs(p1[-1]))))


def signed_omega_max(data: ContinuationInput, kernel: str, beta: float) -> float:
    """Window W for a spectrum of either sign: 5 times :func:`_energy_scale`.

    The two ends of G(τ) see the weight at ω > 0 and at ω < 0 separately, so peaks of
    opposite sign on either side of ω = 0 do not cancel there as they do in ``∫A``. At
    least ``20/β`` (the start for Matsubara data).

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data.
    kernel : str
        One of :data:`SIGNED_KERNELS`.
    beta : float
        Inverse temperature (1/energy unit of the data).

    Returns
    -------
    float
        W in the data's energy unit.
    """
    floor = 20.0 / beta
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = _energy_scale(data, kernel)
    except (np.linalg.LinAlgError, ValueError, TypeError):
        scale = None
    w = 5.0 * scale if scale is not None else floor
    return float(max(w, floor)) if np.isfinite(w) else floor


def continue_signed(data: ContinuationInput, kernel: str, beta: float, *,
                    build: Callable[..., Any], method: str = "maxent",
                    options: dict[str, Any] | None = None,
                    omega_max: float | None = None, n_omega: int | None = None,
                    default_model: str = "flat", errors: Any = None,
                    noise_model: Any = None) -> tuple[Any, Any]:
    """Continue data whose spectrum may change sign (see the module).

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data, in the sign they come in.
    kernel : str
        One of :data:`SIGNED_KERNELS`.
    beta : float
        Inverse temperature, in the inverse of the data's energy unit.
    build : callable
        :func:`specinv.ac.continuation.build_problem` (passed in by
        :func:`~specinv.ac.continuation.continue_data`, which imports this module).
    method : str
        One of :data:`SIGNED_METHODS`.
    options : dict, optional
        Solver options (over :data:`SIGNED_DEFAULTS`).
    omega_max : float, optional
        Fixed window half-width (no widening); default :func:`signed_omega_max`.
    n_omega : int, optional
        Real-frequency points (default 201, 151 on the half axis).
    default_model : str
        ``"flat"`` only.
    errors : CorrelatedErrors, optional
        Covariance or QMC bins of the data.
    noise_model : None
        Must be None: the tail-noise model of stitched Matsubara data assumes a
        positive spectrum's tail.

    Returns
    -------
    setup : ContinuationSetup
        The problem finally solved (``notes`` say whether the window was widened).
    result : InversionResult
        With the edge and sum-rule checks for a signed spectrum.
    """
    from specinv.core.check import edge_weight

    options = check_signed(method, kernel, default_model, options)
    if noise_model is not None:
        raise ParameterError("--signed data are continued under their given or estimated "
                             "error bars; a tail-noise model assumes a positive spectrum")
    auto = omega_max is None
    w = signed_omega_max(data, kernel, beta) if auto else float(omega_max)
    sides = "upper" if half_axis(kernel) else "both"
    setup, result, caught = _solve_signed(build, data, kernel, beta, w, n_omega, method,
                                          options, errors)
    notes: list[str] = []
    for _ in range(MAX_WIDEN if auto else 0):
        edge = edge_weight(result.spectrum, sides)
        if edge <= EDGE_WEIGHT:
            break
        wider = _solve_signed(build, data, kernel, beta, w * WIDEN, n_omega, method, options,
                              errors)
        if edge_weight(wider[1].spectrum, sides) >= edge and result.chi2_reduced <= FITS \
                and _size(wider[1]) >= _size(result):
            # an answer that fits, no larger than the wider one: the edge is the method's
            # (a smoothness prior that does not decay), not the window's, and a wider
            # window would only chase it
            notes.append(f"window kept at {w:.4g}: widening it did not lower |A| at the edge")
            break
        notes.append(f"window widened from {w:.4g} to {w * WIDEN:.4g}: |A| did not decay at "
                     "its edge")
        (setup, result, caught), w = wider, w * WIDEN
    setup.notes[:0], setup.omega_max_auto = notes, auto
    for c in caught:  # only the answer's own warnings: superseded windows are not reported
        warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
    _signed_checks(result, data, kernel, beta)
    return setup, result


def _size(result: Any) -> float:
    """``∫|A| dω`` of an answer: a window too narrow for a signed spectrum can fit the data
    with large cancelling oscillations, which a wider window removes."""
    return float(np.abs(result.spectrum) @ result.mesh.weights)


def _solve_signed(build: Callable[..., Any], data: ContinuationInput, kernel: str,
                  beta: float, w: float, n_omega: int | None, method: str,
                  options: dict[str, Any], errors: Any) -> tuple[Any, Any, list]:
    """Set up on the window ``w`` (flat default at the data's scale, no positivity in the
    check) and solve, recording the warnings."""
    from specinv.solvers import solve
    from specinv.solvers.maxent_pm import scale_default

    setup = build(data, kernel, beta, omega_max=w, n_omega=n_omega, errors=errors)
    setup.problem.kernel.positive_spectrum = False
    setup.notes = [n for n in setup.notes if not n.startswith("default model")]
    default = scale_default(setup.problem)
    setup.problem = dataclasses.replace(setup.problem, default_model=default)
    if method == "maxent":
        setup.notes.append(f"default model: flat at the data's scale, {default[0]:.4g} "
                           "(plus-minus entropy)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve(setup.problem, method=method, **options)
    return setup, result, caught


def _signed_checks(result: Any, data: ContinuationInput, kernel: str, beta: float) -> None:
    """Edge weight of ``|A|`` and, for fermionic kernels, ``∫A`` against the data's zeroth
    moment relative to ``∫|A|`` (which is defined when ``∫A`` is 0)."""
    from specinv.core.check import check_edges

    check_edges(result.check, result.omega, result.spectrum, decays=True,
                sides="upper" if half_axis(kernel) else "both", edge_fraction=EDGE_WEIGHT)
    m0 = spectral_norm(data, kernel, beta)
    if m0 is None:  # the zeroth moment is not positive: read it off the negated data
        flipped = dataclasses.replace(data, values=-data.values,
                                      imag=None if data.imag is None else -data.imag)
        m0 = spectral_norm(flipped, kernel, beta)
        if m0 is None:
            return
        m0 = -m0
    wts = result.mesh.weights
    total, size = float(result.spectrum @ wts), float(np.abs(result.spectrum) @ wts)
    dev = abs(total - m0) / max(size, 1e-300)
    result.check.add("warn" if dev > SUM_RULE_TOL else "ok",
                     f"sum rule: the integral of A is {total:.4g}, the data's zeroth moment "
                     f"{m0:.4g} ({dev:.1%} of the integral of |A| off)",
                     sum_rule_deviation=dev)
