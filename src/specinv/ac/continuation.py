"""Analytic continuation front end: data + kernel name + β → Problem → spectrum.

Used by ``specinv ac continue`` and the ``ac`` benchmark. Kernel names:

``fermionic-tau``        G(τ) ≤ 0 → A(ω) on [−W, W]
``fermionic-matsubara``  G(iω_n) (Re, Im stacked) → A(ω) on [−W, W]
``bosonic-tau``          χ(τ) → A(ω) = χ''(ω)/(πω) on [−W, W]
``bosonic-matsubara``    χ(iΩ_n) (Re) → even A(ω) on [0, W]
``conductivity-tau``     Λ(τ) → σ(ω) on [0, W]

Without ``omega_max`` the frequency window is estimated from the second
moment of the data (see :func:`specinv.ac.window.auto_omega_max`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from specinv.ac.correlated import CorrelatedErrors, make_problem
from specinv.ac.window import (
    KERNELS,
    auto_omega_max,
    default_mesh,
    half_axis,
    is_fermionic,
    is_tau,
    sign_change_note,
    spectral_norm,
)
from specinv.core.errors import InputError, ParameterError
from specinv.core.noise import estimate_noise
from specinv.core.problem import Problem
from specinv.io.qmc import ContinuationInput, check_matsubara_grid
from specinv.kernels import Kernel, Mesh
from specinv.kernels import imaginary_time as it
from specinv.kernels import matsubara as mats

if TYPE_CHECKING:
    from specinv.ac.tail_noise import TailNoise

#: χ²/N below which given error bars are reported as inflated (fit 10× better than them)
INFLATED_CHI2 = 1e-2


@dataclass
class ContinuationSetup:
    """Everything needed to solve and report one continuation.

    Parameters
    ----------
    problem : Problem
        Kernel, data, error bars and default model.
    omega_max : float
        Frequency window W (energy unit of the data).
    omega_max_auto : bool
        W was estimated by :func:`~specinv.ac.window.auto_omega_max`.
    sigma_estimated : bool
        The error bars were estimated from the data.
    noise : float
        Median error bar (unit of the data).
    notes : list of str
        Remarks for the user (sign flip, inflated error bars, ...).
    """

    problem: Problem
    omega_max: float
    omega_max_auto: bool
    sigma_estimated: bool
    noise: float
    notes: list[str]

    def metadata(self) -> dict[str, Any]:
        """JSON-ready description of the set-up.

        Returns
        -------
        dict
            Kernel description, ``omega_max``, ``omega_max_auto``,
            ``sigma_estimated``, ``median_sigma`` and ``notes``.
        """
        return {"kernel": self.problem.kernel.describe(), "omega_max": self.omega_max,
                "omega_max_auto": self.omega_max_auto, "sigma_estimated": self.sigma_estimated,
                "median_sigma": self.noise, "notes": self.notes,
                "correlated_errors": self.problem.info.get("correlated")}


def _kernel_and_rows(data: ContinuationInput, kernel: str, beta: float, mesh: Mesh,
                     quadrature: str) -> tuple[Kernel, np.ndarray, np.ndarray | None]:
    """The kernel named ``kernel`` on ``mesh``, the data vector and its error bars.

    Matsubara data are checked against the grid of ``beta``; fermionic Matsubara data
    are stacked as ``[Re; Im]`` (error bars repeated), bosonic ones keep Re on the half
    axis. Returns the kernel, the data (n_data,) and the error bars (n_data,) or None.
    """
    if is_tau(kernel):
        cls = {"fermionic-tau": it.FermionicTauKernel, "bosonic-tau": it.BosonicTauKernel,
               "conductivity-tau": it.ConductivityTauKernel}[kernel]
        return cls(data.points, mesh, beta=beta, quadrature=quadrature), data.values, data.error
    check_matsubara_grid(data.points, beta, is_fermionic(kernel), data.source)
    if data.imag is None:
        raise InputError("Matsubara input needs Re and Im columns", data.source)
    if is_fermionic(kernel):
        k = mats.FermionicMatsubaraKernel(data.points, mesh, beta=beta, quadrature=quadrature)
        err = None if data.error is None else np.concatenate([data.error, data.error])
        return k, k.stack(data.values, data.imag), err
    k = mats.BosonicMatsubaraKernel(data.points, mesh, beta=beta, components="re",
                                    symmetric=True, quadrature=quadrature)
    return k, data.values, data.error


def build_problem(data: ContinuationInput, kernel: str, beta: float, *,
                  omega_max: float | None = None, n_omega: int | None = None,
                  mesh: Mesh | None = None, sigma: np.ndarray | float | None = None,
                  default_model: np.ndarray | None = None, quadrature: str = "cell",
                  errors: CorrelatedErrors | None = None,
                  noise_model: TailNoise | None = None) -> ContinuationSetup:
    """Kernel, mesh and error bars for ``data``.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data (and their error bars when the file has them).
    kernel : str
        One of :data:`~specinv.ac.window.KERNELS`.
    beta : float
        Inverse temperature in the data's energy unit.
    omega_max, n_omega : optional
        Mesh window and size (auto when omitted; n default 201, 151 on the half axis).
    mesh : Mesh, optional
        Overrides ``omega_max``/``n_omega``.
    sigma : float or ndarray, optional
        Error bars; default the file's, else estimated from the data.
    default_model : ndarray, optional
        Passed to the Problem (maxent's default model). Default for fermionic
        kernels: flat, normalized to the data's zeroth moment
        (:func:`~specinv.ac.window.spectral_norm`) as in TRIQS/maxent and ALPS; for bosonic
        kernels the solver's own flat default.
    quadrature : {"cell", "point"}
        Kernel discretization (see :mod:`specinv.kernels.continuation`).
    errors : CorrelatedErrors, optional
        A covariance or QMC bins (:mod:`specinv.ac.correlated`); replace ``sigma``.
    noise_model : TailNoise, optional
        Noise measured on the data's tail (:mod:`specinv.ac.tail_noise`); replaces ``sigma``.

    Returns
    -------
    ContinuationSetup
        The problem to solve and what was chosen for it.
    """
    if kernel not in KERNELS:
        raise ParameterError(f"unknown kernel {kernel!r}; valid: {', '.join(KERNELS)}")
    if not np.isfinite(beta) or beta <= 0:
        raise ParameterError(f"--beta must be > 0, got {beta}")
    notes: list[str] = []
    if data.flipped:
        notes.append("input had the opposite sign convention (G > 0); it was flipped to the "
                     "physical G(τ) ≤ 0 / Im G(iω_n) < 0")
    auto = mesh is None and omega_max is None
    if mesh is None:
        w = auto_omega_max(data, kernel, beta) if omega_max is None else float(omega_max)
        mesh = default_mesh(kernel, w, n_omega or (151 if half_axis(kernel) else 201))
    w = float(max(abs(mesh.edges[0]), abs(mesh.edges[-1])))
    k, g, err = _kernel_and_rows(data, kernel, beta, mesh, quadrature)
    estimated, info = False, {}
    if noise_model is not None:  # measured on the tail: not refined as a roughness estimate
        from specinv.ac.tail_whiten import apply_model

        k, g, sigma, note = apply_model(k, g, data.error, noise_model)
        estimated, info = data.error is None, {"correlated": noise_model.metadata()}
        notes.append(note)
    elif sigma is None and err is None and errors is None:
        sigma, estimated = _estimated_sigma(data, kernel, g), True
        notes.append(f"no error column: errors estimated from the data roughness, "
                     f"σ = {sigma[0]:.3g}")
    elif sigma is None:
        sigma = err
    if default_model is None:
        norm = spectral_norm(data, kernel, beta)
        if norm is not None:
            default_model = np.full(mesh.size, norm / (mesh.edges[-1] - mesh.edges[0]))
            notes.append(f"default model: flat, normalized to the data's zeroth moment "
                         f"{norm:.4g}")
    if errors is not None:
        problem, more = make_problem(errors, data, k, g, default_model,
                                     stacked=kernel == "fermionic-matsubara")
        notes.extend(more)
    else:
        problem = Problem(k, g, sigma=sigma, default_model=default_model, name=data.source,
                          sigma_estimated=estimated and noise_model is None, info=info)
    return ContinuationSetup(problem, w, auto, estimated, float(np.median(problem.noise())), notes)


def _estimated_sigma(data: ContinuationInput, kernel: str, g: np.ndarray) -> np.ndarray:
    """One error for every row of ``g``, from the roughness of the data (of Im G for
    fermionic Matsubara data), at least 1e-6 of the largest |value|."""
    if is_tau(kernel):
        return np.full(g.size, estimate_noise(g))
    est = estimate_noise(data.imag if is_fermionic(kernel) else data.values)
    return np.full(g.size, max(est, 1e-6 * float(np.max(np.abs(g)))))


#: edge value of a continued spectrum, as a fraction of its maximum, above which an
#: automatic window is widened (a spectral function vanishes outside its band)
EDGE_WEIGHT = 0.05
#: widening factor and number of widenings of an automatic window
WIDEN, MAX_WIDEN = 1.5, 4
#: relative deviation of ∫A from the data's zeroth moment flagged by the check
SUM_RULE_TOL = 0.05
#: χ²/N above which an automatic mesh is refined (the check's fail level): precise data
#: resolve δ-like peaks finer than the default mesh's cells (ACTest STD_FD at σ = 1e-6:
#: 11 of 20 spectra failed with 201 points, none with 804; f 3.94 → 12.98)
MESH_CHI2 = 2.0
#: estimated error of reading the answer between its points (relative to ∫A, see
#: :func:`specinv.ac.resolution.interpolation_error`) above which an automatic mesh is
#: refined although the answer fits: the answer has peaks one or two cells wide
RESOLUTION_TOL = 0.05
#: refinements of an automatic mesh (each doubles the number of points)
MAX_REFINE = 2
#: a refinement for a misfit is kept only if it lowers χ² below this fraction of the
#: coarser mesh's: error bars that are too small (ACTest with the error column halved:
#: χ²/N ≈ 4 on any mesh) then cost one more solve, not two
REFINE_GAIN = 0.75

def continue_data(data: ContinuationInput, kernel: str, beta: float, *, method: str = "maxent",
                  options: dict[str, Any] | None = None, omega_max: float | None = None,
                  n_omega: int | None = None, default_model: str = "flat",
                  errors: CorrelatedErrors | None = None, noise_model: TailNoise | None = None,
                  signed: bool = False) -> tuple[ContinuationSetup, Any]:
    """Continue ``data`` to real frequency and check the answer against the physics.

    An automatic window (``omega_max`` omitted) is widened by :data:`WIDEN` (at most
    :data:`MAX_WIDEN` times) while the spectrum does not decay at its edge (above
    :data:`EDGE_WEIGHT` of its maximum). An automatic mesh (``n_omega`` omitted) then doubles
    its points where the answer bends (:func:`_refine_mesh`) while the answer misses the data
    or is not resolved by its mesh. The check records the edge weight and, for fermionic
    kernels, the sum rule ``∫A dω`` against the zeroth moment.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data with optional error bars.
    kernel : str
        One of :data:`~specinv.ac.window.KERNELS`.
    beta : float
        Inverse temperature, in the inverse of the data's energy unit.
    method : str
        Registered solver name.
    options : dict, optional
        Solver options.
    omega_max : float, optional
        Fixed window half-width (no widening).
    n_omega : int, optional
        Real-frequency points.
    default_model : str
        A name of :data:`specinv.ac.default_model.MODELS` or a file; rebuilt on every window.
    errors : CorrelatedErrors, optional
        Covariance or QMC bins of the data (:mod:`specinv.ac.correlated`).
    noise_model : TailNoise, optional
        Noise measured on the data's tail (:func:`build_problem`, :mod:`~.tail_whiten`).
    signed : bool
        The spectrum may change sign (off-diagonal G_ab): :mod:`specinv.ac.signed`.

    Returns
    -------
    setup : ContinuationSetup
        The problem finally solved (``notes`` say whether the window was widened).
    result : InversionResult
        With ``result.check`` extended by the edge and sum-rule checks.
    """
    from specinv.ac.default_model import smoothed_pass
    from specinv.ac.signed import continue_signed
    from specinv.core.check import edge_weight

    if signed:  # plus-minus MaxEnt, flat default model only
        return continue_signed(data, kernel, beta, build=build_problem, method=method,
                               options=options, omega_max=omega_max, n_omega=n_omega,
                               default_model=default_model, errors=errors, noise_model=noise_model)
    smooth = default_model == "smoothed-answer" and method == "maxent" and is_fermionic(kernel)
    default_model = "gaussian" if smooth else default_model
    setup = _setup(data, kernel, beta, omega_max, n_omega, default_model, method, options,
                   errors, noise_model=noise_model)
    result, caught = _solve_recording(setup.problem, method, options)
    for _ in range(MAX_WIDEN if setup.omega_max_auto else 0):
        if edge_weight(result.spectrum, "upper" if half_axis(kernel) else "both") <= EDGE_WEIGHT:
            break
        notes = setup.notes + [f"window widened from {setup.omega_max:.4g} to "
                               f"{setup.omega_max * WIDEN:.4g}: the spectrum did not decay at "
                               "its edge"]
        setup = _setup(data, kernel, beta, setup.omega_max * WIDEN, n_omega, default_model,
                       method, options, errors, noise_model=noise_model)
        setup.notes, setup.omega_max_auto = notes, True
        result, caught = _solve_recording(setup.problem, method, options)
    if n_omega is None:
        setup, result, caught = _refine_mesh(setup, result, caught, data, kernel, beta,
                                             default_model, method, options, errors,
                                             noise_model)
    if smooth:  # MaxEnt once more, on the final window and mesh
        result, caught = smoothed_pass(setup, result, caught, beta, options)
    for w in caught:  # only the answer's own warnings: superseded windows are not reported
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    _final_checks(result, setup, data, kernel, beta, noise_model)
    return setup, result


def _final_checks(result: Any, setup: ContinuationSetup, data: ContinuationInput, kernel: str,
                  beta: float, noise_model: TailNoise | None) -> None:
    """Extend ``result.check``: residuals under the tail noise model
    (:func:`~specinv.ac.tail_whiten.recheck`), edges, and the sum rule against the data's
    zeroth moment (fermionic kernels); note data that no positive spectrum gives."""
    from specinv.core.check import check_edges

    setup.notes.extend(n for n in [sign_change_note(data, kernel)] if n is not None)
    sides = "upper" if half_axis(kernel) else "both"
    if noise_model is not None:
        from specinv.ac.tail_whiten import recheck

        recheck(result, setup.problem, noise_model, sigma_given=not setup.sigma_estimated)
    check_edges(result.check, result.omega, result.spectrum, decays=True, sides=sides,
                edge_fraction=EDGE_WEIGHT)
    norm = spectral_norm(data, kernel, beta)
    if norm is not None:
        total = float(result.spectrum @ result.mesh.weights)
        dev = abs(total / norm - 1.0)
        level = "warn" if dev > SUM_RULE_TOL else "ok"
        result.check.add(level, f"sum rule: the integral of A is {total:.4g}, the data's zeroth "
                                f"moment {norm:.4g} ({dev:.1%} off)", sum_rule_deviation=dev)


def _refine_mesh(setup: ContinuationSetup, result: Any, caught: list, data: ContinuationInput,
                 kernel: str, beta: float, default_model: str, method: str,
                 options: dict[str, Any] | None, errors: CorrelatedErrors | None,
                 noise_model: TailNoise | None = None) -> tuple[ContinuationSetup, Any, list]:
    """Double the mesh points, the new ones where the answer bends
    (:func:`~specinv.ac.resolution.adapted_mesh`), while χ²/N > :data:`MESH_CHI2` or the
    answer's interpolation error exceeds :data:`RESOLUTION_TOL`.

    A finer answer is kept if it lowers χ² below :data:`REFINE_GAIN` of the coarser one's
    (refinement for a misfit), or fits the data (χ²/N ≤ :data:`MESH_CHI2`, refinement for
    resolution). Returns the set-up, answer and recorded warnings kept; a note records
    each refinement.
    """
    from specinv.ac.resolution import adapted_mesh, interpolation_error

    for _ in range(MAX_REFINE):
        misfit = result.chi2_reduced > MESH_CHI2
        err = interpolation_error(result.mesh, result.spectrum)
        if not misfit and err <= RESOLUTION_TOL:
            break
        mesh = adapted_mesh(result.mesh, result.spectrum, 2 * result.mesh.size,
                            first_at_edge=half_axis(kernel))
        finer = _setup(data, kernel, beta, setup.omega_max, None, default_model, method,
                       options, errors, mesh, noise_model)
        res, cau = _solve_recording(finer.problem, method, options)
        keep = res.chi2_reduced < REFINE_GAIN * result.chi2_reduced if misfit \
            else res.chi2_reduced <= MESH_CHI2
        if not keep:
            break
        finer.notes = setup.notes + [
            f"mesh refined to {mesh.size} points, denser where the answer bends: χ²/N "
            f"{result.chi2_reduced:.3g} → {res.chi2_reduced:.3g}, interpolation error "
            f"{err:.3g} → {interpolation_error(res.mesh, res.spectrum):.3g}"]
        finer.omega_max_auto = setup.omega_max_auto
        setup, result, caught = finer, res, cau
    return setup, result, caught


def _setup(data: ContinuationInput, kernel: str, beta: float, omega_max: float | None,
           n_omega: int | None, default_model: str, method: str,
           options: dict[str, Any] | None, errors: CorrelatedErrors | None = None,
           mesh: Mesh | None = None, noise_model: TailNoise | None = None
           ) -> ContinuationSetup:
    """:func:`build_problem` (on ``mesh`` when given) with the default model
    ``default_model`` put in."""
    from specinv.ac.default_model import resolve

    setup = build_problem(data, kernel, beta, omega_max=omega_max, n_omega=n_omega,
                          mesh=mesh, errors=errors, noise_model=noise_model)
    if default_model != "flat":
        first = _solve_recording(setup.problem, method, options)[0] \
            if default_model == "two-pass" else None
        resolve(default_model, setup, data, kernel, beta, first)
    return setup


def _solve_recording(problem: Problem, method: str, options: dict[str, Any] | None
                     ) -> tuple[Any, list[warnings.WarningMessage]]:
    from specinv.solvers import solve

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve(problem, method=method, **(options or {}))
    return result, caught
