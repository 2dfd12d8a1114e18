"""Adaptation of a detector to a user's own unlabeled maps (seed 004, Fig. 4 workflow).

The network keeps learning from labelled simulated tiles (Friedel and domain-randomized,
:mod:`~specinv.stm.randomized`, so it does not forget what a scatterer is) while the
confidence regularizer (entropy of its predictions, weight ``alpha``) acts on tiles
cut from the user's maps, whose labels nobody knows. Training starts from the given
detector, runs with a progress bar and can be resumed from its checkpoint file; the
adapted detector keeps the starting detector's threshold and settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from specinv.stm.detector import Detector
from specinv.stm.train import TrainSettings, train_detector

#: the adaptation recipe (learning rate below the training one: a fine-tune)
ADAPT_SETTINGS = TrainSettings(kind="adapted", alpha=0.03, noise=True, epochs=5,
                               steps_per_epoch=100, lr=5e-4, seed=0, p_randomized=0.5,
                               n_val=40)


def adapt_detector(base: Detector, maps: Sequence[np.ndarray], *, epochs: int, steps: int,
                   alpha: float, seed: int = 0, checkpoint: str | None = None,
                   progress: bool = True) -> tuple[Detector, dict]:
    """Fine-tune ``base`` with the confidence regularizer on unlabeled ``maps``.

    Parameters
    ----------
    base : Detector
        Network detector to start from (not changed).
    maps : sequence of ndarray of shape (n_bias, H, W)
        The user's unlabeled stacks (each at least one tile wide).
    epochs, steps : int
        Epochs and optimizer steps per epoch.
    alpha : float
        Weight of the confidence regularizer.
    seed : int
        Seed of the simulated batches and tile crops.
    checkpoint : str, optional
        Checkpoint file; an existing one resumes the run.
    progress : bool
        Show a progress bar.

    Returns
    -------
    detector : Detector
        The adapted detector (threshold and settings of ``base``).
    history : dict
        Per-epoch records and the recipe.
    """
    import copy

    s = replace(ADAPT_SETTINGS, epochs=epochs, steps_per_epoch=steps, alpha=alpha, seed=seed,
                friedel=replace(ADAPT_SETTINGS.friedel, tile=base.tile,
                                kf0_range=base.kf_range),
                randomized=replace(ADAPT_SETTINGS.randomized, tile=base.tile,
                                   kf0_range=base.kf_range))
    det, hist = train_detector(s, unlabeled=[np.asarray(m, np.float32) for m in maps],
                               progress=progress, checkpoint=checkpoint,
                               init=copy.deepcopy(base.model))
    out = Detector(det.model, threshold=base.threshold, tile=base.tile, overlap=base.overlap,
                   kf_range=base.kf_range, max_bias=base.max_bias, min_bias=base.min_bias,
                   min_distance=base.min_distance,
                   metadata={"adapted_from": base.metadata.get("recipe", "detector"),
                             "adaptation": {k: v for k, v in hist.items()
                                            if k not in ("threshold", "threshold_scores")},
                             "threshold_source": "the starting detector's"})
    return out, hist
