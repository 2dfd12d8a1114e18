"""TRIQS and w2dynamics HDF5 readers (synthetic archives in both layouts, and a real one)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import InputError, ParameterError
from specinv.io.greens import read_greens_input
from specinv.io.hdf5 import is_hdf5, read_gf_hdf5

h5py = pytest.importorskip("h5py")
BETA = 10.0


def _sigma(n: int, k: int = 1) -> np.ndarray:
    wn = (2 * np.arange(n) + 1) * np.pi / BETA
    s = 0.5 + 0.25 / (1j * wn - 0.3)
    return np.broadcast_to(s[:, None, None], (n, k, k)) * np.eye(k)


def _triqs_gf(g, data: np.ndarray, scheme: str, *, positive_only: bool, tau: bool = False):
    g.attrs["TRIQS_HDF5_data_scheme"] = np.bytes_(scheme)
    d = g.create_dataset("data", data=np.stack([data.real, data.imag], axis=-1))
    d.attrs["__complex__"] = np.bytes_("1")
    mesh = g.create_group("mesh")
    if scheme == "Gf":
        mesh.attrs["TRIQS_HDF5_data_scheme"] = np.bytes_("MeshImTime" if tau else "MeshImFreq")
    mesh.create_dataset("domain/beta", data=BETA)
    mesh.create_dataset("size", data=data.shape[0])
    if not tau:
        mesh.create_dataset("positive_freq_only", data=int(positive_only))


def test_triqs_blockgf_full_frequency_axis(tmp_path):
    # the layout of the Sr2RuO4 archive: a BlockGf of GfImFreq on ±ω_n
    n, path = 64, tmp_path / "s.h5"
    pos = _sigma(n)
    full = np.concatenate([np.conj(pos[::-1]), pos])
    with h5py.File(path, "w") as h:
        top = h.create_group("S_iw")
        top.attrs["TRIQS_HDF5_data_scheme"] = np.bytes_("BlockGf")
        top.create_dataset("block_names", data=np.array([b"up", b"dn"]))
        for name, scale in (("up", 1.0), ("dn", 2.0)):
            _triqs_gf(top.create_group(name), scale * full, "GfImFreq", positive_only=False)
    assert is_hdf5(path)
    gf = read_gf_hdf5(path)
    assert gf.axis == "matsubara" and gf.beta == BETA
    assert np.allclose(gf.points, (2 * np.arange(n) + 1) * np.pi / BETA)
    assert np.allclose(gf.data, pos)
    assert np.allclose(read_gf_hdf5(path, block="dn").data, 2 * pos)
    with pytest.raises(InputError, match="block 'nosuch' not in BlockGf.*up, dn"):
        read_gf_hdf5(path, block="nosuch")


def test_triqs_new_scheme_positive_only_and_tau(tmp_path):
    path = tmp_path / "g.h5"
    tau = np.linspace(0, BETA, 51)
    g_tau = -0.5 * np.ones((51, 2, 2)) * np.eye(2)
    with h5py.File(path, "w") as h:
        _triqs_gf(h.create_group("G_iw"), _sigma(32, 2), "Gf", positive_only=True)
        _triqs_gf(h.create_group("G_tau"), g_tau, "Gf", positive_only=True, tau=True)
    gf = read_gf_hdf5(path, block="G_iw")
    assert gf.data.shape == (32, 2, 2) and np.allclose(gf.data, _sigma(32, 2))
    t = read_gf_hdf5(path, block="G_tau")
    assert t.axis == "tau" and np.allclose(t.points, tau) and np.allclose(t.data, g_tau)


def _w2dyn(path, *, iteration: str = "dmft-last", with_error: bool = True) -> np.ndarray:
    n, nd = 40, 2
    pos = _sigma(n)[:, 0, 0]
    wn = (2 * np.arange(n) + 1) * np.pi / BETA
    value = np.zeros((nd, 2, 2 * n), dtype=complex)
    for b in range(nd):
        value[b, 0] = np.concatenate([np.conj(pos[::-1]), pos]) * (b + 1)
        value[b, 1] = value[b, 0] * 3
    with h5py.File(path, "w") as h:
        h.create_group(".config").attrs["general.beta"] = BETA
        h.create_dataset(".axes/iw", data=np.concatenate([-wn[::-1], wn]))
        q = h.create_group(f"{iteration}/ineq-001/siw")
        q.create_dataset("value", data=value)
        if with_error:
            q.create_dataset("error", data=np.full(value.shape, 1e-3))
    return pos


def test_w2dynamics_spin_diagonal(tmp_path):
    path = tmp_path / "w2.hdf5"
    pos = _w2dyn(path)
    gf = read_gf_hdf5(path, kind="self-energy")
    assert gf.data.shape == (40, 2, 2) and gf.beta == BETA
    assert np.allclose(gf.data[:, 1, 1], 2 * pos) and np.allclose(gf.data[:, 0, 1], 0)
    assert np.allclose(gf.error[:, 0, 0], 1e-3)
    down = read_gf_hdf5(path, kind="self-energy", block="ineq-001/down")
    assert np.allclose(down.data[:, 0, 0], 3 * pos)
    with pytest.raises(InputError, match="giw, gtau"):
        read_gf_hdf5(path, kind="g")
    with pytest.raises(InputError, match="ineq-002"):
        read_gf_hdf5(path, kind="self-energy", block="ineq-002")


def test_missing_iteration_and_beta_mismatch(tmp_path):
    path = tmp_path / "w2.hdf5"
    _w2dyn(path, iteration="other")
    with pytest.raises(InputError, match="iteration group"):
        read_gf_hdf5(path, kind="self-energy")
    good = tmp_path / "ok.hdf5"
    _w2dyn(good)
    with pytest.raises(ParameterError, match="--beta 20 contradicts beta = 10"):
        read_greens_input(good, beta=20.0, kind="self-energy")
    gf = read_greens_input(good, beta=BETA, kind="self-energy", n_matsubara=10)
    assert gf.points.size == 10


def test_not_hdf5(tmp_path):
    p = tmp_path / "x.h5"
    p.write_text("hello")
    with pytest.raises(InputError, match="not an HDF5 file"):
        read_gf_hdf5(p)


def test_sr2ruo4_archive_matches_its_stored_tail(shared_data):
    # the archive stores TRIQS's own tail (singularity): Σ∞ = 5.0124, Σ₁ = 1.9390
    from specinv.ac.selfenergy import fit_tail

    path = shared_data / "triqs_maxent_srvo3" / "Sr2RuO4_b37_Sigma_iw.h5"
    gf = read_greens_input(path, beta=37.5, kind="self-energy", block="up_0")
    assert gf.data.shape == (1025, 1, 1) and gf.source.endswith("S_iw/up_0")
    t = fit_tail(gf.points, gf.data[:, 0, 0])
    with h5py.File(path, "r") as h:
        stored = h["S_iw/up_0/singularity/data"][()][:, 0, 0, 0]  # orders −1, 0, 1, ...
    assert t.sigma_inf == pytest.approx(stored[1], abs=4 * t.sigma_inf_err + 1e-4)
    assert t.sigma_1 == pytest.approx(stored[2], rel=0.01)
