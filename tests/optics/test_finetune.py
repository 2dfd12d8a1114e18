"""Fine-tuning an optics model from trained weights (``train_model(..., init=...)``)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.core.threads import compute_threads
from specinv.optics.config import ModelConfig
from specinv.optics.dataset import build_dataset
from specinv.optics.setup import OpticsSetup
from specinv.optics.train import train_model


def test_fine_tuning_starts_from_the_given_weights_and_needs_their_grids():
    with compute_threads(1):
        ds = build_dataset(40, noise=1e-3, seed=0, prior="tails")
        cfg = ModelConfig(kind="rrim", epochs=1, min_steps_per_epoch=2, n_steps=3, hidden=4)
        first = train_model(ds, cfg)
        # seed 1 would initialize differently; with a vanishing step the tuned model is
        # the one it started from, up to float32 rounding of Adam's update (lr · 1 per step)
        tuned = train_model(ds, ModelConfig(**{**cfg.__dict__, "seed": 1, "lr": 1e-12}),
                            init=first)
        fresh = train_model(ds, ModelConfig(**{**cfg.__dict__, "seed": 1, "lr": 1e-12}))
        x, y, t = ds.part("test")
        ref = first.predict(y, t)
        np.testing.assert_allclose(tuned.predict(y, t), ref, atol=1e-6 * np.abs(ref).max())
        assert np.abs(fresh.predict(y, t) - ref).max() > 1e-3 * np.abs(ref).max()
        other = build_dataset(20, noise=1e-3, seed=0, setup=OpticsSetup(n_omega=50))
        with pytest.raises(ParameterError, match="grids"):
            train_model(other, cfg, init=first)
