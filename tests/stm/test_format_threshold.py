"""Run-time threshold per input format (issue 26): simulated maps of the input's format."""

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.stm import format_threshold as ft
from specinv.stm.detector import Detector, default_model_path, load_default
from specinv.stm.tmatrix import simulate_tmatrix

needs_default = pytest.mark.skipif(not default_model_path().with_suffix(".pt").is_file(),
                                   reason="shipped default model not built")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECINV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ft, "_MEMORY", {})
    return tmp_path / "cache" / "stm_thresholds"


def test_calibration_config_follows_the_format():
    cfg = ft.calibration_config(7, (24, 30), 0.8)
    assert len(cfg.bias_mV) == 7 and cfg.shape == (24, 30)
    k = simulate_tmatrix(0, cfg)["kf_per_px"]
    assert np.median(k) == pytest.approx(0.8, rel=1e-9)  # the pixel size carries k_F
    assert ft.calibration_config(7, (24, 30), None).pixel_size_A == 375 / 80


@needs_default
def test_threshold_is_chosen_once_per_format_and_cached(cache):
    det = load_default()
    a = ft.format_threshold(det, 6, (20, 20), 0.75)
    assert a["cache"] == "computed" and a["format"] == {"n_bias": 6, "shape": [20, 20],
                                                        "kf_per_px": 0.75}
    assert a["n_scatterers"] >= ft.MIN_SCATTERERS and np.isfinite(a["threshold"])
    assert any(c > 1.0 for c in a["core_radius_px"])  # subsurface maps are in the mix
    assert ft.format_threshold(det, 6, (20, 20), 0.76)["cache"] == "memory"  # same k_F bin
    ft._MEMORY.clear()
    b = ft.format_threshold(det, 6, (20, 20), 0.75)
    assert b["cache"] == "disk" and b["threshold"] == a["threshold"]
    assert len(list(cache.glob("*.json"))) == 1
    assert ft.format_threshold(det, 7, (20, 20), 0.75)["cache"] == "computed"  # new format


@needs_default
def test_corrupt_cache_entry_is_recomputed(cache):
    det = load_default()
    a = ft.format_threshold(det, 5, (20, 20), None)
    (path,) = cache.glob("*.json")
    path.write_text("{not json")
    ft._MEMORY.clear()
    b = ft.format_threshold(det, 5, (20, 20), None)
    assert b["cache"] == "computed" and b["threshold"] == a["threshold"]
    assert json.loads(path.read_text())["threshold"] == a["threshold"]


def test_auto_threshold_needs_a_network():
    d = simulate_tmatrix(0, ft.calibration_config(5, (20, 20), None))
    with pytest.raises(ValueError, match="network"):
        Detector.classical().detect(d["maps"], threshold="auto")


@needs_default
def test_cli_records_the_run_time_threshold(cache, tmp_path):
    d = simulate_tmatrix(3, ft.calibration_config(6, (24, 24), None))
    inp = tmp_path / "m.npz"
    np.savez(inp, maps=d["maps"], bias_mV=np.asarray(d["bias_mV"]))
    out = tmp_path / "det.csv"
    assert main(["stm", "detect", str(inp), "--output", str(out), "--threshold", "auto",
                 "--allow-fail"]) in (0, 3)
    meta = json.loads(out.with_suffix(".json").read_text())
    src = meta["detection"]["threshold_source"]
    assert meta["parameters"]["threshold"] == "auto"
    assert src["threshold"] == meta["detection"]["threshold"]
    assert src["format"]["n_bias"] == 6 and src["format"]["shape"] == [24, 24]
