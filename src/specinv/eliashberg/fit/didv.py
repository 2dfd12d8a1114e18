"""Fit α²F (and μ*) to a measured SIN conductance through the engine (McMillan–Rowell, exact).

Forward model: hat-basis α²F and μ* → Matsubara solution at the measurement's T →
exact real-axis Δ(ω) → N(ω) = Re[ω/√(ω² − Δ²)] with Dynes Γ → thermal and
lock-in broadening by :class:`~specinv.kernels.STSKernel` → normalized dI/dV(V).
Parameters x = (a_1 … a_K, μ*, Γ); the smoothness penalty acts on a only and is
chosen by the discrepancy principle at the noise level estimated from the
data's roughness, by the gap fit's optimizer
(:mod:`~specinv.eliashberg.fit.continuation`).

The data fitted are the conductance in the phonon region, |V| ≥ Δ₀ + 4k_BT +
2√2 V_rms + 0.3 meV (the coherence peak itself is so sharp at T ≪ T_c that a
Gauss–Newton step cannot follow it), and one more datum for the gap: the
position of the coherence peak (parabolic vertex, model against data, σ =
:data:`GAP_EDGE_SIGMA`), or, with ``gap_edge``, the engine's gap edge against the
stated Δ₀. The gap fixes the λ–μ* combination; the phonon structure at Δ₀ + Ω
fixes the shape and the strength. Phonons below the lowest fitted |V| − Δ₀ leave
no trace in the fitted data; their knots are held at 0 (acoustic α²F ∝ Ω² is
negligible there), otherwise the fit puts unseen weight there, which inflates λ
through its 1/Ω weight.

What the inversion needs: the bias range must reach Δ₀ + the highest phonon
energy (the fit represents α²F only up to V_max − Δ₀), and the noise must stay
well below the phonon structure, ~1e-2 of the normal conductance for λ ~ 1
(1e-3 in the validated cases).
"""

from __future__ import annotations

import numpy as np

from specinv.core.check import check_fit
from specinv.core.errors import InputError, ParameterError
from specinv.core.mesh import Mesh
from specinv.core.noise import estimate_noise
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.realaxis import dos, gap_edge
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.continuation import continuation_fit
from specinv.eliashberg.fit.forward import EngineForward
from specinv.eliashberg.fit.gap import N_KNOTS, OMEGA_TOP_MAX, flat_start, support_top
from specinv.eliashberg.fit.result import A2FFit
from specinv.kernels import STSKernel

#: uncertainty given to a stated gap edge (meV)
GAP_EDGE_SIGMA = 0.01
#: energies beyond the highest |bias| that the DOS mesh covers (meV): thermal + lock-in tails
MESH_MARGIN = 3.0
MU_STAR_BOUNDS = (0.0, 0.3)
#: μ* held during the first stages (shape and scale of α²F) before it is freed
MU_STAR_START = 0.12
GAMMA_BOUNDS = (0.0, 0.5)


class ConductanceModel:
    """(a, μ*, Γ) → normalized SIN dI/dV on the measured bias points.

    Parameters
    ----------
    basis : HatBasis
        Representation of α²F.
    bias : ndarray of shape (n,)
        Bias (mV).
    temperature_K : float
        Temperature (K).
    lockin_rms : float
        Lock-in rms modulation (mV).
    d_omega : float
        Real-axis step (meV); the DOS mesh is the iteration's cell-centred mesh.
    """

    def __init__(self, basis: HatBasis, bias: np.ndarray, temperature_K: float,
                 lockin_rms: float, d_omega: float) -> None:
        top = float(np.max(np.abs(bias))) + MESH_MARGIN
        self.omega = (np.arange(int(np.ceil(top / d_omega))) + 0.5) * d_omega
        self.engine = EngineForward(basis, temperature_K, self.omega, d_omega)
        w = np.concatenate([-self.omega[::-1], self.omega])
        self.kernel = STSKernel(np.asarray(bias, float), Mesh.from_points(w),
                                temperature=temperature_K, lockin_rms=lockin_rms).matrix
        self.last_gap_edge = float("nan")

    def __call__(self, x: np.ndarray) -> np.ndarray | None:
        """Conductance for parameters ``x = (a, μ*, Γ)``; None without a gap.

        Parameters
        ----------
        x : ndarray of shape (K + 2,)
            Coefficients, μ*, Γ (meV).

        Returns
        -------
        ndarray of shape (n,) or None
            Normalized dI/dV.
        """
        ra = self.engine(x[:-2], float(x[-2]))
        if ra is None:
            return None
        self.last_gap_edge = gap_edge(ra.omega, ra.delta)
        n = dos(self.omega, ra.delta, float(x[-1]))
        return self.kernel @ np.concatenate([n[::-1], n])


