"""``specinv sts deconvolve-map`` end to end and its bad-input handling."""

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.sts.simulate import simulate_didv


def run_cli(argv: list[str]) -> int:
    """``specinv sts deconvolve-map ARGV`` in-process; returns the exit code."""
    return main(["sts", "deconvolve-map", *argv])


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("map")
    bias = np.linspace(-4.0, 4.0, 41)
    gaps = np.array([[1.0, 1.3], [1.6, 1.9]])
    didv = np.stack([[simulate_didv("dynes", bias, gap=g, gamma=0.2, temperature=2.0,
                                    noise=2e-3, seed=int(10 * g)).didv for g in row]
                     for row in gaps])
    path = d / "grid.npz"
    np.savez(path, bias_mV=bias, didv=didv)
    return path, bias, didv, gaps


FAST = ["--temperature", "2.0", "--steps", "150"]


def test_npz_end_to_end(map_file, tmp_path):
    path, bias, didv, gaps = map_file
    out = tmp_path / "res.npz"
    png = tmp_path / "gap.png"
    assert run_cli([str(path), *FAST, "--ensemble", "2", "--output", str(out),
                    "--plot", str(png)]) == 0
    z = np.load(out)
    assert z["dos"].shape == (2, 2, 41)
    assert z["dos_spread"].shape == (2, 2, 41)
    assert z["energy_meV"].shape == (41,)
    assert z["gap_map_meV"].shape == (2, 2)
    assert np.all(z["dos"] >= 0)
    # the gap map follows the simulated gaps (order preserved, within the thermal width)
    g = z["gap_map_meV"]
    assert np.all(np.diff(g.ravel()) > 0)
    assert np.all(np.abs(g - gaps) < 0.5)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["shape"] == [2, 2, 41] and meta["settings"]["n_ensemble"] == 2
    assert png.stat().st_size > 0


def test_pixels_nnrs_did_not_fit_are_refitted_by_maxent(map_file, tmp_path):
    path = map_file[0]
    out = tmp_path / "res.npz"
    # 40 Adam steps leave NNRS above the noise level; MaxEnt re-fits those pixels
    assert run_cli([str(path), *FAST, "--steps", "40", "--output", str(out)]) == 0
    z = np.load(out)
    assert z["fallback"].any() and not z["failed"].any()
    assert np.all(z["chi2_reduced"] <= 2.0)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["settings"]["fallback"]["pixels_replaced"] == int(z["fallback"].sum())


def test_chunks_equal_single_batch(map_file, tmp_path):
    path = map_file[0]
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    # 40 steps do not converge (the check fails: exit 3); the plumbing is what is tested
    few = [*FAST, "--steps", "40", "--allow-fail", "--fallback", "none"]
    assert run_cli([str(path), *few, "--output", str(a)]) == 0
    assert run_cli([str(path), *few, "--output", str(b), "--chunk-size", "1",
                    "--workers", "1"]) == 0
    # pixels land in their places; members are independent (maps skip the L-BFGS polish),
    # so values agree up to float32 round-off of differently sized batched products
    da, db = np.load(a)["dos"], np.load(b)["dos"]
    np.testing.assert_allclose(da, db, rtol=0, atol=1e-4 * np.max(np.abs(da)))


def test_3ds_input(map_file, tmp_path):
    from specinv.io.nanonis_grid import write_3ds

    _, bias, didv, _ = map_file
    p = tmp_path / "grid.3ds"
    # Nanonis sweeps in V, often from positive to negative bias
    write_3ds(p, {"LI Demod 1 X (A)": np.moveaxis(didv[..., ::-1], -1, 0)}, bias[::-1] * 1e-3)
    out = tmp_path / "g.npz"
    assert run_cli([str(p), *FAST, "--steps", "20", "--fallback", "none",
                    "--output", str(out)]) == 3  # unconverged, no fallback
    z = np.load(out)
    assert z["failed"].shape == (2, 2)
    np.testing.assert_allclose(z["bias_mV"], bias, atol=1e-4)
    assert z["dos"].shape == (2, 2, 41)


def _bad(tmp_path, name, **arrays):
    p = tmp_path / name
    np.savez(p, **arrays)
    return p


@pytest.mark.parametrize("case, message", [
    ("missing", "didv"),
    ("shape", "shape"),
    ("nan", "NaN"),
    ("dup", "increasing"),
    ("nofile", "not found"),
    ("suffix", "format"),
    ("temperature", "temperature"),
])
def test_bad_input(case, message, tmp_path, capsys):
    bias = np.linspace(-3, 3, 21)
    good = np.ones((2, 2, 21))
    argv_t = ["--temperature", "2.0"]
    if case == "missing":
        p = _bad(tmp_path, "m.npz", bias_mV=bias)
    elif case == "shape":
        p = _bad(tmp_path, "m.npz", bias_mV=bias, didv=np.ones((2, 20)))
    elif case == "nan":
        d = good.copy()
        d[1, 0, 3] = np.nan
        p = _bad(tmp_path, "m.npz", bias_mV=bias, didv=d)
    elif case == "dup":
        b = bias.copy()
        b[5] = b[4]
        p = _bad(tmp_path, "m.npz", bias_mV=b, didv=good)
    elif case == "nofile":
        p = tmp_path / "absent.npz"
    elif case == "suffix":
        p = tmp_path / "m.txt"
        p.write_text("1 2\n")
    else:
        p = _bad(tmp_path, "m.npz", bias_mV=bias, didv=good)
        argv_t = ["--temperature", "0"]
    out = tmp_path / "out.npz"
    assert run_cli([str(p), *argv_t, "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_a_one_pixel_map_gets_the_single_spectrum_mesh():
    from specinv.sts.cli_map import build_kernel
    from specinv.sts.workflow import default_energy_mesh

    bias = np.linspace(-5.0, 5.0, 301)
    single = default_energy_mesh(bias, 1.2, 0.1)
    mapped = build_kernel(bias, 1.2, 0.1, None, None).mesh
    np.testing.assert_array_equal(mapped.points, single.points)
