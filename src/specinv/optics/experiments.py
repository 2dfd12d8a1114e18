"""Building blocks of ``specinv bench optics``: trainings, test MSEs, classical baselines.

Every number is a mean squared error of the glue on the test split
(dimensionless glue units²), averaged over samples.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from specinv.core.problem import Problem
from specinv.core.threads import compute_threads
from specinv.optics.config import ModelConfig
from specinv.optics.dataset import build_dataset
from specinv.optics.setup import OpticsSetup
from specinv.optics.train import train_model
from specinv.optics.trained import TrainedModel
from specinv.solvers.base import solve


def mse(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean over samples and mesh points of the squared error.

    Parameters
    ----------
    pred, true : ndarray of shape (S, n_glue)
        Predicted and true glue functions.

    Returns
    -------
    float
        The mean squared error.
    """
    return float(np.mean((np.asarray(pred) - np.asarray(true)) ** 2))


def training_job(args: dict[str, Any]) -> dict[str, Any]:
    """Train one model and evaluate it on the test split (picklable for map_chunks).

    Parameters
    ----------
    args : dict
        ``n``, ``noise``, ``data_seed``, ``temperatures`` (K), ``cache_dir``,
        ``config`` (dict of :class:`ModelConfig`), ``threads``, ``keep_model``, optionally
        ``noise_levels`` (mixed-noise training set for noise-conditioned rRIMs).

    Returns
    -------
    dict
        Settings, ``test_mse``, training time and epochs, inference time per
        spectrum (s), and the model itself with ``keep_model``.
    """
    # limited inside the job only: run in-process (one worker), it must not leave the
    # caller's later timings on one thread
    with compute_threads(int(args.get("threads", 1))):
        ds = build_dataset(args["n"], noise=args["noise"], seed=args["data_seed"],
                           temperatures=tuple(args["temperatures"]),
                           cache_dir=args.get("cache_dir"),
                           noise_levels=args.get("noise_levels"))
        cfg = ModelConfig(**args["config"])
        model = train_model(ds, cfg)
        x, y, t = ds.part("test")
        t0 = time.perf_counter()
        pred = model.predict(y, t, noise=ds.noise_of("test"))
        infer = (time.perf_counter() - t0) / len(y)
    out = {"n": args["n"], "noise": args["noise"], "noise_levels": args.get("noise_levels"),
           "kind": cfg.kind, "seed": cfg.seed,
           "test_mse": mse(pred, x), "train_seconds": model.history["train_seconds"],
           "epochs": len(model.history["epochs"]), "best_epoch": model.history["best_epoch"],
           "stopped_early": model.history["stopped_early"],
           "inference_s_per_spectrum_batched": infer}
    if args.get("keep_model"):
        out["model"] = model
    return out


def bench_config(kind: str, n: int, max_steps: int, seed: int, **kw: Any) -> ModelConfig:
    """Config with the epoch count chosen so that training takes at most ``max_steps`` steps.

    Parameters
    ----------
    kind : {"rrim", "fcn", "cnn"}
        Network.
    n : int
        Data set size (80 % is the training split).
    max_steps : int
        Optimizer step budget.
    seed : int
        Training seed.
    **kw
        Other :class:`ModelConfig` fields.

    Returns
    -------
    ModelConfig
        The config (at least 3 epochs).
    """
    cfg = ModelConfig(kind=kind, seed=seed, **kw)
    n_train = int(round(0.8 * n))
    steps = max(int(np.ceil(n_train / cfg.batch_size)), cfg.min_steps_per_epoch)
    return replace(cfg, epochs=max(3, int(max_steps // steps)))


def classical_on(kernel: Any, x: np.ndarray, y: np.ndarray, sigma_rel: float,
                 methods: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run classical solvers on each sample; σ_i = sigma_rel · max(y_i) given to the solver.

    Parameters
    ----------
    kernel : ShulgaKernel
        Forward model.
    x : ndarray of shape (S, n_glue)
        True glue functions.
    y : ndarray of shape (S, n_omega)
        Noisy 1/τ (meV).
    sigma_rel : float
        Relative noise level (floored at 1e-6).
    methods : dict of str to dict
        Solver name to its options.

    Returns
    -------
    dict
        Per method: ``mse``, ``mse_per_sample``, ``seconds_per_spectrum`` (median, s),
        ``n_spectra`` and ``pred`` (S, n_glue).
    """
    out: dict[str, dict[str, Any]] = {}
    for method, opts in methods.items():
        preds, secs = [], []
        for yi in y:
            sig = max(sigma_rel, 1e-6) * float(np.abs(yi).max())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = solve(Problem(kernel, yi, sigma=sig), method=method, **opts)
            preds.append(r.spectrum)
            secs.append(r.wall_time_s)
        p = np.asarray(preds)
        out[method] = {"mse": mse(p, x), "mse_per_sample": [mse(a, b) for a, b in zip(p, x,
                                                                                       strict=True)],
                       "seconds_per_spectrum": float(np.median(secs)), "n_spectra": len(x),
                       "pred": p}
    return out


def noise_conditioned_scores(models: list[TrainedModel], n: int, levels: tuple[float, ...],
                             seed: int, cache_dir: str | None) -> dict[str, float]:
    """Mean test MSE of noise-conditioned rRIMs on the fixed-noise test sets of size ``n``.

    Each set's noise level σ is given to the models.

    Parameters
    ----------
    models : list of TrainedModel
        Noise-conditioned rRIMs.
    n : int
        Data set size (its test split is used).
    levels : tuple of float
        Relative noise levels σ.
    seed : int
        Data seed.
    cache_dir : str or None
        Data set cache.

    Returns
    -------
    dict
        ``{str(σ): mean test MSE over the models}``.
    """
    out = {}
    for nz in levels:
        x, y, t = build_dataset(n, noise=nz, seed=seed, cache_dir=cache_dir).part("test")
        out[str(nz)] = float(np.mean([mse(m.predict(y, t, noise=nz), x) for m in models]))
    return out


def ood_data(setup: OpticsSetup, noise: float, seed: int) -> dict[str, tuple[np.ndarray,
                                                                            np.ndarray]]:
    """``{set: (glue, noisy 1/τ)}`` for the OOD shapes at the setup's temperature.

    Parameters
    ----------
    setup : OpticsSetup
        Grids and temperature (K).
    noise : float
        Relative noise level of the 1/τ.
    seed : int
        Noise seed.

    Returns
    -------
    dict of str to (ndarray of shape (k, n_glue), ndarray of shape (k, n_omega))
        Glue functions and their noisy 1/τ (meV), per OOD set.
    """
    from specinv.optics.dataset import add_noise
    from specinv.optics.glue import ood_sets

    k = setup.kernel()
    rng = np.random.default_rng([seed, 11])
    return {name: (x, add_noise(k.forward(x), noise, rng))
            for name, x in ood_sets(setup.mesh().points).items()}
