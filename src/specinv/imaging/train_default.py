"""Train the default detector shipped in ``specinv/data/stm`` (reproducible recipe).

    python -m specinv.imaging.train_default [--output STEM]
    specinv stm train --default

Recipe: attention network, Friedel training maps with η = 0.8 noise augmentation,
confidence regularizer α = 0.03 on unlabeled T-matrix (Au(111)) maps drawn with
seeds ``UNLABELED_SEEDS`` (the benchmark evaluates on other seeds), threshold
chosen on labelled T-matrix validation maps (seeds ``CALIBRATION_SEEDS``): the
score scale on Friedel tiles differs from that on realistic maps, and a threshold
tuned on Friedel tiles over-detects on T-matrix maps (measured: precision 0.23).
One torch thread, 14 epochs × 100 steps (fixed, so the weights are reproducible);
a safety stop after ``TIME_LIMIT_S``.
Everything is recorded in the JSON.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from specinv.imaging.detector import default_model_path
from specinv.imaging.tmatrix import simulate_tmatrix
from specinv.imaging.train import TrainSettings, train_detector

UNLABELED_SEEDS = (5000, 5001, 5002, 5003)
CALIBRATION_SEEDS = (5100, 5101)
#: safety stop only; the recipe's 14 epochs took 676 s on the shared 2-core machine
TIME_LIMIT_S = 20 * 60.0
DEFAULT_SETTINGS = TrainSettings(kind="attention", alpha=0.03, noise=True, epochs=14,
                                 steps_per_epoch=100, seed=2024)


def train_default(output: str | None = None, progress: bool = True,
                  settings: TrainSettings = DEFAULT_SETTINGS,
                  time_limit_s: float | None = TIME_LIMIT_S) -> str:
    """Train with the default recipe and save; returns the weights path."""
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    unl = [simulate_tmatrix(s)["maps"] for s in UNLABELED_SEEDS]
    cal = [simulate_tmatrix(s) for s in CALIBRATION_SEEDS]
    det, hist = train_detector(settings, unlabeled=unl, progress=progress,
                               time_limit_s=time_limit_s,
                               calibration=([c["maps"] for c in cal],
                                            [c["positions"] for c in cal]))
    det.metadata.update(
        recipe="specinv.imaging.train_default",
        calibration="T-matrix Au(111) maps, seeds " + ",".join(map(str, CALIBRATION_SEEDS)),
        unlabeled="T-matrix Au(111) maps, seeds "
        + ",".join(map(str, UNLABELED_SEEDS)), time_limit_s=time_limit_s,
        wall_time_including_simulation_s=time.perf_counter() - t0,
        machine={"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                 "python": platform.python_version(), "torch": torch.__version__,
                 "note": "shared machine (other agents running)"})
    path = det.save(output or default_model_path())
    print(f"wrote {path}: {len(hist['epochs'])} epochs, threshold {det.threshold:.3f}, "
          f"{det.metadata['wall_time_including_simulation_s']:.0f} s")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", help="path stem (default: the packaged model)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    train_default(a.output, progress=not a.quiet)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
