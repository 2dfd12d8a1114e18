"""Train the default weights shipped in ``specinv/data/optics``.

``python -m specinv.optics.train_default [--out DIR] [--cache-dir DIR] [--epochs E]
[--epochs-regressor E] [--time-limit S] [--n-rrim K] [--prior PRIOR]
[--noise-levels S ...] [--scale-equivariant] [--skip-regressors] [--init-from DIR]
[--lr LR]`` (``PRIOR``: ``mixtures``, ``broad``, ``tails`` or ``tails_broad``, the
priors of :func:`specinv.optics.dataset.build_dataset`)

- ``rrim_default_{0,1,2}.pt``: an ensemble of three rRIMs (seeds 0, 1, 2) trained
  on one data set spanning T = 10–300 K (every 10 K; the kernel at each sample's
  T enters through ∇_t, T is also an input channel), N = 4000, σ = 1e-3;
  the ensemble spread is reported as ``glue_std``. Each stops after ``--epochs``
  epochs, on early stopping, or after the epoch that exceeds ``--time-limit`` s;
- ``fcn_default_0.pt``, ``cnn_default_0.pt``: T = 100 K, N = 10000, σ = 1e-3.

``--init-from DIR`` fine-tunes: rRIM ``i`` starts from ``DIR/rrim_default_i.pt``
instead of a random initialization (same architecture and grids).

Each weight file has a JSON sibling with its configuration, data parameters
and training history (epochs actually run); ``training_parameters.json``
records the whole run and is rewritten after every model (``complete`` is
true once all models are done). The shipped weights were made with
``--time-limit 360 --epochs 40 --epochs-regressor 60`` on a shared 2-core CPU; the
three rRIMs were then fine-tuned with ``--prior tails --init-from DIR --lr 3e-4
--epochs 12 --time-limit 330 --skip-regressors`` (DIR: the weights of the first run,
``specinv/data/optics`` at commit da2ea98; 5, 6 and 7 epochs, 19 min on a loaded 2-core CPU;
that run's record is ``training_parameters_finetune.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from specinv.core.threads import compute_threads
from specinv.io.atomic import atomic_path
from specinv.optics.config import ModelConfig
from specinv.optics.dataset import PRIORS, build_dataset
from specinv.optics.train import train_model
from specinv.optics.trained import TrainedModel

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "optics"
T_GRID = tuple(float(t) for t in range(10, 301, 10))
#: recorded in the metadata of every weights file this script writes
RECIPE = "python -m specinv.optics.train_default"


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
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "specinv_optics"))
    ap.add_argument("--epochs", type=int, default=40, help="maximum rRIM epochs")
    ap.add_argument("--epochs-regressor", type=int, default=60, help="maximum FCN/CNN epochs")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="stop each rRIM training after the epoch exceeding this many seconds")
    ap.add_argument("--n-rrim", type=int, default=3, help="rRIM ensemble members")
    ap.add_argument("--prior", choices=PRIORS, default="mixtures",
                    help="rRIM training glues: Gaussian mixtures (seed 001), the broad "
                         "prior of specinv.optics.prior, or the mixtures with a share of "
                         "tails persisting to 400 meV (specinv.optics.prior.tail_glues), "
                         "or those with a third of broad-prior draws (tail_broad_glues)")
    ap.add_argument("--init-from", default=None,
                    help="fine-tune: rRIM i starts from DIR/rrim_default_i.pt")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of the rRIMs")
    ap.add_argument("--noise-levels", type=float, nargs="+", default=None,
                    help="noise-conditioned rRIMs: each sample's relative σ drawn from these")
    ap.add_argument("--scale-equivariant", action="store_true",
                    help="rRIMs trained and used on spectra divided by max 1/τ / 300 meV")
    ap.add_argument("--skip-regressors", action="store_true", help="train the rRIMs only")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    with compute_threads(args.threads):
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record: dict = {"command": "python -m specinv.optics.train_default", "args": vars(args),
                        "models": {}}
        t0 = time.perf_counter()
        levels = None if args.noise_levels is None else tuple(args.noise_levels)
        ds_range = build_dataset(4000, noise=0.0 if levels else 1e-3, seed=1,
                                 temperatures=T_GRID, cache_dir=args.cache_dir,
                                 noise_levels=levels, prior=args.prior)
        record["data"] = {"rrim": ds_range.params}
        record["complete"] = False
        for i in range(args.n_rrim):
            # the shipped ensemble has 16 memory channels (trained before the default became 8)
            cfg = ModelConfig(kind="rrim", epochs=args.epochs, seed=i, temperature_input=True,
                              hidden=16, time_limit_s=args.time_limit,
                              noise_input=levels is not None,
                              scale_input=args.scale_equivariant, lr=args.lr)
            init = (None if args.init_from is None
                    else TrainedModel.load(Path(args.init_from) / f"rrim_default_{i}.pt"))
            m = train_model(ds_range, cfg, progress=True, init=init)
            m.save(out / f"rrim_default_{i}.pt", recipe=RECIPE)
            record["models"][f"rrim_default_{i}"] = _summary(m)
            _write_record(out, record, t0)
            print(f"rrim {i}: val MSE {m.history['best']:.3g} ({m.history['train_seconds']:.0f} s)")
        if args.skip_regressors:
            record["complete"] = True
            _write_record(out, record, t0)
            return 0
        ds_fixed = build_dataset(10000, noise=1e-3, seed=2, temperatures=(100.0,),
                                 cache_dir=args.cache_dir)
        for kind in ("fcn", "cnn"):
            cfg = ModelConfig(kind=kind, epochs=args.epochs_regressor, seed=0)
            m = train_model(ds_fixed, cfg, progress=True)
            m.save(out / f"{kind}_default_0.pt", recipe=RECIPE)
            record["models"][f"{kind}_default_0"] = _summary(m)
            _write_record(out, record, t0)
            print(f"{kind}: val MSE {m.history['best']:.3g} ({m.history['train_seconds']:.0f} s)")
        record["data"]["fcn_cnn"] = ds_fixed.params
        record["complete"] = True
        _write_record(out, record, t0)
        return 0


def _summary(m: TrainedModel) -> dict:
    h = m.history
    return {"best_val_mse": h["best"], "best_epoch": h["best_epoch"],
            "epochs_run": len(h["epochs"]), "stopped_early": h["stopped_early"],
            "seconds": h["train_seconds"], "config": asdict(m.config)}


def _write_record(out: Path, record: dict, t0: float) -> None:
    """(Re)write ``training_parameters.json`` after every model (atomic)."""
    record["wall_time_s"] = time.perf_counter() - t0
    with atomic_path(out / "training_parameters.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
