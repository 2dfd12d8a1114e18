"""Figures of the optics benchmark (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from specinv.io.atomic import atomic_path  # noqa: E402

COLORS = {"rrim": "C3", "cnn": "C0", "fcn": "C2", "tikhonov": "C1", "maxent": "C4",
          "allen": "C5", "nnrs": "C6"}


def _save(fig: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def plot_fig2(path: Path, report: dict, setup: Any, x0: np.ndarray, y0: np.ndarray,
              iterates: np.ndarray, kernel: Any) -> None:
    """Seed Fig. 2: MSE vs N, MSE vs noise (+ classical), rRIM iterates and their 1/τ.

    Parameters
    ----------
    path : Path
        PNG file (written atomically).
    report : dict
        Bench report with ``fig2a`` (test MSE per model and training-set size),
        ``fig2b`` (per model and noise level) and ``classical`` (per noise level).
    setup : OpticsSetup
        Grids of the problem (Ω and ω in meV).
    x0 : ndarray of shape (n_glue,)
        True glue function of the example sample.
    y0 : ndarray of shape (n_omega,)
        Its scattering rate 1/τ (meV).
    iterates : ndarray of shape (n_steps, n_glue)
        rRIM iterates on that sample.
    kernel : ShulgaKernel
        Forward model giving the iterates' 1/τ.
    """
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    sizes = [int(n) for n in report["fig2a"]["rrim"]]
    for kind, d in report["fig2a"].items():
        ax[0, 0].loglog(sizes, [d[str(n)]["mean_test_mse"] for n in sizes], "o-",
                        color=COLORS[kind], label=kind)
    ax[0, 0].set(xlabel="training set size N", ylabel="mean test MSE", title="(a) noiseless")
    noises = [float(k) for k in report["fig2b"]["rrim"] if float(k) > 0]
    for kind, d in report["fig2b"].items():
        ax[0, 1].loglog(noises, [d[str(nz)]["mean_test_mse"] for nz in noises], "o-",
                        color=COLORS[kind], label=kind)
    for m in ("tikhonov", "maxent", "allen"):
        vals = [report["classical"][str(nz)]["classical"][m]["mse"] for nz in noises]
        ax[0, 1].loglog(noises, vals, "s--", color=COLORS[m], label=f"{m} (subset)")
    ax[0, 1].set(xlabel="relative noise σ", ylabel="mean test MSE", title="(b) N = 1000")
    for a in ax[0]:
        a.legend(fontsize=8)
    om = setup.mesh().points
    ax[1, 0].plot(om, x0, "k-", lw=2, label="true")
    for t in (1, 2, 3, len(iterates)):
        ax[1, 0].plot(om, iterates[t - 1], ":", label=f"t = {t}")
    ax[1, 0].set(xlabel="Ω (meV)", ylabel="I²χ(Ω)", title="(c) rRIM iterates")
    w = setup.omega()
    ax[1, 1].plot(w, y0 / 300, "k-", lw=2, label="data")
    for t in (1, 2, 3, len(iterates)):
        ax[1, 1].plot(w, kernel.forward(iterates[t - 1]) / 300, ":", label=f"t = {t}")
    ax[1, 1].set(xlabel="ω (meV)", ylabel="1/τ(ω) / 300 meV", title="(d) their 1/τ")
    for a in ax[1]:
        a.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def plot_fig3(path: Path, setup: Any, noisy: tuple | None, models: dict, noisy_classical: dict,
              ood_rows: list[tuple[str, dict, dict]]) -> None:
    """Seed Fig. 3: predictions on noisy test samples (top) and OOD shapes (one row each).

    Parameters
    ----------
    path : Path
        PNG file (written atomically).
    setup : OpticsSetup
        Grids of the problem (Ω in meV).
    noisy : (ndarray of shape (k, n_glue), ndarray of shape (k, n_omega)) or None
        Noisy test samples (glue, 1/τ in meV) for the top row; None leaves it empty.
    models : dict of str to TrainedModel
        Learned models by kind, evaluated at 100 K on ``noisy``.
    noisy_classical : dict of str to ndarray of shape (k, n_glue)
        Classical predictions on ``noisy`` by method name.
    ood_rows : list of (str, dict, dict)
        ``(label, {set: (glue, 1/τ)}, {set: {method: prediction}})`` per row,
        e.g. noise-free shapes by noise-free models (the seed's Fig. 3d–f) and noisy ones.
    """
    fig, ax = plt.subplots(1 + len(ood_rows), 4, figsize=(15, 3.5 * (1 + len(ood_rows))),
                           squeeze=False)
    om = setup.mesh().points
    if noisy is not None:
        x, y = noisy
        for j in range(min(3, len(x))):  # --n-classical may give fewer samples
            a = ax[0, j]
            a.plot(om, x[j], "k-", lw=2, label="true")
            for kind, m in models.items():
                a.plot(om, m.predict(y[j:j + 1], 100.0)[0], "--", color=COLORS[kind], label=kind)
            for meth, p in noisy_classical.items():
                a.plot(om, p[j], ":", color=COLORS[meth], label=meth)
            a.set(title=f"noisy test sample {j} (σ = 1e-2)", xlabel="Ω (meV)")
        ax[0, 0].legend(fontsize=7)
    for j in range(0 if noisy is None else min(3, len(noisy[0])), 4):
        ax[0, j].axis("off")
    for row, (label, ood, preds) in enumerate(ood_rows, start=1):
        for j, (name, (x, _)) in enumerate(ood.items()):
            a = ax[row, j]
            a.plot(om, x[0], "k-", lw=2, label="true")
            for meth, p in preds[name].items():
                a.plot(om, p, "--" if meth in ("rrim", "cnn", "fcn") else ":",
                       color=COLORS[meth], label=meth)
            a.set(title=f"OOD: {name}", xlabel="Ω (meV)")
        ax[row, 0].set_ylabel(f"{label}\nglue")
        ax[row, 0].legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def plot_temperature(path: Path, temp: dict) -> None:
    """Range model vs per-temperature models, test MSE per T.

    Parameters
    ----------
    path : Path
        PNG file (written atomically).
    temp : dict
        Bench report: ``per_T`` (by temperature in K, ``per_T_model_mse`` and
        ``range_model_mse``) and ``n_range`` (training-set size of the range model).
    """
    ts = [float(t) for t in temp["per_T"]]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.semilogy(ts, [temp["per_T"][str(t)]["per_T_model_mse"] for t in ts], "o-",
                label="per-T rRIM (N=1000 at T)")
    ax.semilogy(ts, [temp["per_T"][str(t)]["range_model_mse"] for t in ts], "s-",
                label=f"one rRIM, 10–300 K (N={temp['n_range']})")
    ax.set(xlabel="T (K)", ylabel="test MSE (σ = 1e-3)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
