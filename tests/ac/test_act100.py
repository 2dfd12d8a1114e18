"""ACTest's ACT100 set: the six subsets and their data."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.ac import act100, actest
from specinv.ac.bench_actest import applies


def test_act100_has_one_hundred_spectra_in_six_subsets():
    sizes = {name: len(sub.spectra) for name, sub in act100.SUBSETS.items()}
    assert sizes == {"std_fg": 20, "std_fd": 20, "std_frd": 10, "std_bg": 20, "std_bd": 20,
                     "std_brd": 10}


def test_fermionic_positive_cases_are_the_actest_cases():
    for i in (0, 13):
        a = act100.make_case("std_fg", i, 1e-4, seed=5)
        b = actest.make_case(actest.STD_FG[i], 1e-4, seed=5)
        np.testing.assert_array_equal(a["data"].values, b["data"].values)
        assert a["kernel"] == "fermionic-tau" and not a["signed"]


@pytest.mark.parametrize("name", ["std_frd", "std_brd"])
def test_signed_spectra_are_not_normalized_and_change_sign_where_the_signs_differ(name):
    w = actest.reference_grid()
    for index, (_, signs) in enumerate(act100.SUBSETS[name].spectra):
        a = act100.reference_spectrum(name, index, w)
        assert (a.min() < 0) == any(s < 0 for s in signs)
        assert (a.max() > 0) == any(s > 0 for s in signs)


def test_bosonic_data_of_an_even_spectrum_are_symmetric_in_tau():
    # Ã even in ω (a Gaussian at 0) gives χ(β − τ) = χ(τ) with the bosonic kernel
    case = act100.make_case("std_bg", 0, 1e-12, seed=0)
    chi = case["data"].values
    assert case["kernel"] == "bosonic-tau"
    np.testing.assert_allclose(chi, chi[::-1], rtol=0, atol=1e-9 * chi.max())
    # χ(τ = 0) = ∫ ω/(1 − e^{−βω}) Ã dω ≥ ∫ Ã/β = 1/β for Ã ≥ 0
    assert chi[0] > 1.0 / actest.BETA


def test_bosonic_delta_set_moves_the_peak_off_zero():
    assert act100.STD_BD[0][0][2] == -0.2 and act100.STD_BD[1:] == actest.STD_FD[1:]


def test_runs_that_cannot_continue_a_subset_say_why():
    assert applies("maxent_default", "std_bg") is None
    assert applies("tikhonov", "std_frd") is None
    assert applies("maxent_default", "std_brd") is None  # plus-minus MaxEnt
    assert "sign" in applies("maxent_default_two_pass_model", "std_brd")
    assert "even" in applies("ana_cont_historic", "std_bd")
    assert applies("nevanlinna_matsubara", "std_bg") is not None
