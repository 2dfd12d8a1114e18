"""``specinv bench optics`` end to end with tiny trainings (the figures are not the point)."""

from __future__ import annotations

import json

import pytest

from specinv.cli.main import main


# over 2 min on the shared 2-core machine even with 10-step trainings: the quick bench still
# trains every model kind at N = 100 and 1000 and scores the classical methods
@pytest.mark.slow
def test_bench_optics_writes_json_and_figures_with_matched_ood_models(tmp_path):
    out = tmp_path / "bench"
    assert main(["bench", "optics", "--quick", "--max-steps", "10", "--max-steps-regressor",
                 "10", "--n-classical", "1", "--skip-temperature", "--skip-noise-conditioned",
                 "--workers", "1", "--output", str(out)]) == 0
    r = json.loads((out / "optics.json").read_text())
    # noisy OOD shapes are scored by models trained at their noise, noise-free by noise-free ones
    assert r["ood"]["trained_noise_rel"] == r["ood"]["data_noise_rel"] == 1e-4
    assert r["ood_noise_free"]["trained_noise_rel"] == r["ood_noise_free"]["data_noise_rel"] == 0
    trained = {(t["n"], t["noise"], t["kind"]) for t in r["trainings"]}
    assert {(1000, 1e-4, k) for k in ("rrim", "cnn", "fcn")} <= trained
    for key in ("ood_cnn_over_rrim_mse_ratio", "ood_noise_free_cnn_over_rrim_mse_ratio"):
        assert set(r["targets"][key]) == {"square", "triangle"}
    assert r["targets"]["rrim_inference_ms_single"] > 0
    for fig in ("optics_fig2.png", "optics_fig3.png"):
        assert (out / fig).stat().st_size > 0
