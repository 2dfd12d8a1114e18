"""``ac continue --covariance / --bins``: correlated errors from the command line."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from specinv.cli.main import main
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.kernels.matsubara import FermionicMatsubaraKernel

BETA, N_BINS = 10.0, 60


def _truth(fine: Mesh) -> np.ndarray:
    w = fine.points
    a = np.exp(-(w - 1.0) ** 2 / 0.5) + np.exp(-(w + 1.0) ** 2 / 0.5)
    return a / (a @ fine.weights)


@pytest.fixture
def files(tmp_path):
    """G(τ) mean, its covariance and the bins it is the mean of (correlated along τ)."""
    fine = Mesh.uniform(-8, 8, 801)
    tau = np.linspace(0, BETA, 41)
    g0 = FermionicTauKernel(tau, fine, beta=BETA).forward(_truth(fine))
    sig = 3e-3 * (0.2 + np.abs(g0))  # per bin
    cov = np.outer(sig, sig) * np.exp(-np.abs(tau[:, None] - tau[None, :]) / 2.0)
    rng = np.random.default_rng(4)
    bins = g0 + (np.linalg.cholesky(cov) @ rng.standard_normal((tau.size, N_BINS))).T
    mean = bins.mean(axis=0)
    np.savetxt(tmp_path / "g.dat", np.column_stack([tau, mean]))
    np.save(tmp_path / "cov.npy", cov / N_BINS)
    np.savetxt(tmp_path / "cov.csv", cov / N_BINS, delimiter=",")
    np.save(tmp_path / "bins.npy", bins)
    np.savetxt(tmp_path / "bins.csv", bins)
    with h5py.File(tmp_path / "bins.h5", "w") as h5:
        h5["bins"] = bins
        h5["tau"] = tau
    return tmp_path


def _run(d, *extra):
    out = d / "a.csv"
    rc = main(["ac", "continue", str(d / "g.dat"), "--kernel", "fermionic-tau", "--beta",
               str(BETA), "--omega-max", "6", "--n-omega", "81", "--output", str(out),
               *extra])
    return rc, out


@pytest.mark.parametrize("name", ["cov.npy", "cov.csv"])
def test_covariance_file(files, name, capsys):
    rc, out = _run(files, "--covariance", str(files / name))
    assert rc == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["correlated_errors"]["kind"] == "covariance"
    assert meta["check"]["verdict"] == "ok"
    assert 0.5 < meta["chi2_reduced"] < 2.0
    assert "error column replaced" not in capsys.readouterr().out  # g.dat has no error column


def test_bins_read_alike_from_every_format(files):
    from specinv.io.matrix_file import read_matrix

    ref = np.load(files / "bins.npy")
    for name in ("bins.h5", "bins.csv"):
        assert np.allclose(read_matrix(files / name, "bins", "bins"), ref, rtol=1e-15)


def test_bins_give_a_jackknife_band(files):
    rc, out = _run(files, "--bins", str(files / "bins.h5"), "--option", "n_band=4")
    assert rc == 0
    header = out.read_text().splitlines()[0]
    assert header == "omega,spectrum,spectrum_std"
    meta = json.loads(out.with_suffix(".json").read_text())
    info = meta["correlated_errors"]
    assert info["kind"] == "bins" and info["n_bins"] == N_BINS and 0 <= info["shrinkage"] <= 1
    assert "jackknife over 4 blocks" in meta["hyperparameters"]["band"]
    std = np.loadtxt(out, delimiter=",", skiprows=1)[:, 2]
    assert np.all(std >= 0) and std.max() > 0


def _matsubara(d):
    fine = Mesh.uniform(-8, 8, 801)
    wn = (2 * np.arange(30) + 1) * np.pi / BETA
    re_im = FermionicMatsubaraKernel(wn, fine, beta=BETA).forward(_truth(fine))
    np.savetxt(d / "giw.dat", np.column_stack([wn, re_im[:30], re_im[30:]]))
    np.save(d / "cov30.npy", np.diag(np.full(30, 1e-8)))
    return ["ac", "continue", str(d / "giw.dat"), "--kernel", "fermionic-matsubara",
            "--beta", str(BETA), "--omega-max", "6", "--n-omega", "81", "--covariance",
            str(d / "cov30.npy"), "--output", str(d / "res" / "m.csv")]


def test_matsubara_covariance_n_by_n_is_used_for_re_and_im(tmp_path, capsys):
    assert main(_matsubara(tmp_path)) == 0
    assert "used for Re and Im" in capsys.readouterr().out


def test_interpolating_method_refuses_a_covariance(tmp_path, capsys):
    assert main(_matsubara(tmp_path) + ["--method", "aaa"]) == 2
    err = capsys.readouterr().err
    assert "'aaa'" in err and "cannot use a covariance" in err
    assert not (tmp_path / "res").exists()


def _refused(d, monkeypatch, capsys, extra, names):
    monkeypatch.chdir(d)
    before = sorted(p.name for p in d.iterdir())
    try:
        rc = main(["ac", "continue", "g.dat", "--kernel", "fermionic-tau", "--beta",
                   str(BETA), "--output", "res/a.csv", *extra])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("specinv: error:"), err
    assert "Traceback" not in err[0]
    for n in names:
        assert n in err[0], (n, err[0])
    assert sorted(p.name for p in d.iterdir()) == before


def _write(d, name, array):
    np.save(d / name, array)
    return name


BAD = {
    "cov-shape": (lambda d: _write(d, "c.npy", np.eye(40)), "--covariance",
                  ["c.npy", "(41, 41)"]),
    "cov-asymmetric": (lambda d: _write(d, "c.npy", np.eye(41) + np.triu(np.ones((41, 41)),
                                                                          1) * 0.1),
                       "--covariance", ["c.npy", "not symmetric"]),
    "cov-singular": (lambda d: _write(d, "c.npy", np.ones((41, 41))), "--covariance",
                     ["c.npy", "not positive definite"]),
    "cov-nan": (lambda d: _write(d, "c.npy", np.where(np.eye(41) > 0, np.nan, 0.0)),
                "--covariance", ["c.npy", "NaN"]),
    "cov-missing": (lambda d: "nosuch.npy", "--covariance", ["nosuch.npy", "not found"]),
    "cov-1d": (lambda d: _write(d, "c.npy", np.ones(41)), "--covariance", ["c.npy", "2-D"]),
    "bins-columns": (lambda d: _write(d, "b.npy", np.ones((20, 40))), "--bins",
                     ["b.npy", "41 columns"]),
    "bins-one-row": (lambda d: _write(d, "b.npy", np.ones((1, 41))), "--bins",
                     ["b.npy", "n_bins >= 2"]),
    "bins-constant": (lambda d: _write(d, "b.npy", np.ones((20, 41))), "--bins",
                      ["b.npy", "do not vary"]),
    "bins-other-run": (lambda d: _write(d, "b.npy", np.load(d / "bins.npy") * 1.3), "--bins",
                       ["b.npy", "standard errors", "same run"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_correlated_input(files, case, monkeypatch, capsys):
    make, flag, names = BAD[case]
    _refused(files, monkeypatch, capsys, [flag, make(files)], names)


def test_covariance_and_bins_together_refused(files, monkeypatch, capsys):
    _refused(files, monkeypatch, capsys, ["--covariance", "cov.npy", "--bins", "bins.npy"],
             ["--covariance", "--bins"])


def test_h5_without_the_dataset_refused(files, monkeypatch, capsys):
    with h5py.File(files / "two.h5", "w") as h5:
        h5["a"] = np.ones((3, 41))
        h5["b"] = np.ones((3, 41))
    _refused(files, monkeypatch, capsys, ["--bins", "two.h5"], ["two.h5", "'bins'"])
