"""Why a fit is far better than the data's error column: the data's own scatter.

A χ²/N well below 1 at the given error bars says only that the fit is closer to the data
than the bars claim. The point-to-point scatter of the data says why: fourth differences
``Δ⁴g / √70`` have unit variance for independent noise of the given error and remove a
smooth curve (a cubic exactly), so their robust scatter (median absolute value / 0.6745)
measures the noise between neighbouring points. On the real G(τ) files it is 0.16 × the
error column (TRIQS SrVO₃, β = 37.5, with independent residuals: the errors are
overstated), 3e-4 × (CQMP U = 2) and 5e-6 × (CQMP U = 0: exact data with an assigned
error; their residuals are the correlated misfit of noise-free data): the first reason of
the check then gives that number and what to do. Nothing in the answer changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.check import CHI2_OK

#: order of the differences and the variance of a difference of unit independent noise
ORDER, VARIANCE = 4, 70.0
#: fewest differences from which the scatter is measured
MIN_POINTS = 16
#: the scatter is reported when it is below this fraction of the error column
OVERSTATED = 0.5
#: residuals count as independent when |lag-1 autocorrelation| ≤ LAG1_Z/√N
LAG1_Z = 3.0


def point_scatter(points: np.ndarray, parts: list[np.ndarray], error: np.ndarray
                  ) -> float | None:
    """Robust scatter of neighbouring points in units of the error column.

    Parameters
    ----------
    points : ndarray of shape (n,)
        τ or Matsubara frequencies.
    parts : list of ndarray of shape (n,)
        Data at ``points``: one array, or Re and Im.
    error : ndarray of shape (n,)
        Error column (> 0).

    Returns
    -------
    float or None
        ``median |Δ⁴g / (√70 σ)| / 0.6745`` pooled over the parts (1 for independent noise
        at the given error, an upper bound on the noise when a curve adds to it); None
        with fewer than :data:`MIN_POINTS` differences or on a non-uniform grid.
    """
    n = error.size
    step = np.diff(points)
    if n - ORDER < MIN_POINTS or not np.allclose(step, step[0], rtol=1e-6):
        return None
    z = np.concatenate([np.diff(p, ORDER) / (np.sqrt(VARIANCE) * error[:n - ORDER])
                        for p in parts])
    return float(np.median(np.abs(z)) / 0.6745)


def report_overstated(check: Any, points: np.ndarray, parts: list[np.ndarray],
                      error: np.ndarray | None, advice: str) -> None:
    """Make the data's own scatter the first reason of a check with χ²/N far below 1.

    Parameters
    ----------
    check : Check
        The continuation's check (changed in place): nothing is done unless the error
        column was given, χ²/N is below the lower end of
        :data:`~specinv.core.check.CHI2_OK` and the scatter is below :data:`OVERSTATED`.
    points : ndarray of shape (n,)
        τ or Matsubara frequencies (nothing is done on a non-uniform grid).
    parts : list of ndarray of shape (n,)
        The data fitted.
    error : ndarray of shape (n,) or None
        Their error column.
    advice : str
        What the user can supply (covariance, bins, real error bars) when the residuals
        are correlated; with independent residuals the errors are overstated and the
        reason says to omit the column.
    """
    if error is None or not check.chi2_reduced < CHI2_OK[0] \
            or not np.all(np.asarray(error) > 0):
        return
    s = point_scatter(points, parts, np.asarray(error, dtype=float))
    if s is None or s >= OVERSTATED:
        return
    n = max(np.size(check.residuals), 1)
    if abs(check.lag1) <= LAG1_Z / np.sqrt(n):  # independent residuals: no correlation
        why = (f"the residuals are independent (lag-1 {check.lag1:.2g}), so the errors are "
               "overstated: omit the column to have them estimated from that scatter, or "
               "give the real ones")
    else:
        why = (f"the residuals are correlated (lag-1 {check.lag1:.2g}): the noise is "
               "correlated between neighbouring points, or the data are noise-free with an "
               f"assigned error; {advice}")
    check.add("warn", f"the error column is {1 / s:.3g} × the point-to-point scatter of the "
                      f"data (fourth differences scatter by {s:.2g} × it), so χ²/N cannot "
                      f"judge the answer; {why}", point_scatter=s)
    check.reasons.insert(0, check.reasons.pop())
