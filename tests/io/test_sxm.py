import numpy as np
import pytest

from specinv.core.errors import InputError
from specinv.io.sxm import read_sxm, read_sxm_stack, write_sxm


@pytest.mark.parametrize("scan_dir", ["down", "up"])
def test_round_trip_non_square_and_both_directions(tmp_path, scan_dir):
    rng = np.random.default_rng(0)
    z, li = rng.standard_normal((12, 17)), rng.standard_normal((12, 17))
    p = tmp_path / "a.sxm"
    write_sxm(p, {"Z (m)": z, "LI Demod 1 X (A)": li}, -0.05, scan_dir=scan_dir)
    s = read_sxm(p)
    assert s.bias_V == pytest.approx(-0.05)
    assert list(s.channels) == ["Z (m)", "LI Demod 1 X (A)"]
    assert np.allclose(s.channels["LI Demod 1 X (A)"], li.astype(np.float32))
    assert np.allclose(s.channels["Z (m)"], z.astype(np.float32))


def test_stack_sorted_by_bias_with_lock_in_channel(tmp_path):
    paths = []
    for i, b in enumerate((0.02, -0.1, -0.04)):
        p = tmp_path / f"s{i}.sxm"
        write_sxm(p, {"Current (A)": np.zeros((8, 8)), "LI Demod 1 X (A)": np.full((8, 8), b)}, b)
        paths.append(str(p))
    maps, bias = read_sxm_stack(paths)
    assert np.allclose(bias, [-100, -40, 20])
    assert np.allclose(maps[:, 0, 0], [-0.1, -0.04, 0.02])
    with pytest.raises(InputError, match="not found"):
        read_sxm_stack(paths, channel="Nope")


def test_truncated_and_foreign_files_are_refused(tmp_path):
    p = tmp_path / "a.sxm"
    write_sxm(p, {"LI Demod 1 X (A)": np.ones((8, 8))}, 0.1)
    raw = p.read_bytes()
    (tmp_path / "short.sxm").write_bytes(raw[:-40])
    with pytest.raises(InputError, match="header declares"):
        read_sxm(tmp_path / "short.sxm")
    (tmp_path / "text.sxm").write_text("hello\n")
    with pytest.raises(InputError, match="SCANIT_END"):
        read_sxm(tmp_path / "text.sxm")
