"""End-to-end runs: split, (optional) AE transform, train, evaluate, physics check.

:func:`run_supervised` is what ``specinv eliashberg train`` and the benchmark
call. With ``latent=None`` it is the seed's plain supervised case (Sec. III A);
with ``latent=d_L`` it follows Appendix F: an autoencoder of [α²F; g] is trained
on the training rows, every sample is replaced by its reconstruction
(f_n, g_n), the regressor is trained on {g_n → f_n}, and then evaluated on the
*original* test gaps g₁ against the *original* α²F f₁ (Table I, moments,
physics check) and on the transformed test rows (Table II's loss).

``head="latent"`` (with ``latent``) is a variant beyond the seed: the regressor
maps the *original* gaps g to the AE latent z = encoder([f; g]) and the α²F is
the decoder's output for the predicted z. The AE-reduced α²F is then reached
from the measured gap without the shift between g and the AE-reconstructed g_n
that the seed's regressor (trained on g_n only) meets at test time; with the
moment loss in the AE the decoder keeps λ. Such a model is a
:class:`~specinv.eliashberg.gap2a2f.model.Regressor` carrying the decoder; it is saved
and loaded like a plain one (``specinv eliashberg train --head latent``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.eliashberg.gap2a2f.analysis import coverage, moment_differences
from specinv.eliashberg.gap2a2f.autoencoder import AEConfig, train_autoencoder
from specinv.eliashberg.gap2a2f.data import GapSet, split_indices
from specinv.eliashberg.gap2a2f.inference import domain_stats
from specinv.eliashberg.gap2a2f.momentloss import lambda_rel_errors
from specinv.eliashberg.gap2a2f.physics import physics_check, summarize
from specinv.eliashberg.gap2a2f.train import SupervisedConfig, mse, train_ensemble


def continuation_of(ds: GapSet) -> str:
    """How the data set's Δ(ω) were continued ("pade" for sets built before the option).

    Parameters
    ----------
    ds : GapSet
        Data set.

    Returns
    -------
    {"pade", "realaxis"}
        The continuation of its gap functions.
    """
    return ds.parameters.get("continuation") or "pade"


def model_meta(ds: GapSet, kind: str, x_train: np.ndarray, latent: int | None) -> dict:
    """Meshes, physical parameters and domain statistics stored with a model.

    Parameters
    ----------
    ds : GapSet
        Training data set.
    kind : {"gap", "dos"}
        Input features of the model.
    x_train : ndarray of shape (S_train, n_features)
        Training inputs (their range becomes the model's domain).
    latent : int or None
        Autoencoder latent dimension (None: no AE).

    Returns
    -------
    dict
        JSON-ready metadata: input kind, meshes (meV), ``temperature_K``,
        ``mu_star``, ``latent``, data set provenance and ``domain``.
    """
    return {"input": kind, "omega": ds.omega.tolist(), "omega_a2f": ds.omega_a2f.tolist(),
            "temperature_K": ds.temperature_K, "mu_star": ds.mu_star, "latent": latent,
            "dataset": {k: ds.parameters.get(k) for k in ("kind", "seed", "n")}
            | {"continuation": continuation_of(ds)},
            "domain": domain_stats(x_train, ds.delta.real[:, 0])}


def _autoencoder_stage(ds: GapSet, x: np.ndarray, y: np.ndarray, split: tuple, latent: int,
                       ae_config: AEConfig | None, seed: int, progress: bool,
                       with_coverage: bool, report: dict[str, Any]) -> tuple[Any, ...]:
    """Train the autoencoder on the training rows; returns it and the transformed (x, y).

    Adds ``autoencoder`` (and ``coverage``) to ``report``.
    """
    tr, va, te = split
    aec = AEConfig(**{**asdict(ae_config or AEConfig()), "latent": latent, "seed": seed})
    t0 = time.perf_counter()
    ae = train_autoencoder(y[tr], x[tr], y[va], x[va], aec, progress=progress,
                           omega=ds.omega_a2f)
    y_fit, x_fit = ae.transform(y, x)
    x_fit = x_fit.astype(np.float32)
    lam_err = {name: float(np.median(lambda_rel_errors(y_fit[i], y[i], ds.omega_a2f)))
               for name, i in (("val", va), ("test", te))}
    report["autoencoder"] = {"config": asdict(aec), "train_wall_s": time.perf_counter() - t0,
                             "best_epoch": ae.history["best_epoch"],
                             "val_reconstruction_mse": ae.history["epochs"][
                                 ae.history["best_epoch"] - 1].get("val_mse"),
                             "test_errors": ae.part_errors(y[te], x[te]),
                             "median_lambda_rel_err_reconstruction": lam_err}
    if with_coverage:
        report["coverage"] = coverage(x, x_fit)
    return ae, x_fit, y_fit


def _check_stage(report: dict[str, Any], ds: GapSet, te: np.ndarray, preds: np.ndarray,
                 n_check: int | None, members: int, workers: int | None,
                 n_refine: int) -> None:
    """Physics check of the ensemble mean on the first ``n_check`` test samples (and the
    refined ones); adds ``physics_check``, ``ensemble_band``, ``_check``, ``_test_index``."""
    pred = preds.mean(axis=0)
    y = ds.a2f
    sel = np.arange(te.size) if n_check is None else np.arange(min(n_check, te.size))
    idx = te[sel]
    t0 = time.perf_counter()
    chk = physics_check(pred[sel], y[idx], ds.delta[idx], ds.omega_a2f, ds.omega,
                        ds.temperature_K, ds.mu_star, lam_true=ds.lam[idx],
                        tc_true=ds.tc_K[idx], wlog_true=ds.omega_log_meV[idx],
                        workers=workers, continuation=continuation_of(ds))
    report["physics_check"] = dict(chk["summary"], wall_s=time.perf_counter() - t0)
    if members > 1:
        std = preds[:, sel].std(axis=0, ddof=1)
        inside = np.abs(y[idx] - pred[sel]) <= 2 * std
        report["ensemble_band"] = {"fraction_truth_within_2std": float(inside.mean()),
                                   "median_std": float(np.median(std))}
    report["_check"] = chk
    report["_test_index"] = idx
    if n_refine > 0:
        _refined_check(report, pred[sel][:n_refine], ds, idx[:n_refine], chk, workers)


def _scores(report: dict[str, Any], models: list, xy: tuple, xy_fit: tuple, split: tuple,
            latent: int | None, omega: np.ndarray) -> np.ndarray:
    """Validation and test figures of the ensemble against the original α²F; returns the
    members' test predictions, shape (members, n_test, n_a2f)."""
    x, y = xy
    x_fit, y_fit = xy_fit
    va, te = split
    # validation figures against the *original* α²F (used to choose the moment weight)
    pred_va = np.mean([m.predict(x[va]) for m in models], axis=0)
    report["validation"] = {
        "mse": mse(pred_va, y[va]),
        "median_lambda_rel_err": float(np.median(lambda_rel_errors(pred_va, y[va],
                                                                   omega)))}
    preds = np.stack([m.predict(x[te]) for m in models])
    pred = preds.mean(axis=0)
    report["test_mse_each"] = [mse(p, y[te]) for p in preds]
    report["test_mse"] = mse(pred, y[te])
    report["test_rms_a2f"] = float(np.sqrt(np.mean(y[te] ** 2)))
    if latent is not None:
        report["test_mse_transformed"] = mse(
            np.mean([m.predict(x_fit[te]) for m in models], axis=0), y_fit[te])
    t1 = time.perf_counter()
    models[0].predict(x[te[:1]])
    report["inference_s_per_spectrum"] = time.perf_counter() - t1
    report["moments"] = moment_differences(y[te], pred, omega)
    return preds


def run_supervised(ds: GapSet, *, kind: str = "gap", latent: int | None = None,
                   config: SupervisedConfig | None = None,
                   ae_config: AEConfig | None = None, members: int = 1, split_seed: int = 0,
                   n_check: int | None = 200, workers: int | None = 1,
                   progress: bool = False, with_coverage: bool = True,
                   head: str = "a2f", n_refine: int = 0) -> tuple[list, dict[str, Any]]:
    """Train and evaluate one configuration.

    Parameters
    ----------
    ds : GapSet
        Data set to split, train on and test on.
    kind : {"gap", "dos"}
        Input features.
    latent : int, optional
        Autoencoder latent dimension d_L (None: no AE).
    config : SupervisedConfig, optional
        Regressor training options (default ``SupervisedConfig()``).
    ae_config : AEConfig, optional
        Autoencoder options (its ``latent`` is replaced by ``latent``).
    members : int
        Ensemble size (seeds ``config.seed + k``).
    split_seed : int
        Seed of the 81/9/10 split.
    n_check : int or None
        Test samples re-solved in the physics check (None: all, 0: skip).
    workers : int or None
        Local processes of the physics check.
    progress : bool
        Show progress bars.
    with_coverage : bool
        Compute the Table II coverage of the AE-transformed gaps (with ``latent``).
    head : {"a2f", "latent"}
        What the regressor predicts: α²F (the seed), or the AE latent from the
        original gaps, decoded by the AE (needs ``latent``; see the module docstring;
        the regressor's moment weight is unused there since its targets are z).
    n_refine : int
        Also refine the first ``n_refine`` checked predictions against their input
        gaps (:mod:`specinv.eliashberg.gap2a2f.refine`) and re-check them; the report then has
        ``physics_check_refined`` and, for the same samples, ``physics_check_unrefined``.

    Returns
    -------
    models : list of Regressor
        The trained ensemble members.
    report : dict
        Test MSE, training times, physics check summary, Table I/II entries, moments.
    """
    config = config or SupervisedConfig()
    if head not in ("a2f", "latent") or (head == "latent" and latent is None):
        raise ParameterError(f"head must be 'a2f', or 'latent' with a latent dimension; "
                             f"got {head!r} (latent={latent})")
    if len(ds) < 10:
        raise ParameterError(f"need at least 10 samples, got {len(ds)}")
    tr, va, te = split_indices(len(ds), split_seed)
    x = ds.features(kind)
    y = ds.a2f
    report: dict[str, Any] = {"input": kind, "latent": latent, "n_samples": len(ds),
                              "split": {"train": int(tr.size), "val": int(va.size),
                                        "test": int(te.size), "seed": split_seed},
                              "config": asdict(config), "members": members, "head": head}
    x_fit, y_fit, ae = x, y, None
    if latent is not None:
        ae, x_fit, y_fit = _autoencoder_stage(ds, x, y, (tr, va, te), int(latent), ae_config,
                                              config.seed, progress, with_coverage, report)
    meta = model_meta(ds, kind, x[tr], latent)
    models = _train_stage(ds, (x, y), (x_fit, y_fit), (tr, va), ae, config, members, head,
                          meta, progress, report)
    preds = _scores(report, models, (x, y), (x_fit, y_fit), (va, te), latent, ds.omega_a2f)
    pred = preds.mean(axis=0)
    if n_check != 0:
        _check_stage(report, ds, te, preds, n_check, members, workers, n_refine)
    report["_pred"] = pred
    report["_test_all"] = te
    return models, report


def _train_stage(ds: GapSet, xy: tuple[np.ndarray, np.ndarray],
                 xy_fit: tuple[np.ndarray, np.ndarray], split: tuple[np.ndarray, np.ndarray],
                 ae: Any, config: SupervisedConfig, members: int, head: str,
                 meta: dict[str, Any], progress: bool, report: dict[str, Any]) -> list:
    """Train the ensemble of :func:`run_supervised`; timings and val MSE go to ``report``.

    ``head="latent"`` fits the AE latent of ``xy`` and decodes it with ``ae``; otherwise
    the regressor fits ``xy_fit`` (α²F, or the AE-transformed inputs) directly.
    """
    (x, y), (x_fit, y_fit), (tr, va) = xy, xy_fit, split
    t0 = time.perf_counter()
    if head == "latent":
        z = ae.encode(y, x)
        cfg_z = replace(config, moment_weight=0.0)
        regs, hists = train_ensemble(x[tr], z[tr], x[va], z[va], cfg_z, members,
                                     meta=meta, progress=progress)
        models: list = [r.with_decoder(ae.net.decoder, ae.n_f, ae.scale_f) for r in regs]
    else:
        models, hists = train_ensemble(x_fit[tr], y_fit[tr], x_fit[va], y_fit[va], config,
                                       members, meta=meta, progress=progress,
                                       omega=ds.omega_a2f)
    report["train_wall_s_per_model"] = [h["train_wall_s"] for h in hists]
    report["train_wall_s_total"] = time.perf_counter() - t0
    report["val_mse"] = [h["val_mse"] for h in hists]
    return models


def _refined_check(report: dict[str, Any], pred: np.ndarray, ds: GapSet, idx: np.ndarray,
                   chk: dict[str, Any], workers: int | None) -> None:
    """Refine ``pred`` against the input gaps of samples ``idx`` and re-check (in place)."""
    from specinv.eliashberg.gap2a2f.refine import refine_batch

    n = idx.size
    t0 = time.perf_counter()
    res = refine_batch(pred, ds.delta[idx], ds.omega_a2f, ds.omega, ds.temperature_K,
                       ds.mu_star, workers=workers)
    wall = time.perf_counter() - t0
    refined = np.stack([r.a2f for r in res])
    chk_r = physics_check(refined, ds.a2f[idx], ds.delta[idx], ds.omega_a2f, ds.omega,
                          ds.temperature_K, ds.mu_star, lam_true=ds.lam[idx],
                          tc_true=ds.tc_K[idx], wlog_true=ds.omega_log_meV[idx],
                          workers=workers, continuation=continuation_of(ds))
    same = {k: v[:n] for k, v in chk.items() if isinstance(v, np.ndarray)}
    report["physics_check_unrefined"] = summarize(same)
    report["physics_check_refined"] = dict(
        chk_r["summary"], refine_wall_s=wall, refine_wall_s_per_sample=wall / n,
        median_forward_solves=float(np.median([r.n_evaluations for r in res])),
        median_fit_residual_before=float(np.median([r.residual_before for r in res])),
        median_fit_residual_after=float(np.median([r.residual_after for r in res])),
        fraction_improved=float(np.mean([r.info["improved"] for r in res])),
        options={k: res[0].info[k] for k in ("n_basis", "keep_lambda", "d_omega_meV")})
    report["_pred_refined"] = refined


def public(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its private arrays (keys starting with ``_``).

    Parameters
    ----------
    report : dict
        Report of :func:`run_supervised`.

    Returns
    -------
    dict
        The JSON-ready entries.
    """
    return {k: v for k, v in report.items() if not k.startswith("_")}
