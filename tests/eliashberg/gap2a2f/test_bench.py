"""``specinv bench gap2a2f --quick`` end to end (slow: builds two small sets and trains)."""

from __future__ import annotations

import json

import pytest

from specinv.cli.main import main


@pytest.mark.slow
def test_bench_quick(tmp_path):
    out = tmp_path / "bench"
    assert main(["bench", "gap2a2f", "--quick", "--output", str(out),
                 "--cache", str(tmp_path / "cache")]) == 0
    res = json.loads((out / "gap2a2f.json").read_text())
    assert [r["latent"] for r in res["sweep"]] == [1, 2]
    for key in ("simple", "simple_dos", "complex_plain", "inference"):
        assert key in res
    assert res["latent_head"]["latent"] == 2 and "median_lambda_rel_err" in res["latent_head"]
    assert res["latent_head_refined"]["refined"]["n"] == 3
    comp = res["moment_comparison"]
    assert set(comp) == {"simple", "complex_ae2"}
    assert comp["simple"]["moment_weights"]["regressor"] > 0
    assert res["moment_ablation"]["simple"]["config"]["moment_weight"] == 0.0
    for fig in ("simple.png", "sweep.png", "complex_ae2.png"):
        assert (out / fig).is_file()
