"""Physics check of a predicted α²F: solve the Eliashberg equations again.

For each prediction f̂ the engine solves the Matsubara equations at the data
set's T and μ*, continues Δ to the real axis on the input mesh by the same route
the training data took (Padé, or the exact real-axis iteration for sets built
with ``continuation="realaxis"``), and compares with the input/truth:

- gap residual ‖Δ[f̂] − Δ_in‖₂ / ‖Δ_in‖₂ over Re and Im on ω ≤ 35 meV;
- relative errors of λ, ω_log and T_c (linearized gap equation) against f;
- the seed's Pearson differences Δf = 1 − pcc(f, f̂), Δg = 1 − pcc(g, g[f̂]).

A network output can dip below zero where α²F vanishes. The solver needs
α²F ≥ 0, and plain clipping rectifies that zero-mean noise into a positive
bias of λ (measured ≈ +2 % median on the simple set, mostly from Ω → 0 where
the 1/Ω weight is large). The default ``"clip"`` sets negative values to 0;
``"clip_keep_lambda"`` then rescales so that λ equals the λ of the raw output
(on the simple set it gave no better λ and worse T_c and gap residuals, so it
is not the default). ``lambda_raw`` (raw output) is always reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.check import Check, check_fit
from specinv.core.errors import ParameterError
from specinv.core.mesh import trapezoid_weights
from specinv.core.noise import estimate_noise
from specinv.core.parallel import map_chunks
from specinv.eliashberg.engine.a2f import A2F, moments
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_on_mesh
from specinv.eliashberg.engine.realaxis import continue_pade
from specinv.eliashberg.engine.seed import SEED_SETUP
from specinv.eliashberg.engine.tc import critical_temperature


def pearson_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 − Pearson correlation of each row pair.

    Parameters
    ----------
    a, b : ndarray of shape (S, n)
        Rows to compare.

    Returns
    -------
    ndarray of shape (S,)
        Δ in [0, 2]; 1 where a row is constant.
    """
    a = np.atleast_2d(a).astype(float)
    b = np.atleast_2d(b).astype(float)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a ** 2).sum(axis=1) * (b ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - np.where(den > 0, (a * b).sum(axis=1) / den, 0.0)


def solve_a2f(values: np.ndarray, omega_a2f: np.ndarray, omega: np.ndarray,
              temperature_K: float, mu_star: float, *, n_matsubara: int = SEED_SETUP.n_matsubara,
              with_tc: bool = True, positive: str = "clip",
              continuation: str = "pade") -> dict[str, Any]:
    """Δ(ω), λ, ω_log, T_c of one α²F (values clipped at 0).

    Parameters
    ----------
    values : ndarray of shape (n_a2f,)
        α²F on ``omega_a2f`` (dimensionless).
    omega_a2f : ndarray of shape (n_a2f,)
        α²F mesh Ω (meV).
    omega : ndarray of shape (n_omega,)
        Real-axis mesh for Δ(ω), meV.
    temperature_K, mu_star : float
        As in the data set (seed: 1.16 K, 0.1).
    n_matsubara : int
        Positive Matsubara frequencies of the solve.
    with_tc : bool
        Also compute T_c (a second, linearized solve).
    positive : {"clip_keep_lambda", "clip"}
        Projection onto α²F ≥ 0 (see the module docstring).
    continuation : {"pade", "realaxis"}
        How Δ(ω) is obtained (as the data set's ``continuation``).

    Returns
    -------
    dict
        ``delta`` (complex, meV; zeros when not superconducting), ``lambda``,
        ``omega_log_meV``, ``tc_K``, ``superconducting``, ``converged``, ``valid``
        (False when α²F has no weight).
    """
    raw = np.nan_to_num(np.asarray(values, dtype=float))
    w = np.asarray(omega_a2f, dtype=float)
    f = np.clip(raw, 0.0, None)
    if continuation not in ("pade", "realaxis"):
        raise ParameterError(f"continuation must be 'pade' or 'realaxis', got {continuation!r}")
    if positive not in ("clip_keep_lambda", "clip"):
        raise ParameterError(f"positive must be 'clip_keep_lambda' or 'clip', got {positive!r}")
    pos = w > 0
    dw = trapezoid_weights(w)
    lam_raw = float(2.0 * np.sum(raw[pos] * dw[pos] / w[pos]))
    out: dict[str, Any] = {"delta": np.zeros(np.size(omega), complex), "lambda": 0.0,
                           "lambda_raw": lam_raw, "omega_log_meV": float("nan"), "tc_K": 0.0,
                           "superconducting": False, "converged": False, "valid": False}
    if not np.any(f[pos] > 0) or (positive == "clip_keep_lambda" and lam_raw <= 0):
        return out
    spec = A2F.from_table(w, f, source="predicted α²F")
    if positive == "clip_keep_lambda":
        spec = spec.scaled_to_lambda(lam_raw)
    mom = moments(spec)
    out.update({"lambda": mom["lambda"], "omega_log_meV": mom["omega_log_meV"], "valid": True})
    sol = solve_matsubara(spec, temperature_K, mu_star, n_matsubara=n_matsubara)
    out["converged"] = bool(sol.report.converged)
    out["superconducting"] = bool(sol.is_superconducting)
    if sol.is_superconducting:
        w_out = np.asarray(omega, dtype=float)
        out["delta"] = (real_axis_on_mesh(sol, spec, w_out)[0].delta
                        if continuation == "realaxis" else continue_pade(sol, w_out).delta)
    if with_tc:
        out["tc_K"] = critical_temperature(spec, mu_star).tc_K
    return out


def _solve_chunk(task: tuple) -> list[dict[str, Any]]:
    rows, omega_a2f, omega, t, mu, with_tc, positive, continuation = task
    return [solve_a2f(r, omega_a2f, omega, t, mu, with_tc=with_tc, positive=positive,
                      continuation=continuation) for r in rows]


def resolve_batch(pred: np.ndarray, omega_a2f: np.ndarray, omega: np.ndarray,
                  temperature_K: float, mu_star: float, *, with_tc: bool = True,
                  workers: int | None = 1, chunk: int = 25,
                  positive: str = "clip", continuation: str = "pade") -> list[dict[str, Any]]:
    """:func:`solve_a2f` for every row of ``pred`` (parallel via ``map_chunks``).

    Parameters
    ----------
    pred : ndarray of shape (S, n_a2f)
        α²F rows (dimensionless).
    omega_a2f : ndarray of shape (n_a2f,)
        α²F mesh Ω (meV).
    omega : ndarray of shape (n_omega,)
        Real-axis mesh for Δ(ω) (meV).
    temperature_K, mu_star : float
        Temperature (K) and Coulomb pseudopotential of the solves.
    with_tc : bool
        Also compute T_c.
    workers : int or None
        Local processes (None: all cores).
    chunk : int
        Rows per task.
    positive : {"clip_keep_lambda", "clip"}
        Projection onto α²F ≥ 0.
    continuation : {"pade", "realaxis"}
        How Δ(ω) is obtained.

    Returns
    -------
    list of dict
        One :func:`solve_a2f` result per row, in row order.
    """
    pred = np.atleast_2d(pred)
    tasks = [(pred[i:i + chunk], omega_a2f, omega, temperature_K, mu_star, with_tc, positive,
              continuation) for i in range(0, pred.shape[0], chunk)]
    results: list[list[dict]] = [[] for _ in tasks]
    for k, res in map_chunks(_solve_chunk, tasks, workers=workers):
        results[k] = res
    return [r for part in results for r in part]


def gap_residual(delta_new: np.ndarray, delta_ref: np.ndarray) -> np.ndarray:
    """‖Δ_new − Δ_ref‖₂ / ‖Δ_ref‖₂ per row.

    Parameters
    ----------
    delta_new, delta_ref : ndarray of shape (S, n_omega), complex
        Gap functions (meV).

    Returns
    -------
    ndarray of shape (S,)
        Relative residuals.
    """
    a, b = np.atleast_2d(delta_new), np.atleast_2d(delta_ref)
    return np.linalg.norm(a - b, axis=1) / np.maximum(np.linalg.norm(b, axis=1), 1e-12)


#: relative tolerance of a re-solved gap: correct α²F reproduce noise-free engine gaps to
#: 0.3–3 % rms, wrong ones (outside the training family, cut-off α²F) miss by 13–140 %;
#: σ = 5 % of the rms gap puts the check's fail boundary (χ²/N = 2) at a 7 % misfit
RESOLVE_TOL = 0.05


def resolve_check(delta_resolved: np.ndarray, delta_input: np.ndarray) -> Check:
    """Verdict on a predicted α²F from its re-solved gap.

    Parameters
    ----------
    delta_resolved : ndarray of shape (n_omega,), complex
        Δ(ω) of the Eliashberg equations solved with the predicted α²F (meV).
    delta_input : ndarray of shape (n_omega,), complex
        The gap that was inverted (meV), on the same mesh.

    Returns
    -------
    Check
        ``fitted`` = re-solved gap, data = input gap (Re and Im stacked); σ is the
        larger of the input's own noise (estimated from its roughness) and
        :data:`RESOLVE_TOL` × its rms.
    """
    data = np.concatenate([np.real(delta_input), np.imag(delta_input)])
    fitted = np.concatenate([np.real(delta_resolved), np.imag(delta_resolved)])
    rms = float(np.sqrt(np.mean(np.abs(delta_input) ** 2)))
    noise = max(estimate_noise(np.real(delta_input)), estimate_noise(np.imag(delta_input)))
    tol = RESOLVE_TOL * rms
    sigma = np.full(data.size, max(noise, tol))
    check = check_fit(data, fitted, sigma, sigma_given=False, tolerance=noise <= tol)
    if check.failed:
        check.add("fail", "the predicted alpha2F does not reproduce the input gap when the "
                          "Eliashberg equations are solved again: outside what the model "
                          "learned (energy range, shape family)")
    return check


def physics_check(pred: np.ndarray, a2f_true: np.ndarray, delta_in: np.ndarray,
                  omega_a2f: np.ndarray, omega: np.ndarray, temperature_K: float,
                  mu_star: float, *, lam_true: np.ndarray | None = None,
                  tc_true: np.ndarray | None = None, wlog_true: np.ndarray | None = None,
                  workers: int | None = 1, positive: str = "clip",
                  continuation: str = "pade") -> dict[str, Any]:
    """Re-solve every prediction and compare with the truth.

    Parameters
    ----------
    pred, a2f_true : ndarray of shape (S, n_a2f)
        Predicted and true α²F.
    delta_in : ndarray of shape (S, n_omega), complex
        The gap functions that were fed to the model (meV).
    omega_a2f : ndarray of shape (n_a2f,)
        α²F mesh Ω (meV).
    omega : ndarray of shape (n_omega,)
        Real-axis mesh of Δ(ω) (meV).
    temperature_K, mu_star : float
        Temperature (K) and Coulomb pseudopotential of the data set.
    lam_true, tc_true, wlog_true : ndarray of shape (S,), optional
        Truth (default: computed from ``a2f_true``; T_c then needs a solve).
    workers : int or None
        Local processes of the re-solves.
    positive : {"clip_keep_lambda", "clip"}
        Projection of the predictions onto α²F ≥ 0.
    continuation : {"pade", "realaxis"}
        Route to Δ(ω), as the data set's (see :func:`solve_a2f`).

    Returns
    -------
    dict
        Per-sample arrays (``gap_residual``, ``lambda_rel_err``, ``omega_log_rel_err``,
        ``tc_rel_err``, ``delta_f``, ``delta_g``, ``lambda_pred``, ``tc_pred_K``,
        ``superconducting``) and ``summary`` (medians / means).
    """
    pred = np.atleast_2d(pred)
    a2f_true = np.atleast_2d(a2f_true)
    res = resolve_batch(pred, omega_a2f, omega, temperature_K, mu_star, workers=workers,
                        positive=positive, continuation=continuation)
    if lam_true is None or tc_true is None or wlog_true is None:
        truth = resolve_batch(a2f_true, omega_a2f, omega, temperature_K, mu_star,
                              workers=workers, continuation=continuation)
        lam_true = np.array([t["lambda"] for t in truth])
        wlog_true = np.array([t["omega_log_meV"] for t in truth])
        tc_true = np.array([t["tc_K"] for t in truth])
    delta_new = np.stack([r["delta"] for r in res])
    lam_p = np.array([r["lambda"] for r in res])
    lam_raw = np.array([r["lambda_raw"] for r in res])
    wlog_p = np.array([r["omega_log_meV"] for r in res])
    tc_p = np.array([r["tc_K"] for r in res])
    sc = np.array([r["superconducting"] for r in res])
    g_in = np.concatenate([delta_in.real, delta_in.imag], axis=1)
    g_new = np.concatenate([delta_new.real, delta_new.imag], axis=1)
    out = {
        "gap_residual": gap_residual(delta_new, delta_in),
        "lambda_rel_err": np.abs(lam_p - lam_true) / lam_true,
        "lambda_raw_rel_err": np.abs(lam_raw - lam_true) / lam_true,
        "omega_log_rel_err": np.abs(wlog_p - wlog_true) / wlog_true,
        "tc_rel_err": np.abs(tc_p - tc_true) / np.maximum(tc_true, 1e-9),
        "delta_f": pearson_difference(a2f_true, pred),
        "delta_g": pearson_difference(g_in, g_new),
        "lambda_pred": lam_p, "omega_log_pred_meV": wlog_p, "tc_pred_K": tc_p,
        "lambda_true": np.asarray(lam_true), "tc_true_K": np.asarray(tc_true),
        "superconducting": sc, "delta_resolved": delta_new,
    }
    out["summary"] = summarize(out)
    return out


def summarize(check: dict[str, Any]) -> dict[str, float]:
    """Medians, means and 90th percentiles of a :func:`physics_check` result.

    The seed's Table I reports Δf and Δg as means over the test samples.

    Parameters
    ----------
    check : dict
        Result of :func:`physics_check`.

    Returns
    -------
    dict
        ``n``, ``fraction_superconducting``, median / mean / 90th percentile of
        each relative error, and mean / median of Δf and Δg.
    """
    s: dict[str, float] = {"n": int(np.size(check["gap_residual"])),
                           "fraction_superconducting": float(np.mean(check["superconducting"]))}
    for k in ("gap_residual", "lambda_rel_err", "lambda_raw_rel_err", "omega_log_rel_err",
              "tc_rel_err"):
        v = np.asarray(check[k], dtype=float)
        s[f"median_{k}"] = float(np.nanmedian(v))
        s[f"mean_{k}"] = float(np.nanmean(v))
        s[f"p90_{k}"] = float(np.nanpercentile(v, 90))
    for k in ("delta_f", "delta_g"):
        s[f"mean_{k}"] = float(np.nanmean(check[k]))
        s[f"median_{k}"] = float(np.nanmedian(check[k]))
    return s
