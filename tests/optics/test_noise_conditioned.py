"""Noise-conditioned rRIM: per-sample Landweber h = max(σ, h_min) and log10 h as an input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specinv import ParameterError
from specinv.core.threads import compute_threads
from specinv.optics.config import H_MIN, ModelConfig, noise_h
from specinv.optics.dataset import build_dataset
from specinv.optics.fast import KernelBank, StackedRRIM
from specinv.optics.models import RRIM, h_feature
from specinv.optics.setup import Y_SCALE, OpticsSetup, landweber_preconditioner
from specinv.optics.train import train_model
from specinv.optics.trained import TrainedModel


def _random_noise_rrim(temperature_input: bool = False, seed: int = 0) -> RRIM:
    torch.manual_seed(seed)
    net = RRIM(100, 8, 6, temperature_input, noise_input=True)
    for prm in net.parameters():  # non-trivial weights: perturb the initialisation
        prm.data += 0.1 * torch.randn_like(prm)
    return net


def test_svd_preconditioner_equals_the_solved_one():
    setup = OpticsSetup()
    bank = KernelBank(setup, 1e-4)
    a = setup.kernel(100.0).matrix / Y_SCALE
    hs = np.array([1e-5, 1e-2, 1e-4, 1e-5])
    p = bank.preconditioners(100.0, hs).double().numpy()
    assert p.shape == (4, setup.n_glue, setup.n_omega)
    for pi, h in zip(p, hs, strict=True):
        ref = landweber_preconditioner(a, h)
        # float32 storage: relative rounding ~6e-8 per entry
        assert np.abs(pi - ref).max() < 1e-6 * np.abs(ref).max()


def test_noise_h_is_sigma_above_the_floor():
    np.testing.assert_array_equal(noise_h([0.0, 1e-6, 1e-3], 1e-5), [1e-5, 1e-5, 1e-3])
    with pytest.raises(ParameterError, match=">= 0"):
        noise_h(-1e-3, 1e-5)
    assert float(h_feature(torch.tensor(1e-5))) == pytest.approx(-1.0)
    assert float(h_feature(torch.tensor(1e-1))) == pytest.approx(1.0)


@pytest.mark.parametrize("temperature_input", [False, True])
def test_stacked_equals_model_and_output_depends_on_the_h_channel(temperature_input):
    net = _random_noise_rrim(temperature_input)
    bank = KernelBank(OpticsSetup(), 1e-4)
    y = torch.rand(4, 100)
    temps = np.array([100.0, 100.0, 150.0, 100.0])
    hs = np.array([1e-5, 1e-4, 1e-3, 1e-2])
    a, p = bank.batch(temps, hs)
    tt = torch.as_tensor(temps, dtype=torch.float32)
    ht = torch.as_tensor(hs, dtype=torch.float32)
    with torch.no_grad():
        ref = torch.stack(net(y, a, p, tt, h=ht))
        got = StackedRRIM([net])(y, a, p, tt, all_steps=True, h=ht)[:, :, 0]
        scale = float(ref.abs().max())
        assert float((got - ref).abs().max()) < 1e-5 * scale  # float32 reordering
        # same preconditioner, another h in the input channel: the network must see it
        other = torch.stack(net(y, a, p, tt, h=ht * 100))
        assert float((other - ref).abs().max()) > 1e-2 * scale
        with pytest.raises(ValueError, match="Landweber h"):
            net(y, a, p, tt)
        with pytest.raises(ValueError, match="Landweber h"):
            StackedRRIM([net])(y, a, p, tt)


def test_mixed_noise_dataset_keeps_glue_and_split_and_draws_sigma_per_sample():
    levels = (0.0, 1e-3, 1e-2)
    mix = build_dataset(60, noise_levels=levels, seed=3)
    ref = build_dataset(60, noise=0.0, seed=3)
    np.testing.assert_array_equal(mix.x, ref.x)
    for k in ("train", "val", "test"):
        np.testing.assert_array_equal(mix.split[k], ref.split[k])
    assert set(np.unique(mix.sigma)) == set(levels)
    resid = mix.y - mix.y_clean
    np.testing.assert_array_equal(resid[mix.sigma == 0], 0.0)
    # per-sample noise in units of σ max|1/τ| is standard normal: 100 points per sample
    noisy = mix.sigma > 0
    z = resid[noisy] / (mix.sigma[noisy, None] * np.abs(mix.y_clean[noisy]).max(1, keepdims=True))
    assert abs(z.std() - 1.0) < 5 / np.sqrt(z.size)
    np.testing.assert_array_equal(mix.noise_of("val"), mix.sigma[mix.split["val"]])
    np.testing.assert_array_equal(ref.noise_of("val"), 0.0)
    with pytest.raises(ParameterError, match="noise_levels"):
        build_dataset(20, noise=1e-3, noise_levels=levels)


def test_trained_noise_conditioned_model_needs_sigma_and_round_trips(tmp_path):
    with compute_threads(1):
        ds = build_dataset(40, noise_levels=(0.0, 1e-2), seed=0)
        cfg = ModelConfig(kind="rrim", epochs=1, min_steps_per_epoch=2, n_steps=3, hidden=4,
                          noise_input=True)
        m = train_model(ds, cfg)
        assert m.config.h == H_MIN and m.noise_input
        x, y, t = ds.part("test")
        with pytest.raises(ParameterError, match="noise level"):
            m.predict(y, t)
        quiet, noisy = m.predict(y, t, noise=0.0), m.predict(y, t, noise=1e-2)
        assert np.abs(quiet - noisy).max() > 1e-3 * np.abs(quiet).max()
        # one σ for the batch: one shared P (cached); mixed σ: P per sample. Same numbers up
        # to float32 reordering (ε = 1.2e-7) amplified by the preconditioner, ≤ 1/(2√h): 5 at
        # h = 1e-2, 5000 at h_min = 1e-8
        a_sh, p_sh = m.bank.batch(t, np.full(len(t), 1e-2))
        assert p_sh.shape == (ds.setup.n_glue, ds.setup.n_omega)
        mixed = m.predict(y, t, noise=np.r_[np.full(len(y) - 1, 1e-2), 0.0])
        np.testing.assert_allclose(mixed[:-1], noisy[:-1], atol=1e-5 * np.abs(noisy).max())
        np.testing.assert_allclose(mixed[-1], quiet[-1], atol=1e-3 * np.abs(quiet).max())
        # first step: the Tikhonov solution with each sample's h plus a small correction
        first = m.predict(y[:1], t[:1], noise=1e-2, all_steps=True)[0, 0]
        a = ds.setup.kernel().matrix / Y_SCALE
        tik = landweber_preconditioner(a, 1e-2) @ (y[0] / Y_SCALE)
        assert np.linalg.norm(first - tik) < 0.5 * np.linalg.norm(tik)
        m.save(tmp_path / "nc.pt")
        back = TrainedModel.load(tmp_path / "nc.pt")
        assert back.noise_input
        np.testing.assert_array_equal(back.predict(y, t, noise=1e-2), noisy)
        with pytest.raises(ParameterError, match="rRIM only"):
            train_model(ds, ModelConfig(kind="cnn", epochs=1, noise_input=True))


def test_cli_trains_noise_conditioned_rrim_and_inverts_with_given_or_estimated_sigma(
        tmp_path, capsys):
    import json

    from specinv.cli.main import main

    with compute_threads(1):
        weights = tmp_path / "nc.pt"
        assert main(["optics", "train", "--model", "rrim", "--n", "40", "--epochs", "1",
                     "--noise-levels", "0", "1e-2", "--cache-dir", str(tmp_path / "c"),
                     "--output", str(weights)]) == 0
        trained = TrainedModel.load(weights)
        assert trained.noise_input and trained.config.hidden == trained.model.hidden == 16
        spec = tmp_path / "rate.dat"
        assert main(["optics", "simulate", "--noise", "1e-2", "--output", str(spec)]) == 0
        rate = np.loadtxt(spec, delimiter=",", skiprows=1)  # omega_meV,inv_tau_meV
        sigma = 0.01 * float(np.max(rate[:, 1]))
        for extra, expected in ((["--sigma", f"{sigma:.12g}"], 1e-2), ([], None)):
            out = tmp_path / f"g{len(extra)}.csv"
            assert main(["optics", "invert", str(spec), "--temperature", "100", "--method", "rrim",
                         "--option", f"weights={weights}", *extra, "--output", str(out)]) == 0
            meta = json.loads(out.with_suffix(".json").read_text())
            got = meta["hyperparameters"]["relative_noise"]
            if expected is not None:  # the given error bar relative to max 1/τ
                assert got == pytest.approx(expected, rel=1e-9)
            else:  # estimated from the data: the right order of magnitude
                assert 2e-3 < got < 5e-2
        capsys.readouterr()
        assert main(["optics", "train", "--model", "cnn", "--noise-levels", "0", "1e-3",
                     "--cache-dir", str(tmp_path / "c"), "--output", str(tmp_path / "x.pt")]) == 2
        assert "--noise-levels" in capsys.readouterr().err
        assert not (tmp_path / "x.pt").exists()


def test_relative_noise_estimate_reads_noise_free_1_over_tau_at_the_floor():
    from specinv.core.noise import RELATIVE_FLOOR
    from specinv.optics.glue import ood_sets
    from specinv.optics.inputs import estimate_relative_noise

    setup = OpticsSetup()
    kern = setup.kernel()
    shapes = np.concatenate(list(ood_sets(setup.mesh().points).values()))
    clean = np.array([kern.forward(x) for x in shapes])  # smooth 1/τ, 17 shapes
    assert max(estimate_relative_noise(y) for y in clean) == pytest.approx(RELATIVE_FLOOR)
    assert estimate_relative_noise(np.zeros(100)) == 0.0
    rng = np.random.default_rng(5)
    for sigma in (1e-4, 1e-3):
        noisy = clean + sigma * np.abs(clean).max(1, keepdims=True) * rng.standard_normal(
            clean.shape)
        est = np.median([estimate_relative_noise(y) for y in noisy])
        # a MAD estimate from 100 points scatters by ~13 %; the median of 17 by ~4 %
        assert est == pytest.approx(sigma, rel=0.15)
