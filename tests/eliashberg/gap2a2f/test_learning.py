"""Supervised training, ensembles and the autoencoder on synthetic data.

The rows here are not α²F spectra, so the moment loss is off (weight 0); it is
tested in ``test_momentloss.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from specinv.eliashberg.gap2a2f.autoencoder import AEConfig, train_autoencoder
from specinv.eliashberg.gap2a2f.train import (
    SupervisedConfig,
    ensemble_predict,
    mse,
    train_ensemble,
    train_regressor,
)


def _linear_pairs(n=300, d=3, seed=0):
    """y = B z, x = A z with a d-dimensional latent z (an exactly learnable map)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, d))
    a = rng.normal(size=(d, 40))
    b = rng.normal(size=(d, 60))
    return (z @ a).astype(np.float32), z @ b


def test_training_learns_and_stops(tmp_path):
    x, y = _linear_pairs()
    cfg = SupervisedConfig(epochs=40, batch_size=32, lr=1e-3, patience=5, seed=1,
                           finetune_epochs=5, moment_weight=0.0)
    base = mse(np.zeros_like(y[250:]) + y[:200].mean(axis=0), y[250:])
    model, hist = train_regressor(x[:200], y[:200], x[200:250], y[200:250], cfg,
                                  hidden=(64, 64), checkpoint=str(tmp_path / "ck.pt"))
    err = mse(model.predict(x[250:]), y[250:])
    # a linear map through ReLU layers: far better than predicting the mean
    assert err < 0.1 * base
    assert hist["best_epoch"] >= 1 and (tmp_path / "ck.pt").is_file()
    assert model.meta["training"]["n_train"] == 200


def test_ensemble_spread_and_mean():
    x, y = _linear_pairs(n=120)
    cfg = SupervisedConfig(epochs=3, batch_size=32, patience=3, moment_weight=0.0)
    models, hists = train_ensemble(x[:80], y[:80], x[80:100], y[80:100], cfg, 2)
    mean, std = ensemble_predict(models, x[100:])
    assert len(hists) == 2 and mean.shape == std.shape == (20, 60)
    # different seeds give different members, so the spread is positive
    assert np.all(std.mean(axis=1) > 0)
    with pytest.raises(ValueError):
        train_ensemble(x, y, x, y, cfg, 0)


def test_autoencoder_latent_dimension_matters():
    x, y = _linear_pairs(n=400, d=2)
    errs = {}
    for d in (1, 2):
        ae = train_autoencoder(y[:300], x[:300], y[300:350], x[300:350],
                               AEConfig(latent=d, hidden=(64,), epochs=60, patience=10,
                                        batch_size=32, time_limit_s=60, moment_weight=0.0))
        errs[d] = ae.part_errors(y[350:], x[350:])
        fn, gn = ae.transform(y[350:], x[350:])
        assert fn.shape == (50, 60) and gn.shape == (50, 40)
    # data on a 2-D linear manifold: one latent dimension cannot hold it (the best
    # rank-1 reconstruction leaves the second principal component, ~30 % or more here)
    assert errs[2]["a2f_rel_rms"] < 0.5 * errs[1]["a2f_rel_rms"]
    assert errs[2]["gap_rel_rms"] < 0.5 * errs[1]["gap_rel_rms"]
