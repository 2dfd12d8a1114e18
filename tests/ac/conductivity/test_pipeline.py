"""Seed-003 data sets, losses, refinement and ``specinv conductivity predict``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from specinv.ac.conductivity.data import (
    DISTRIBUTIONS,
    TEMPERATURES,
    build_dataset,
    gammas,
    lambda_inputs,
    sample_labels,
    sigma_on_mesh,
)
from specinv.ac.conductivity.evaluate import summary, usable
from specinv.ac.conductivity.refine import refine_drude
from specinv.ac.conductivity.train import label_loss, train_label_model
from specinv.cli.main import main
from specinv.core.threads import compute_threads

SMALL = {"train": 64, "val": 16, "test": 8}


def test_labels_and_hardness():
    rng = np.random.default_rng(0)
    y = sample_labels(rng, "element_mixed_data", 200)
    assert np.allclose(y[:, :, 0].sum(1), 1)
    assert np.all(np.diff(y[:, :, 1], axis=1) >= 0)
    g = gammas(y)  # (n, 3, 10); order: hard_low_t, hard_high_t, easy
    assert np.all(g[:, 0, 0] / TEMPERATURES[0] <= 1.0) and np.all(g[:, 0, -1] >= 2.0)
    assert np.all(g[:, 1, -1] <= 0.5) and np.all(g[:, 1, 0] / TEMPERATURES[0] >= 1.5)
    assert np.all(g[:, 2] / TEMPERATURES >= 1.0)
    assert set(DISTRIBUTIONS) == {"easy", "hard_low_t", "hard_high_t", "hard_all_t"}


def test_dataset_cache_and_noise(tmp_path):
    d1 = build_dataset("mixed_data", seed=3, cache_dir=tmp_path, sizes=SMALL)
    d2 = build_dataset("mixed_data", seed=3, cache_dir=tmp_path, sizes=SMALL)
    assert d1["train"]["x"].shape == (64, 10, 200)
    assert np.array_equal(d1["test"]["x"], d2["test"]["x"])
    assert np.allclose(d1["val"]["x"], lambda_inputs(d1["val"]["y"]))
    dn = build_dataset("mixed_data", seed=3, noise=1e-2, sizes=SMALL)
    rel = dn["train"]["x"] / d1["train"]["x"] - 1
    assert 0.007 < rel.std() < 0.013
    # correlated in τ: neighbouring points share most of their noise
    assert np.corrcoef(rel[:, :, :-1].ravel(), rel[:, :, 1:].ravel())[0, 1] > 0.8


def test_exact_labels_are_usable_and_loss_zero_at_truth():
    y = sample_labels(np.random.default_rng(1), "easy_data", 5)
    s = sigma_on_mesh(y)
    assert usable(s, s).all() and not usable(s, 1.3 * s).any()
    assert summary(s, s)["usable_fraction"] == 1.0
    yt = torch.as_tensor(y, dtype=torch.float32)
    logits = torch.log(yt[:, :, 0])
    gam = yt[:, :, 1:].reshape(-1, 6)
    for loss in ("loss1", "loss2", "loss3"):
        assert float(label_loss(logits, gam, yt, loss)) == pytest.approx(0.0, abs=1e-5)


def test_drude_refinement_recovers_parameters_from_a_perturbed_start():
    rng = np.random.default_rng(2)
    y = sample_labels(rng, "element_mixed_data", 3)
    x = lambda_inputs(y)
    for i in range(3):
        start = y[i].copy()
        start[:, 0] = np.array([0.3, 0.3, 0.4])
        start[:, 1:] *= 1.3
        lab, info = refine_drude(x[i], start)
        assert info["chi2_reduced"] < 1e-2
        assert usable(sigma_on_mesh(y[i:i + 1]), sigma_on_mesh(lab[None]))[0]


def test_training_runs_and_reduces_loss():
    with compute_threads(1):
        d = build_dataset("element_mixed_data", seed=5, sizes=SMALL)
        model, hist = train_label_model("cnn1d", d, epochs=3, batch=16, patience=None)
        losses = [e["train_loss"] for e in hist["epochs"]]
        assert losses[-1] < losses[0]


def test_cli_predict_and_bad_input(tmp_path, capsys):
    y = sample_labels(np.random.default_rng(4), "element_mixed_data", 2)
    inp = tmp_path / "in.npz"
    np.savez(inp, x=lambda_inputs(y))
    out = tmp_path / "s.csv"
    assert main(["conductivity", "predict", str(inp), "--output", str(out)]) == 0
    tab = np.loadtxt(out, delimiter=",", skiprows=1)
    assert tab.shape == (2 * 10 * 101, 4)
    sig = tab[:, 3].reshape(2, 10, 101)
    assert usable(sigma_on_mesh(y), sig).all()  # refined answer on exact data
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["refined"] is True
    # exact data, refined labels: Λ(τ) reproduced far below the stated 1e-3 relative error
    assert meta["check"]["verdict"] != "fail" and meta["check"]["chi2_reduced"] < 1e-2
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.ones((3, 9, 200)))
    out2 = tmp_path / "t.csv"
    assert main(["conductivity", "predict", str(bad), "--output", str(out2)]) == 2
    err = capsys.readouterr().err
    assert "bad.npz" in err and "(n, 10, 200)" in err
    assert not out2.exists()


def _lorentz_plus_drude_lambda() -> np.ndarray:
    """Λ_T(τ) of a σ(ω) outside the network's Drude family: Drude + a mid-infrared peak."""
    from specinv.ac.conductivity.data import TEMPERATURES, tau_matrix
    from specinv.ac.conductivity.refine import TAIL_DECAY, sigma_mesh
    from specinv.kernels.imaginary_time import ConductivityTauKernel

    tau = tau_matrix()
    x = np.empty((10, 200))
    for t, temp in enumerate(TEMPERATURES):
        mesh = sigma_mesh(tail_max=TAIL_DECAY / tau[t][0])
        w = mesh.points
        drude = 1.0 / (1.0 + w ** 2)
        peak = 0.3 * w ** 2 / ((w ** 2 - 9.0) ** 2 + (0.6 * w) ** 2)  # oscillator at ω₀ = 3
        x[t] = ConductivityTauKernel(tau[t], mesh, beta=1.0 / temp).forward(drude + peak)
    return x


def test_cli_falls_back_to_maxent_outside_the_drude_family(tmp_path):
    inp = tmp_path / "in.npz"
    np.savez(inp, x=_lorentz_plus_drude_lambda())
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["conductivity", "predict", str(inp), "--output", str(a),
                 "--fallback", "none"]) == 3  # no sum of Drude terms fits the peak
    assert main(["conductivity", "predict", str(inp), "--output", str(b)]) == 0
    meta = json.loads(b.with_suffix(".json").read_text())
    assert meta["method_used"] == ["network+maxent"]
    assert meta["check"]["chi2_reduced"] <= 2.0
