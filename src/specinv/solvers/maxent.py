"""Maximum entropy in the kernel's singular space; eight rules for α.

With weights folded into the kernel, ``g = K f``. In cell weights ``A_j = f_j w_j`` and
default-model weights ``m_j = D_j w_j`` the objective is
``Q(A) = ½ χ²(A) − α S(A)``, ``S = Σ_j (A_j − m_j − A_j ln(A_j/m_j))``, minimised by
Newton's method in A (:meth:`specinv.solvers.maxent_core.MaxEntCore.solve`: Woodbury
inverse in the kept singular space of ``K̃ = (K/σ) diag(1/w)``, positivity kept by a
line search; spectra of either sign: ``entropy="plus-minus"``,
:mod:`specinv.solvers.maxent_pm`). α is scanned from large to small (warm starts) and
chosen by:

- ``classic`` (default): ``−2 α S = Σ_i λ_i/(α + λ_i)``, ``λ_i`` the eigenvalues of ``Σ T Σ``,
  ``T = Uᵀ diag(A) U`` (the entropy's metric: ``√(A² + 4m²)`` for plus-minus);
- ``bryan``: the average of ``A(α)`` over the posterior ``P(α|g)``;
- ``chi2kink``: the kink of log χ² against log α, located by fitting a sigmoid (ana_cont);
- ``historic``: the discrepancy principle ``χ² = N``: the smoothest spectrum that fits
  the data to their error bars (needs trustworthy error bars);
- ``posterior``: the maximum of the evidence
  ``log P(α|g) = ½ Σ_i ln(α/(α + λ_i)) + α S − χ²/2 + ln P(α)`` (ALPS "maxspec"; flat
  prior by default, ``alpha_prior="jeffreys"`` for ``1/α``);
- ``chi2curv``, ``linefit``, ``entropy``: TRIQS/maxent's analyzers (:mod:`.alpha_rules`):
  the maximum curvature of log χ²(log α), the corner of two lines fitted to it, the
  flattest S(log α). The first two do not depend on the scale of the error bars.

``classic``, ``historic`` and ``posterior`` refine α between its grid neighbours (warm
Newton solves), so the answer does not depend on the grid spacing (``refine_alpha=False``
keeps the grid point); ``extras["logpost"]`` holds the log posterior of every scanned α.
The option ``alpha`` fixes α instead (no scan, no rule: ``alpha_rule`` "fixed").

χ²/n > 100 over the whole scan means that no spectrum on the mesh reproduces the data
within the error bars (a window that misses weight, or error bars far too small): the
solver warns (``ConvergenceWarning``), as when α lies at an end of the scan.
"""

from __future__ import annotations

import warnings

import numpy as np

from specinv.core.errors import ConvergenceWarning, ParameterError
from specinv.core.problem import Problem
from specinv.core.threads import compute_threads
from specinv.solvers import alpha_rules
from specinv.solvers.alpha_window import window_spread
from specinv.solvers.base import Solver, SolverOutput, register
from specinv.solvers.linalg import scaled_svd
from specinv.solvers.maxent_core import MaxEntCore, Point, flat_default  # noqa: F401 (som)
from specinv.solvers.maxent_pm import core_class, default_model
from specinv.solvers.preblur import hidden_problem

ALPHA_RULES = ("chi2kink", "classic", "bryan", "posterior", "historic", "chi2curv", "linefit",
               "entropy")
