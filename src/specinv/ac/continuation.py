"""Analytic continuation front end: data + kernel name + β → Problem → spectrum.

Used by ``specinv ac continue`` and the ``ac`` benchmark. Kernel names:

``fermionic-tau``        G(τ) ≤ 0 → A(ω) on [−W, W]
``fermionic-matsubara``  G(iω_n) (Re, Im stacked) → A(ω) on [−W, W]
``bosonic-tau``          χ(τ) → A(ω) = χ''(ω)/(πω) on [−W, W]
``bosonic-matsubara``    χ(iΩ_n) (Re) → even A(ω) on [0, W]
``conductivity-tau``     Λ(τ) → σ(ω) on [0, W]

Without ``omega_max`` the frequency window is estimated from the second
moment of the data (see :func:`auto_omega_max`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.core.noise import estimate_noise
from specinv.core.problem import Problem
from specinv.io.qmc import ContinuationInput, check_matsubara_grid
from specinv.kernels import Mesh
from specinv.kernels import imaginary_time as it

KERNELS = ("fermionic-tau", "fermionic-matsubara", "bosonic-tau", "bosonic-matsubara",
           "conductivity-tau")
#: χ²/N below which given error bars are reported as inflated (fit 10× better than them)
INFLATED_CHI2 = 1e-2


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
            tau, g = data.points, data.values
            k = min(8, tau.size // 4)
            if k < 4:
                return floor
            p0 = np.polyfit(tau[:k] - tau[0], g[:k], 3)
            p1 = np.polyfit(tau[-k:] - tau[-1], g[-k:], 3)
            m0 = abs(p0[-1] + p1[-1])
            m2 = abs(2 * p0[-3] + 2 * p1[-3])
        else:
            wn = data.points
            re = data.values
            im = data.imag if data.imag is not None else data.values
            sel = wn > 0
            tail = slice(-max(3, sel.sum() // 5), None)
            if is_fermionic(kernel):
                m0, m2 = _matsubara_moments(wn[sel], im[sel])
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


def _matsubara_moments(wn: np.ndarray, im: np.ndarray) -> tuple[float, float]:
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
    and last points); Matsubara data: ``−ω_n Im G(iω_n)``
    on the last fifth of the frequencies. ``None`` for bosonic kernels or when
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
        W was estimated by :func:`auto_omega_max`.
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
                "median_sigma": self.noise, "notes": self.notes}


def build_problem(data: ContinuationInput, kernel: str, beta: float, *,
                  omega_max: float | None = None, n_omega: int | None = None,
                  mesh: Mesh | None = None, sigma: np.ndarray | float | None = None,
                  default_model: np.ndarray | None = None,
                  quadrature: str = "cell") -> ContinuationSetup:
    """Kernel, mesh and error bars for ``data``.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data (and their error bars when the file has them).
    kernel : str
        One of :data:`KERNELS`.
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
        (:func:`spectral_norm`) as in TRIQS/maxent and ALPS; for bosonic
        kernels the solver's own flat default.
    quadrature : {"cell", "point"}
        Kernel discretization (see :mod:`specinv.kernels.imaginary_time`).

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
    if is_tau(kernel):
        cls = {"fermionic-tau": it.FermionicTauKernel, "bosonic-tau": it.BosonicTauKernel,
               "conductivity-tau": it.ConductivityTauKernel}[kernel]
        k = cls(data.points, mesh, beta=beta, quadrature=quadrature)
        g = data.values
        err = data.error
    else:
        check_matsubara_grid(data.points, beta, is_fermionic(kernel), data.source)
        if data.imag is None:
            raise InputError("Matsubara input needs Re and Im columns", data.source)
        if is_fermionic(kernel):
            k = it.FermionicMatsubaraKernel(data.points, mesh, beta=beta, quadrature=quadrature)
            g = k.stack(data.values, data.imag)
            err = None if data.error is None else np.concatenate([data.error, data.error])
        else:
            k = it.BosonicMatsubaraKernel(data.points, mesh, beta=beta, components="re",
                                          symmetric=True, quadrature=quadrature)
            g, err = data.values, data.error
    estimated = False
    if sigma is None and err is None:
        if is_tau(kernel):
            est = estimate_noise(g)
        else:
            est = max(estimate_noise(data.imag if is_fermionic(kernel) else data.values),
                      1e-6 * float(np.max(np.abs(g))))
        sigma = np.full(g.size, est)
        estimated = True
        notes.append(f"no error column: errors estimated from the data roughness, σ = {est:.3g}")
    elif sigma is None:
        sigma = err
    if default_model is None:
        norm = spectral_norm(data, kernel, beta)
        if norm is not None:
            default_model = np.full(mesh.size, norm / (mesh.edges[-1] - mesh.edges[0]))
            notes.append(f"default model: flat, normalized to the data's zeroth moment "
                         f"{norm:.4g}")
    problem = Problem(k, g, sigma=sigma, default_model=default_model, name=data.source)
    return ContinuationSetup(problem, w, auto, estimated, float(np.median(problem.noise())), notes)


