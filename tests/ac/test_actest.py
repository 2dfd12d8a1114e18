"""ACTest sets and scoring of ``bench ac --suite actest``."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.ac import actest
from specinv.ac.bench_actest import run_level


@pytest.mark.parametrize("peaks_set", [actest.STD_FG, actest.STD_FD], ids=["fg", "fd"])
def test_sets_have_twenty_normalized_spectra_inside_the_window(peaks_set):
    assert len(peaks_set) == 20
    w = actest.reference_grid()
    for peaks in peaks_set:
        a = actest.spectrum(peaks, w)
        assert np.trapezoid(a, w) == pytest.approx(1.0, rel=1e-12)
        # every peak lies at least 4 widths inside ±OMEGA_MAX: no weight is cut
        assert all(abs(eps) + 4 * gam < actest.OMEGA_MAX for _, gam, eps in peaks)


def test_case_obeys_the_sum_rule_and_carries_its_noise():
    case = actest.make_case(actest.STD_FG[9], 1e-4, seed=3)
    d = case["data"]
    assert d.points.size == actest.N_TAU and d.points[-1] == actest.BETA
    exact = actest.green_tau(case["ref"], case["ref_omega"], d.points, actest.BETA)
    # G(0) + G(β) = −∫A = −1 (trapezoid rule on the fine grid: error ≪ 1e-10)
    assert exact[0] + exact[-1] == pytest.approx(-1.0, abs=1e-10)
    resid = (d.values - exact) / d.error
    # white noise of the stated σ: the mean square is 1 within ±5 √(2/N)
    assert abs(np.mean(resid**2) - 1.0) < 5 * np.sqrt(2 / d.points.size)


def test_err_and_score():
    w = actest.reference_grid()
    a = actest.spectrum(actest.STD_FG[0], w)
    assert actest.relative_error(w, a, w, a) == 0.0
    assert actest.relative_error(w, np.zeros_like(a), w, a) == pytest.approx(1.0)
    assert actest.relative_error(w, 2 * a, w, a) == pytest.approx(1.0)
    assert actest.score([0.0, 0.25, 1.5, float("nan")]) == pytest.approx(1.75)


def test_runner_scores_and_counts_failures():
    w = actest.reference_grid()

    def exact(case):
        return {"omega": case["ref_omega"], "spectrum": case["ref"], "wall_s": 0.0}

    def broken(case):
        raise RuntimeError("no answer")

    level = run_level("std_frd", 1e-4, {"exact": exact, "broken": broken, "som": exact},
                      keep=(1,))
    m = level["methods"]
    assert m["exact"]["f"] == pytest.approx(10.0) and m["exact"]["failures"] == 0
    assert m["broken"]["f"] == 0.0 and m["broken"]["failures"] == 10
    # a positive method is not run on signed spectra, and says why
    assert "som" not in m and "sign" in level["not_run"]["som"]
    assert "no answer" in m["broken"]["failed"][0]
    assert set(level["spectra"]["1"]) == {"reference", "exact"}
    assert level["spectra"]["1"]["reference"][0].size == w[::8].size


def test_report_of_a_subset_without_the_default_run_is_written(tmp_path):
    from specinv.ac.bench_actest_report import figure, write_json

    def exact(case):
        return {"omega": case["ref_omega"], "spectrum": case["ref"], "wall_s": 0.0}

    level = run_level("std_frd", 1e-2, {"tikhonov": exact}, keep=(0,))
    report = {"sets": {"std_frd": {"0.01": level}}}
    write_json(tmp_path / "a.json", report)
    figure(tmp_path / "a.png", report)
    assert (tmp_path / "a.json").stat().st_size > 0 and (tmp_path / "a.png").stat().st_size > 0
