"""An automatic real-frequency mesh is refined when precise data resolve finer features."""

from __future__ import annotations

import warnings

from specinv.ac import actest
from specinv.ac.continuation import MESH_CHI2, continue_data
from specinv.core.check import CHI2_OK


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
