"""Second opinion of the α²F fit: a prior-dominated answer is flagged, a determined one not."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.check import check_fit
from specinv.eliashberg.engine.a2f import gaussian_a2f
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.occam import occam_fit
from specinv.eliashberg.fit.opinion import second_opinion
from specinv.eliashberg.fit.result import A2FFit

SIGMA = 0.01


def _fit(blind_below: float):
    """A linear stand-in for the engine that does not see the knots below ``blind_below``."""
    basis = HatBasis(16, 16.0)
    spec = gaussian_a2f(basis.mesh, (3.0, 10.0), (1.0, 1.5), (0.5, 1.0), lam=1.0)
    a_true = basis.project(basis.mesh, spec.values)
    rng = np.random.default_rng(3)
    m = rng.normal(size=(60, 16)) * (basis.knots >= blind_below)[None, :]
    data = m @ a_true + SIGMA * rng.normal(size=60)

    def residual(a: np.ndarray) -> np.ndarray:
        return (m @ a - data) / SIGMA

    oc = occam_fit(residual, np.full(16, 0.1), basis.roughness() * basis.spacing ** 2,
                   lower=np.zeros(16), upper=np.full(16, np.inf), typical=np.full(16, 0.1))
    fit = A2FFit(basis, oc.x, oc.covariance, 0.1, 0.0, oc,
                 check_fit(data, m @ oc.x, np.full(60, SIGMA), sigma_given=True))
    # the moments and their Laplace errors as A2FFit.evaluate has them (no T_c solves)
    mom, grads = basis.moments(oc.x), basis.moment_gradients(oc.x)
    for key in ("lambda", "omega_log_meV"):
        fit.figures[key] = float(mom[key])
        fit.figures[f"{key}_std"] = float(np.sqrt(grads[key] @ oc.covariance @ grads[key]))
    return fit, residual, basis.moments(a_true)


def test_a_determined_answer_keeps_its_verdict():
    fit, residual, true = _fit(0.0)
    before = dict(fit.figures)
    second = second_opinion(fit, residual, residual)
    assert second["reached_noise"] and not second["disagrees"]
    assert fit.check.verdict == "ok" and fit.spread is None
    assert fit.figures == before
    assert fit.figures["lambda"] == pytest.approx(true["lambda"], rel=0.05)


def test_weight_the_data_cannot_see_makes_the_answer_prior_dominated():
    """Knots below 6 meV are invisible: the smooth fit drops the 3 meV peak (λ far too low,
    with a Laplace error that does not cover it); the flat prior puts weight there."""
    fit, residual, true = _fit(6.0)
    lam, lam_std = fit.figures["lambda"], fit.figures["lambda_std"]
    assert abs(lam - true["lambda"]) > 10 * lam_std          # the silent miss to catch
    second = second_opinion(fit, residual, residual)
    assert second["reached_noise"] and second["disagrees"]
    assert fit.check.verdict == "warn"
    assert any("prior-dominated" in r for r in fit.check.reasons)
    # the errors now include the spread of the two answers, and so does the α²F band
    assert fit.figures["lambda_std"] >= abs(second["lambda"] - lam)
    assert np.max(fit.a2f_std) > 0 and fit.spread is not None


def test_a_failed_fit_is_not_probed():
    fit, residual, _ = _fit(0.0)
    fit.check.add("fail", "stand-in for a fit above the noise level")
    assert "skipped" in second_opinion(fit, residual, residual)
