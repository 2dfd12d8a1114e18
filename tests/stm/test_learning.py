import numpy as np
import pytest
import torch

from specinv.learning.training import TrainConfig, fit, seed_everything
from specinv.stm.model import (
    AttentionDetector,
    AveragedCNN,
    EnsembleDetector,
    cross_entropy,
    prediction_entropy,
)


def test_attention_shapes_and_bias_permutation_invariance():
    torch.manual_seed(0)
    m = AttentionDetector(channels=4, d_qk=3, d_v=3, dilations=(1, 2)).eval()
    x = torch.randn(2, 5, 12, 12)
    s = m(x)
    assert s.shape == (2, 12, 12)
    # attention + mean over the bias index: the order of the bias maps is irrelevant
    torch.testing.assert_close(m(x[:, torch.randperm(5)]), s, rtol=1e-4, atol=1e-5)
    # maps are standardized inside: an affine change of units does not matter
    torch.testing.assert_close(m(3 * x + 7), s, rtol=1e-3, atol=1e-4)
    assert AveragedCNN(channels=4, d_v=3, dilations=(1,))(x).shape == (2, 12, 12)


def test_ensemble_is_the_mean_of_its_members_and_round_trips(tmp_path):
    from specinv.stm.detector import Detector

    torch.manual_seed(0)
    nets = [AttentionDetector(channels=4, d_qk=3, d_v=3, dilations=(1, 2)).eval()
            for _ in range(2)] + [AveragedCNN(channels=4, d_v=3, dilations=(1,)).eval()]
    ens = EnsembleDetector.of(nets)
    x = torch.randn(2, 5, 12, 12)
    with torch.no_grad():
        torch.testing.assert_close(ens(x), sum(n(x) for n in nets) / 3)
        nets[0].proj.bias += 1.0  # the ensemble holds copies
        assert not torch.allclose(ens(x), sum(n(x) for n in nets) / 3)
    path = Detector(ens, threshold=1.5, tile=12).save(tmp_path / "ens")
    back = Detector.load(path)
    assert back.model.kind == "ensemble" and back.threshold == 1.5
    assert [m.kind for m in back.model.members] == ["attention", "attention", "cnn"]
    maps = np.random.default_rng(0).normal(size=(6, 20, 20))
    np.testing.assert_array_equal(back.score(maps, rescale=False)[0],
                                  Detector(ens, tile=12).score(maps, rescale=False)[0])
    with pytest.raises(ValueError, match="nested"):
        EnsembleDetector([{"kind": "ensemble", "config": ens.config}])


def test_losses():
    s = torch.zeros(3, 4, 4)
    y = torch.zeros(3, 17)
    y[:, 0] = 1
    assert float(cross_entropy(s, y)) == pytest.approx(np.log(17), rel=1e-6)
    assert float(prediction_entropy(s)) == pytest.approx(np.log(16), rel=1e-6)
    peaked = torch.full((1, 4, 4), -30.0)
    peaked[0, 1, 1] = 30
    assert float(prediction_entropy(peaked)) < 1e-6


def _problem():
    seed_everything(0)
    model = torch.nn.Linear(3, 1)
    w = torch.tensor([[1.0, -2.0, 0.5]])
    x = torch.randn(256, 3)
    y = x @ w.T

    def step(i):
        idx = torch.randint(0, 256, (32,))
        return ((model(x[idx]) - y[idx]) ** 2).mean()

    def val():
        with torch.no_grad():
            return {"loss": float(((model(x) - y) ** 2).mean())}

    return model, step, val


def test_fit_reduces_loss_and_resumes(tmp_path):
    model, step, val = _problem()
    ck = tmp_path / "ck.pt"
    h = fit(model, step, config=TrainConfig(epochs=3, steps_per_epoch=30, lr=0.05,
                                            checkpoint=str(ck)), validate=val)
    assert len(h["epochs"]) == 3 and h["epochs"][-1]["loss"] < h["epochs"][0]["loss"]
    model2, step2, val2 = _problem()
    h2 = fit(model2, step2, config=TrainConfig(epochs=5, steps_per_epoch=30, lr=0.05,
                                               checkpoint=str(ck)), validate=val2)
    assert [e["epoch"] for e in h2["epochs"]] == [1, 2, 3, 4, 5]
    assert h2["epochs"][:3] == h["epochs"]
    assert h2["best"] < 1e-2


