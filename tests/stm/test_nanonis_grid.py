import numpy as np
import pytest

from specinv.core.errors import InputError
from specinv.io.nanonis_grid import read_3ds, write_3ds


def _grid(tmp_path, n=7, lines=5, points=6):
    rng = np.random.default_rng(0)
    chans = {"Current (A)": rng.standard_normal((n, lines, points)).astype(np.float32),
             "LI Demod 1 X (A)": rng.standard_normal((n, lines, points)).astype(np.float32)}
    sweep = np.linspace(-0.23, 0.02, n)
    path = tmp_path / "grid.3ds"
    write_3ds(path, chans, sweep)
    return path, chans, sweep


def test_roundtrip_and_channel_choice(tmp_path):
    path, chans, sweep = _grid(tmp_path)
    g = read_3ds(path)
    assert g.sweep_signal == "Bias (V)"
    np.testing.assert_allclose(g.bias_mV(), sweep * 1e3, rtol=1e-6)
    for k, v in chans.items():
        np.testing.assert_array_equal(g.channels[k], v)
    assert g.didv_channel() == "LI Demod 1 X (A)"
    assert g.didv_channel("current") == "Current (A)"
    with pytest.raises(InputError, match="available channels"):
        g.didv_channel("Z (m)")
    assert g.parameters["X (m)"].shape == (5, 6)


def test_raster_order(tmp_path):
    # hand-written file: pixel p holds value p in its single sweep point
    hdr = ('Grid dim="3 x 2"\r\nSweep Signal="Bias (V)"\r\n'
           'Fixed parameters="Sweep Start;Sweep End"\r\nExperiment parameters=""\r\n'
           '# Parameters (4 byte)=2\r\nExperiment size (bytes)=4\r\nPoints=1\r\n'
           'Channels="LIX (A)"\r\n:HEADER_END:\r\n')
    data = np.array([[0.1, 0.1, p] for p in range(6)], dtype=">f4")
    path = tmp_path / "r.3ds"
    path.write_bytes(hdr.encode() + data.tobytes())
    g = read_3ds(path)
    np.testing.assert_array_equal(g.channels["LIX (A)"][0], [[0, 1, 2], [3, 4, 5]])


def test_incomplete_and_bad_files(tmp_path):
    path, chans, _ = _grid(tmp_path)
    raw = path.read_bytes()
    per_pix = 2 + 3 + 7 * 2
    cut = tmp_path / "cut.3ds"
    cut.write_bytes(raw[:len(raw) - 4 * per_pix * 3])  # last 3 pixels missing
    g = read_3ds(cut)
    assert np.isnan(g.channels["Current (A)"][:, -1, -3:]).all()
    assert np.isfinite(g.channels["Current (A)"][:, 0]).all()
    nohdr = tmp_path / "x.3ds"
    nohdr.write_bytes(b"Grid dim=1 x 1\r\n")
    with pytest.raises(InputError, match="HEADER_END"):
        read_3ds(nohdr)
    with pytest.raises(InputError, match="not found"):
        read_3ds(tmp_path / "missing.3ds")