def peak_position(bias: np.ndarray, g: np.ndarray) -> float:
    """Coherence peak at V > 0: vertex of the parabola through the largest point and its
    neighbours (mV), a continuous function of the curve.

    Parameters
    ----------
    bias : ndarray of shape (n,)
        Bias (mV), increasing, uniform near the peak.
    g : ndarray of shape (n,)
        Conductance.

    Returns
    -------
    float
        Peak bias (mV).
    """
    pos = np.nonzero(bias > 0)[0]
    i = int(pos[np.argmax(g[pos])])
    i = min(max(i, 1), bias.size - 2)
    y0, y1, y2 = g[i - 1], g[i], g[i + 1]
    den = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / den if den < 0 else 0.0
    return float(bias[i] + np.clip(shift, -1.0, 1.0) * 0.5 * (bias[i + 1] - bias[i - 1]))


def _data(bias: np.ndarray, didv: np.ndarray, gap_edge_meV: float | None) -> float:
    """Check the data; Δ₀ (meV): the stated one, else the coherence peak of the data."""
    if bias.size < 20 or np.any(np.diff(bias) <= 0):
        raise InputError("need >= 20 bias points in strictly increasing order", "dI/dV")
    if gap_edge_meV is not None:
        if not 0 < gap_edge_meV < float(np.max(np.abs(bias))):
            raise ParameterError(f"--gap-edge must lie in (0, max|bias|) meV, got "
                                 f"{gap_edge_meV}")
        return float(gap_edge_meV)
    if not np.count_nonzero(bias > 0) >= 3:
        raise InputError("no positive bias: the fit needs the coherence peak and the phonon "
                         "region at V > 0", "dI/dV")
    return peak_position(bias, didv)


def _match_gap_edge(model: ConductanceModel, a: np.ndarray, mu_star: float,
                    d0: float) -> np.ndarray:
    """``a`` scaled so that the engine's gap edge is Δ₀ (the conductance is far too nonlinear
    in Δ₀ for Gauss–Newton from a wrong gap edge): bisection on log(scale), 12 solves."""
    lo, hi = np.log(0.2), np.log(5.0)
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        ra = model.engine(a * np.exp(mid), mu_star)
        edge = ra.gap_edge() if ra is not None else 0.0
        if not np.isfinite(edge) or edge < d0:
            lo = mid
        else:
            hi = mid
    return a * np.exp(0.5 * (lo + hi))


