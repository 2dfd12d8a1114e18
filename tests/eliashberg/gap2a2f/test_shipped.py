"""The shipped default model: present, small, documented, and accurate on fresh data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.eliashberg.gap2a2f.inference import default_model_paths, load_models, predict_gap


def test_shipped_files_small_and_documented():
    paths = default_model_paths()
    assert paths, "no shipped model under specinv/data/gap2a2f"
    for p in paths:
        assert p.stat().st_size < 5 * 2**20
    info = json.loads((paths[0].parent / "training.json").read_text())
    assert info["script"].startswith("python -m specinv.eliashberg.gap2a2f.train_default")
    assert info["dataset_parameters"]["temperature_K"] == pytest.approx(1.16)
    m = load_models()[0]
    assert m.meta["input"] == "gap" and len(m.meta["omega"]) == 200


def test_shipped_model_on_unseen_samples(tmp_path):
    """Held-out α²F (another builder seed): λ of the prediction close to the truth.

    The test split of the training run gives a median λ error of a few per cent and
    a 90th percentile below 10 %; a median above 10 % on 8+ fresh samples means
    the model or the pipeline is broken.
    """
    from specinv.eliashberg.engine.a2f import A2F, coupling
    from specinv.eliashberg.engine.dataset import DatasetConfig, build_dataset
    from specinv.eliashberg.gap2a2f.data import load

    build_dataset(DatasetConfig(n=24, seed=987, kind="gaussian", shard_size=24), tmp_path,
                  workers=1, progress=False)
    ds = load(tmp_path)
    assert len(ds) >= 8
    models = load_models()
    errs = []
    for i in range(len(ds)):
        a2f, _, _ = predict_gap(models, ds.omega, ds.delta[i], 1.16)
        lam = coupling(A2F.from_table(ds.omega_a2f, np.clip(a2f, 0, None)))
        errs.append(abs(lam / ds.lam[i] - 1))
    assert np.median(errs) < 0.10
