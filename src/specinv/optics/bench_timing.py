"""Inference speed of the rRIM against the classical methods (``specinv bench optics``)."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

#: alternating rounds of the paired speed measurement (classical subset, rRIM batch)
PAIRED_ROUNDS = 10


def _median_min(f: Any, n: int = 30) -> tuple[float, float]:
    """Median and minimum wall time (s) of ``n`` calls of ``f`` after one warm-up call."""
    f()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), float(np.min(ts))


def _paired(model: Any, y: np.ndarray, kernel: Any, y_classical: np.ndarray, cls: dict,
            classical_methods: dict) -> dict[str, Any]:
    """Median s per spectrum of the most accurate of maxent and tikhonov and of the batched
    rRIM, timed in alternating rounds on one core each (same machine load for both)."""
    from specinv.core.problem import Problem
    from specinv.core.threads import compute_threads
    from specinv.solvers.base import solve

    best = min(("maxent", "tikhonov"), key=lambda m: cls[m]["mse"])
    probs = [Problem(kernel, yi, sigma=1e-3 * float(np.abs(yi).max())) for yi in y_classical]
    t_cls, t_rrim = [], []
    for _ in range(PAIRED_ROUNDS):
        with warnings.catch_warnings(), compute_threads(1):
            warnings.simplefilter("ignore")
            ts = []
            for prob_i in probs:
                t0 = time.perf_counter()
                solve(prob_i, best, **classical_methods[best])
                ts.append(time.perf_counter() - t0)
        t_cls.append(float(np.median(ts)))
        with compute_threads(1):  # one core each, as the classical method above
            t0 = time.perf_counter()
            model.predict(y, 100.0)
            t_rrim.append((time.perf_counter() - t0) / len(y))
    return {"method": best, "rounds": PAIRED_ROUNDS, "n_spectra": len(probs),
            "threads": {"rrim_torch": 1, "classical_blas": 1},
            "classical_s_per_spectrum": float(np.median(t_cls)),
            "rrim_s_per_spectrum_batched": float(np.median(t_rrim)),
            "speedup_batched": float(np.median(t_cls) / np.median(t_rrim))}


def timing_report(model: Any, y: np.ndarray, kernel: Any, rr0: list, report: dict,
                  classical_methods: dict, max_steps: int,
                  y_classical: np.ndarray | None = None) -> dict[str, Any]:
    """Median wall times of rRIM inference (s) and speed-ups against the classical methods.

    ``y``: the whole N = 1000, σ = 1e-3 test split (batched timing); its first
    spectrum is the single-spectrum case. ``y_classical``: the σ = 1e-3 subset the
    classical methods were scored on; the batched speed-up against the most accurate
    of maxent and tikhonov is timed in alternating rounds (that method on these
    spectra, then the rRIM batch), so both see the same load of a shared machine,
    and on one core each (one torch thread, one BLAS thread): a per-core comparison,
    since classical solves of many spectra can run one per core.

    Parameters
    ----------
    model : TrainedModel
        The N = 1000, σ = 1e-3 rRIM.
    y : ndarray of shape (n, n_data)
        Test data.
    kernel : Kernel
        The optics kernel (for the classical problems).
    rr0 : list of dict
        The rRIM trainings at that N (their ``train_seconds``).
    report : dict
        The bench report so far (its ``classical`` section).
    classical_methods : dict
        Method name → options, as scored by the bench.
    max_steps : int
        rRIM training steps (recorded).
    y_classical : ndarray of shape (m, n_data), optional
        The classical subset (paired timing).

    Returns
    -------
    dict
        Times in s and speed-ups (dimensionless), JSON-ready.
    """
    import torch

    from specinv.core.problem import Problem
    from specinv.optics.solvers import RRIMSolver, default_weight_files
    from specinv.solvers.base import solve

    med = _median_min
    solver = RRIMSolver()
    solver.models_ = [model]
    prob = Problem(kernel, y[0], sigma=1e-3 * float(np.abs(y[0]).max()))
    single, single_min = med(lambda: model.predict(y[:1], 100.0))
    via_solve, via_solve_min = med(lambda: solver.solve(prob))
    batched, _ = med(lambda: model.predict(y, 100.0), 5)
    batched /= len(y)
    shipped = {}
    if default_weight_files("rrim"):  # the shipped ensemble through specinv.solve
        shipped["n_models"] = len(default_weight_files("rrim"))
        shipped["solve_s_median"], shipped["solve_s_min"] = med(lambda: solve(prob, "rrim"))
    cls = report["classical"].get("0.001", {}).get("classical", {})
    cls_s = {m: cls[m]["seconds_per_spectrum"] for m in classical_methods if m in cls}
    paired: dict[str, Any] = {}
    if y_classical is not None and {"maxent", "tikhonov"} <= cls.keys():
        paired = _paired(model, y, kernel, y_classical, cls, classical_methods)
    return {
        "rrim_train_seconds_N1000_median": float(np.median([r["train_seconds"] for r in rr0])),
        "rrim_train_steps": max_steps,
        "rrim_inference_s_single_spectrum_median": single,
        "rrim_inference_s_single_spectrum_min": single_min,
        "rrim_solve_s_single_spectrum_median": via_solve,
        "rrim_solve_s_single_spectrum_min": via_solve_min,
        "rrim_inference_s_per_spectrum_batched": batched, "batch_size": len(y),
        "torch_threads_batched": torch.get_num_threads(),
        "shipped_ensemble_single_spectrum": shipped,
        "classical_s_per_spectrum_sigma_1e-3": cls_s,
        "speedup_single_solve": {m: v / via_solve for m, v in cls_s.items()},
        "paired_vs_best_classical": paired,
        "note": "medians on a shared 2-core machine loaded by other agents; min = least loaded"}
