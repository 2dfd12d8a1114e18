"""Learned solvers (fit → solve, ensembles, refusals) and the ``specinv optics`` CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import specinv
from specinv import ParameterError, Problem
from specinv.cli.main import main
from specinv.core.mesh import Mesh
from specinv.core.threads import compute_threads
from specinv.kernels.shulga import ShulgaKernel
from specinv.optics.config import H_MIN, ModelConfig, auto_h
from specinv.optics.dataset import build_dataset
from specinv.optics.setup import OpticsSetup
from specinv.optics.solvers import default_weight_files
from specinv.optics.train import train_model
from specinv.optics.trained import TrainedModel
from specinv.solvers.base import get_solver


@pytest.fixture(scope="module")
def tiny_rrim():
    with compute_threads(1):
        ds = build_dataset(80, noise=1e-3, seed=0)
        cfg = ModelConfig(kind="rrim", epochs=2, min_steps_per_epoch=5, n_steps=4)
        return get_solver("rrim").fit(ds, cfg, n_models=2), ds


def test_rrim_first_step_is_tikhonov_with_h(tiny_rrim):
    """x_1 = ∇_0 + g_φ: the network output is a correction to (AᵀA + hI)⁻¹Aᵀy,
    with the automatic h = max(σ, 1e-8) of the σ = 1e-3 training data recorded."""
    solver, ds = tiny_rrim
    m: TrainedModel = solver.models_[0]
    assert m.config.h == auto_h(1e-3) == 1e-3
    assert m.config.hidden == m.model.hidden == 8  # default_hidden of a fixed-noise rRIM
    assert auto_h(0.0) == H_MIN == 1e-8 and auto_h(0.05) == 0.05
    x, y, t = ds.part("test")
    steps = m.predict(y, t, all_steps=True)
    assert steps.shape == (4, len(y), ds.setup.n_glue)
    a = ds.setup.kernel().matrix / 300
    tik = np.linalg.solve(a.T @ a + m.config.h * np.eye(a.shape[1]), a.T @ (y.T / 300)).T
    # correction from an almost untrained decoder is small compared with the Tikhonov step
    assert np.linalg.norm(steps[0] - tik) < 0.5 * np.linalg.norm(tik)


def test_rrim_warns_when_data_are_noisier_than_its_training(tiny_rrim):
    """The σ = 1e-3 models (h = 1e-3) warn at 10× their noise, not at their own noise."""
    solver, ds = tiny_rrim
    k = ds.setup.kernel()
    y = k.forward(ds.x[0])
    scale = float(np.max(np.abs(y)))
    at_h = solver.solve(Problem(k, y, sigma=1e-3 * scale))
    assert not any("relative noise of the data" in w for w in at_h.warnings)
    with pytest.warns(UserWarning, match="relative noise of the data 1.0e-02 .*error bars"):
        noisy = solver.solve(Problem(k, y, sigma=1e-2 * scale))
    assert any("Landweber h = 1e-03" in w for w in noisy.warnings)


def test_explicit_h_is_kept_and_checked():
    ds = build_dataset(40, noise=0.0, seed=0)
    cfg = ModelConfig(kind="rrim", epochs=1, min_steps_per_epoch=2, n_steps=2, h=0.05)
    assert train_model(ds, cfg).config.h == 0.05
    with pytest.raises(ParameterError, match="h must be > 0"):
        train_model(ds, ModelConfig(kind="rrim", epochs=1, h=0.0))


def test_fitted_ensemble_solves_on_other_grid_and_refuses_bad_range(tiny_rrim, tmp_path):
    solver, ds = tiny_rrim
    s = OpticsSetup()
    x = ds.x[0]
    w = np.linspace(3, 450, 230)  # user grid differs from the model's: interpolated
    k = ShulgaKernel(w, s.mesh(), temperature=100.0)
    problem = Problem(k, k.forward(x), sigma=0.3)
    solver.options["verify"] = False  # the network path: the ensemble's spread, no band
    r = solver.solve(problem)
    assert r.spectrum.shape == (s.n_glue,) and r.spectrum_std is None
    assert r.hyperparameters["band"].startswith("none")
    assert np.all(r.extras["ensemble_spread"] > 0) and r.hyperparameters["n_models"] == 2
    solver.options["verify"] = True  # verified: refined or replaced, no uncalibrated band
    v = solver.solve(problem)
    assert v.hyperparameters["method_used"] in ("network+maxent", "maxent")
    assert v.spectrum_std is None and v.check.verdict != "fail"
    short = ShulgaKernel(np.linspace(20, 150, 50), s.mesh(), temperature=100.0)
    with pytest.raises(ParameterError, match="extrapolation is refused below 50%"):
        solver.solve(Problem(short, np.ones(50)))
    hot = ShulgaKernel(w, s.mesh(), temperature=250.0)
    with pytest.raises(ParameterError, match="outside the range"):
        solver.solve(Problem(hot, hot.forward(x)))
    # save/load round trip gives identical predictions
    solver.models_[0].save(tmp_path / "m.pt")
    loaded = TrainedModel.load(tmp_path / "m.pt")
    y = ds.y[:3]
    np.testing.assert_allclose(loaded.predict(y, 100.0), solver.models_[0].predict(y, 100.0),
                               rtol=1e-6, atol=1e-7)


def test_learned_solver_without_weights_explains(tmp_path):
    with pytest.raises(specinv.core.errors.InputError, match="not found"):
        specinv.solve(Problem(OpticsSetup().kernel(), np.ones(100)), method="fcn",
                      weights=str(tmp_path / "none.pt"))


@pytest.mark.skipif(not default_weight_files("rrim"), reason="default weights not built")
def test_shipped_rrim_beats_nothing_and_reports_how_it_answered():
    s = OpticsSetup()
    rng = np.random.default_rng(123)
    from specinv.optics.glue import gaussian_mixtures

    x = gaussian_mixtures(s.mesh().points, 5, rng)
    k = s.kernel(100.0)
    errs = []
    for xi in x:
        y = k.forward(xi)
        r = specinv.solve(Problem(k, y + 1e-3 * y.max() * rng.standard_normal(y.size)),
                          method="rrim")
        errs.append(np.mean((r.spectrum - xi) ** 2) / np.mean(xi**2))
        assert r.hyperparameters["method_used"] in ("network+maxent", "maxent")
        assert r.hyperparameters["network_chi2_reduced"] > 0
    # the trivial answer 0 has relative error 1; a working model is far below
    assert np.median(errs) < 0.2
    # the raw ensemble (verify=False) reports its spread when several members are shipped
    raw = specinv.solve(Problem(k, y), method="rrim", verify=False)
    assert raw.spectrum_std is None  # the ensemble's spread is no calibrated band
    assert ("ensemble_spread" in raw.extras) == (len(default_weight_files("rrim")) > 1)


def _write(path, w, g, header="omega,inv_tau"):
    path.write_text(header + "\n" + "\n".join(f"{a},{b}" for a, b in zip(w, g, strict=True)))
    return str(path)


def test_cli_simulate_then_invert_classical_and_units(tmp_path):
    sim = tmp_path / "sim.csv"
    assert main(["optics", "simulate", "--glue", "mixture", "--index", "1", "--noise", "1e-3",
                 "--output", str(sim)]) == 0
    out = tmp_path / "out.csv"
    assert main(["optics", "invert", str(sim), "--temperature", "100", "--method", "tikhonov",
                 "--output", str(out), "--plot", str(tmp_path / "f.png")]) == 0
    head = out.read_text().splitlines()[0]
    assert head == "omega_meV,glue"
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["method"] == "tikhonov" and meta["chi2"] > 0 and meta["temperature_K"] == 100
    assert (tmp_path / "f.png").stat().st_size > 0
    # the same spectrum in cm-1 gives the same glue; Allen's second-derivative formula is
    # an approximation that does not reproduce the data through the Shulga kernel: its
    # check fails (exit 3) and --allow-fail keeps the exit code 0
    tab = np.loadtxt(sim, delimiter=",", skiprows=1)
    cm = _write(tmp_path / "cm.csv", tab[:, 0] * 8.065544, tab[:, 1] * 8.065544)
    out2 = tmp_path / "out2.csv"
    assert main(["optics", "invert", cm, "--unit", "cm-1", "--temperature", "100",
                 "--method", "allen", "--output", str(out2)]) == 3
    assert json.loads(out2.with_suffix(".json").read_text())["check"]["verdict"] == "fail"
    assert main(["optics", "invert", str(sim), "--temperature", "100", "--allow-fail",
                 "--method", "allen", "--output", str(tmp_path / "out3.csv")]) == 0
    a = np.loadtxt(out2, delimiter=",", skiprows=1)
    b = np.loadtxt(tmp_path / "out3.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rows, args, message", [
    (None, [], "file not found"),
    ("omega,inv_tau\n1,2\n2,x\n", [], "non-numeric"),
    ("1\n2\n3\n4\n5\n", [], "at least 2 columns"),
    ("0,1\n1,2\n2,3\n3,4\n4,5\n", [], "omega) must be > 0"),
    ("1,1\n1,2\n2,3\n3,4\n4,5\n", [], "repeated"),
    ("1,1\n2,2\n", [], "at least 5 rows"),
    ("1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n", ["--method", "nosuch"], "unknown method"),
    ("1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n", ["--temperature", "-3"], "temperature"),
    ("1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n", ["--method", "rrim", "--option",
                                        "weights=\"/nonexistent.pt\""], "not found"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, rows, args, message):
    src = tmp_path / "in.csv"
    if rows is not None:
        src.write_text(rows)
    out = tmp_path / "out.csv"
    argv = ["optics", "invert", str(src), "--temperature", "100", "--method", "allen",
            "--output", str(out), *args]
    # later flags win in argparse, so the parametrized ones override the defaults above
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_cli_learned_refuses_short_range(tmp_path, capsys, tiny_rrim):
    solver, _ = tiny_rrim
    solver.models_[0].save(tmp_path / "m.pt")
    w = np.linspace(10, 200, 50)
    src = _write(tmp_path / "in.csv", w, 2 * w)
    out = tmp_path / "o.csv"
    assert main(["optics", "invert", src, "--temperature", "100", "--method", "rrim",
                 "--option", f"weights=\"{tmp_path / 'm.pt'}\"", "--output", str(out)]) == 2
    assert "extrapolation is refused" in capsys.readouterr().err
    assert not out.exists()
    w = np.linspace(5, 400, 90)
    k = ShulgaKernel(w, Mesh.uniform(4, 400, 100), temperature=100.0)
    src = _write(tmp_path / "in2.csv", w, k.forward(build_dataset(20, seed=9).x[0]))
    assert main(["optics", "invert", src, "--temperature", "100", "--method", "rrim",
                 "--option", f"weights=\"{tmp_path / 'm.pt'}\"", "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "omega_meV,glue"


def test_cli_shows_noise_warning_as_one_line(tmp_path, capsys, tiny_rrim):
    """Data 10× noisier than the σ = 1e-3 training set: one ``specinv: warning:`` line,
    recorded in the JSON too; the glue is still written."""
    solver, _ = tiny_rrim
    solver.models_[0].save(tmp_path / "m.pt")
    sim = tmp_path / "noisy.csv"
    assert main(["optics", "simulate", "--noise", "1e-2", "--output", str(sim)]) == 0
    out = tmp_path / "o.csv"
    assert main(["optics", "invert", str(sim), "--temperature", "100", "--method", "rrim",
                 "--option", f"weights=\"{tmp_path / 'm.pt'}\"", "--output", str(out)]) == 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if "warning" in ln]
    assert len(err) == 1 and err[0].startswith("specinv: warning: relative noise of the data")
    assert "UserWarning" not in err[0] and ".py:" not in err[0]
    assert any("Landweber h = 1e-03" in w for w in json.loads(out.with_suffix(".json")
                                                              .read_text())["warnings"])
