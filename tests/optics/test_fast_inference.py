"""Fast rRIM inference: fused ensembles equal the models, weights load once, maxent default."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from specinv import Problem
from specinv.cli.main import main
from specinv.core.threads import compute_threads
from specinv.optics import fast
from specinv.optics import solvers as learned
from specinv.optics.config import ModelConfig
from specinv.optics.fast import StackedRRIM
from specinv.optics.models import RRIM
from specinv.optics.setup import Y_SCALE, OpticsSetup, landweber_preconditioner
from specinv.optics.solvers import RRIMSolver
from specinv.optics.trained import TrainedModel


def _scaled(t: float) -> tuple[torch.Tensor, torch.Tensor]:
    a = OpticsSetup().kernel(t).matrix / Y_SCALE
    p = landweber_preconditioner(a, 0.01)
    return torch.tensor(a, dtype=torch.float32), torch.tensor(p, dtype=torch.float32)


def _random_rrims(m: int, temperature_input: bool, seed: int = 0) -> list[RRIM]:
    torch.manual_seed(seed)
    models = [RRIM(100, 8, 6, temperature_input) for _ in range(m)]
    for net in models:  # non-trivial weights: perturb the initialisation
        for prm in net.parameters():
            prm.data += 0.1 * torch.randn_like(prm)
    return models


@pytest.mark.parametrize("unfold_rows", [0, 10**9], ids=["tap_by_tap", "unfolded"])
@pytest.mark.parametrize("temperature_input", [False, True])
def test_stacked_equals_each_model_shared_and_per_sample_kernels(temperature_input, unfold_rows,
                                                                 monkeypatch):
    monkeypatch.setattr(fast, "UNFOLD_ROWS", unfold_rows)  # both convolution paths
    models = _random_rrims(3, temperature_input)
    y = torch.rand(4, 100)
    temps = torch.tensor([50.0, 100.0, 150.0, 100.0])
    pairs = [_scaled(float(t)) for t in temps]
    per_sample = (torch.stack([a for a, _ in pairs]), torch.stack([p for _, p in pairs]))
    stacked = StackedRRIM(models)
    with torch.no_grad():
        for a, p in (_scaled(100.0), per_sample):
            ref = torch.stack([torch.stack(net(y, a, p, temps)) for net in models], 2)
            got = stacked(y, a, p, temps, all_steps=True)
            assert got.shape == (6, 4, 3, 100)
            # float32 arithmetic in a different order: rounding ~1e-7 of |x| per operation
            scale = float(ref.abs().max())
            assert float((got - ref).abs().max()) < 1e-5 * scale
            np.testing.assert_array_equal(stacked(y, a, p, temps).numpy(), got[-1].numpy())


def test_stacked_refuses_mixed_architectures():
    with pytest.raises(ValueError, match="share"):
        StackedRRIM([RRIM(100, 8, 6), RRIM(100, 4, 6)])
    with pytest.raises(ValueError, match="temperature"):
        StackedRRIM(_random_rrims(1, True))(torch.rand(1, 100), *_scaled(100.0))


def _save_models(tmp_path, n: int) -> list[str]:
    setup = OpticsSetup()
    paths = []
    for i, net in enumerate(_random_rrims(n, True, seed=5)):
        cfg = ModelConfig(kind="rrim", hidden=8, n_steps=6, temperature_input=True, seed=i,
                          h=1e-3)
        path = tmp_path / f"m{i}.pt"
        TrainedModel(cfg, setup, net, (10.0, 300.0)).save(path)
        paths.append(str(path))
    return paths


def test_solver_ensemble_matches_per_model_predictions_and_loads_once(tmp_path, monkeypatch):
    # the network path (verify=False): mean and spread of the ensemble members
    paths = _save_models(tmp_path, 3)
    setup = OpticsSetup()
    y = setup.kernel(120.0).forward(np.exp(-((setup.mesh().points - 60.0) / 15.0) ** 2))
    problem = Problem(setup.kernel(120.0), y, sigma=0.1)
    r = RRIMSolver(weights=paths, verify=False).solve(problem)
    per_model = np.array([TrainedModel.load(p).predict(y[None], 120.0)[0] for p in paths])
    scale = np.abs(per_model).max()
    np.testing.assert_allclose(r.spectrum, per_model.mean(0), atol=1e-5 * scale)
    np.testing.assert_allclose(r.extras["ensemble_spread"], per_model.std(0, ddof=1),
                               atol=1e-5 * scale)
    # a second solver with the same files reuses the loaded models (no file read)
    calls = []
    monkeypatch.setattr(TrainedModel, "load", classmethod(lambda cls, p: calls.append(p)))
    r2 = RRIMSolver(weights=paths, verify=False).solve(problem)
    assert calls == []
    np.testing.assert_array_equal(r2.spectrum, r.spectrum)
    # a rewritten file is loaded again (cache keyed by size and mtime)
    monkeypatch.undo()
    key_count = len(learned._MODEL_CACHE)
    TrainedModel.load(paths[0]).save(tmp_path / "m0.pt")
    os.utime(paths[0], ns=(1, 1))
    RRIMSolver(weights=paths, verify=False).solve(problem)
    assert len(learned._MODEL_CACHE) == key_count + 1


def test_cli_maxent_uses_chi2kink_unless_overridden(tmp_path):
    sim = tmp_path / "sim.csv"
    assert main(["optics", "simulate", "--index", "2", "--noise", "1e-3",
                 "--output", str(sim)]) == 0
    truth = json.loads(sim.with_suffix(".json").read_text())
    assert len(truth["glue_true"]) == len(truth["glue_omega_meV"]) == 100  # kept in full
    out = tmp_path / "me.csv"
    assert main(["optics", "invert", str(sim), "--temperature", "100", "--method", "maxent",
                 "--n-glue", "40", "--output", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["options"]["alpha_rule"] == "chi2kink"
    assert main(["optics", "invert", str(sim), "--temperature", "100", "--method", "maxent",
                 "--n-glue", "40", "--option", "alpha_rule=classic", "--output", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["options"]["alpha_rule"] == "classic"


def test_step_weights_sum_to_n_and_reject_unknown():
    from specinv import ParameterError
    from specinv.optics.dataset import build_dataset
    from specinv.optics.train import step_weights, train_model

    assert step_weights(15, "uniform") == [1.0] * 15
    lin = step_weights(15, "linear")
    assert np.isclose(sum(lin), 15) and np.all(np.diff(lin) > 0)
    with pytest.raises(ParameterError, match="step_weights"):
        train_model(build_dataset(20, seed=0), ModelConfig(step_weights="last"))


def test_training_job_in_process_leaves_the_callers_thread_count():
    # a one-worker bench runs training jobs in-process; their one-thread limit must not
    # leak into the timings that follow
    from dataclasses import asdict

    from specinv.optics.experiments import training_job

    with compute_threads(2):
        cfg = ModelConfig(kind="fcn", epochs=1, min_steps_per_epoch=1, seed=0)
        out = training_job({"n": 20, "noise": 0.0, "data_seed": 0, "temperatures": [100.0],
                            "config": asdict(cfg), "threads": 1})
        assert np.isfinite(out["test_mse"])
        assert torch.get_num_threads() == 2
