"""``specinv ac continue --kind self-energy|matrix`` and HDF5 input, end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main

BETA = 10.0


def _sigma_text(tmp_path, n=120, noise=1e-4):
    """Σ = 0.4 + 0.8 ∫σ/(iω_n − x), σ two Gaussians at ±1.5: omega_n, Re, Im, error."""
    wn = np.pi / BETA * (2 * np.arange(n) + 1)
    x = np.linspace(-10, 10, 8001)
    sig = (np.exp(-(x - 1.5) ** 2 / 0.5) + np.exp(-(x + 1.5) ** 2 / 0.5)) / (2 * np.sqrt(
        0.5 * np.pi))
    s = 0.4 + 0.8 * np.trapezoid(sig / (1j * wn[:, None] - x), x, axis=1)
    rng = np.random.default_rng(3)
    s = s + noise * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    path = tmp_path / "sigma.dat"
    np.savetxt(path, np.c_[wn, s.real, s.imag, np.full(n, noise)])
    return path


def test_self_energy_text_to_csv_and_json(tmp_path, capsys):
    out = tmp_path / "s.csv"
    rc = main(["ac", "continue", str(_sigma_text(tmp_path)), "--kind", "self-energy",
               "--beta", str(BETA), "--n-omega", "201", "--output", str(out),
               "--plot", str(tmp_path / "s.png")])
    assert rc == 0
    assert out.read_text().splitlines()[0] == "omega,re_sigma,im_sigma"
    tab = np.loadtxt(out, delimiter=",", skiprows=1)
    assert np.all(tab[:, 2] <= 0)  # causal: Im Σ(ω + i0) ≤ 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["kind"] == "self-energy" and meta["check"]["verdict"] in ("ok", "warn")
    assert abs(meta["sigma_inf"] - 0.4) < 4 * meta["sigma_inf_err"] + 1e-6
    assert abs(meta["sigma_1"] - 0.8) < 4 * meta["sigma_1_err"] + 1e-6
    assert 0 < meta["quasiparticle_weight"] <= 1
    assert "verdict" in capsys.readouterr().out


def test_matrix_npz_and_hdf5_scalar(tmp_path):
    h5py = pytest.importorskip("h5py")
    wn = np.pi / BETA * (2 * np.arange(40) + 1)
    x = np.linspace(-8, 8, 3201)
    a1 = np.exp(-(x + 1) ** 2 / 0.5) / np.sqrt(0.5 * np.pi)
    a2 = np.exp(-(x - 1) ** 2 / 0.5) / np.sqrt(0.5 * np.pi)
    c, s = np.cos(0.4), np.sin(0.4)
    spec = np.einsum("ab,wb,cb->wac", np.array([[c, -s], [s, c]]), np.c_[a1, a2],
                     np.array([[c, -s], [s, c]]))
    g = np.trapezoid(spec[None] / (1j * wn[:, None, None, None] - x[None, :, None, None]), x,
                     axis=1)
    rng = np.random.default_rng(0)
    g = g + 1e-4 * (rng.standard_normal(g.shape) + 1j * rng.standard_normal(g.shape))
    npz = tmp_path / "g.npz"
    np.savez(npz, wn=wn, giw=np.moveaxis(g, 0, -1), err=np.full((2, 2, 40), 1e-4), beta=BETA)
    out = tmp_path / "m.csv"
    assert main(["ac", "continue", str(npz), "--kind", "matrix", "--beta", str(BETA),
                 "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "omega,A_0_0,re_A_0_1,im_A_0_1,A_1_1"
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["psd_correction"] >= 0 and "0,1i+" not in meta["parts"]
    # one element of a TRIQS archive through --kind g
    h5 = tmp_path / "g.h5"
    with h5py.File(h5, "w") as h:
        grp = h.create_group("G_iw")
        grp.attrs["TRIQS_HDF5_data_scheme"] = np.bytes_("GfImFreq")
        d = grp.create_dataset("data", data=np.stack([g.real, g.imag], -1)[:, :1, :1])
        d.attrs["__complex__"] = np.bytes_("1")
        grp.create_dataset("mesh/domain/beta", data=BETA)
        grp.create_dataset("mesh/positive_freq_only", data=1)
    out2 = tmp_path / "a.csv"
    assert main(["ac", "continue", str(h5), "--beta", str(BETA), "--error", "1e-4",
                 "--output", str(out2)]) == 0
    assert out2.read_text().splitlines()[0] == "omega,spectrum"
    meta = json.loads(out2.with_suffix(".json").read_text())
    assert meta["error_option"] == 1e-4 and not meta["sigma_estimated"]


def test_matrix_tau_in_the_other_sign_convention(tmp_path, capsys):
    from specinv.kernels import Mesh
    from specinv.kernels.imaginary_time import FermionicTauKernel

    fine = Mesh.uniform(-8, 8, 801)
    tau = np.linspace(0, BETA, 61)
    k = FermionicTauKernel(tau, fine, beta=BETA)
    a = [np.exp(-(fine.points - c) ** 2 / 0.5) / np.sqrt(0.5 * np.pi) for c in (-1.0, 1.0)]
    g = np.zeros((2, 2, tau.size))
    for i in range(2):
        g[i, i] = k.forward(a[i]) + 1e-4 * np.random.default_rng(i).standard_normal(tau.size)
    npz = tmp_path / "gtau.npz"
    np.savez(npz, tau=tau, gtau=-g, err=np.full(g.shape, 1e-4))  # ⟨T c c†⟩ ≥ 0 convention
    out = tmp_path / "m.csv"
    assert main(["ac", "continue", str(npz), "--kind", "matrix", "--beta", str(BETA),
                 "--output", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["sign_flipped"] and "flipped" in capsys.readouterr().out
    tab = np.loadtxt(out, delimiter=",", skiprows=1)
    w = tab[:, 0]
    # each diagonal peak where it was put; no off-diagonal weight in a diagonal G
    assert abs(w[np.argmax(tab[:, 1])] + 1.0) < 0.3 and abs(w[np.argmax(tab[:, 4])] - 1.0) < 0.3
    assert np.max(np.abs(tab[:, 2])) < 0.1 * np.max(tab[:, 1])
