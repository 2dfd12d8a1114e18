"""An automatic real-frequency mesh is refined when precise data resolve finer features."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specinv.ac import actest
from specinv.ac.continuation import MESH_CHI2, RESOLUTION_TOL, continue_data
from specinv.ac.resolution import interpolation_error
from specinv.core.check import CHI2_OK
from specinv.io.qmc import ContinuationInput


def test_precise_data_of_a_narrow_peak_refine_the_mesh():
    # a δ-like peak (Γ = 0.02) at σ = 1e-6: the 201-point mesh (cells ≈ 0.08 wide) cannot
    # reproduce the data (χ²/N > 2, verdict fail); doubled meshes can
    case = actest.make_case(actest.STD_FD[1], 1e-6, seed=1001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed, r0 = continue_data(case["data"], "fermionic-tau", actest.BETA,
                                  options={"alpha_rule": "chi2curv"}, n_omega=201)
        setup, r = continue_data(case["data"], "fermionic-tau", actest.BETA,
                                 options={"alpha_rule": "chi2curv"})
    assert fixed.problem.kernel.mesh.size == 201  # a given mesh is kept
    assert r0.chi2_reduced > MESH_CHI2
    assert setup.problem.kernel.mesh.size > 201
    assert any(n.startswith("mesh refined") for n in setup.notes)
    assert r.chi2_reduced <= CHI2_OK[1] and r.check.verdict != "fail"
    err0 = actest.relative_error(r0.omega, r0.spectrum, case["ref_omega"], case["ref"])
    err = actest.relative_error(r.omega, r.spectrum, case["ref_omega"], case["ref"])
    assert err < err0


# Families the ACTest sets never draw from (L1 against the exact spectrum, relative)
_W = actest.reference_grid()


def _norm(a: np.ndarray) -> np.ndarray:
    return a / np.trapezoid(a, _W)


def _gauss(centre: float, width: float) -> np.ndarray:
    return _norm(np.exp(-((_W - centre) ** 2) / (2 * width**2)))


FAMILIES = {
    "lorentzian": _norm(0.3 / ((_W - 0.5) ** 2 + 0.09)),
    "semicircle": _norm(np.sqrt(np.clip(4.0 - _W**2, 0.0, None))),
    "box": _norm(((_W > -1.5) & (_W < 1.0)).astype(float)),
    "narrow_satellite": _norm(0.9 * _gauss(-1.0, 0.6) + 0.1 * _gauss(2.0, 0.05)),
    "three_sharp_asymmetric": _norm(0.5 * _gauss(-0.3, 0.03) + 0.3 * _gauss(1.7, 0.03)
                                    + 0.2 * _gauss(-3.1, 0.03)),
}


def _family_data(name: str, sigma: float) -> ContinuationInput:
    tau = np.linspace(0.0, actest.BETA, actest.N_TAU)
    g = actest.green_tau(FAMILIES[name], _W, tau, actest.BETA)
    noisy = g + sigma * np.random.default_rng(0).standard_normal(tau.size)
    return ContinuationInput(tau, noisy, error=np.full(tau.size, sigma), source=name)


def _continue(data: ContinuationInput, n_omega: int | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return continue_data(data, "fermionic-tau", actest.BETA,
                             options={"alpha_rule": "chi2curv"}, n_omega=n_omega,
                             default_model="gaussian")


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_automatic_mesh_is_never_worse_than_the_fixed_one(name):
    # the automatic mesh starts from the fixed 201-point one and keeps a finer mesh only
    # where the coarse answer is not resolved; it must not cost accuracy anywhere
    data = _family_data(name, 1e-4)
    _, fixed = _continue(data, 201)
    setup, auto = _continue(data, None)
    l1 = {k: actest.relative_error(r.omega, r.spectrum, _W, FAMILIES[name])
          for k, r in (("fixed", fixed), ("auto", auto))}
    if setup.problem.kernel.mesh.size == 201:  # nothing to refine: the same answer
        np.testing.assert_array_equal(auto.spectrum, fixed.spectrum)
    else:
        assert l1["auto"] < l1["fixed"]


def test_answer_with_peaks_one_cell_wide_refines_although_it_fits():
    # three Γ = 0.03 peaks at σ = 1e-4: the 201-point answer fits the data (χ²/N ≤ 2)
    # but its peaks span a cell or two; the refined mesh resolves them
    data = _family_data("three_sharp_asymmetric", 1e-4)
    fixed, r0 = _continue(data, 201)
    setup, r = _continue(data, None)
    assert r0.chi2_reduced <= MESH_CHI2
    assert interpolation_error(r0.mesh, r0.spectrum) > RESOLUTION_TOL
    assert setup.problem.kernel.mesh.size == 402
    assert any("where the answer bends" in n for n in setup.notes)
    assert interpolation_error(r.mesh, r.spectrum) < interpolation_error(r0.mesh, r0.spectrum)
    assert r.check.verdict != "fail"


def test_refined_mesh_keeps_a_given_covariance():
    # a refinement rebuilds the problem: the covariance given for the data must stay in it
    from specinv.ac.correlated import CorrelatedErrors

    case = actest.make_case(actest.STD_FD[1], 1e-6, seed=1001)
    cov = np.diag(np.full(actest.N_TAU, 1e-12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup, _ = continue_data(case["data"], "fermionic-tau", actest.BETA,
                                 options={"alpha_rule": "chi2curv"},
                                 errors=CorrelatedErrors(covariance=cov, source="cov"))
    assert setup.problem.kernel.mesh.size > 201
    assert setup.problem.info.get("correlated") is not None
