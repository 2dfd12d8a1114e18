"""Figures (matplotlib Agg, written atomically): predictions (seed Fig. 3/4/8),
AE reconstructions vs d_L (Fig. 6), the d_L sweep, and a user inversion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.check import Check


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> None:
    from specinv.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    _plt().close(fig)


def plot_predictions(path: str | Path, ds, report: dict[str, Any], n: int = 6) -> None:
    """True (dashed) and predicted (solid) α²F for the first ``n`` test samples.

    Parameters
    ----------
    path : str or Path
        PNG file (written atomically).
    ds : GapSet
        Data set (α²F mesh in meV and the true α²F).
    report : dict
        Experiment report with ``_test_all`` (test indices), ``_pred`` (predicted
        α²F rows), ``test_mse`` and optionally ``latent``.
    n : int
        Panels drawn (at most 6).
    """
    plt = _plt()
    te, pred = report["_test_all"], report["_pred"]
    k = min(n, te.size)
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), squeeze=False)
    for j, ax in enumerate(axes.ravel()[:k]):
        ax.plot(ds.omega_a2f, ds.a2f[te[j]], "--", color="tab:orange", label="truth")
        ax.plot(ds.omega_a2f, pred[j], color="tab:blue", label="prediction")
        ax.set_xlabel("Ω (meV)")
        ax.set_ylabel("α²F")
    axes[0, 0].legend()
    lat = report.get("latent")
    fig.suptitle(f"test MSE {report['test_mse']:.3g}" + (f", AE d_L = {lat}" if lat else ""))
    fig.tight_layout()
    _save(fig, path)


def plot_reconstructions(path: str | Path, f: np.ndarray, g: np.ndarray,
                         examples: dict[int, tuple[np.ndarray, np.ndarray]],
                         rows: list[dict]) -> None:
    """Fig. 6: one [α²F; g] vector and its reconstructions, plus errors vs d_L.

    Parameters
    ----------
    path : str or Path
        PNG file (written atomically).
    f : ndarray of shape (n_a2f,)
        Original α²F.
    g : ndarray of shape (2 n_omega,)
        Original gap features ``[Re Δ, Im Δ]`` (meV).
    examples : dict of int to (ndarray, ndarray)
        Per latent dimension d_L: reconstructed ``f`` (1, n_a2f) and ``g`` (1, 2 n_omega).
    rows : list of dict
        Per d_L: ``latent``, ``a2f_rel_rms`` and ``gap_rel_rms``.
    """
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    v = np.concatenate([f / np.abs(f).max(), g / np.abs(g).max()])
    ax[0].plot(v, "--", color="k", lw=1, label="original")
    for d, (fn, gn) in examples.items():
        ax[0].plot(np.concatenate([fn[0] / np.abs(f).max(), gn[0] / np.abs(g).max()]),
                   lw=0.8, label=f"d_L={d}")
    ax[0].axvline(f.size, color="grey", lw=0.5)
    ax[0].set_xlabel("component (α²F | Re Δ, Im Δ)")
    ax[0].legend(fontsize=7)
    d = [r["latent"] for r in rows]
    ax[1].loglog(d, [r["a2f_rel_rms"] for r in rows], "o-", label="α²F part")
    ax[1].loglog(d, [r["gap_rel_rms"] for r in rows], "s-", label="gap part")
    ax[1].set_xlabel("latent dimension d_L")
    ax[1].set_ylabel("relative RMS reconstruction error")
    ax[1].legend()
    fig.tight_layout()
    _save(fig, path)


def plot_sweep(path: str | Path, rows: list[dict]) -> None:
    """Table I/II and physics errors vs d_L.

    Parameters
    ----------
    path : str or Path
        PNG file (written atomically).
    rows : list of dict
        Per latent dimension: ``latent``, ``delta_f``, ``delta_g``,
        ``median_lambda_rel_err``, ``median_tc_rel_err``, ``median_gap_residual``
        and optionally ``portion``.
    """
    plt = _plt()
    d = [r["latent"] for r in rows]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    ax[0].semilogx(d, [r["delta_f"] for r in rows], "o-", label="Δf")
    ax[0].semilogx(d, [r["delta_g"] for r in rows], "s-", label="Δg")
    ax[0].set_yscale("log")
    ax[0].legend()
    ax[0].set_xlabel("d_L")
    ax[0].set_title("Table I (Pearson differences)")
    ax[1].semilogx(d, [r["median_lambda_rel_err"] for r in rows], "o-", label="λ")
    ax[1].semilogx(d, [r["median_tc_rel_err"] for r in rows], "s-", label="T_c")
    ax[1].semilogx(d, [r["median_gap_residual"] for r in rows], "^-", label="gap residual")
    ax[1].set_xlabel("d_L")
    ax[1].set_title("physics check (medians)")
    ax[1].legend()
    ax[2].semilogx(d, [r.get("portion", np.nan) for r in rows], "o-", label="portion")
    ax[2].set_xlabel("d_L")
    ax[2].set_title("Table II coverage portion")
    fig.tight_layout()
    _save(fig, path)


def plot_inversion(path: str | Path, w: np.ndarray, a2f: np.ndarray, std: np.ndarray | None,
                   omega: np.ndarray, delta: np.ndarray, res: dict[str, Any],
                   network: tuple[np.ndarray, np.ndarray] | None = None,
                   check: Check | None = None) -> None:
    """Predicted α²F (± 2σ band; the network's before refinement, dashed), the input Δ(ω)
    and, with ``check``, the normalized residuals of the answer's re-solved gap.

    Parameters
    ----------
    path : str or Path
        PNG file (written atomically).
    w : ndarray of shape (n_a2f,)
        α²F mesh Ω (meV).
    a2f : ndarray of shape (n_a2f,)
        Predicted (or refined) α²F.
    std : ndarray of shape (n_a2f,) or None
        1σ band of ``a2f`` (ensemble spread, or the physics fit's band).
    omega : ndarray of shape (n_omega,)
        Real-axis mesh of Δ (meV).
    delta : ndarray of shape (n_omega,), complex
        Input gap function (meV).
    res : dict
        Figures of the answer (``lambda``, ``tc_K``, ``resolve_gap_residual`` or ``refine``).
    network : (ndarray, ndarray), optional
        (Ω, α²F) of the network before refinement (drawn dashed).
    check : Check, optional
        Verdict of the answer (:class:`~specinv.core.check.Check`); its residuals, Re Δ then
        Im Δ, are drawn in a third panel.
    """
    plt = _plt()
    fig, ax = plt.subplots(1, 2 if check is None else 3, figsize=(10 if check is None else 14, 4))
    ax[0].plot(w, a2f, color="tab:blue", label="refined" if network is not None else None)
    if network is not None:
        ax[0].plot(*network, color="tab:gray", ls="--", lw=1, label="network")
    if std is not None:
        ax[0].fill_between(w, a2f - 2 * std, a2f + 2 * std, alpha=0.3, color="tab:blue",
                           label="±2σ")
    if std is not None or network is not None:
        ax[0].legend()
    ax[0].set_xlabel("Ω (meV)")
    ax[0].set_ylabel("α²F")
    ax[1].plot(omega, delta.real, label="Re Δ")
    ax[1].plot(omega, delta.imag, label="Im Δ")
    ax[1].set_xlabel("ω (meV)")
    ax[1].set_ylabel("Δ (meV)")
    ax[1].legend()
    if check is not None:
        check.plot_residuals(ax[2], np.arange(np.size(check.residuals)),
                             xlabel="data point (Re Δ, then Im Δ)")
    if "refine" in res:
        fig.suptitle(f"λ = {res['lambda']:.3f} ± {res['lambda_std']:.3f}, T_c = "
                     f"{res['tc_K']:.2f} K, fit chi2/N {res['refine']['chi2_reduced']:.3g}")
    elif "lambda" in res:
        fig.suptitle(f"λ = {res['lambda']:.3f}, T_c = {res['tc_K']:.2f} K, "
                     f"re-solve residual {res['resolve_gap_residual']:.3f}")
    fig.tight_layout()
    _save(fig, path)
