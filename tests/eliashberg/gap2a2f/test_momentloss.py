"""The physics-informed moment loss: same λ as the physics module, and it keeps λ."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from specinv.cli.main import main
from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F, coupling, pb_like_a2f, power_moment
from specinv.eliashberg.gap2a2f.autoencoder import AEConfig, train_autoencoder
from specinv.eliashberg.gap2a2f.momentloss import MomentLoss, lambda_rel_errors, quadrature_matrix
from specinv.eliashberg.gap2a2f.train import SupervisedConfig, train_regressor


@pytest.mark.parametrize("mesh", ["uniform", "nonuniform"])
def test_lambda_equals_physics_module(mesh):
    """λ and μ_p of the loss are the engine's own sums (float64: agreement to rounding)."""
    spec = pb_like_a2f(lam=1.37)
    w = spec.omega
    if mesh == "nonuniform":
        w = np.sort(np.concatenate([[0.0], np.geomspace(0.05, 10.0, 400)]))
    f = np.interp(w, spec.omega, spec.values)
    ref = A2F.from_table(w, f)
    loss = MomentLoss(w, (-1.0, 0.0, 1.0, 2.0), dtype=torch.float64)
    t = torch.from_numpy(f)[None]
    assert loss.lam(t).item() == pytest.approx(coupling(ref), rel=1e-12)
    mom = loss.moments(t)[0].numpy()
    for k, p in enumerate((-1, 0, 1, 2)):
        assert mom[k] == pytest.approx(power_moment(ref, p), rel=1e-12)


def test_negative_values_are_clipped_like_the_physics_check():
    """The loss sees max(f, 0), which is what the physics check re-solves."""
    spec = pb_like_a2f(lam=1.5)
    rng = np.random.default_rng(3)
    f = spec.values + 0.05 * rng.normal(size=spec.values.size)
    lam_clip = coupling(A2F.from_table(spec.omega, np.clip(f, 0.0, None)))
    loss = MomentLoss(spec.omega, dtype=torch.float64)
    assert loss.lam(torch.from_numpy(f)[None]).item() == pytest.approx(lam_clip, rel=1e-12)
    err = lambda_rel_errors(f, spec.values, spec.omega)[0]
    assert err == pytest.approx(abs(lam_clip / 1.5 - 1), rel=1e-9)


def test_loss_is_zero_at_truth_scale_invariant_and_differentiable():
    spec = pb_like_a2f(lam=1.2)
    loss = MomentLoss(spec.omega, (-1.0, 1.0), dtype=torch.float64)
    f = torch.from_numpy(np.stack([spec.values, 2 * spec.values]))
    target = loss.moments(f)
    assert loss(f, target).item() == 0.0
    pred = (1.1 * f).requires_grad_(True)
    val = loss(pred, target)
    # every moment is 10 % too large: mean squared relative error 0.01
    assert val.item() == pytest.approx(0.01, rel=1e-12)
    val.backward()
    assert torch.all(torch.isfinite(pred.grad)) and pred.grad.abs().sum() > 0
    # a common scale of prediction and target leaves the loss unchanged
    assert loss(3 * pred.detach(), 3 * target).item() == pytest.approx(val.item(), rel=1e-12)


def test_bad_meshes_and_options():
    with pytest.raises(ParameterError):
        quadrature_matrix(np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ParameterError):
        quadrature_matrix(np.linspace(0, 1, 5), ())
    with pytest.raises(ParameterError):
        MomentLoss(np.linspace(0, 1, 5), (1.0,)).lam(torch.ones(1, 5))
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ParameterError, match="mesh"):
        train_regressor(x, np.ones((4, 5)), x, np.ones((4, 5)),
                        SupervisedConfig(epochs=1, moment_weight=1.0))
    with pytest.raises(ParameterError, match="moment weight"):
        SupervisedConfig(moment_weight=-1.0).validate()


def _two_mode_set(n=240, seed=0):
    """α²F = a·G_high + b·G_low with independent a, b (two degrees of freedom).

    G_low (narrow, at 1 meV) carries ~60 % of λ but only ~1/4 of the squared norm of
    G_high (broad, at 7 meV). A rank-1 bottleneck trained on the MSE keeps the first
    principal component, i.e. the G_high direction, and loses b; its λ error then is
    λ_low·|b − E b| / λ, which :func:`_pca_lambda_error` computes exactly. A bottleneck
    that must keep λ can put its one degree of freedom on λ instead (error → 0).
    """
    rng = np.random.default_rng(seed)
    w = np.linspace(0.0, 10.0, 200)
    g_hi = np.exp(-0.5 * ((w - 7.0) / 1.0) ** 2)
    g_lo = np.exp(-0.5 * ((w - 1.0) / 0.25) ** 2)
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    f = a[:, None] * g_hi + b[:, None] * g_lo
    x = np.stack([a, b], axis=1).astype(np.float32)
    return w, f, x


