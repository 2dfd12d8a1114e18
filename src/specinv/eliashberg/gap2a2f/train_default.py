"""Produce the shipped default model (``specinv/data/gap2a2f/``).

    python -m specinv.eliashberg.gap2a2f.train_default --cache /tmp/specinv_gap2a2f [--members 2]

Builds (or reuses) the "simple_realaxis" set (the seed's "simple" α²F with
exact real-axis gaps; ``--recipe simple`` for the seed's Padé gaps) with the
engine's builder under ``--cache``, trains ``--members`` regressors (seeds 0,
1, …) on its 81 % split, evaluates them on the 10 % test split (MSE and the
Eliashberg re-solve physics check), and writes ``member_XX.npz`` (float16 weights, < 5 MB each) plus
``training.json`` with every parameter and figure (the moment-loss weight and
how its default was chosen included).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from specinv.eliashberg.gap2a2f import data
from specinv.eliashberg.gap2a2f.experiment import public, run_supervised
from specinv.eliashberg.gap2a2f.train import (
    DEFAULT_MOMENT_WEIGHT,
    MOMENT_WEIGHT_SELECTION,
    SupervisedConfig,
)
from specinv.io.atomic import atomic_path

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "gap2a2f"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m`` this module); see the module docstring.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0 on success).
    """
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", default="/tmp/specinv_gap2a2f", help="data set cache directory")
    p.add_argument("--recipe", default="simple_realaxis", choices=sorted(data.RECIPES))
    p.add_argument("--output", default=str(DEFAULT_OUT))
    p.add_argument("--members", type=int, default=2)
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--finetune-epochs", type=int, default=150)
    p.add_argument("--patience", type=int, default=40)
    p.add_argument("--time-limit", type=float, default=420.0, help="per stage and member, s")
    p.add_argument("--check", type=int, default=None, help="test samples re-solved (all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--moment-weight", type=float, default=DEFAULT_MOMENT_WEIGHT,
                   help="weight of the relative λ loss (0: the seed's plain MSE)")
    args = p.parse_args(argv)
    manifest = data.prepare(args.recipe, args.cache, workers=1)
    ds = data.load(Path(args.cache) / args.recipe)
    cfg = SupervisedConfig(epochs=args.epochs, patience=args.patience, seed=0,
                           time_limit_s=args.time_limit, threads=args.threads,
                           finetune_epochs=args.finetune_epochs,
                           moment_weight=args.moment_weight)
    models, rep = run_supervised(ds, config=cfg, members=args.members, n_check=args.check,
                                 progress=False)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("member_*.npz"), *out.glob("member_*.json")]:
        old.unlink()
    for k, m in enumerate(models):
        m.meta["shipped"] = {"recipe": args.recipe, "member": k}
        m.save(out / f"member_{k:02d}.npz", half=True,
               recipe="python -m specinv.eliashberg.gap2a2f.train_default")
    info = {"script": "python -m specinv.eliashberg.gap2a2f.train_default", "arguments": vars(args),
            "dataset_parameters": manifest["parameters"],
            "dataset_samples_kept": manifest["samples_kept"],
            "moment_weight_selection": MOMENT_WEIGHT_SELECTION,
            "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()},
            "evaluation": public(rep)}
    with atomic_path(out / "training.json") as tmp:
        tmp.write_text(json.dumps(info, indent=2, default=float) + "\n")
    pc = rep.get("physics_check", {})
    print(f"test MSE {rep['test_mse']:.4g}; median λ error "
          f"{pc.get('median_lambda_rel_err', float('nan')):.3%}; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
