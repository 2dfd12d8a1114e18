"""Fine-tuning without forgetting: guarded validation score, distillation, start point."""

import numpy as np
import pytest
import torch

from specinv.stm.model import AttentionDetector
from specinv.stm.train_guard import (
    GUARD_PENALTY,
    StartPoint,
    distillation,
    guarded_score,
)

SMALL = {"channels": 4, "d_qk": 3, "d_v": 3, "dilations": (1, 2)}


def test_guarded_score_penalizes_only_rises_of_guarded_losses():
    ref = {"val_loss": 4.0, "val_loss_friedel": 3.0, "val_loss_tmatrix": 6.0,
           "val_loss_randomized": 5.0}
    better = {"val_loss": 3.5, "val_loss_friedel": 2.9, "val_loss_tmatrix": 5.0,
              "val_loss_randomized": 6.0}  # the randomized loss is not guarded
    assert guarded_score(better, ref) == {"val_score": 3.5, "guard_excess": 0.0}
    worse = {**better, "val_loss_friedel": 3.1}
    out = guarded_score(worse, ref)
    assert out["guard_excess"] == pytest.approx(0.1)
    assert out["val_score"] == pytest.approx(3.5 + GUARD_PENALTY * 0.1)
    # a constraint: any rise of a guarded loss outweighs every gain of the mean
    assert out["val_score"] > ref["val_loss"]


def test_distillation_vanishes_for_the_teacher_and_is_positive_otherwise():
    torch.manual_seed(0)
    teacher = AttentionDetector(**SMALL).eval()
    student = AttentionDetector(**SMALL).eval()
    x = torch.randn(3, 5, 10, 10)
    with torch.no_grad():
        assert float(distillation(teacher, x, teacher(x), 3)) == pytest.approx(0.0, abs=1e-6)
        assert float(distillation(teacher, x, student(x), 2)) > 0
        assert float(distillation(teacher, x, student(x), 0)) == 0.0


def _friedel_validation(n: int = 4, n_bias: int = 6):
    from specinv.stm.friedel import FriedelConfig, training_batch

    x, y, _ = training_batch(np.random.default_rng(0), FriedelConfig(), n, n_bias=n_bias)
    return torch.from_numpy(x), torch.from_numpy(y)


def test_start_point_is_restored_only_when_no_epoch_scored_better():
    torch.manual_seed(1)
    model = AttentionDetector(**SMALL)
    start = StartPoint(model, guard=True, distill=1.0, val=_friedel_validation(), val_extra={})
    assert start.teacher is not None and not any(
        p.requires_grad for p in start.teacher.parameters())
    w0 = model.proj.weight.detach().clone()
    with torch.no_grad():
        model.proj.weight.add_(1.0)
    ref = start.reference["val_score"]
    assert start.finish(model, {"best": ref - 0.1})["kept"] == "best epoch"
    assert not torch.equal(model.proj.weight, w0)
    assert start.finish(model, {"best": ref + 0.1})["kept"].startswith("start")
    torch.testing.assert_close(model.proj.weight, w0)


def test_fine_tune_with_zero_rate_keeps_the_start_and_records_every_loss():
    """Adam at rate 0 leaves the weights unchanged: the guarded score equals the start's
    and the start is kept; every validation family, the long Friedel tiles included, is
    recorded beside the reference."""
    from specinv.stm.train import TrainSettings, train_detector

    torch.manual_seed(2)
    init = AttentionDetector(**SMALL)
    w0 = {k: v.clone() for k, v in init.state_dict().items()}
    s = TrainSettings(epochs=1, steps_per_epoch=1, batch=4, n_val=4, n_val_tmatrix=2,
                      p_tmatrix=0.25, n_val_long=2, long_n_bias=6, distill=1.0,
                      guard=True, lr=0.0)
    _, hist = train_detector(s, init=init)
    rec, ref = hist["epochs"][0], hist["start_validation"]
    for k in ("val_loss_friedel", "val_loss_tmatrix", "val_loss_friedel_long"):
        assert rec[k] == pytest.approx(ref[k], rel=1e-5)
    assert rec["guard_excess"] == pytest.approx(0.0, abs=1e-5)
    assert hist["kept"].startswith("start")
    for k, v in init.state_dict().items():
        torch.testing.assert_close(v, w0[k])