#: the rules that read the shape of the χ²(α) or S(α) curve (TRIQS/maxent's analyzers)
CURVE_RULES = ("chi2curv", "linefit", "entropy")
#: points added between the grid neighbours of the curvature maximum (refinement)
CURV_REFINE = 4
ALPHA_PRIORS = ("flat", "jeffreys")
#: χ²/n above which the data are reported as not representable on the mesh
CHI2_MISFIT = 100.0
#: Newton iterations per α of the scan (far below the chosen α they are slow, need not be exact)
SCAN_ITER = 30
#: Newton iterations allowed to finish the chosen α
FINAL_ITER = 2000
#: grids (each as long as the first) an automatic α scan may add below the first one
MAX_EXTEND = 4
#: relative fall of χ² over a decade of α below which χ²(α) has reached its floor
PLATEAU = 0.01
def _sigmoid(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return a + b / (1.0 + np.exp(-d * (x - c)))


@register
class MaxEntSolver(Solver):
    """Maximum entropy, flat or user default model; A > 0, or either sign (``entropy``).

    Parameters
    ----------
    **options
        Overrides of the solver's ``defaults``, by the names listed under Options;
        an unknown name raises :class:`~specinv.core.errors.ParameterError`.

    Options
    -------
    alpha_rule : {"classic", "bryan", "chi2kink", "historic", "posterior", "chi2curv", \
"linefit", "entropy"}
        How α is chosen (see the module).
    n_alpha : int
        Points of the logarithmic α scan.
    alpha_range : (float, float) or None
        Scan range; default from the singular values of ``K̃``.
    alpha : float or None
        A fixed α > 0 (unit of χ²/S): one solve, no scan and no rule (None: scan).
    alpha_prior : {"flat", "jeffreys"}
        Prior ``P(α)`` of the ``posterior`` rule (flat as ALPS; Jeffreys ``1/α``).
    refine_alpha : bool
        Refine the ``classic``/``historic``/``posterior`` α between grid points.
    rtol, atol : float
        Singular values of ``K̃`` (data in units of σ) kept: above ``rtol · s_max``
        and, multiplied by the default model's total weight Σm, above ``atol``
        (singular-space dimension).
    kink_position : float
        For ``chi2kink``: α = 10^(c − kink_position/d) of the fitted sigmoid (ana_cont: 2.5).
    blas_threads : int or None
        BLAS threads for the Newton systems (``None``: library default).
    preblur : float
        Width ``b`` of the Gaussian preblur in the mesh's energy unit: ``A = B h`` with
        the entropy on the hidden image ``h`` (:mod:`specinv.solvers.preblur`); 0: none.
    entropy : {"positive", "plus-minus"}
        Shannon–Jaynes (A > 0) or Hobson–Lasenby's plus-minus entropy for spectra of
        either sign, with a flat default from the data's scale (:mod:`~.maxent_pm`).
    bryan_iteration : bool
        Go on from a stalled Newton iteration by Bryan's (:mod:`~.maxent_singular`).
    """

    name = "maxent"
    defaults = {"alpha_rule": "classic", "n_alpha": 30, "alpha_range": None, "alpha": None,
                "alpha_prior": "flat", "refine_alpha": True, "rtol": 1e-12, "atol": 1e-2,
                "kink_position": 2.5, "blas_threads": 1, "preblur": 0.0, "entropy": "positive",
                "bryan_iteration": False}
    positive = True

    def _solve(self, problem: Problem) -> SolverOutput:
        rule = self.options["alpha_rule"]
        if rule not in ALPHA_RULES:
            raise ParameterError(f"unknown alpha_rule {rule!r}; valid: {', '.join(ALPHA_RULES)}")
        if self.options["alpha_prior"] not in ALPHA_PRIORS:
            raise ParameterError(f"unknown alpha_prior {self.options['alpha_prior']!r}; "
                                 f"valid: {', '.join(ALPHA_PRIORS)}")
        problem, blur = hidden_problem(problem, self.options["preblur"])
        mesh = problem.kernel.mesh
        w = mesh.weights
        sigma = problem.noise()
        default = problem.default_model if problem.default_model is not None \
            else default_model(self.options["entropy"], problem)
        m = default * w
        gt = problem.data / sigma
        with compute_threads(self.options["blas_threads"]):
            # K̃ = (K/σ) diag(1/w)
            svd = scaled_svd(problem.kernel, 1.0 / sigma, 1.0 / w)
            out = self._scan(svd, gt, m, w, sigma, rule, blur)
        if blur is not None:  # the answer is the blurred hidden image
            out.extras["hidden_image"], out.spectrum = out.spectrum, blur @ out.spectrum
        return out

    def _alphas(self, core: MaxEntCore) -> np.ndarray:
        """Initial α grid, large to small: ``[s_min² m̄, 10 s_max² m̄]`` (α enters the Hessian
        as ``α diag(1/A)`` beside ``U Σ² Uᵀ``; ``m̄`` the mean default cell weight), invariant
        under ``g → c g``; extended downwards by :meth:`_run_scan`. A fixed α is reached
        from the top at the grid's spacing (a cold Newton solve at small α stalls)."""
        n_alpha = int(self.options["n_alpha"])
        if n_alpha < 5:
            raise ParameterError("maxent n_alpha must be >= 5")
        if self.options["alpha_range"] is None:
            s2, mbar = core.s**2, float(np.mean(core.m))
            hi = float(s2[0]) * 10.0 * mbar
            lo = max(float(s2[-1]), float(s2[0]) * 1e-14) * mbar
        else:
            lo, hi = map(float, self.options["alpha_range"])
            if not 0 < lo < hi:
                raise ParameterError("maxent alpha_range must be (lo, hi) with 0 < lo < hi")
        if self.options["alpha"] is None:
            return np.logspace(np.log10(hi), np.log10(lo), n_alpha)
        if not float(self.options["alpha"]) > 0:
            raise ParameterError(f"maxent alpha must be > 0, got {self.options['alpha']}")
        alpha, step = float(self.options["alpha"]), np.log(lo / hi) / (n_alpha - 1)
        path = hi * np.exp(step * np.arange(max(int(np.log(alpha / hi) / step), 0) + 1))
        return np.append(path[path > alpha * (1.0 + 1e-9)], alpha)

    def _scan(self, svd: tuple[np.ndarray, np.ndarray, np.ndarray], gt: np.ndarray,
              m: np.ndarray, w: np.ndarray, sigma: np.ndarray, rule: str,
              blur: np.ndarray | None) -> SolverOutput:
        core = core_class(self.options["entropy"], bool(self.options["bryan_iteration"]))(
            svd, gt, m, float(self.options["rtol"]), float(self.options["atol"]))
        prior = self.options["alpha_prior"] if rule == "posterior" else "jeffreys"
        pts = self._run_scan(core, rule, prior)
        used = np.array([p.alpha for p in pts])
        chi2_arr = np.array([p.chi2 for p in pts])
        ent_arr = np.array([p.ent for p in pts])
        logpost = np.array([p.logpost(prior) for p in pts])
        spectra_arr = np.array([p.a / w for p in pts])
        fixed = self.options["alpha"] is not None
        hyper: dict = {"alpha_rule": "fixed" if fixed else rule, "rank": core.rank}
        extras = {"alphas": used, "chi2": chi2_arr, "entropy": ent_arr, "logpost": logpost}
        if rule == "bryan" and not fixed:
            p = np.exp(logpost - logpost.max())
            p = p / p.sum()  # weights on the uniform log-α grid
            f = p @ spectra_arr
            hyper["alpha"] = float(np.exp(p @ np.log(used)))
            # a spread over α, not an error band (6 % coverage of a nominal 68 %)
            extras["alpha_spread"] = np.sqrt(np.clip(p @ (spectra_arr - f) ** 2, 0, None))
            chosen = pts[int(np.argmin(np.abs(np.log(used / hyper["alpha"]))))]
        else:
            idx = len(pts) - 1 if fixed else self._pick(
                rule, used, chi2_arr, ent_arr, np.array([p.ngood for p in pts]), logpost, gt.size)
            chosen, refine = pts[idx], self.options["refine_alpha"] and not fixed
            if refine and rule in ("classic", "historic", "posterior"):
                chosen = self._refine(core, pts, idx, rule, prior)
            elif refine and rule == "chi2curv":
                chosen = _refine_curvature(core, pts, idx)
            if not chosen.converged:  # finish the chosen solve (the scan's budget is short)
                a, ok = core.solve(chosen.a, chosen.alpha, max_iter=FINAL_ITER)
                chosen = Point(core, chosen.alpha, a, ok)
            f = chosen.a / w
            hyper["alpha"] = chosen.alpha
            hyper["alpha_grid"] = float(used[idx])
            hyper["alpha_at_grid_end"] = not fixed and _pinned(rule, pts, idx)
            if hyper["alpha_at_grid_end"]:
                warnings.warn(f"maxent {rule}: alpha = {chosen.alpha:.3g} lies at the "
                              f"{'top' if idx == 0 else 'bottom'} of the scanned grid "
                              f"[{used.min():.3g}, {used.max():.3g}] after its extension; give "
                              "alpha_range wider than that", ConvergenceWarning, stacklevel=2)
        if rule == "posterior" and not fixed:
            hyper["alpha_prior"] = prior
            hyper["logpost_at_alpha"] = chosen.logpost(prior)
        if not chosen.converged:
            warnings.warn(f"maxent: Newton iteration did not converge at the chosen "
                          f"alpha = {hyper['alpha']:.3g}", ConvergenceWarning, stacklevel=2)
        best = float(chi2_arr.min())
        if best > CHI2_MISFIT * gt.size:
            warnings.warn(f"maxent: no spectrum on this mesh fits the data (minimum chi2/n = "
                          f"{best / gt.size:.3g} over the alpha scan); widen the frequency "
                          "window or check the error bars", ConvergenceWarning, stacklevel=2)
        hyper["chi2_at_alpha"] = float(chosen.chi2) if rule != "bryan" else float(
            np.interp(np.log(hyper["alpha"]), np.log(used[::-1]), chi2_arr[::-1]))
        shown = (lambda a: a / w) if blur is None else (lambda a: blur @ (a / w))

        def step(alpha: float, state: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray]:
            a, _ = core.solve((chosen.a if state is None else state).copy(), alpha, SCAN_ITER)
            return core.chi2(a), shown(a), a

        return SolverOutput(f, sigma=sigma, hyperparameters=hyper, extras=extras,
                            alpha_window=lambda: window_spread(
                                step, hyper["alpha"], hyper["chi2_at_alpha"], shown(f * w),
                                gt.size))

    def _run_scan(self, core: MaxEntCore, rule: str, prior: str) -> list[Point]:
        """Solve on the α grid from large to small (warm starts) until the rule's α is
        bracketed; an automatic grid is extended downwards, at the same log spacing, while
        :meth:`_needs_lower` says the answer lies below it (at most :data:`MAX_EXTEND`
        grids more). A user ``alpha_range`` (or the path to a fixed α) is scanned as given."""
        alphas, fixed = list(self._alphas(core)), self.options["alpha"] is not None
        ratio = alphas[1] / alphas[0] if len(alphas) > 1 else 1.0
        a, pts, limit = core.start(), [], len(alphas) * (1 + MAX_EXTEND)
        while True:
            for alpha in alphas[len(pts):]:
                a, ok = core.solve(a, alpha, max_iter=SCAN_ITER)
                pts.append(Point(core, alpha, a, ok))
                if not fixed and self._scan_done(rule, pts, prior):
                    return pts
            given = self.options["alpha_range"] is not None or fixed
            if given or len(alphas) >= limit or not self._needs_lower(rule, pts, prior, ratio):
                return pts
            alphas.extend(alphas[-1] * ratio ** np.arange(1, len(pts) // 2 + 1))

    @staticmethod
    def _needs_lower(rule: str, pts: list[Point], prior: str, ratio: float) -> bool:
        """Does the rule's α lie below the scanned grid?

        Never once χ² has stopped falling (relative change below :data:`PLATEAU` over the
        last decade of α): smaller α then only fits rounding, and the misfit is the
        data's (reported by the check), not the grid's.
        """
        chi2 = np.array([p.chi2 for p in pts])
        decade = max(int(round(np.log(0.1) / np.log(ratio))), 1)
        back = chi2[max(len(chi2) - 1 - decade, 0)]
        if chi2[-1] >= (1.0 - PLATEAU) * back:
            return False
        if rule in ("historic", "classic"):
            return True  # not bracketed, or _scan_done would have stopped the scan
        if rule in ("posterior", "bryan"):
            lp = np.array([p.logpost(prior) for p in pts])
            return int(np.argmax(lp)) >= len(pts) - 2
        if rule in CURVE_RULES:
            return True  # the corner is seen only once χ² has reached its floor
        # chi2kink: the kink lies below the α at which the data are first fitted
        return bool(chi2[-1] > pts[-1].n_data)

    @staticmethod
    def _scan_done(rule: str, pts: list[Point], prior: str) -> bool:
        """Stop the scan once the rule's answer is bracketed (classic, historic,
        posterior, chi2curv; the others read the whole scan)."""
        if rule in ("classic", "historic"):
            # the first crossing (−2αS = N_good, resp. χ² = N) coming from large α
            return len(pts) > 2 and np.sign(pts[-1].ratio(rule)) != np.sign(
                pts[-2].ratio(rule))
        if rule == "posterior" and len(pts) > 4:
            lp = np.array([p.logpost(prior) for p in pts])
            top = int(np.argmax(lp))
            # three points past a maximum that is 20 (e^20) above the current value
            return 0 < top <= len(pts) - 4 and lp[-1] < lp[top] - 20.0
        if rule == "chi2curv":  # χ² on its floor: the corner lies behind the scan
            return alpha_rules.floor_reached(np.log([p.alpha for p in pts]),
                                             [p.chi2 for p in pts], PLATEAU)
        return False

    def _refine(self, core: MaxEntCore, pts: list[Point], idx: int, rule: str,
                prior: str) -> Point:
        """α between the grid neighbours of ``idx`` (warm-started solves)."""
        cache: dict[float, Point] = {}

        def at(log_alpha: float) -> Point:
            if log_alpha not in cache:
                alpha = float(np.exp(log_alpha))
                near = min(pts + list(cache.values()),
                           key=lambda p: abs(np.log(p.alpha) - log_alpha))
                a, ok = core.solve(near.a.copy(), alpha)
                cache[log_alpha] = Point(core, alpha, a, ok)
            return cache[log_alpha]

        la = np.log([p.alpha for p in pts])
        if rule in ("classic", "historic"):
            if idx == 0 or np.sign(pts[idx].ratio(rule)) == np.sign(
                    pts[idx - 1].ratio(rule)):
                return pts[idx]
            from scipy.optimize import brentq  # lazily: scipy.optimize costs ~0.3 s to import

            try:
                root = brentq(lambda x: at(x).ratio(rule), la[idx], la[idx - 1],
                              xtol=1e-3)
            except (ValueError, RuntimeError):
                return pts[idx]
            return at(root)
        if idx == 0 or idx == len(pts) - 1:
            return pts[idx]
        from scipy.optimize import minimize_scalar

        res = minimize_scalar(lambda x: -at(x).logpost(prior), method="bounded",
                              bounds=(la[idx + 1], la[idx - 1]),
                              options={"xatol": 2e-3})
        best = at(float(res.x))
        return best if best.logpost(prior) >= pts[idx].logpost(prior) else pts[idx]

    def _pick(self, rule: str, alphas: np.ndarray, chi2: np.ndarray, ent: np.ndarray,
              ngood: np.ndarray, logpost: np.ndarray, n_data: int) -> int:
        if rule == "posterior":
            return int(np.argmax(logpost))
        if rule == "chi2curv":
            return alpha_rules.chi2_curvature(np.log(alphas), chi2)
        if rule == "linefit":
            return alpha_rules.line_fit(np.log(alphas), chi2)
        if rule == "entropy":
            return alpha_rules.entropy_plateau(np.log(alphas), ent)
        if rule == "classic":
            # −2αS = N_good: the first crossing coming from large α
            ratio = np.log(np.maximum(-2.0 * alphas * ent, 1e-300) / np.maximum(ngood, 1e-300))
            cross = np.flatnonzero(np.sign(ratio[1:]) != np.sign(ratio[:-1]))
            return int(cross[0] + 1) if cross.size else int(np.argmin(np.abs(ratio)))
        if rule == "historic":
            # χ² = N: the first α (from large α) at which the data are fitted to their errors
            below = np.flatnonzero(chi2 <= n_data)
            if below.size:
                return int(below[0])
            warnings.warn(f"maxent historic: no alpha fits the data to their error bars "
                          f"(minimum chi2/n = {chi2.min() / n_data:.3g}); the smallest-chi2 "
                          "alpha is used - are the error bars too small?",
                          ConvergenceWarning, stacklevel=3)
            return int(np.argmin(chi2))
        from scipy.optimize import curve_fit

        x, y = np.log10(alphas), np.log10(np.maximum(chi2, 1e-300))
        try:
            p0 = (y.min(), y.max() - y.min(), float(np.median(x)), 1.0)
            (a, b, c, d), _ = curve_fit(_sigmoid, x, y, p0=p0, maxfev=20000)
            target = c - self.options["kink_position"] / d if d > 0 else float(np.median(x))
        except (RuntimeError, ValueError):
            # fall back to the point of maximal curvature of the log-log curve
            target = float(x[int(np.argmax(np.gradient(np.gradient(y, x), x)))])
        return int(np.argmin(np.abs(x - target)))


def _refine_curvature(core: MaxEntCore, pts: list[Point], idx: int) -> Point:
    """The χ²-curvature maximum on a grid :data:`CURV_REFINE` + 1 times finer between the
    grid neighbours of ``idx`` (warm-started solves); the grid point at a scan end."""
    if idx == 0 or idx == len(pts) - 1:
        return pts[idx]
    la = np.log([p.alpha for p in pts])
    fine = list(pts[idx - 1:idx + 2])
    for lo, hi, start in ((la[idx - 1], la[idx], pts[idx - 1]), (la[idx], la[idx + 1], pts[idx])):
        a = start.a
        for x in np.linspace(lo, hi, CURV_REFINE + 2)[1:-1]:
            a, ok = core.solve(a.copy(), float(np.exp(x)), max_iter=SCAN_ITER)
            fine.append(Point(core, float(np.exp(x)), a, ok))
    # outer neighbours keep the end points' finite differences meaningful
    fine += pts[max(idx - 2, 0):idx - 1] + pts[idx + 2:idx + 3]
    fine.sort(key=lambda p: -p.alpha)
    c = alpha_rules.curvature(alpha_rules.CURVATURE_GAMMA * np.log10([p.alpha for p in fine]),
                              np.log10([max(p.chi2, 1e-300) for p in fine]))
    inner = [k for k, p in enumerate(fine) if la[idx + 1] < np.log(p.alpha) < la[idx - 1]]
    best = max(inner, key=lambda k: c[k] if np.isfinite(c[k]) else -np.inf)
    return fine[best]


def _pinned(rule: str, pts: list[Point], idx: int) -> bool:
    """Is the chosen α stuck at an end of the (extended) scan? Not a ``classic``/``historic``
    crossing bracketed by the last two points, where the scan stops by design."""
    if idx == len(pts) - 1 and idx > 0:
        return rule not in ("classic", "historic") or np.sign(pts[idx].ratio(rule)) == \
            np.sign(pts[idx - 1].ratio(rule))
    return idx == 0 and rule not in ("classic", "historic")
