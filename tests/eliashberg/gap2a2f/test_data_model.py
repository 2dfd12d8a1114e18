"""Data loading, features, split and the regressor's save/load."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import InputError, ParameterError
from specinv.eliashberg.gap2a2f import data
from specinv.eliashberg.gap2a2f.model import Regressor


def test_tiny_set_shapes(tiny_set):
    n = len(tiny_set)
    assert n >= 10
    assert tiny_set.features("gap").shape == (n, 400)
    assert tiny_set.features("dos").shape == (n, 200)
    assert tiny_set.a2f.shape == (n, 1000)
    assert tiny_set.temperature_K == pytest.approx(1.16)
    assert tiny_set.mu_star == pytest.approx(0.1)
    # every kept sample is superconducting: Re Δ at the lowest ω is finite
    assert np.all(tiny_set.delta.real[:, 0] > 0)
    with pytest.raises(ParameterError):
        tiny_set.features("phase")


def test_split_is_81_9_10_and_disjoint():
    tr, va, te = data.split_indices(1000, seed=3)
    assert (tr.size, va.size, te.size) == (810, 90, 100)
    assert np.unique(np.concatenate([tr, va, te])).size == 1000
    tr2, _, _ = data.split_indices(1000, seed=3)
    assert np.array_equal(tr, tr2)


def test_load_refuses_non_dataset(tmp_path):
    with pytest.raises(InputError, match="dataset.json"):
        data.load(tmp_path)
    with pytest.raises(ParameterError):
        data.prepare("medium", tmp_path)


@pytest.mark.parametrize("half", [False, True])
def test_regressor_roundtrip(tmp_path, half):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 400)).astype(np.float32)
    y = rng.random((20, 1000))
    m = Regressor.create(x, y, meta={"input": "gap"})
    p = m.save(tmp_path / "m.npz", half=half)
    m2 = Regressor.load(p)
    a, b = m.predict(x), m2.predict(x)
    assert a.shape == (20, 1000)
    # float16 weights: relative rounding 2^-11 per weight, amplified mildly by 3 layers
    tol = 5e-3 if half else 1e-6
    assert np.max(np.abs(a - b)) <= tol * np.max(np.abs(a))
    assert m2.meta["input"] == "gap"


def test_regressor_load_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Regressor.load(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, a=np.zeros(3))
    with pytest.raises(InputError, match="bad.json not found.*gap2a2f-regressor"):
        Regressor.load(bad)
