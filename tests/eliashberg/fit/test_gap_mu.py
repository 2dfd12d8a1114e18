"""The gap fit with μ by the evidence and the discrepancy answer kept where that fails."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import gaussian_a2f
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.forward import EngineForward
from specinv.eliashberg.fit.gap import fit_gap
from specinv.eliashberg.fit.gap_mu import fit_gap_evidence

T, MU = 1.5, 0.1


@pytest.fixture(scope="module")
def gap():
    """A broad two-peak α²F (λ = 1.1) on a 4-knot basis and its exact gap (fast fits)."""
    basis = HatBasis(4, 18.0)
    spec = gaussian_a2f(basis.mesh, (6.0, 13.0), (2.0, 1.5), (1.0, 0.6), lam=1.1)
    omega = np.linspace(0.0, 22.0, 30)[1:]
    return basis, omega, EngineForward(basis, T, omega, 0.1)(
        basis.project(basis.mesh, spec.values), MU).delta


def test_a_failed_evidence_answer_falls_back_to_the_discrepancy_answer(gap):
    """Im Δ with the wrong sign has no α²F: the evidence answer fails, the discrepancy answer
    is the one returned, with both recorded and the cost of both counted."""
    basis, omega, delta = gap
    opts = {"omega_top": basis.omega_max, "n_knots": basis.n_knots}
    fit = fit_gap_evidence(omega, np.conj(delta), T, MU, **opts)
    rule = fit.info["mu_rule"]
    assert rule["kept"] == "discrepancy" and rule["evidence"]["verdict"] == "fail"
    assert fit.figures["lambda"] == rule["discrepancy"]["lambda"]
    assert fit.occam.chi2_reduced == rule["discrepancy"]["chi2_reduced"]
    assert fit.occam.n_evaluations == (rule["evidence"]["n_evaluations"]
                                       + rule["discrepancy"]["n_evaluations"])


def test_a_reproduced_gap_keeps_the_evidence_answer(gap):
    """The exact gap of a basis α²F is reproduced: the evidence answer is kept, and λ is the
    truth's to the forward model's tolerance (a few 1e-3)."""
    basis, omega, delta = gap
    fit = fit_gap_evidence(omega, delta, T, MU, omega_top=basis.omega_max,
                           n_knots=basis.n_knots)
    assert fit.info["mu_rule"]["kept"] == "evidence" and not fit.check.failed
    assert "discrepancy" not in fit.info["mu_rule"]
    assert fit.figures["lambda"] == pytest.approx(1.1, rel=0.02)


def test_unknown_mu_rule(gap):
    basis, omega, delta = gap
    with pytest.raises(ParameterError, match="mu_rule"):
        fit_gap(omega, delta, T, MU, mu_rule="gcv")
