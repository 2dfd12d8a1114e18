"""Second opinion on a fitted α²F: does another prior reproduce the data as well?

A fit that reaches the noise level is only as unique as the data make it. Where the gap
is insensitive to α²F (weight at low Ω, which λ and ω_log weight by 1/Ω, or a range the
data barely see) the answer is the prior's: the zero reference of the classical fit's
smoothness penalty, or the network's answer for ``--refine``. Both put little weight
where nothing asks for it. The probe refits from the answer with the same penalty
taken relative to a *flat* α²F of the same λ (the start of the classical fit), i.e.
a prior that puts weight everywhere, with the same discrepancy principle. When both
fits reach the noise level and their λ or ω_log differ by more than their combined
uncertainty (Laplace errors and the forward model's systematic :data:`SYSTEMATIC`, in
quadrature, times :data:`N_SIGMA`), the answer is prior-dominated: the verdict becomes
``warn`` with that reason, and the spread (the difference of the two fits, in
quadrature with the Laplace errors) enters the moments' errors and the α²F band.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from specinv.eliashberg.fit.occam import occam_fit
from specinv.eliashberg.fit.result import A2FFit

#: relative systematic error of the forward model (μ* convention, real-axis step) in λ, ω_log
SYSTEMATIC = 0.01
#: disagreement, in combined standard deviations, that makes an answer prior-dominated
N_SIGMA = 2.0
#: Gauss–Newton steps of the probe (it starts at an answer that already fits)
PROBE_STEPS = 4
#: the probe "reaches the noise" when its χ²/N is at most this (the check's upper χ² band)
PROBE_CHI2 = 2.0
KEYS = ("lambda", "omega_log_meV")


def second_opinion(fit: A2FFit, residual: Callable[[np.ndarray], np.ndarray],
                   jac_fun: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    """Refit ``fit`` towards a flat α²F; downgrade its verdict if the answers differ.

    Modifies ``fit`` in place when the two answers disagree: ``check`` gets a ``warn``,
    ``figures`` their ``*_std`` widened by the spread, ``spread`` the coefficient
    difference (widens :attr:`A2FFit.a2f_std`).

    Parameters
    ----------
    fit : A2FFit
        An evaluated fit (figures filled).
    residual : callable
        Coefficients ↦ normalized residuals, ndarray of shape (N,) (the fit's own).
    jac_fun : callable
        Cheaper residuals for the Jacobian.

    Returns
    -------
    dict
        ``chi2_reduced``, ``lambda``, ``omega_log_meV`` of the probe, ``reached_noise``,
        ``disagrees`` and the per-moment ``z`` (difference over combined error); empty
        with ``skipped`` when the fit itself is above the noise level.
    """
    if fit.check.failed or not np.any(fit.coefficients > 0):
        return {"skipped": "the fit does not reach the noise level (verdict fail)"}
    basis, a = fit.basis, fit.coefficients
    k = basis.n_knots
    flat = np.ones(k) * fit.figures["lambda"] / basis.moments(np.ones(k))["lambda"]
    oc = occam_fit(residual, a, basis.roughness() * basis.spacing ** 2,
                   lower=np.zeros(k), upper=np.full(k, np.inf),
                   typical=np.full(k, max(float(a.max()), 1e-3)), max_steps=PROBE_STEPS,
                   jac_fun=jac_fun, reference=flat)
    alt = basis.moments(oc.x)
    out: dict[str, Any] = {"chi2_reduced": oc.chi2_reduced, "n_evaluations": oc.n_evaluations,
                           "wall_s": oc.wall_s, **{key: float(alt[key]) for key in KEYS}}
    out["reached_noise"] = bool(oc.chi2_reduced <= PROBE_CHI2)
    f = fit.figures
    z = {}
    for key in KEYS:
        err = np.sqrt(f[f"{key}_std"] ** 2 + (SYSTEMATIC * f[key]) ** 2
                      + (SYSTEMATIC * alt[key]) ** 2)
        z[key] = float(abs(alt[key] - f[key]) / err)
    out["z"] = z
    out["disagrees"] = bool(out["reached_noise"] and max(z.values()) > N_SIGMA)
    fit.occam.n_evaluations += oc.n_evaluations
    fit.occam.wall_s += oc.wall_s
    if out["disagrees"]:
        for key in KEYS:
            f[f"{key}_std"] = float(np.hypot(f[f"{key}_std"], alt[key] - f[key]))
        fit.spread = oc.x - a
        fit.check.add("warn", "prior-dominated answer: a fit drawn towards a flat alpha2F "
                              f"reproduces the data as well (chi2/N {oc.chi2_reduced:.2f} vs "
                              f"{fit.occam.chi2_reduced:.2f}) with lambda {alt['lambda']:.3f} "
                              f"vs {f['lambda']:.3f}, omega_log {alt['omega_log_meV']:.2f} vs "
                              f"{f['omega_log_meV']:.2f} meV; the errors include the spread",
                      **{f"alt_{key}": float(alt[key]) for key in KEYS})
    return out
