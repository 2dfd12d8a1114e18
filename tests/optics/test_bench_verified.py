"""``bench optics-verified``: every verified rRIM answer reproduces its data."""

import json

from specinv.cli.main import main
from specinv.core.check import CHI2_OK
from specinv.optics.setup import OpticsSetup


def test_quick_bench_verified_answers_fit(tmp_path):
    assert main(["bench", "optics-verified", "--quick", "--output", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "optics_verified.json").read_text())
    cases = report["cases"]
    assert len(cases) == 14  # 7 families × 2 noise levels at 100 K
    # verification's guarantee: refined (or fallback) answers reproduce the data
    assert all(c["rrim_chi2_reduced"] <= CHI2_OK[1] or c["method_used"] == "maxent"
               for c in cases)
    assert set(report["summary"]["families"]) == {c["family"] for c in cases}
    table = json.loads((tmp_path / "optics_families.json").read_text())
    cells = table["cells"]  # quick: one member per family, 100 K, noise 1e-3
    assert len(cells) == 6 and all("cnn_raw" in c for c in cells)
    s = table["summary"]
    assert s["cells"] == 6 and 0 <= s["cells_rrim_above_maxent"] <= 6
    # one glue per cell: a cell counts as a >10 % loss exactly when its only glue does
    assert s["glues"] == 6 and s["glues_rrim_worse_than_maxent_10pc"] == sum(
        c["rrim"] > 1.1 * c["maxent"] for c in cells)
    assert len(s["maxent_over_rrim_per_family"]) == 5  # the in-prior control is left out
    # what limits the answer: the counts are per glue and add up over the cells
    for key in ("glues_network_fits", "glues_refined_worse_than_network"):
        assert all(0 <= c[key] <= c["glues"] for c in cells)
        assert s[key] == sum(c[key] for c in cells)
    # a network answer that fits the data has χ²/N at most 1 + √(2/N), N data points
    bound = 1 + (2 / OpticsSetup().n_omega) ** 0.5
    assert all(c["glues_network_fits"] == (c["network_chi2_reduced"] <= bound) for c in cells)
