"""CLI contract, bad input, and the training-set builder (local processes and Dask)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.eliashberg.engine.a2f import coupling
from specinv.eliashberg.engine.dataset import DatasetConfig, build_dataset, load_dataset
from specinv.eliashberg.engine.generators import gaussian_mixture_a2f, gbm_a2f


@pytest.fixture
def a2f_file(tmp_path):
    w = np.linspace(0, 10, 300)
    f = np.exp(-0.5 * ((w - 4.4) / 0.6) ** 2) + 0.6 * np.exp(-0.5 * ((w - 8.5) / 0.4) ** 2)
    p = tmp_path / "a2f.txt"
    np.savetxt(p, np.c_[w, 1.2 * f])
    return p


def test_tc_json_keys(a2f_file, capsys):
    assert main(["eliashberg", "tc", str(a2f_file), "--mu-star", "0.1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("tc_K", "lambda", "omega_log_meV", "omega2_meV", "allen_dynes_tc_K"):
        assert k in d
    assert d["tc_K"] > 0


def test_solve_writes_csv_and_json(a2f_file, tmp_path):
    out = tmp_path / "out.csv"
    png = tmp_path / "fig.png"
    assert main(["eliashberg", "solve", str(a2f_file), "--mu-star", "0.1", "--temperature",
                 "1.5", "--output", str(out), "--omega-max", "15", "--plot", str(png)]) == 0
    header = out.read_text().splitlines()[0]
    assert header == "omega_meV,re_delta_meV,im_delta_meV,re_z,im_z,dos"
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["delta0_meV"] > 0 and meta["tc_K"] > 1.5 and "lambda" in meta
    assert meta["matsubara"]["convergence"]["converged"]
    assert png.stat().st_size > 0


def test_solve_pade_in_many_digits(a2f_file, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["eliashberg", "solve", str(a2f_file), "--mu-star", "0.1", "--temperature",
                 "2.0", "--output", str(out), "--omega-max", "15", "--method", "pade",
                 "--digits", "40"]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["matsubara"]["dps"] == 40 and meta["matsubara"]["dps_residual"] < 1e-35
    assert meta["real_axis"]["digits"] == 40 and meta["real_axis"]["n_approximants"] == 5
    assert meta["delta0_meV"] > 0


def _bad(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("args_fn,needle", [
    (lambda t, f: ["tc", str(t / "missing.txt"), "--mu-star", "0.1"], "not found"),
    (lambda t, f: ["tc", _bad(t, "one.txt", "1\n2\n3\n"), "--mu-star", "0.1"], "columns"),
    (lambda t, f: ["tc", _bad(t, "neg.txt", "1 0.1\n2 -0.5\n3 0.2\n"), "--mu-star", "0.1"],
     ">= 0"),
    (lambda t, f: ["tc", _bad(t, "nan.txt", "1 0.1\n2 nan\n3 0.2\n"), "--mu-star", "0.1"],
     "NaN"),
    (lambda t, f: ["tc", str(f), "--mu-star", "-0.1"], "mu-star"),
    (lambda t, f: ["tc", str(f), "--mu-star", "0.1", "--column", "3"], "column"),
    # a meV file read as eV puts phonons at 10 eV; one read in eV as meV below 0.5 meV
    (lambda t, f: ["tc", str(f), "--mu-star", "0.1", "--unit", "eV"], "--unit right"),
    (lambda t, f: ["tc", _bad(t, "ev.txt", "0 0\n0.004 0.5\n0.008 0.3\n0.01 0\n"),
                   "--mu-star", "0.1"], "--unit right"),
    # the header names THz (as EPW writes it) and --unit says otherwise
    (lambda t, f: ["tc", _bad(t, "epw.txt", "# E (THz)  0.005  0.01\n0 0 0\n1 0.5 0.5\n"
                                            "2 0.3 0.3\n2.4 0 0\n"),
                   "--mu-star", "0.1", "--unit", "meV"], "--unit THz"),
    (lambda t, f: ["solve", str(f), "--mu-star", "0.1", "--temperature", "0",
                   "--output", str(t / "o.csv")], "temperature"),
    (lambda t, f: ["solve", str(f), "--mu-star", "0.1", "--temperature", "1.5",
                   "--output", str(t / "o.csv"), "--digits", "60"], "--method pade"),
    (lambda t, f: ["solve", str(f), "--mu-star", "0.1", "--temperature", "1.5",
                   "--output", str(t / "o.csv"), "--method", "pade", "--digits", "5"],
     "--digits must be between"),
])
def test_bad_input_exit_2(tmp_path, a2f_file, capsys, args_fn, needle):
    assert main(["eliashberg", *args_fn(tmp_path, a2f_file)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_energy_unit_is_taken_from_the_header(tmp_path, a2f_file, capsys):
    # the same spectrum written in THz under EPW's header, and in meV without a header
    w = np.loadtxt(a2f_file)
    thz = tmp_path / "a2f_thz.txt"
    np.savetxt(thz, np.c_[w[:, 0] / 4.135667696, w[:, 1]], header="E (THz)  0.005")
    results = []
    for path in (thz, a2f_file):
        assert main(["eliashberg", "tc", str(path), "--mu-star", "0.1", "--json"]) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert [r["input_unit"] for r in results] == ["THz", "meV"]
    # identical α²F up to the rounding of the written energies (savetxt: 18 digits)
    assert results[0]["lambda"] == pytest.approx(results[1]["lambda"], rel=1e-12)
    assert results[0]["omega_log_meV"] == pytest.approx(results[1]["omega_log_meV"], rel=1e-12)


@pytest.mark.parametrize("gen", [gbm_a2f, gaussian_mixture_a2f])
def test_generators_control_lambda_and_shape(gen):
    rng = np.random.default_rng(3)
    spec, params = gen(rng, lambda_range=(1.0, 1.0))
    assert coupling(spec) == pytest.approx(1.0)
    assert spec.values[0] == 0.0 and np.all(spec.values >= 0)
    assert spec.omega[-1] == pytest.approx(10.0)          # the seed's Ω_max
    if gen is gbm_a2f:                                      # a bridge: pinned to 0 at both ends
        assert spec.values[-1] == 0.0
    assert params["lambda"] == 1.0


def test_dataset_build_resume(tmp_path):
    cfg = DatasetConfig(n=4, shard_size=2, kind="gaussian", lambda_min=1.5, lambda_max=2.0,
                        n_matsubara=120, with_tc=False)
    m = build_dataset(cfg, tmp_path / "ds", workers=1, progress=False)
    assert m["complete"] and m["samples_tried"] == 4
    first = (tmp_path / "ds" / "shard_00000.npz").stat().st_mtime_ns
    (tmp_path / "ds" / "shard_00001.npz").unlink()
    m2 = build_dataset(cfg, tmp_path / "ds", workers=1, progress=False)
    assert m2["complete"]
    assert (tmp_path / "ds" / "shard_00000.npz").stat().st_mtime_ns == first  # skipped
    d = load_dataset(tmp_path / "ds")
    assert d["a2f"].shape[1] == 1000 and d["delta"].shape[1] == 200
    assert np.all(d["delta0_meV"] > 0)


def test_dataset_on_local_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    cfg = DatasetConfig(n=2, shard_size=1, kind="gaussian", lambda_min=1.5, lambda_max=2.0,
                        n_matsubara=120, with_tc=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        m = build_dataset(cfg, tmp_path / "dask", scheduler=client, progress=False)
    assert m["complete"] and len(m["shards"]) == 2


def test_dataset_realaxis_continuation_is_exact_and_resumes_old_manifests(tmp_path, capsys):
    """``--continuation realaxis`` stores the exact real-axis Δ(ω) of each kept sample."""
    import json

    from specinv.cli.main import main
    from specinv.eliashberg.engine.dataset import build_sample
    from specinv.eliashberg.engine.generators import GENERATORS
    from specinv.eliashberg.engine.matsubara import solve_matsubara
    from specinv.eliashberg.engine.msc import real_axis_iteration

    out = tmp_path / "ra"
    assert main(["eliashberg", "dataset", "--n", "2", "--output", str(out), "--workers", "1",
                 "--kind", "gaussian", "--lambda-range", "1.5", "2.0", "--n-matsubara", "120",
                 "--no-tc", "--continuation", "realaxis", "--no-progress"]) == 0
    d = load_dataset(out)
    assert d["index"].size == 2 and np.all(d["consistency_diff"] == 0)
    cfg = DatasetConfig(**json.loads((out / "dataset.json").read_text())["parameters"])
    assert cfg.continuation == "realaxis"
    # the stored gap equals a direct real-axis solve of the same sample (same mesh + interp)
    rng = np.random.default_rng([cfg.seed, int(d["index"][0])])
    spec, _ = GENERATORS["gaussian"](rng, n=cfg.n_a2f, omega_max=cfg.a2f_omega_max_meV,
                                     lambda_range=(cfg.lambda_min, cfg.lambda_max))
    sol = solve_matsubara(spec, cfg.temperature_K, cfg.mu_star, n_matsubara=120)
    ra = real_axis_iteration(sol, spec, omega_max=35.05, d_omega=0.05)
    w = d["omega"][1:]
    assert np.allclose(d["delta"][0, 1:].real, np.interp(w, ra.omega, ra.delta.real),
                       atol=1e-6 * np.abs(ra.delta).max())
    assert build_sample(cfg, int(d["index"][0]))[0] == "kept"
    # a manifest written before the continuation option existed still resumes (defaults)
    pade = tmp_path / "pade"
    base = DatasetConfig(n=2, shard_size=1, kind="gaussian", lambda_min=1.5, lambda_max=2.0,
                         n_matsubara=120, with_tc=False)
    build_dataset(base, pade, workers=1, progress=False)
    man = json.loads((pade / "dataset.json").read_text())
    for key in ("continuation", "realaxis_step_meV"):
        del man["parameters"][key]
    (pade / "dataset.json").write_text(json.dumps(man))
    assert build_dataset(base, pade, workers=1, progress=False)["complete"]
    assert main(["eliashberg", "dataset", "--n", "2", "--output", str(out), "--workers", "1",
                 "--no-progress"]) == 2
    assert "other parameters" in capsys.readouterr().err
