"""OOD square waves and triangles against training length (issue 6 diagnostic).

Trains rRIM and CNN at N = 1000 (``--n``; noise-free, 100 K) for the optimizer-step counts
of the quick bench (rRIM 400, CNN 2000) and of the full bench (1500, 7500), two
seeds each, and scores the seed's OOD sets (1e-4 relative noise; ``--ood-noise`` for others) as
``specinv bench optics`` does. Writes JSON to ``--output``.

Usage::

    python benchmarks/optics_ood_steps.py --output ood_steps.json
    python benchmarks/optics_ood_steps.py --runs rrim:400 cnn:2000 --seeds 0
    python benchmarks/optics_ood_steps.py --n 100000 --runs rrim:1500 cnn:7500 --seeds 0
    python benchmarks/optics_ood_steps.py --n 100000 --runs rrim:25000 --infer-steps 10 30

At N = 100 000 an epoch is 2500 steps (batch 32) and at least 3 epochs are run, so
``rrim:1500`` trains for 7500 steps; ``rrim:25000`` for 10 epochs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from specinv.optics import experiments as ex
from specinv.optics.dataset import build_dataset
from specinv.optics.setup import OpticsSetup
from specinv.optics.train import train_model


def _ood_scores(model, oods: dict, n_steps: int | None = None) -> dict[str, float]:
    """``ood_{set}[_noise{σ}][_steps{N_t}]`` → MSE (no noise suffix for σ = 1e-4)."""
    return {f"ood_{name}" + ("" if nz == 1e-4 else f"_noise{nz:g}")
            + ("" if n_steps is None else f"_steps{n_steps}"):
            ex.mse(model.predict(yo, 100.0, n_steps=n_steps), xo)
            for nz, ood in oods.items() for name, (xo, yo) in ood.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", nargs="+", default=["rrim:400", "rrim:1500", "cnn:2000",
                                                 "cnn:7500"], metavar="KIND:STEPS")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--n", type=int, default=1000,
                   help="training-set size (the seed's OOD figure uses 100000, noise-free)")
    p.add_argument("--ood-noise", type=float, nargs="+", default=[1e-4], metavar="SIGMA",
                   help="relative noise on the OOD data (default 1e-4; 0: noise-free)")
    p.add_argument("--infer-steps", type=int, nargs="+", default=[], metavar="N_T",
                   help="also score the rRIM run for N_T recurrent steps (trained: 15)")
    p.add_argument("--cache", default=None, help="data-set cache folder")
    p.add_argument("--output", default="ood_steps.json")
    args = p.parse_args()
    torch.set_num_threads(1)
    setup = OpticsSetup()
    oods = {nz: ex.ood_data(setup, nz, 0) for nz in args.ood_noise}
    ds = build_dataset(args.n, noise=0.0, seed=0, temperatures=(100.0,), cache_dir=args.cache)
    x, y, t = ds.part("test")
    rows = []
    for run in args.runs:
        kind, steps = run.split(":")
        for seed in args.seeds:
            cfg = ex.bench_config(kind, args.n, int(steps), seed)
            t0 = time.perf_counter()
            model = train_model(ds, cfg)
            row = {"kind": kind, "steps": int(steps), "seed": seed,
                   "train_s": time.perf_counter() - t0,
                   "test_mse": ex.mse(model.predict(y, t), x), **_ood_scores(model, oods)}
            if kind == "rrim":
                for n_t in args.infer_steps:
                    row.update(_ood_scores(model, oods, n_t))
            rows.append(row)
            print(" ".join(f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)
    Path(args.output).write_text(json.dumps({"rows": rows, "ood_noise_rel": args.ood_noise,
                                             "n_train_set": args.n}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
