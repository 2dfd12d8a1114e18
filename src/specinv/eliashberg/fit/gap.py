"""Fit α²F to a gap function Δ(ω) through the exact engine (λ free).

The data are Re and Im Δ(ω) on ω > 0; the forward model is the Matsubara
solution at the measurement's T and μ* continued by the exact real-axis
iteration (:mod:`~specinv.eliashberg.fit.forward`); α²F is a non-negative hat
basis (:mod:`~specinv.eliashberg.fit.basis`) up to ``omega_top`` with
:data:`GAP_KNOTS` knots, and the smoothness penalty (second differences of
α²F/Ω², :data:`ONSET_POWER`) is chosen by the discrepancy principle, its strength
lowered from strong to weak with warm starts
(:mod:`~specinv.eliashberg.fit.continuation`), or by the Laplace evidence
(``mu_rule="evidence"``; :mod:`~specinv.eliashberg.fit.gap_mu` combines the two). Nothing
holds λ: it is whatever reproduces the gap.

The noise level σ of every Δ value is the larger of the noise estimated from the
data's roughness and :data:`MODEL_TOL` × rms|Δ|, the accuracy of the forward
model (real-axis step 0.1 meV against 0.05 meV: 1e-3 rms; linear interpolation
to the data mesh).

Start: a given α²F (a network's answer) projected onto the basis, or, without
one, a flat α²F on the whole range the data can see (Ω ≤ ω_max − Δ₀) scaled so
that the engine's gap edge at T is the data's Δ₀ (:func:`flat_start`). A flat-start
answer that does not reproduce the gap (verdict ``fail``) with its α²F piled at the top of
a basis short of the data's ω_max is refitted on 0 … ω_max, and the better of the two kept
(:func:`_widened`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from specinv.core.check import check_fit
from specinv.core.errors import InputError, ParameterError
from specinv.core.noise import estimate_noise
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import allen_dynes_tc
from specinv.eliashberg.engine.realaxis import gap_edge
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.blind import TOL, BlindBounds, blind_bounds, blind_energy
from specinv.eliashberg.fit.continuation import FLOOR_GAIN, continuation_fit, minimize_at
from specinv.eliashberg.fit.forward import EngineForward
from specinv.eliashberg.fit.onset import ONSET_FACTOR, onset_check, onset_range
from specinv.eliashberg.fit.result import A2FFit

#: relative accuracy of the forward model (see the module docstring)
MODEL_TOL = 3e-3
#: highest α²F energy the fit represents (meV): elemental and A15 superconductors
OMEGA_TOP_MAX = 60.0
#: residual (in σ) of a trial α²F with no gap at T
NORMAL_PENALTY = 1e3
#: default number of hat coefficients of the dI/dV fit
N_KNOTS = 36
#: default number of hat coefficients of the gap fit: knots ~0.5 meV apart on 40 meV, so
#: that the basis reproduces the gap of peaks ~1 meV wide to the forward model's accuracy
#: (36 knots left χ²/N 10–100 on the truth's best representation, and the fit spent that
#: misfit on spurious weight at low Ω)
GAP_KNOTS = 72
#: p of the roughness penalty on α²F/Ω^p (:meth:`HatBasis.roughness`)
ONSET_POWER = 2.0
#: p of the weaker low-Ω prior the answer is re-minimized with at its μ (prior check)
ALT_POWER = 1.0


def flat_start(basis: HatBasis, delta0: float, mu_star: float,
               forward: EngineForward | None = None) -> np.ndarray:
    """Flat coefficients with the gap edge Δ₀.

    Without ``forward``: λ from the Allen–Dynes T_c with Δ₀ = 1.764 k_B T_c. With it, that
    λ is then scaled (bracketed by factors of 2, then Brent's method to 1 %) until the
    engine's gap edge at the forward model's T is Δ₀: Allen–Dynes misses the engine's T_c of
    a flat spectrum by up to 2× at strong coupling, and a gap measured near T_c lies below
    its T = 0 value, so the estimate alone can start with no gap at T at all.

    Parameters
    ----------
    basis : HatBasis
        Representation of α²F.
    delta0 : float
        Gap edge (meV).
    mu_star : float
        Coulomb pseudopotential.
    forward : EngineForward, optional
        The engine on the data's mesh and T.

    Returns
    -------
    ndarray of shape (K,)
        Coefficients (all equal).
    """
    ones = np.ones(basis.n_knots)
    mom = basis.moments(ones)
    tc = delta0 / (1.764 * KB_MEV_PER_K)

    def excess(lam: float) -> float:
        return allen_dynes_tc(lam, mom["omega_log_meV"], mom["omega2_meV"], mu_star) - tc

    lam = brentq(excess, mu_star + 0.05, 6.0) if excess(6.0) > 0 > excess(mu_star + 0.05) \
        else 1.0
    a0 = ones * lam / mom["lambda"]
    return a0 if forward is None else _match_gap_edge(forward, a0, delta0, mu_star)


def _match_gap_edge(forward: EngineForward, a0: np.ndarray, delta0: float,
                    mu_star: float) -> np.ndarray:
    """``a0`` scaled so that the engine's gap edge is ``delta0`` (``a0`` when not bracketed)."""
    def log_ratio(s: float) -> float:
        ra = forward(s * a0, mu_star)
        edge = gap_edge(forward.omega_out, ra.delta) if ra is not None else 0.0
        return float(np.log(max(edge, 1e-3 * delta0) / delta0)) if np.isfinite(edge) else 0.0

    lo, hi = 1.0, 1.0
    f_lo = f_hi = log_ratio(1.0)
    for _ in range(6):
        if f_lo <= 0 <= f_hi:
            break
        if f_hi < 0:
            lo, f_lo, hi = hi, f_hi, 2.0 * hi
            f_hi = log_ratio(hi)
        else:
            hi, f_hi, lo = lo, f_lo, 0.5 * lo
            f_lo = log_ratio(lo)
    if not f_lo <= 0 <= f_hi:
        return a0
    s = lo if f_lo == 0 else hi if f_hi == 0 else brentq(log_ratio, lo, hi, rtol=1e-2)
    return s * a0


def support_top(omega: np.ndarray, values: np.ndarray, frac: float = 1e-3) -> float:
    """Highest Ω where α²F exceeds ``frac`` of its maximum (meV).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Mesh (meV).
    values : ndarray of shape (n,)
        α²F.
    frac : float
        Threshold relative to the maximum.

    Returns
    -------
    float
        The top of the support (meV).
    """
    v = np.clip(np.asarray(values, float), 0.0, None)
    big = np.nonzero(v > frac * v.max())[0]
    return float(omega[big[-1]]) if big.size else float(omega[-1])


def _gap_data(omega: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Data restricted to ω > 0 and its gap edge Δ₀ (meV), or an InputError."""
    w = np.asarray(omega, float)
    d = np.asarray(delta, complex)
    keep = w > 0
    w, d = w[keep], d[keep]
    d0 = gap_edge(w, d)
    if not np.isfinite(d0):
        d0 = float(d.real[0])
    if not d0 > 0 or w.size < 10:
        raise InputError("the gap function has no gap edge (Re Δ(ω) = ω is never crossed) "
                         "or fewer than 10 points at ω > 0", "gap")
    return w, d, d0


def fit_gap(omega: np.ndarray, delta: np.ndarray, temperature_K: float, mu_star: float, *,
            start: tuple[np.ndarray, np.ndarray] | None = None, omega_top: float | None = None,
            n_knots: int = GAP_KNOTS, d_omega: float = 0.1,
            mu_rule: str = "discrepancy") -> A2FFit:
    """Fit α²F (λ free) to Δ(ω) through the engine, zooming in on its support.

    From a given start (and no ``omega_top``) one fit on the start's support; when its verdict
    is ``fail``, the flat-start fit below runs as well and the answer with the lower χ²/N is
    kept (``info["start_kept"]``). Without a start and a given ``omega_top`` the first fit
    spans everything the data can see (Ω ≤ ω_max − Δ₀); when its α²F lives well inside
    (support × 1.3 + 2 meV below 80 % of that range) a second fit starts from it on the
    support with the same number of knots, i.e. finer ones (narrow peaks). When the flat-start
    answer's verdict is ``fail``, its α²F is piled at the basis top and that top stops short
    of the data's ω_max, a refit on 0 … ω_max runs and the one with the lower χ²/N is kept
    (``info["widened"]``).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Energies of the data (meV), increasing.
    delta : ndarray of shape (n,), complex
        Measured Δ(ω) (meV).
    temperature_K : float
        Temperature of the measurement (K).
    mu_star : float
        Coulomb pseudopotential (referred to the highest phonon energy).
    start : (ndarray, ndarray), optional
        (Ω, α²F) to start from (a network's answer); default: flat, scaled to the data's gap
        edge (:func:`flat_start`).
    omega_top : float, optional
        Highest knot (meV); default: from the start's support (×1.3 + 2 meV), or the data's
        ω_max − Δ₀ without a start, at most :data:`OMEGA_TOP_MAX`.
    n_knots : int
        Hat coefficients K.
    d_omega : float
        Real-axis step of the forward model (meV). Each Jacobian costs K forward solves on a
        twice coarser real-axis mesh.
    mu_rule : {"discrepancy", "evidence"}
        How every fit chooses its smoothing μ (:func:`continuation_fit`).

    Returns
    -------
    A2FFit
        The fit, its uncertainties (:meth:`A2FFit.evaluate` already called) and its verdict.
    """
    if mu_rule not in ("discrepancy", "evidence"):
        raise ParameterError(f"mu_rule must be 'discrepancy' or 'evidence', got {mu_rule!r}")
    opts = (n_knots, d_omega, mu_rule)
    if omega_top is not None:
        return _fit_once(omega, delta, temperature_K, mu_star, start, omega_top, *opts)
    if start is not None:
        given = _fit_once(omega, delta, temperature_K, mu_star, start, None, *opts)
        if not given.check.failed:
            return given
        flat = fit_gap(omega, delta, temperature_K, mu_star, n_knots=n_knots, d_omega=d_omega,
                       mu_rule=mu_rule)
        best = flat if flat.occam.chi2_reduced < given.occam.chi2_reduced else given
        best.info.update(start_given_chi2_reduced=given.occam.chi2_reduced,
                         start_flat_chi2_reduced=flat.occam.chi2_reduced,
                         start_kept="given" if best is given else "flat")
        best.occam.n_evaluations = given.occam.n_evaluations + flat.occam.n_evaluations
        best.occam.wall_s = given.occam.wall_s + flat.occam.wall_s
        return best
    first = _fit_once(omega, delta, temperature_K, mu_star, None, None, *opts)
    top = support_top(first.omega, first.a2f, 1e-2)
    if max(1.3 * top, top + 2.0) > 0.8 * first.basis.omega_max:
        return _widened(first, omega, delta, temperature_K, mu_star, *opts)
    second = _fit_once(omega, delta, temperature_K, mu_star, (first.omega, first.a2f), None,
                       *opts)
    second.info.update(start="flat (gap edge), then zoomed on the first fit's support",
                       first_fit_chi2_reduced=first.occam.chi2_reduced,
                       first_fit_omega_top_meV=first.basis.omega_max)
    _add_cost(second, first)
    return _widened(second, omega, delta, temperature_K, mu_star, *opts)


def _add_cost(fit: A2FFit, other: A2FFit) -> None:
    """Add ``other``'s engine solves and wall time to ``fit``'s record."""
    fit.occam.n_evaluations += other.occam.n_evaluations
    fit.occam.wall_s += other.occam.wall_s


def _widened(fit: A2FFit, omega: np.ndarray, delta: np.ndarray, temperature_K: float,
             mu_star: float, n_knots: int, d_omega: float, mu_rule: str) -> A2FFit:
    """``fit``, or a refit on a basis reaching the data's ω_max when that reproduces the gap
    better.

    Only when the data say the first fit did not work (verdict ``fail``: χ²/N above the noise
    bound), its α²F is piled at the basis top (the last knot's weight above the zoom's
    support threshold, 1 % of the maximum) and the basis stops short of ω_max (at
    ω_max − Δ₀ or at the zoomed support): phonons between the basis top and ω_max still
    shape Δ(ω) below ω_max through the real-axis self-energy, and a basis that cannot hold
    them spends the misfit elsewhere. The refit has the same number of knots (the same
    freedom, on a coarser grid), sees the same data with the same σ, and starts flat; the
    answer with the lower χ²/N is kept (``info["widened"]``).
    """
    w = np.asarray(omega, float)
    full = min(float(w[-1]), OMEGA_TOP_MAX)
    piled = support_top(fit.omega, fit.a2f, 1e-2) > fit.basis.omega_max
    if not (fit.check.failed and piled) or fit.basis.omega_max >= full - fit.basis.spacing:
        return fit
    wide = _fit_once(omega, delta, temperature_K, mu_star, None, full, n_knots, d_omega,
                     mu_rule)
    best = wide if wide.occam.chi2_reduced < fit.occam.chi2_reduced else fit
    best.info["widened"] = {"first_chi2_reduced": fit.occam.chi2_reduced,
                            "first_omega_top_meV": fit.basis.omega_max,
                            "wide_chi2_reduced": wide.occam.chi2_reduced,
                            "wide_omega_top_meV": full,
                            "kept": "wide" if best is wide else "first"}
    _add_cost(best, wide if best is fit else fit)
    return best


def _fit_once(omega: np.ndarray, delta: np.ndarray, temperature_K: float, mu_star: float,
              start: tuple[np.ndarray, np.ndarray] | None, omega_top: float | None,
              n_knots: int, d_omega: float, mu_rule: str) -> A2FFit:
    """One fit of :func:`fit_gap` on a fixed basis."""
    if not 0 <= mu_star < 1:
        raise ParameterError(f"mu_star must lie in [0, 1), got {mu_star}")
    w, d, d0 = _gap_data(omega, delta)
    reach = min(float(w[-1]) - d0, OMEGA_TOP_MAX)
    if omega_top is None:
        omega_top = reach if start is None else min(
            reach, max(1.3 * support_top(*start), support_top(*start) + 2.0))
    basis = HatBasis(n_knots, float(omega_top))
    dw = min(d_omega, basis.spacing / 3.0)
    fine = EngineForward(basis, temperature_K, w, dw)
    a0 = basis.project(*start) if start is not None else None
    if a0 is None or not np.any(a0 > 0) or fine(a0, mu_star) is None:  # no gap at T
        a0 = flat_start(basis, d0, mu_star, fine)
    data = np.concatenate([d.real, d.imag])
    rms = float(np.sqrt(np.mean(np.abs(d) ** 2)))
    noise = max(estimate_noise(d.real), estimate_noise(d.imag))
    sigma = max(noise, MODEL_TOL * rms)
    coarse = EngineForward(basis, temperature_K, w, 2.0 * dw)

    def model(a: np.ndarray, forward: EngineForward = fine) -> np.ndarray | None:
        ra = forward(a, mu_star)
        return None if ra is None else np.concatenate([ra.delta.real, ra.delta.imag])

    def residual(a: np.ndarray, forward: EngineForward = fine) -> np.ndarray:
        g = model(a, forward)
        return np.full(data.size, NORMAL_PENALTY) if g is None else (g - data) / sigma

    k = basis.n_knots
    scale = max(float(a0.max()), 1e-3)
    oc = continuation_fit(residual, a0, basis.roughness(ONSET_POWER) * basis.spacing ** 2,
                          lower=np.zeros(k), upper=np.full(k, np.inf), typical=np.full(k, scale),
                          jac_fun=lambda a: residual(a, coarse), mu_rule=mu_rule)
    fitted = model(oc.x)
    solved = fitted is not None
    fitted = np.zeros_like(data) if fitted is None else fitted
    check = check_fit(data, fitted, np.full(data.size, sigma), sigma_given=False,
                      tolerance=noise <= MODEL_TOL * rms)
    if not np.any(oc.x > 0):
        check.add("fail", "the fit lost every alpha2F weight (no superconducting solution "
                          "near the data)")
    if check.failed:
        check.add("fail", "no non-negative alpha2F within the fitted range reproduces the gap "
                          "function through the Eliashberg equations at this T and mu*")
    fit = A2FFit(basis, oc.x, oc.covariance, float(mu_star), 0.0, oc, check,
                 info={"start": "given" if start is not None else "flat (gap edge)",
                       "gap_edge_meV": d0, "sigma_meV": sigma, "noise_estimated_meV": noise,
                       "d_omega_meV": dw, "data_points": int(w.size)},
                 fitted=fitted)
    fit.evaluate()
    if solved:
        blind = blind_energy(temperature_K, w)
        _blind_check(fit, blind_bounds(fine, oc.x, lambda f, a: residual(a, f), blind))
        onset_check(fit, onset_range(fine, coarse, oc.x, lambda f, a: residual(a, f),
                                     ONSET_FACTOR * blind,
                                     basis.roughness(ONSET_POWER) * basis.spacing ** 2,
                                     oc.mu, np.full(k, scale)))
        _prior_check(fit, residual, lambda a: residual(a, coarse), scale)
    return fit


def _prior_check(fit: A2FFit, residual, jac_fun, scale: float) -> None:
    """Re-minimize at the answer's μ with the α²F/Ω penalty (:data:`ALT_POWER`), which lets
    weight at low Ω in more cheaply; record its λ, ω_log, χ²/N in ``fit.info["prior"]`` and
    warn when it reproduces the gap as well (χ²/N within :data:`FLOOR_GAIN` of the answer's,
    or at the noise level) and moves λ or ω_log by more than
    :data:`~specinv.eliashberg.fit.blind.TOL`: the gap then does not fix the weight at low Ω,
    the prior does."""
    basis, k = fit.basis, fit.basis.n_knots
    x, chi, calls = minimize_at(residual, fit.coefficients,
                                basis.roughness(ALT_POWER) * basis.spacing ** 2,
                                fit.occam.mu, lower=np.zeros(k), upper=np.full(k, np.inf),
                                typical=np.full(k, scale), jac_fun=jac_fun)
    f, alt = fit.figures, basis.moments(x)
    dl = abs(alt["lambda"] / f["lambda"] - 1.0)
    dw = abs(alt["omega_log_meV"] / f["omega_log_meV"] - 1.0)
    fit.info["prior"] = {"power": ALT_POWER, "lambda": alt["lambda"],
                         "omega_log_meV": alt["omega_log_meV"], "chi2_reduced": chi,
                         "n_evaluations": calls}
    fit.occam.n_evaluations += calls
    if max(dl, dw) > TOL and chi <= max((1.0 + FLOOR_GAIN) * fit.occam.chi2_reduced, 1.0):
        fit.check.add("warn", f"the gap does not fix alpha2F at low Omega: a smoothness prior "
                              f"on alpha2F/Omega instead of alpha2F/Omega^2 reproduces it as "
                              f"well (chi2/N {chi:.2f}) with lambda {alt['lambda']:.3f}, "
                              f"omega_log {alt['omega_log_meV']:.2f} meV (more than "
                              f"{TOL:.0%} from the answer's)")


def _blind_check(fit: A2FFit, bounds: BlindBounds) -> None:
    """Record the λ and ω_log ranges in ``fit.info``; warn when the data bound them and either
    is wider than :data:`~specinv.eliashberg.fit.blind.TOL`."""
    f = fit.figures
    wl, ww = bounds.widths(f["lambda"], f["omega_log_meV"])
    fit.info["blind"] = {**bounds.to_dict(), "lambda_range_rel": wl, "omega_log_range_rel": ww}
    if bounds.bounded and max(wl, ww) > TOL:
        lo, hi = bounds.omega_log_range_meV
        lam_lo, lam_hi = bounds.lambda_range
        fit.check.add("warn", f"the gap asks for alpha2F weight below E_blind = "
                              f"{bounds.energy_meV:.2f} meV (pi k_B T or the data step) that the "
                              f"answer's smooth onset lacks: answers that reproduce it as well "
                              f"span lambda {lam_lo:.3f}-{lam_hi:.3f}, omega_log {lo:.2f}-{hi:.2f} "
                              f"meV (wider than {TOL:.0%})")