def fit_didv(bias: np.ndarray, didv: np.ndarray, temperature_K: float, *,
             lockin_rms: float = 0.0, gap_edge_meV: float | None = None,
             mu_star: float | None = None, n_knots: int = N_KNOTS,
             d_omega: float = 0.1) -> A2FFit:
    """Fit α²F, μ* (unless given) and a Dynes Γ to a normalized SIN conductance.

    Stages: α²F on everything the bias range can see (Ω ≤ V_max − Δ₀) at μ* =
    :data:`MU_STAR_START` (or the given μ*); again on its support (finer knots) when it
    lives well inside; then, unless μ* is given, α²F and μ* together from there (a free μ*
    from a flat start runs to its bound along the λ–μ* valley of the gap edge), the
    continuation resuming at the previous stage's strength (restarted from the strongest,
    it first smoothed that answer away and stopped on the floor rule above it: Nb's
    conductance χ²/N 1.30 at μ* = 0.12, then 2.25 with μ* free).

    Parameters
    ----------
    bias : ndarray of shape (n,)
        Bias (mV), increasing.
    didv : ndarray of shape (n,)
        Conductance normalized to the normal state.
    temperature_K : float
        Temperature of the measurement (K).
    lockin_rms : float
        Lock-in rms modulation (mV).
    gap_edge_meV : float, optional
        Measured gap edge Δ₀ (meV), added as a datum.
    mu_star : float, optional
        Fixed μ* (default: fitted in [0, 0.3]).
    n_knots : int
        Hat coefficients K.
    d_omega : float
        Real-axis step (meV).

    Returns
    -------
    A2FFit
        α²F with its band, λ, ω_log, ω̄₂, T_c with errors, μ* (and its error), the verdict;
        ``fitted`` holds the fitted conductance and ``info["gamma_meV"]`` the Dynes Γ.
    """
    bias, didv = np.asarray(bias, float), np.asarray(didv, float)
    d0 = _data(bias, didv, gap_edge_meV)
    if mu_star is not None and not MU_STAR_BOUNDS[0] <= mu_star <= MU_STAR_BOUNDS[1]:
        raise ParameterError(f"--mu-star must lie in {list(MU_STAR_BOUNDS)}, got {mu_star}")
    reach = min(float(np.max(np.abs(bias))) - d0, OMEGA_TOP_MAX)
    if not reach > 2.0:
        raise InputError(f"the bias range ends {reach:.3g} meV above the gap edge; the phonon "
                         "region (up to Δ₀ + the highest phonon energy) must be measured",
                         "dI/dV")
    mu_fixed = MU_STAR_START if mu_star is None else mu_star
    fit = _fit_once(bias, didv, temperature_K, lockin_rms, gap_edge_meV, mu_fixed, d0,
                    HatBasis(n_knots, reach), None, d_omega)
    top = support_top(fit.omega, fit.a2f, 1e-2)
    stages = [fit]
    if max(1.3 * top, top + 2.0) <= 0.8 * reach:
        fit = _fit_once(bias, didv, temperature_K, lockin_rms, gap_edge_meV, mu_fixed, d0,
                        HatBasis(n_knots, max(1.3 * top, top + 2.0)), fit, d_omega)
        stages.append(fit)
    if mu_star is None:
        fit = _fit_once(bias, didv, temperature_K, lockin_rms, gap_edge_meV, None, d0,
                        fit.basis, fit, d_omega, fit.occam.mu)
        stages.append(fit)
    fit.occam.n_evaluations = sum(f.occam.n_evaluations for f in stages)
    fit.occam.wall_s = sum(f.occam.wall_s for f in stages)
    fit.info["stages"] = [{"omega_top_meV": f.basis.omega_max, "mu_star": f.mu_star,
                           "mu_star_fitted": f.info["mu_star_fitted"],
                           "chi2_reduced": f.occam.chi2_reduced} for f in stages]
    return fit


