"""The training loop's checkpoints: resumed with plain tensors only, bad files refused."""

from __future__ import annotations

import pytest
import torch

from specinv.core.errors import InputError
from specinv.learning.blocks import mlp
from specinv.learning.training import TrainConfig, fit


def _run(ck, epochs: int) -> tuple[torch.nn.Module, dict]:
    torch.manual_seed(0)
    net = mlp(2, 1, (4,))
    x = torch.linspace(-1, 1, 16)[:, None].repeat(1, 2)

    def step_loss(_step: int) -> torch.Tensor:
        return torch.mean((net(x) - x[:, :1] ** 2) ** 2)

    cfg = TrainConfig(epochs=epochs, steps_per_epoch=3, checkpoint=str(ck), progress=False)
    return net, fit(net, step_loss, config=cfg)


def test_a_checkpoint_resumes_where_training_stopped(tmp_path):
    ck = tmp_path / "ck.pt"
    _run(ck, 2)
    _, history = _run(ck, 4)  # resumes after epoch 2
    assert [r["epoch"] for r in history["epochs"]] == [1, 2, 3, 4]


def test_a_garbage_checkpoint_is_an_input_error(tmp_path):
    ck = tmp_path / "ck.pt"
    ck.write_bytes(b"\x80\x04garbage\xff")
    with pytest.raises(InputError, match="ck.pt: not a training checkpoint"):
        _run(ck, 2)