def _pca_lambda_error(w, f):
    """Median λ error of the best rank-1 (affine) least-squares reconstruction."""
    mu = f.mean(axis=0)
    _, _, vt = np.linalg.svd(f - mu, full_matrices=False)
    rec = mu + ((f - mu) @ vt[0])[:, None] * vt[0]
    return float(np.median(lambda_rel_errors(rec, f, w)))


def test_autoencoder_moment_term_keeps_lambda():
    w, f, x = _two_mode_set()
    floor = _pca_lambda_error(w, f)
    assert floor > 0.05          # the MSE-optimal rank-1 projection loses λ
    g = 0.01 * x                 # a negligible "gap" part
    errs = {}
    for weight in (0.0, 10.0):
        ae = train_autoencoder(f[:160], g[:160], f[160:200], g[160:200],
                               AEConfig(latent=1, hidden=(32,), epochs=150, patience=150,
                                        batch_size=32, time_limit_s=60, moment_weight=weight),
                               omega=w)
        fn, _ = ae.transform(f[200:], g[200:])
        errs[weight] = float(np.median(lambda_rel_errors(fn, f[200:], w)))
    # without the term: near the rank-1 MSE optimum's λ error; with it: far below it
    assert errs[0.0] > 0.5 * floor
    assert errs[10.0] < 0.5 * floor and errs[10.0] < 0.5 * errs[0.0]


def test_regressor_moment_term_keeps_lambda():
    """A one-unit hidden layer is a rank-1 bottleneck: the same argument as for the AE."""
    w, f, x = _two_mode_set(seed=1)
    floor = _pca_lambda_error(w, f)
    errs = {}
    for weight in (0.0, 10.0):
        model, hist = train_regressor(
            x[:160], f[:160], x[160:200], f[160:200],
            SupervisedConfig(epochs=150, patience=150, batch_size=32, lr=3e-3, seed=2,
                             time_limit_s=60, moment_weight=weight), hidden=(1,), omega=w)
        errs[weight] = float(np.median(lambda_rel_errors(model.predict(x[200:]), f[200:], w)))
        assert model.meta["training"]["config"]["moment_weight"] == weight
        assert np.isfinite(hist["val_median_lambda_rel_err"])
    assert errs[0.0] > 0.5 * floor
    assert errs[10.0] < 0.5 * floor and errs[10.0] < 0.5 * errs[0.0]


def test_cli_records_weight_and_refuses_negative(tiny_dir, tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["eliashberg", "train", "--data", str(tiny_dir), "--output", str(out),
                 "--moment-weight", "-1"]) == 2
    assert "--moment-weight" in capsys.readouterr().err and not out.exists()
    assert main(["eliashberg", "train", "--data", str(tiny_dir), "--output", str(out),
                 "--epochs", "2", "--finetune-epochs", "0", "--check", "0", "--latent", "1",
                 "--moment-weight", "0.5", "--ae-moment-weight", "2", "--no-progress"]) == 0
    rep = json.loads((out / "train.json").read_text())
    assert rep["config"]["moment_weight"] == 0.5
    assert rep["autoencoder"]["config"]["moment_weight"] == 2.0
    assert rep["config"]["moment_powers"] == [-1.0]
    assert "median_lambda_rel_err" in rep["validation"]


def test_latent_head_pipeline(tiny_set, tmp_path):
    """Gap → latent → decoder: α²F rows from the AE decoder, saved and loaded as one file."""
    from specinv.eliashberg.gap2a2f.experiment import run_supervised
    from specinv.eliashberg.gap2a2f.model import Regressor

    cfg = SupervisedConfig(epochs=3, patience=3, finetune_epochs=0)
    aec = AEConfig(epochs=3, hidden=(32,))
    models, rep = run_supervised(tiny_set, latent=1, head="latent", config=cfg, ae_config=aec,
                                 n_check=0, with_coverage=False)
    assert rep["head"] == "latent" and rep["_pred"].shape[1] == tiny_set.a2f.shape[1]
    x = tiny_set.features()[:2]
    z = models[0].predict_raw(x)
    assert z.shape == (2, 1)   # the regressor predicts the latent, the decoder the α²F
    a2f = models[0].predict(x)
    assert a2f.shape == (2, tiny_set.a2f.shape[1])
    assert np.allclose(a2f, models[0].decode(z))
    loaded = Regressor.load(models[0].save(tmp_path / "m.npz"))
    assert loaded.meta["head"] == "latent" and loaded.meta["latent_dim"] == 1
    # float32 weights stored as such: the same numbers up to float32 rounding
    assert np.max(np.abs(loaded.predict(x) - a2f)) <= 1e-5 * np.max(np.abs(a2f))
    assert "test" in rep["autoencoder"]["median_lambda_rel_err_reconstruction"]
    with pytest.raises(ParameterError, match="head"):
        run_supervised(tiny_set, head="latent", config=cfg)