def _fit_once(bias: np.ndarray, didv: np.ndarray, temperature_K: float, lockin_rms: float,
              gap_edge_meV: float | None, mu_star: float | None, d0: float, basis: HatBasis,
              start: A2FFit | None, d_omega: float, mu_start: float | None = None) -> A2FFit:
    """One fit on a fixed basis (from a flat start, or from a previous fit; ``mu_start``: the
    strength the continuation starts at, the previous fit's when only μ* is freed)."""
    dw = min(d_omega, basis.spacing / 3.0)
    noise = estimate_noise(didv)
    kt = KB_MEV_PER_K * temperature_K
    fitted_region = np.abs(bias) >= d0 + 4.0 * kt + 2.0 * np.sqrt(2.0) * lockin_rms + 0.3
    if np.count_nonzero(fitted_region) < 20:
        raise InputError("fewer than 20 bias points lie in the phonon region above the "
                         "coherence peak", "dI/dV")
    data = didv[fitted_region]
    sigma = np.full(data.size, noise)
    peak = peak_position(bias, didv)
    mu0 = 0.12 if mu_star is None else mu_star
    if start is None:
        a0, gam0 = flat_start(basis, d0, mu0), 0.01
    else:
        a0 = start.coefficients.copy() if start.basis == basis else \
            basis.project(start.omega, start.a2f)
        mu0, gam0 = start.mu_star, start.info["gamma_meV"]
    fine = ConductanceModel(basis, bias, temperature_K, lockin_rms, dw)
    if start is None:
        a0 = _match_gap_edge(fine, a0, mu0, d0)
    x0 = np.concatenate([a0, [mu0, gam0]])
    k = basis.n_knots
    mu_lo, mu_hi = MU_STAR_BOUNDS if mu_star is None else (mu_star, mu_star + 1e-12)
    mu0 = float(np.clip(mu0, mu_lo, mu_hi))
    lower = np.concatenate([np.zeros(k), [mu_lo, GAMMA_BOUNDS[0]]])
    blind = basis.knots < float(np.min(np.abs(bias[fitted_region]))) - d0
    upper = np.concatenate([np.where(blind, 1e-12, np.inf), [mu_hi, GAMMA_BOUNDS[1]]])
    coarse = ConductanceModel(basis, bias, temperature_K, lockin_rms, 2.0 * dw)

    def residual(x: np.ndarray, model: ConductanceModel = fine) -> np.ndarray:
        g = model(x)
        if g is None:
            return np.full(data.size + 1, 1e3)
        r = (g[fitted_region] - data) / sigma
        if gap_edge_meV is not None:
            return np.append(r, (model.last_gap_edge - d0) / GAP_EDGE_SIGMA)
        return np.append(r, (peak_position(bias, g) - peak) / GAP_EDGE_SIGMA)

    rough = np.hstack([basis.roughness() * basis.spacing ** 2, np.zeros((k, 2))])
    scale = max(float(a0.max()), 1e-3)
    oc = continuation_fit(residual, x0, rough, lower=lower, upper=upper,
                          typical=np.concatenate([np.full(k, scale), [0.05, 0.02]]),
                          jac_fun=lambda x: residual(x, coarse), mu_start=mu_start)
    fitted = fine(oc.x)
    fitted = np.zeros_like(didv) if fitted is None else fitted
    check = check_fit(data, fitted[fitted_region], sigma, sigma_given=False)
    if check.failed:
        check.add("fail", "no non-negative alpha2F and mu* reproduce the conductance through "
                          "the Eliashberg equations at this T and lock-in")
    mu_std = 0.0 if mu_star is not None else float(np.sqrt(max(oc.covariance[k, k], 0.0)))
    fit = A2FFit(basis, oc.x[:k], oc.covariance[:k, :k], float(oc.x[k]), mu_std, oc, check,
                 info={"start": "flat (Allen-Dynes)" if start is None else "previous fit",
                       "gamma_meV": float(oc.x[k + 1]),
                       "gamma_meV_std": float(np.sqrt(max(oc.covariance[k + 1, k + 1], 0.0))),
                       "gap_edge_meV": d0, "gap_edge_given": gap_edge_meV is not None,
                       "peak_mV": peak,
                       "fitted_from_mV": float(np.min(np.abs(bias[fitted_region]))),
                       "noise_estimated": noise, "d_omega_meV": dw,
                       "mu_star_fitted": mu_star is None, "lockin_rms_mV": lockin_rms,
                       "temperature_K": temperature_K}, fitted=fitted)
    fit.evaluate()
    return fit
