"""Regularized least squares by continuation in the regularization strength."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.eliashberg.fit import continuation
from specinv.eliashberg.fit.continuation import continuation_fit

ROUGH = -2.0 * np.eye(15) + np.eye(15, k=1) + np.eye(15, k=-1)


def _linear(seed: int, n: int = 60):
    """A random (well-posed) matrix, a positive truth."""
    rng = np.random.default_rng(seed)
    x_true = np.clip(np.sin(np.linspace(0, np.pi, 15)), 0.0, None)
    a = rng.normal(size=(n, 15))
    return rng, a, x_true


def _blur(seed: int, n: int = 60):
    """An ill-posed problem: Gaussian blur (width 2 parameters) of a positive truth, ×10."""
    rng, _, x_true = _linear(seed, n)
    u = np.linspace(0.0, 14.0, n)[:, None] - np.arange(15)[None, :]
    return rng, 10.0 * np.exp(-0.5 * (u / 2.0) ** 2), x_true


def _fit(a, data, x0):
    return continuation_fit(lambda x: a @ x - data, x0, ROUGH, lower=np.zeros(15),
                            upper=np.full(15, np.inf), typical=np.ones(15))


def test_reaches_the_noise_level():
    """Ill-posed, noise σ = 1: the answer's χ²/N lies in the 2σ band of χ²_60/60 around 1,
    at most 1 when the discrepancy principle chose it (the floor rule stops above 1 only when
    half a decade less smoothing gains < FLOOR_GAIN there)."""
    rng, a, x_true = _blur(0)
    data = a @ x_true + rng.normal(size=60)
    res = _fit(a, data, np.full(15, 0.5))
    assert np.all(res.x >= 0)
    assert abs(res.chi2_reduced - 1.0) < 2 * np.sqrt(2 / 60)
    assert (res.chi2_reduced <= 1.0) == res.info["message"].startswith("discrepancy")
    assert res.covariance.shape == (15, 15)


def test_the_answer_does_not_depend_on_the_start():
    """Every level's minimizer is unique on a linear problem: two starts, one answer."""
    rng, a, x_true = _linear(2)
    data = a @ x_true + rng.normal(size=60)
    one, two = _fit(a, data, np.full(15, 0.5)), _fit(a, data, np.linspace(3.0, 0.1, 15))
    # exact Jacobians (linear residuals): the levels converge to round-off, not to `tol`
    assert one.x == pytest.approx(two.x, rel=1e-6, abs=1e-8)
    assert one.mu == pytest.approx(two.mu, rel=1e-9)


def test_stops_at_the_misfit_floor_on_the_smooth_side():
    """Model error 10× the noise keeps χ²/N ≈ 100: the answer is the strongest level after
    which half a decade less smoothing buys less than FLOOR_GAIN of misfit."""
    rng, a, x_true = _linear(1, n=80)
    q, _ = np.linalg.qr(a)
    off = rng.normal(size=80)
    off -= q @ (q.T @ off)          # orthogonal to the range of a: no x fits it
    data = a @ (x_true + 0.1) + 10.0 * off / np.linalg.norm(off) * np.sqrt(80) \
        + rng.normal(size=80)
    res = _fit(a, data, np.full(15, 0.5))
    chis = [h["chi2_reduced"] for h in res.history]
    k = next(i for i, h in enumerate(res.history) if h["accepted"])
    assert res.chi2_reduced > 50.0 and res.info["message"].startswith("misfit floor")
    assert k == len(chis) - 2 and chis[-1] > (1 - continuation.FLOOR_GAIN) * chis[-2]
    free = np.linalg.lstsq(a, data, rcond=None)[0]
    assert np.linalg.norm(ROUGH @ res.x) < np.linalg.norm(ROUGH @ free)


def test_backtracks_a_gauss_newton_overshoot():
    """r = atan(x)/σ from x = 5: the full step lands at x ≈ −31 and one halving at −13, both
    worse; only the quarter step lowers the misfit. The fit must go on to the root."""
    res = continuation_fit(lambda x: np.arctan(x) / 1e-3, np.array([5.0]), np.zeros((1, 1)),
                           lower=np.array([-50.0]), upper=np.array([50.0]), typical=np.ones(1))
    # χ²/N ≤ 1 at σ = 1e-3 means |atan x| ≤ 1e-3
    assert res.chi2_reduced <= 1.0 and abs(res.x[0]) <= 1.1e-3


def test_mu_start_resumes_a_previous_answer():
    """Continued from an answer at its own strength the first level is that answer's minimum:
    the fit ends where it was (linear residuals: to round-off). Restarted from the strongest
    strength instead, the first level smooths it away (χ²/N far above the answer's)."""
    rng, a, x_true = _blur(3)
    data = a @ x_true + 0.01 * rng.normal(size=60)

    def run(x0, mu_start=None):
        return continuation_fit(lambda x: (a @ x - data) / 0.01, x0, ROUGH, lower=np.zeros(15),
                                upper=np.full(15, np.inf), typical=np.ones(15),
                                mu_start=mu_start)

    first = run(np.full(15, 0.5))
    assert first.chi2_reduced <= 1.0 + 2 * np.sqrt(2 / 60)
    again = run(first.x, first.mu)
    assert again.history[0]["mu"] == pytest.approx(first.mu)
    assert again.x == pytest.approx(first.x, rel=1e-6, abs=1e-8)
    assert run(first.x).history[0]["chi2_reduced"] > 2.0 * first.chi2_reduced


def test_log_evidence_is_the_exact_marginal_likelihood_of_a_linear_problem():
    """For r = A x − d and the prior exp(−½ μ‖L x‖²) (no active bound) the Laplace evidence is
    exact: its differences between strengths equal those of log N(d; 0, I + A (μLᵀL)⁻¹ Aᵀ)."""
    rng, a, x_true = _blur(1)
    data = a @ x_true + rng.normal(size=60)
    lt = ROUGH.T @ ROUGH

    def both(mu):
        x = np.linalg.solve(a.T @ a + mu * lt, a.T @ data)
        c = np.eye(60) + a @ np.linalg.solve(mu * lt, a.T)
        exact = -0.5 * data @ np.linalg.solve(c, data) - 0.5 * np.linalg.slogdet(c)[1]
        return continuation.log_evidence(a @ x - data, a, ROUGH, mu, x), exact

    (z1, e1), (z2, e2) = both(0.01), both(3.0)
    assert z2 - z1 == pytest.approx(e2 - e1, rel=1e-8, abs=1e-8)


def test_evidence_rule_answers_the_level_of_largest_evidence():
    """The accepted level is the argmax of the recorded evidence, the sequence stops two falls
    after it (or at the last level), and the answer's residuals are those of its x."""
    rng, a, x_true = _blur(2)
    data = a @ x_true + rng.normal(size=60)
    res = continuation.continuation_fit(lambda x: a @ x - data, np.full(15, 0.5), ROUGH,
                                        lower=np.zeros(15), upper=np.full(15, np.inf),
                                        typical=np.ones(15), mu_rule="evidence")
    z = [h["log_evidence"] for h in res.history]
    best = int(np.argmax(z))
    assert res.history[best]["accepted"] and sum(h["accepted"] for h in res.history) == 1
    assert res.mu == res.history[best]["mu"]
    assert len(z) - 1 - best <= 2 or len(z) == len(continuation.MU_LEVELS)
    assert res.chi2_reduced == pytest.approx(float(np.sum((a @ res.x - data) ** 2)) / 60)
