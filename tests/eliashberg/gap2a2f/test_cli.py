"""``specinv eliashberg train | autoencoder | invert`` through the CLI, bad inputs included."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main


@pytest.fixture(scope="module")
def trained(tiny_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    rc = main(["eliashberg", "train", "--data", str(tiny_dir), "--output", str(out),
               "--epochs", "3", "--finetune-epochs", "1", "--ensemble", "2", "--check", "2",
               "--no-progress"])
    assert rc == 0
    return out


def _gap_csv(path, omega, delta, header="omega_meV,re_delta_meV,im_delta_meV"):
    rows = "\n".join(f"{w:.6f},{d.real:.8f},{d.imag:.8f}"
                     for w, d in zip(omega, delta, strict=True))
    path.write_text(header + "\n" + rows + "\n")
    return path


def test_train_writes_members_and_report(trained):
    rep = json.loads((trained / "train.json").read_text())
    assert (trained / "member_00.npz").is_file() and (trained / "member_01.npz").is_file()
    assert (trained / "predictions.png").is_file()
    assert rep["split"]["train"] + rep["split"]["val"] + rep["split"]["test"] == rep[
        "n_samples"]
    assert "median_lambda_rel_err" in rep["physics_check"]
    assert rep["members"] == 2 and "ensemble_band" in rep


def test_invert_on_a_finer_mesh(trained, tiny_set, tmp_path, capsys):
    # user data on another mesh (0 … 40 meV, 801 points): interpolated to the model's
    w = np.linspace(0.0, 40.0, 801)
    d = tiny_set.delta[0]
    dd = np.interp(w, tiny_set.omega, d.real) + 1j * np.interp(w, tiny_set.omega, d.imag)
    gap = _gap_csv(tmp_path / "gap.csv", w, dd)
    out = tmp_path / "a2f.csv"
    members = [str(trained / "member_00.npz"), str(trained / "member_01.npz")]
    # a two-member model trained for seconds does not reproduce the gap: the check says so
    # (exit 3 without --allow-fail); the file is written either way
    rc = main(["eliashberg", "invert", str(gap), "--output", str(out), "--model", *members,
               "--plot", str(tmp_path / "fig.png"), "--allow-fail"])
    assert rc == 0
    header = out.read_text().splitlines()[0]
    assert header == "omega_meV,a2f,a2f_std"
    meta = json.loads(out.with_suffix(".json").read_text())
    for key in ("lambda", "omega_log_meV", "tc_K", "resolve_gap_residual", "check"):
        assert key in meta
    assert meta["check"]["verdict"] in ("ok", "warn", "fail")
    assert (tmp_path / "fig.png").is_file()


@pytest.mark.parametrize("case,match", [
    ("header", "header must contain"),
    ("short", "needs Δ(ω) on"),
    ("nogap", "no superconducting gap"),
    ("temperature", "outside the model's domain"),
    ("missing", "file not found"),
    ("big", "outside the training range"),
])
def test_invert_refuses_out_of_domain(trained, tiny_set, tmp_path, capsys, case, match):
    w, d = tiny_set.omega, tiny_set.delta[0]
    gap = tmp_path / "gap.csv"
    extra: list[str] = []
    if case == "header":
        _gap_csv(gap, w, d, header="w,re,im")
    elif case == "short":
        _gap_csv(gap, w[w <= 20], d[w <= 20])
    elif case == "nogap":
        _gap_csv(gap, w, 0 * d)
    elif case == "temperature":
        _gap_csv(gap, w, d)
        extra = ["--temperature", "4.2"]
    elif case == "big":
        _gap_csv(gap, w, 10 * d)
    else:
        gap = tmp_path / "none.csv"
    out = tmp_path / "a2f.csv"
    rc = main(["eliashberg", "invert", str(gap), "--output", str(out), "--no-resolve",
               "--model", str(trained / "member_00.npz"), *extra])
    err = capsys.readouterr().err
    assert rc == 2
    assert match in err and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_train_bad_parameters(tiny_dir, tmp_path, capsys):
    assert main(["eliashberg", "train", "--data", str(tmp_path), "--output",
                 str(tmp_path / "m")]) == 2
    assert "dataset.json" in capsys.readouterr().err
    assert main(["eliashberg", "train", "--data", str(tiny_dir), "--output",
                 str(tmp_path / "m"), "--latent", "0"]) == 2
    assert "--latent" in capsys.readouterr().err
    assert main(["eliashberg", "train", "--data", str(tiny_dir), "--output",
                 str(tmp_path / "m"), "--head", "latent"]) == 2
    assert "--head latent needs --latent" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_latent_head_model_trains_saves_and_inverts(tiny_dir, tiny_set, tmp_path):
    """``train --latent 1 --head latent`` writes a model that ``invert`` uses like any other."""
    model = tmp_path / "lh"
    rc = main(["eliashberg", "train", "--data", str(tiny_dir), "--output", str(model),
               "--latent", "1", "--head", "latent", "--epochs", "3", "--finetune-epochs", "0",
               "--check", "0", "--no-progress"])
    assert rc == 0
    rep = json.loads((model / "train.json").read_text())
    assert rep["head"] == "latent" and rep["latent"] == 1
    gap = _gap_csv(tmp_path / "gap.csv", tiny_set.omega, tiny_set.delta[0])
    out = tmp_path / "a2f.csv"
    assert main(["eliashberg", "invert", str(gap), "--output", str(out), "--no-resolve",
                 "--model", str(model / "member_00.npz")]) == 0
    a2f = np.loadtxt(out, delimiter=",", skiprows=1)
    assert a2f.shape == (tiny_set.a2f.shape[1], 2) and np.all(a2f[:, 1] >= 0)


def test_autoencoder_command(tiny_dir, tmp_path):
    out = tmp_path / "ae"
    rc = main(["eliashberg", "autoencoder", "--data", str(tiny_dir), "--output", str(out),
               "--latent", "1", "2", "--epochs", "2"])
    assert rc == 0
    rows = json.loads((out / "autoencoder.json").read_text())["results"]
    assert [r["latent"] for r in rows] == [1, 2]
    assert (out / "autoencoder.png").is_file()
