"""Physics refinement of a network answer: fit the data through the kernel.

Two routes, both starting from the network:

- :func:`refine_drude`: nonlinear least squares of the eight Drude parameters
  (α on the simplex via logits, log γ_0, log(γ_1 + 1e-3)) against all ten
  temperatures at once through the exact Λ(τ) (PHYSICS.md §4), started at the
  network's label. Uses every ``stride``-th τ point (speed; 50 per T by default).
- :func:`refine_maxent`: per temperature, ``maxent`` on the
  :class:`~specinv.kernels.imaginary_time.ConductivityTauKernel` with the
  network's σ̂_T(ω) as default model (model-free, for σ beyond Drude sums).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import least_squares

from specinv.ac.conductivity.data import EVAL_OMEGA, TEMPERATURES, tau_matrix
from specinv.ac.conductivity.drude import drude_lambda_tau, drude_sigma
from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import ConductivityTauKernel

_G1_FLOOR = 1e-3


def _to_params(label: np.ndarray) -> np.ndarray:
    a = np.clip(label[:, 0], 1e-4, None)
    logits = np.log(a / a[2])[:2]
    return np.concatenate([logits, np.log(np.clip(label[:, 1], 1e-4, None)),
                           np.log(np.clip(label[:, 2], 0, None) + _G1_FLOOR)])


def _to_label(p: np.ndarray) -> np.ndarray:
    e = np.exp(np.concatenate([p[:2], [0.0]]) - max(p[:2].max(), 0.0))
    lab = np.empty((3, 3))
    lab[:, 0] = e / e.sum()
    lab[:, 1] = np.exp(p[2:5])
    lab[:, 2] = np.clip(np.exp(p[5:8]) - _G1_FLOOR, 0, None)
    return lab


def refine_drude(x: np.ndarray, init_label: np.ndarray, *, rel_noise: float = 1e-3,
                 stride: int = 4, max_nfev: int = 200) -> tuple[np.ndarray, dict]:
    """Least-squares Drude parameters for one example.

    Parameters
    ----------
    x : ndarray of shape (10, 200)
        Λ_T(τ) data.
    init_label : ndarray of shape (3, 3)
        Starting label (network output).
    rel_noise : float
        Relative error of the data (weights ``1/(rel_noise · Λ)``).
    stride : int
        Every ``stride``-th τ point enters the fit.
    max_nfev : int
        Most residual evaluations of the Levenberg–Marquardt fit.

    Returns
    -------
    label : ndarray of shape (3, 3)
        Fitted rows ``(α, γ_0, γ_1)``.
    info : dict
        ``chi2_reduced``, ``nfev``, ``success``.
    """
    tau = tau_matrix()[:, ::stride]
    g = x[:, ::stride]
    beta = (1.0 / TEMPERATURES)[:, None]
    w = 1.0 / (rel_noise * np.abs(g))
    t2 = TEMPERATURES**2

    def resid(p: np.ndarray) -> np.ndarray:
        lab = _to_label(p)
        gam = np.maximum(lab[:, 1, None] + lab[:, 2, None] * t2, 1e-6)  # (3, 10)
        model = np.einsum("i,itk->tk", lab[:, 0],
                          drude_lambda_tau(tau[None], gam[..., None], beta[None]))
        return ((model - g) * w).ravel()

    start = _to_params(np.asarray(init_label, float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = least_squares(resid, start, method="lm", max_nfev=max_nfev, x_scale="jac")
    return _to_label(res.x), {"chi2_reduced": float(2 * res.cost / g.size),
                              "nfev": int(res.nfev), "success": bool(res.success)}


#: the tail reaches ω = TAIL_DECAY / τ_min, where the kernel's weight e^{−τ_min ω} ≈ 6e-6
TAIL_DECAY = 12.0


def sigma_mesh(omega_max: float = 8.0, n: int = 120, *, tail_max: float | None = None,
               n_tail: int = 40) -> Mesh:
    """Mesh on [0, omega_max], fine near 0 (quadratic spacing), plus a logarithmic tail.

    A Drude σ decays only like γ/ω², and Λ(τ) near τ = 0, β is dominated by
    that tail (its log divergence has weight Σα_iγ_i/π). A mesh that stops at
    ``omega_max`` cannot reproduce the small-τ data: for ω_max = 8 and
    T = 1 the missing weight at the first τ point is ~ (γ/π)·E1(τ_min ω_max)
    ≈ γ, a hundred times the 1e-3 error bars, and every classical solver then
    drives σ̂ to its numerical limits (the "collapse" to e^-200 of maxent). With
    ``tail_max`` the mesh continues with ``n_tail`` log-spaced points to
    ``tail_max`` (use :data:`TAIL_DECAY` / τ_min).

    Parameters
    ----------
    omega_max : float
        End of the resolved window (the evaluation mesh is [0, 5]).
    n : int
        Points in [0, omega_max].
    tail_max : float or None
        End of the logarithmic tail (None or ≤ omega_max: no tail).
    n_tail : int
        Points of the tail.

    Returns
    -------
    Mesh
        Mesh on [0, omega_max] (or to ``tail_max``), first edge at 0.
    """
    u = np.linspace(0.0, 1.0, n)
    pts = omega_max * (0.02 * u + 0.98 * u**2)
    if tail_max is not None and tail_max > omega_max * 1.5 and n_tail > 0:
        pts = np.concatenate([pts, np.geomspace(omega_max, tail_max, n_tail + 1)[1:]])
    mid = 0.5 * (pts[1:] + pts[:-1])
    return Mesh(pts, np.concatenate([[0.0], mid, [2 * pts[-1] - mid[-1]]]))


def refine_maxent(x: np.ndarray, default_sigma: np.ndarray | None, *, rel_noise: float = 1e-3,
                  mesh: Mesh | None = None, omega: np.ndarray = EVAL_OMEGA,
                  method: str = "maxent", default_label: np.ndarray | None = None,
                  return_chi2: bool = False,
                  **options) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Per-temperature continuation of one example, σ̂_T on ``omega``.

    Parameters
    ----------
    x : ndarray of shape (10, 200)
        Λ_T(τ) data.
    default_sigma : ndarray of shape (10, n_mesh) or None
        Default model on ``mesh`` per T (network output; needs ``mesh``); None = flat
        (plain maxent) unless ``default_label`` is given.
    default_label : ndarray of shape (3, 3), optional
        Drude label (network output) whose σ_T on each T's mesh is the default model.
    mesh : Mesh, optional
        Real-frequency mesh for every T; default :func:`sigma_mesh` with a tail
        to ``TAIL_DECAY / τ_min`` per temperature (the tail is needed: see
        :func:`sigma_mesh`).
    rel_noise : float
        Relative error bars of the data (σ = ``rel_noise · |Λ|``).
    omega : ndarray of shape (n_omega,)
        Where σ̂ is returned (default the evaluation mesh).
    method : str
        Any registered solver (``maxent``, ``tikhonov``, ``nnrs``).
    return_chi2 : bool
        Also return each temperature's ``χ²/N`` with those error bars.
    **options
        Options of that solver.

    Returns
    -------
    sigma : ndarray of shape (10, n_omega)
        σ̂_T on ``omega`` (clipped at 0).
    chi2 : ndarray of shape (10,)
        ``χ²/N`` per temperature (only with ``return_chi2``).
    """
    from specinv.solvers import solve

    if default_sigma is not None and mesh is None:
        raise ParameterError("refine_maxent: default_sigma is given on a mesh; pass mesh= too "
                             "(or default_label=)")
    tau = tau_matrix()
    out = np.empty((TEMPERATURES.size, len(omega)))
    chi2 = np.empty(TEMPERATURES.size)
    for t in range(TEMPERATURES.size):
        beta = 1.0 / TEMPERATURES[t]
        mesh_t = mesh
        if mesh_t is None:
            tau_min = min(tau[t][0], beta - tau[t][-1])
            mesh_t = sigma_mesh(tail_max=TAIL_DECAY / tau_min)
        k = ConductivityTauKernel(tau[t], mesh_t, beta=beta)
        dm = None
        if method == "maxent" and (default_sigma is not None or default_label is not None):
            d = default_sigma[t] if default_sigma is not None else \
                label_sigma_on(mesh_t.points, np.asarray(default_label, float))[t]
            dm = np.maximum(d, 1e-6 * d.max())
        p = Problem(k, x[t], sigma=rel_noise * np.abs(x[t]), default_model=dm)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = solve(p, method=method, **options)
        out[t] = np.interp(omega, mesh_t.points, np.maximum(r.spectrum, 0.0))
        chi2[t] = r.chi2_reduced
    return (out, chi2) if return_chi2 else out


def label_sigma_on(mesh_points: np.ndarray, label: np.ndarray) -> np.ndarray:
    """σ_T(ω) of one label on arbitrary points.

    Parameters
    ----------
    mesh_points : ndarray of shape (n,)
        Frequencies.
    label : ndarray of shape (3, 3)
        Rows ``(α, γ_0, γ_1)``.

    Returns
    -------
    ndarray of shape (10, n)
        σ at every temperature.
    """
    gam = label[:, 1, None] + label[:, 2, None] * TEMPERATURES**2
    return np.einsum("i,itw->tw", label[:, 0], drude_sigma(mesh_points, gam[..., None]))
