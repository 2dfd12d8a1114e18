"""Continuation of what the data measure: stitched tails cut, noise measured, χ²/N explained.

:func:`continue_measured` is :func:`~specinv.ac.continuation.continue_data` for data read
from a file, as ``specinv ac continue --kind g`` runs it:

- fermionic Matsubara data without a covariance are cut at a fitted tail stitched to
  the measured frequencies and continued under the noise measured on their tail
  (:mod:`specinv.ac.stitch`, :mod:`specinv.ac.tail_noise`);
- for τ data, a χ²/N far below 1 is explained by the data's own point-to-point scatter
  (:mod:`specinv.ac.scatter`): overstated or correlated errors;
- a fit :data:`~specinv.ac.continuation.INFLATED_CHI2` times better than the given error
  bars gets a note: the spectrum is then over-smoothed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.ac.continuation import (
    INFLATED_CHI2,
    ContinuationSetup,
    continue_data,
    is_tau,
)
from specinv.ac.correlated import CorrelatedErrors
from specinv.io.qmc import ContinuationInput

#: what to supply when the error column overstates the noise
ADVICE = "supply the covariance (--covariance) or the QMC bins (--bins)"


def continue_measured(data: ContinuationInput, kernel: str, beta: float, *,
                      method: str = "maxent", options: dict[str, Any] | None = None,
                      omega_max: float | None = None, n_omega: int | None = None,
                      default_model: str = "flat", errors: CorrelatedErrors | None = None,
                      signed: bool = False) -> tuple[ContinuationSetup, Any]:
    """Continue ``data`` on its measured part, judged against its measured noise.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data as read from a file, with their error column if any.
    kernel, beta, method, options, omega_max, n_omega, default_model, errors, signed
        As for :func:`~specinv.ac.continuation.continue_data` (signed data: no stitch).

    Returns
    -------
    setup : ContinuationSetup
        Problem, window and notes (the stitch, when one was cut, is among them).
    result : InversionResult
        With the stitch or the scatter explanation in ``result.check``.
    """
    measured = None
    if kernel == "fermionic-matsubara" and errors is None and not signed:
        from specinv.ac.stitch import cut_at_stitch, measured_noise

        measured = measured_noise(*cut_at_stitch(data), beta=beta, method=method)
        data = measured.data
    setup, result = continue_data(data, kernel, beta, method=method, options=options,
                                  omega_max=omega_max, n_omega=n_omega,
                                  default_model=default_model, errors=errors,
                                  noise_model=measured and measured.model, signed=signed)
    if measured is not None:
        measured.report(result.check, setup.notes, ADVICE)
    elif is_tau(kernel) and errors is None:
        from specinv.ac.scatter import report_overstated

        report_overstated(result.check, data.points, [data.values], data.error, ADVICE)
    note_inflated(setup, result)
    return setup, result


def note_inflated(setup: ContinuationSetup, result: Any) -> None:
    """Add a note to ``setup.notes`` when the fit is :data:`INFLATED_CHI2` times better
    than the given error bars (χ²/N below it): the spectrum is then over-smoothed.

    Parameters
    ----------
    setup : ContinuationSetup
        The continuation's setup (its notes are extended).
    result : InversionResult
        The continued answer.
    """
    if result.chi2_reduced < INFLATED_CHI2 and not setup.sigma_estimated:
        setup.notes.append(
            f"χ²/N = {result.chi2_reduced:.2g}: the data are fitted about "
            f"{1 / np.sqrt(result.chi2_reduced):.0f}× better than their error bars claim; "
            "if those are inflated (constant or assigned by hand) the spectrum is "
            "over-smoothed - give realistic errors, or omit the column to have them estimated")
