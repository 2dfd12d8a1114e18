"""Real tunneling spectra from ../shared/data through the CLI: every answer either fits
its data at the noise level or says that it does not (skipped when the data are absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.core.check import CHI2_OK


def _deconvolve(path, tmp_path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "dos.csv"
    code = main(["sts", "deconvolve", str(path), "--output", str(out), *args])
    return code, json.loads(out.with_suffix(".json").read_text())


def _nis_curve_at_zero_field(shared_data, tmp_path):
    """The B = 0 curve of the Sample1 run-15 field sweep (bias in V there, mV here)."""
    t = np.loadtxt(shared_data / "maiani_nis_al_eus" / "NIS_data" / "MDC004.Sample1" / "15.dat",
                   skiprows=1)
    b = t[:, 0]
    row = t[np.abs(b) == np.abs(b).min()]
    path = tmp_path / "nis_b0.csv"
    np.savetxt(path, np.c_[row[:, 1] * 1e3, row[:, 2]], delimiter=",",
               header="bias_mV,didv", comments="")
    return path


@pytest.mark.parametrize("curve", ["pyusadel", "run15_b0"])
def test_nis_40mK_fits_or_says_so(curve, shared_data, tmp_path):
    # default MaxEnt returned a flat DOS at χ²/N = 525 and 288 with exit 0 (its α range
    # never reached an α that fits): now the α scan extends until χ² = N is bracketed
    path = (shared_data / "maiani_nis_al_eus" / "pyusadel_example_nsts_data.dat"
            if curve == "pyusadel" else _nis_curve_at_zero_field(shared_data, tmp_path))
    code, meta = _deconvolve(path, tmp_path, "--temperature", "0.04")
    assert CHI2_OK[0] <= meta["chi2_reduced"] <= CHI2_OK[1]
    assert code == 0 and meta["check"]["verdict"] != "fail"
    # Al gap with exchange splitting: the peaks lie well inside the ±2 mV window
    neg, pos = meta["peaks_meV"]
    assert -1.0 < neg < -0.2 and 0.2 < pos < 1.0


def test_nanonis_au_in_amperes(shared_data, tmp_path):
    # lock-in signal in A (~1e-13): the answer must not depend on the data's scale
    # (χ²/N was 2.8e7), and a DOS rising into the window edge has no coherence peak
    path = shared_data / "nanonis_format_fixtures" / \
        "pynxtools-spm_STS_nanonis_generic_5e_1_Au111_4p9K.dat"
    code, meta = _deconvolve(path, tmp_path, "--temperature", "4.9", "--n-energy", "301")
    assert CHI2_OK[0] <= meta["chi2_reduced"] <= CHI2_OK[1]
    assert code == 0 and meta["check"]["verdict"] in ("ok", "warn")
    edge = meta["kernel"]["mesh_range"][1]
    for peak in meta["peaks_meV"]:
        assert not np.isfinite(peak) or abs(abs(peak) - edge) > 1.0


def test_nis_field_sweep_map_fits_every_pixel(shared_data, tmp_path):
    # every pixel of the field-sweep map failed (median χ²/N 25, 6166 at B = 0); now NNRS
    # pixels that miss the noise level are re-fitted by MaxEnt and the map's check passes
    t = np.loadtxt(shared_data / "maiani_nis_al_eus" / "NIS_data" / "MDC004.Sample1" / "15.dat",
                   skiprows=1)
    fields = np.unique(t[:, 0])
    picks = fields[np.linspace(0, fields.size - 1, 4).astype(int)]
    rows = [t[t[:, 0] == b] for b in picks]
    order = np.argsort(rows[0][:, 1])
    path = tmp_path / "nis_map.npz"
    np.savez(path, bias_mV=rows[0][order, 1] * 1e3,
             didv=np.array([r[order, 2] for r in rows])[None])
    out = tmp_path / "map.npz"
    code = main(["sts", "deconvolve-map", str(path), "--temperature", "0.04",
                 "--steps", "100", "--output", str(out)])  # fast: MaxEnt re-fits the rest
    z = np.load(out)
    assert code == 0 and not z["failed"].any()
    assert np.all((z["chi2_reduced"] >= CHI2_OK[0]) & (z["chi2_reduced"] <= CHI2_OK[1]))


def test_nis_correlated_noise_refined_to_white_residuals(shared_data, tmp_path):
    # the NIS curves' noise is correlated (second-difference estimate 0.55 x the
    # Savitzky-Golay one): at the roughness estimate every solver left a structured
    # misfit (tikhonov runs z = -4.0, maxent -13.3); lowering σ until the residuals pass
    # the runs test gives tikhonov a fit the verdict accepts
    path = shared_data / "maiani_nis_al_eus" / "pyusadel_example_nsts_data.dat"
    code, meta = _deconvolve(path, tmp_path, "--temperature", "0.04", "--method", "tikhonov")
    record = meta["check"]["details"]["noise_refinement"]
    assert record["reached"] and record["factor"] < 1.0 and record["runs_z_before"] < -4.0
    assert code == 0 and meta["check"]["verdict"] == "ok"
    assert CHI2_OK[0] <= meta["chi2_reduced"] <= CHI2_OK[1]
    # MaxEnt's misfit at the gap bottom is its flat default model's, at any σ: it says so
    code, meta = _deconvolve(path, tmp_path, "--temperature", "0.04", "--method", "maxent")
    assert code == 0 and meta["check"]["verdict"] == "warn"
    assert not meta["check"]["details"]["noise_refinement"]["reached"]
    assert any("comes from the model" in r for r in meta["check"]["reasons"])
    # the default (auto) therefore answers with tikhonov and says why
    code, meta = _deconvolve(path, tmp_path, "--temperature", "0.04")
    assert code == 0 and meta["check"]["verdict"] == "ok" and meta["method"] == "tikhonov"
    assert "structured" in meta["hyperparameters"]["method_reason"]
