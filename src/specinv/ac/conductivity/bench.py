"""``specinv bench conductivity``: the seed-003 experiment grid and the refinement.

For every data set × model × loss: train on 2000 examples, report the usable
fraction on the 200 test examples (σ/σ̂ ∈ [0.8, 1.2] on ω ∈ [0, 5], all ten T)
and the training time. Then, per data set: the direct σ(ω) model; the best
network followed by the least-squares Drude refinement (the best pipeline);
and the classical methods (maxent with the classic and posterior α rules,
tikhonov) per temperature on the first ``--n-classical`` test examples, plus
maxent with the best network's σ̂ as default model. Writes ``conductivity.json`` and
``conductivity.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from specinv.core.threads import compute_threads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=30,
                        help="training epochs (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default %(default)s)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="relative correlated noise of Λ (0 = exact data as the seed; "
                             "default %(default)s)")
    parser.add_argument("--n-classical", type=int, default=10,
                        help="test examples for the classical methods (default %(default)s)")
    parser.add_argument("--cache", default=None, metavar="DIR",
                        help="data-set cache (default: none, data rebuilt)")


def run(args: argparse.Namespace) -> int:
    import torch

    from specinv.ac.conductivity.data import DATASETS, build_dataset, sigma_on_mesh
    from specinv.ac.conductivity.evaluate import summary
    from specinv.ac.conductivity.models import MODELS
    from specinv.ac.conductivity.refine import refine_drude
    from specinv.ac.conductivity.train import (
        LOSSES,
        predict_direct,
        predict_labels,
        train_direct_model,
        train_label_model,
    )
    from specinv.io.atomic import atomic_path

    with compute_threads(1):
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        epochs = 5 if args.quick else args.epochs
        datasets = ("element_mixed_data",) if args.quick else DATASETS
        models = ("attention",) if args.quick else MODELS
        losses = ("loss1",) if args.quick else LOSSES
        n_cls = 2 if args.quick else args.n_classical
        rel = max(args.noise, 1e-3)
        report: dict = {"parameters": {**{k: v for k, v in vars(args).items() if k != "func"},
                                       "epochs_used": epochs},
                        "machine": {"cpu_count": os.cpu_count(), "torch_threads": 1,
                                    "python": platform.python_version(),
                                    "torch": torch.__version__},
                        "grid": [], "pipelines": {}}
        for ds in datasets:
            data = build_dataset(ds, seed=args.seed, noise=args.noise, cache_dir=args.cache)
            xt, yt = data["test"]["x"], data["test"]["y"]
            st = sigma_on_mesh(yt)
            best = None
            for name in models:
                for loss in losses:
                    model, hist = train_label_model(name, data, loss=loss, epochs=epochs,
                                                    seed=args.seed)
                    pred = predict_labels(model, xt)
                    cell = {"dataset": ds, "model": name, "loss": loss,
                            **summary(st, sigma_on_mesh(pred)),
                            "train_time_s": hist["wall_time_s"], "best_epoch": hist["best_epoch"]}
                    report["grid"].append(cell)
                    print(f"{ds:20s} {name:9s} {loss}: usable {cell['usable_fraction']:.3f} "
                          f"({cell['train_time_s']:.0f} s)", flush=True)
                    if best is None or cell["usable_fraction"] > best[0]["usable_fraction"]:
                        best = (cell, pred)
            pipes: dict = {}
            dmodel, dh = train_direct_model(data, epochs=epochs, seed=args.seed)
            pipes["direct_sigma_net"] = {**summary(st, predict_direct(dmodel, xt)),
                                         "train_time_s": dh["wall_time_s"]}
            t0 = time.perf_counter()
            refined = np.stack([refine_drude(x, lab, rel_noise=rel)[0]
                                for x, lab in zip(xt, best[1], strict=True)])
            pipes["best_net_plus_drude_lsq"] = {
                "network": f"{best[0]['model']}/{best[0]['loss']}",
                **summary(st, sigma_on_mesh(refined)),
                "refine_s_per_example": (time.perf_counter() - t0) / len(xt)}
            pipes.update(_classical_per_t(xt, st, best[1], rel, n_cls))
            report["pipelines"][ds] = pipes
            print(f"{ds}: {json.dumps(pipes)}", flush=True)
        with atomic_path(out / "conductivity.json") as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n")
        _figure(out / "conductivity.png", report)
        print(f"wrote {out / 'conductivity.json'}")
        return 0


def _classical_per_t(xt: np.ndarray, st: np.ndarray, best_labels: np.ndarray, rel: float,
                     n_cls: int) -> dict[str, dict]:
    """Classical methods per temperature on the first ``n_cls`` test examples.

    Flat default on a mesh with a log tail to 12/τ_min (see ``refine.sigma_mesh``), and
    maxent with the best network's answer (``best_labels``) as default model; scores
    against the true σ(ω) ``st`` and seconds per example.
    """
    from specinv.ac.conductivity.evaluate import summary
    from specinv.ac.conductivity.refine import refine_maxent

    runs = {"maxent_per_T": ("maxent", {}, False),
            "maxent_posterior_per_T": ("maxent", {"alpha_rule": "posterior"}, False),
            "tikhonov_per_T": ("tikhonov", {}, False),
            "best_net_plus_maxent_per_T": ("maxent", {}, True)}
    out = {}
    for key, (method, opts, with_net) in runs.items():
        t0 = time.perf_counter()
        s = np.stack([refine_maxent(xt[i], None, rel_noise=rel, method=method,
                                    default_label=best_labels[i] if with_net else None, **opts)
                      for i in range(n_cls)])
        out[key] = {**summary(st[:n_cls], s), "method": method, "options": opts,
                    "s_per_example": (time.perf_counter() - t0) / n_cls}
    return out


def _figure(path: Path, report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specinv.io.atomic import atomic_path

    cells = report["grid"]
    labels = [f"{c['dataset'].replace('_data', '')}\n{c['model']}/{c['loss']}" for c in cells]
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(cells)), 4))
    ax.bar(range(len(cells)), [c["usable_fraction"] for c in cells])
    for i, (ds, p) in enumerate(report["pipelines"].items()):
        ax.axhline(p["best_net_plus_drude_lsq"]["usable_fraction"], ls="--", color=f"C{i + 1}",
                   label=f"{ds}: best net + Drude LSQ")
    ax.set_xticks(range(len(cells)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("usable fraction")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