#: edge value of a continued spectrum, as a fraction of its maximum, above which an
#: automatic window is widened (a spectral function vanishes outside its band)
EDGE_WEIGHT = 0.05
#: widening factor and number of widenings of an automatic window
WIDEN, MAX_WIDEN = 1.5, 4
#: relative deviation of ∫A from the data's zeroth moment flagged by the check
SUM_RULE_TOL = 0.05


def continue_data(data: ContinuationInput, kernel: str, beta: float, *, method: str = "maxent",
                  options: dict[str, Any] | None = None, omega_max: float | None = None,
                  n_omega: int | None = None) -> tuple[ContinuationSetup, Any]:
    """Continue ``data`` to real frequency and check the answer against the physics.

    An automatic window (``omega_max`` omitted) is widened by :data:`WIDEN` (up to
    :data:`MAX_WIDEN` times) while the spectrum does not decay at its edge (edge value
    above :data:`EDGE_WEIGHT` of the maximum): the window must never cut a band. The
    result's check records the edge weight and, for fermionic kernels, the sum rule
    ``∫A dω`` against the data's zeroth moment.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data with optional error bars.
    kernel : str
        One of :data:`KERNELS`.
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

    Returns
    -------
    setup : ContinuationSetup
        The problem finally solved (``notes`` say whether the window was widened).
    result : InversionResult
        With ``result.check`` extended by the edge and sum-rule checks.
    """
    from specinv.core.check import check_edges, edge_weight
    from specinv.solvers import solve

    setup = build_problem(data, kernel, beta, omega_max=omega_max, n_omega=n_omega)
    result = solve(setup.problem, method=method, **(options or {}))
    sides = "upper" if half_axis(kernel) else "both"
    for _ in range(MAX_WIDEN if setup.omega_max_auto else 0):
        if edge_weight(result.spectrum, sides) <= EDGE_WEIGHT:
            break
        wider = setup.omega_max * WIDEN
        notes = setup.notes + [f"window widened from {setup.omega_max:.4g} to {wider:.4g}: "
                               "the spectrum did not decay at its edge"]
        setup = build_problem(data, kernel, beta, omega_max=wider, n_omega=n_omega)
        setup.notes, setup.omega_max_auto = notes, True
        result = solve(setup.problem, method=method, **(options or {}))
    check_edges(result.check, result.omega, result.spectrum, decays=True, sides=sides,
                edge_fraction=EDGE_WEIGHT)
    norm = spectral_norm(data, kernel, beta)
    if norm is not None:
        total = float(result.spectrum @ result.mesh.weights)
        dev = abs(total / norm - 1.0)
        level = "warn" if dev > SUM_RULE_TOL else "ok"
        result.check.add(level, f"sum rule: the integral of A is {total:.4g}, the data's zeroth "
                                f"moment {norm:.4g} ({dev:.1%} off)", sum_rule_deviation=dev)
    return setup, result