def test_early_stopping():
    model, step, _ = _problem()
    h = fit(model, step, config=TrainConfig(epochs=20, steps_per_epoch=2, patience=2),
            validate=lambda: {"loss": 1.0})
    assert h["stopped_early"] and len(h["epochs"]) == 3


def test_default_recipe_trains_a_calibrated_ensemble(tmp_path, monkeypatch):
    """The shipped-model recipe end to end, shrunk: tiny T-matrix maps, two steps per member."""
    import dataclasses

    from specinv.stm import train_default as td
    from specinv.stm.detector import Detector
    from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix

    small = TMatrixConfig(shape=(24, 24), n_impurities=3, outside_density=3 / 24**2,
                          bias_mV=tuple(np.arange(-230.0, 20.1, 25.0)))
    monkeypatch.setattr(td, "simulate_tmatrix", lambda s: simulate_tmatrix(s, small))
    settings = dataclasses.replace(td.DEFAULT_SETTINGS, epochs=1, steps_per_epoch=2,
                                   model={"channels": 4, "d_qk": 3, "d_v": 3})
    path = td.train_default(str(tmp_path / "ens"), progress=False, settings=settings,
                            seeds=(1, 2), workers=1)
    det = Detector.load(path)
    assert det.model.kind == "ensemble" and len(det.model.members) == 2
    a, b = det.model.members
    assert not torch.allclose(a.proj.weight, b.proj.weight)  # different seeds
    meta = det.metadata
    assert meta["member_seeds"] == [1, 2] and [m["seed"] for m in meta["members"]] == [1, 2]
    assert meta["settings"]["epochs"] == 1 and "T-matrix" in meta["threshold_source"]
    assert np.isfinite(det.threshold)


def test_randomized_validation_enters_the_monitored_loss():
    """With held-out randomized tiles, the monitored loss is the mean of the Friedel and
    randomized validation losses, recorded separately every epoch."""
    from specinv.stm.train import TrainSettings, train_detector

    s = TrainSettings(epochs=1, steps_per_epoch=1, batch=4, n_val=4, n_val_randomized=4,
                      p_randomized=0.5, model={"channels": 4, "d_qk": 3, "d_v": 3})
    _, hist = train_detector(s)
    rec = hist["epochs"][0]
    assert rec["val_loss"] == pytest.approx(
        0.5 * (rec["val_loss_friedel"] + rec["val_loss_randomized"]))
    assert rec["val_loss_randomized"] != rec["val_loss_friedel"]


def test_tmatrix_validation_enters_the_monitored_loss():
    """With held-out T-matrix tiles too, the monitored loss is the mean of the three
    validation losses, each recorded; the T-matrix tiles enter the training batches."""
    from specinv.stm.train import TrainSettings, _simulated_batch, train_detector

    s = TrainSettings(epochs=1, steps_per_epoch=1, batch=8, n_val=4, n_val_randomized=4,
                      p_randomized=0.25, n_val_tmatrix=4, p_tmatrix=0.5,
                      model={"channels": 4, "d_qk": 3, "d_v": 3})
    _, hist = train_detector(s)
    rec = hist["epochs"][0]
    parts = [rec[f"val_loss_{k}"] for k in ("friedel", "randomized", "tmatrix")]
    assert rec["val_loss"] == pytest.approx(np.mean(parts))
    assert len(set(parts)) == 3
    x, y = _simulated_batch(s, np.random.default_rng(0), 6)
    assert x.shape == (8, 6, 20, 20) and y.shape == (8, 401)
    assert hist["settings"]["tmatrix"] == s.tmatrix.to_dict()
