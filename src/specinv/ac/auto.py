"""``ac continue --method auto``: the method chosen by the data's precision.

Rational and Nevanlinna continuations (``aaa``, ``nevanlinna``) beat MaxEnt only on
near-exact fermionic Matsubara data; on noisy data they fit the noise. The rule
(:func:`choose_method`):

- τ data, bosonic data, or data without an error column: ``maxent`` (the pole methods
  need complex fermionic G(iω_n) and a trustworthy noise level);
- fermionic Matsubara data with relative precision ``median(σ)/max|G|`` at or below
  :data:`PRECISE` and at least :data:`MIN_PICK` Pick-consistent frequencies (at the
  default tolerance of :mod:`specinv.solvers.nevanlinna`): :data:`PRECISE_METHOD`;
- otherwise ``maxent``.

The precise method's answer is kept only when its verdict is not ``fail`` (its answer
reproduces the data); otherwise MaxEnt is run and the reason recorded. The switch point
comes from ``bench ac --suite actest`` on STD_FG given as Matsubara data
(:mod:`specinv.ac.actest_matsubara`); the table is in the AC guide.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.io.qmc import ContinuationInput

#: relative precision ``median(σ)/max|G|`` at or below which the precise method is tried
PRECISE = 1e-5
#: fewest Pick-consistent frequencies for the precise method
MIN_PICK = 4
#: the method tried on precise data
PRECISE_METHOD = "aaa"


def choose_method(data: ContinuationInput, kernel: str) -> tuple[str, str, dict[str, Any]]:
    """The method for ``data`` by its precision, and why.

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data (with their error column when the file has one).
    kernel : str
        The kernel name (see :data:`specinv.ac.window.KERNELS`).

    Returns
    -------
    method : str
        ``PRECISE_METHOD`` or ``"maxent"``.
    reason : str
        One sentence for the user.
    facts : dict
        ``relative_precision`` and ``n_pick`` where computed.
    """
    if kernel != "fermionic-matsubara":
        return "maxent", f"{kernel} data: the pole methods need fermionic G(iω_n)", {}
    if data.error is None:
        return "maxent", "no error column: the data's precision is unknown", {}
    g = data.values + 1j * data.imag
    rel = float(np.median(data.error)) / float(np.max(np.abs(g)))
    facts: dict[str, Any] = {"relative_precision": rel}
    if rel > PRECISE:
        return "maxent", (f"relative precision {rel:.2g} > {PRECISE:g}: noisy data, "
                          "MaxEnt"), facts
    from specinv.solvers.nevanlinna_core import pick_count

    order = np.argsort(data.points)
    keep = order[data.points[order] > 0]
    facts["n_pick"] = n_pick = pick_count(data.points[keep], -g[keep], rel)
    if n_pick < MIN_PICK:
        return "maxent", (f"only {n_pick} Pick-consistent frequencies (< {MIN_PICK}): the "
                          "data are not precise enough for a causal interpolation"), facts
    return PRECISE_METHOD, (f"relative precision {rel:.2g} <= {PRECISE:g} and {n_pick} "
                            "Pick-consistent frequencies: near-exact data"), facts


def continue_auto(data: ContinuationInput, kernel: str, beta: float, *,
                  omega_max: float | None, n_omega: int | None, default_model: str,
                  maxent_options: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """Continue ``data`` with the method :func:`choose_method` picks (MaxEnt as fallback).

    Parameters
    ----------
    data : ContinuationInput
        τ or Matsubara data.
    kernel : str
        The kernel name.
    beta : float
        Inverse temperature (inverse of the data's energy unit).
    omega_max : float or None
        Window half-width (data's energy unit); None: automatic.
    n_omega : int or None
        Real-frequency points; None: the default.
    default_model : str
        MaxEnt's default model, used when MaxEnt runs.
    maxent_options : dict
        MaxEnt's options (the command's defaults).

    Returns
    -------
    setup : ContinuationSetup
        The problem finally solved.
    result : InversionResult
        Its answer.
    record : dict
        ``method_used``, ``method_reason`` and the facts the choice was made on.
    """
    from specinv.ac.continuation import continue_data

    method, reason, facts = choose_method(data, kernel)
    if method != "maxent":
        setup, result = continue_data(data, kernel, beta, method=method, options={},
                                      omega_max=omega_max, n_omega=n_omega)
        if result.check.verdict != "fail":
            return setup, result, {"method_used": method, "method_reason": reason, **facts}
        reason = (f"{reason}; but {method} did not reproduce the data (χ²/N = "
                  f"{result.chi2_reduced:.3g}), so MaxEnt was used")
        method = "maxent"
    setup, result = continue_data(data, kernel, beta, method="maxent",
                                  options=dict(maxent_options), omega_max=omega_max,
                                  n_omega=n_omega, default_model=default_model)
    return setup, result, {"method_used": method, "method_reason": reason, **facts}
