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
    for fig in ("simple.png", "sweep.png", "complex_ae2.png"):
        assert (out / fig).is_file()
