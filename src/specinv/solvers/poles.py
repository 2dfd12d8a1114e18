"""Barycentric-rational (AAA) continuation of precise fermionic Matsubara data.

``G(iω_n)`` is approximated by a barycentric rational function
(:class:`scipy.interpolate.AAA`, Nakatsukasa–Sète–Trefethen), stopped at
:data:`NOISE_FACTOR` times the data's relative noise level (below that it fits the noise
with spurious pole-zero pairs). In pole form ``r(z) = Σ_k ρ_k/(z − p_k)``, and the spectrum
is ``A(ω) = −Im r(ω + i0)/π``. Causality and positivity are enforced:

1. only poles in the lower half-plane are kept (a causal G is analytic in the upper one);
   the dropped weight is reported (``hyperparameters["dropped_pole_weight"]``);
2. ``A`` is evaluated at the mesh points and clipped at zero; the clipped weight is
   reported (``hyperparameters["clipped_weight"]``) and a warning is given above
   :data:`CLIP_WARN` of the total.

Use it on data precise to ~1e-6 or better (ACTest-like broad spectra: Err 0.004-0.1 at
σ = 1e-6); on noisier data MaxEnt is the safer choice (``ac continue --method auto`` picks
by the data's precision). Sharp features narrower than the spacing of the lowest Matsubara
frequencies are not resolved.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from specinv.core.errors import ConvergenceWarning, ParameterError
from specinv.core.problem import Problem
from specinv.solvers.base import Solver, SolverOutput, register

#: AAA stops at this multiple of the data's relative noise level
NOISE_FACTOR = 10.0
#: clipped negative weight (fraction of the total) above which the solver warns
CLIP_WARN = 0.05


@register
class AAAPoleSolver(Solver):
    """Barycentric-rational (AAA) continuation of G(iω_n), causal and positive.

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    rtol : float or None
        AAA's relative stopping tolerance; ``None``: :data:`NOISE_FACTOR` times the data's
        relative noise level (median error bar over max |G|), floored at 1e-13.
    max_terms : int
        Most AAA support points (poles + 1).
    """

    name = "aaa"
    defaults: ClassVar[dict[str, Any]] = {"rtol": None, "max_terms": 60}
    kernels = ("FermionicMatsubaraKernel",)
    positive = True
    linear = True

    def _solve(self, problem: Problem) -> SolverOutput:
        from scipy.interpolate import AAA

        kernel, mesh = problem.kernel, problem.kernel.mesh
        if kernel.components != "both":
            raise ParameterError("solver 'aaa' needs Re and Im of G(iω_n) (components='both')")
        n = kernel.frequencies.size
        g = problem.data[:n] + 1j * problem.data[n:]
        sigma = problem.noise()
        rtol = self.options["rtol"]
        if rtol is None:
            rtol = max(NOISE_FACTOR * float(np.median(sigma)) / float(np.max(np.abs(g))),
                       1e-13)
        max_terms = int(self.options["max_terms"])
        if max_terms < 2:
            raise ParameterError("aaa max_terms must be >= 2")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            approx = AAA(1j * kernel.frequencies, g, rtol=float(rtol),
                         max_terms=min(max_terms, n))
        if caught:
            warnings.warn(f"aaa: the rational fit did not reach rtol = {rtol:.3g} within "
                          f"{min(max_terms, n)} terms; the data may be noisier than their "
                          "error bars", ConvergenceWarning, stacklevel=2)
        poles, res = np.asarray(approx.poles()), np.asarray(approx.residues())
        causal = poles.imag < 0
        x = mesh.points
        a = -np.sum(res[causal][None, :] / (x[:, None] - poles[causal][None, :]),
                    axis=1).imag / np.pi
        w = mesh.weights
        total = float(np.abs(a) @ w) or 1.0
        clipped = float(np.minimum(a, 0.0) @ -w) / total
        if clipped > CLIP_WARN:
            warnings.warn(f"aaa: {clipped:.1%} of the spectral weight came out negative and "
                          "was clipped; the data are too noisy for this method (use maxent)",
                          ConvergenceWarning, stacklevel=2)
        return SolverOutput(
            np.maximum(a, 0.0), sigma=sigma,
            hyperparameters={"rtol": float(rtol), "n_support": int(approx.support_points.size),
                             "n_poles": int(poles.size), "n_poles_causal": int(causal.sum()),
                             "dropped_pole_weight": float(np.sum(np.abs(res[~causal]))),
                             "clipped_weight": clipped},
            extras={"poles": poles, "residues": res})
