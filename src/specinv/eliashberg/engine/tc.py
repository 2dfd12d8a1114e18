"""Critical temperature from the linearized gap equation.

At T_c the gap is infinitesimal, R_m → |ω_m| and Z_n takes its normal value
Z_n = 1 + (πT/ω_n)[λ(0) + 2Σ_{k=1}^{n} λ(k)] (exact infinite sum). The
linearized equation Δ = A(T) Δ with

    A_nm = πT [K⁺_nm − 2μ*_c θ(ω_c − ω_m)] / (Z_n ω_m)

has a non-trivial solution where its largest (algebraic) real eigenvalue ρ(T)
crosses 1; ρ decreases with T, so T_c is bracketed and found by Brent's
method. Allen–Dynes T_c (same μ*) is reported alongside.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
from scipy.linalg import eigh
from scipy.optimize import brentq

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F, allen_dynes_tc, moments
from specinv.eliashberg.engine.pairing import setup


def largest_eigenvalue(a2f: A2F, temperature: float, mu_star: float, *,
                       cutoff: float | None = None, rescale_mu: bool = True,
                       n_matsubara: int | None = None) -> float:
    """ρ(T): largest real eigenvalue of the linearized gap equation at ``temperature`` (K).

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (meV mesh).
    temperature : float
        Temperature (K).
    mu_star : float
        Coulomb pseudopotential.
    cutoff : float, optional
        Coulomb cutoff ω_c (meV, default 10 ω_max).
    rescale_mu : bool
        Rescale μ* to ω_c.
    n_matsubara : int, optional
        Positive Matsubara frequencies (default: all below ω_c).

    Returns
    -------
    float
        ρ(T), dimensionless; T_c is where it crosses 1.
    """
    s = setup(a2f, temperature, mu_star, n_matsubara=n_matsubara, cutoff=cutoff,
              rescale_mu=rescale_mu)
    kp = s.k_plus - s.coulomb[None, :]
    zw = s.z_normal * s.omega_n
    if np.all(s.coulomb == s.coulomb[0]):
        # K' y = ρ (Z ω) y with K' symmetric: symmetric-definite, top eigenvalue only
        d = 1.0 / np.sqrt(zw)
        sym = s.pit * d[:, None] * kp * d[None, :]
        m = sym.shape[0]
        return float(eigh(sym, eigvals_only=True, subset_by_index=[m - 1, m - 1])[0])
    ev = np.linalg.eigvals(s.pit * kp / zw[:, None])
    real = ev[np.abs(ev.imag) <= 1e-9 * max(1.0, float(np.max(np.abs(ev))))].real
    return float(real.max()) if real.size else float(ev.real.max())


@dataclass
class TcResult:
    """T_c and the α²F moments (K and meV).

    Parameters
    ----------
    tc_K : float
        Critical temperature of the linearized gap equation (K); 0 below ``t_min``.
    lambda_ : float
        Coupling λ.
    omega_log_meV, omega2_meV : float
        ω_log and ω̄₂ (meV).
    allen_dynes_tc_K : float
        Allen–Dynes T_c with the same μ* (K).
    mu_star : float
        μ* as given.
    mu_star_eff : float
        μ* rescaled to the cutoff.
    cutoff_meV : float
        Coulomb cutoff ω_c (meV).
    rescale_mu : bool
        Whether μ* was rescaled.
    evaluations : int
        Eigenvalue problems solved.
    wall_time_s : float
        Wall time (s).
    """

    tc_K: float
    lambda_: float
    omega_log_meV: float
    omega2_meV: float
    allen_dynes_tc_K: float
    mu_star: float
    mu_star_eff: float
    cutoff_meV: float
    rescale_mu: bool
    evaluations: int
    wall_time_s: float

    def to_dict(self) -> dict:
        """JSON-ready dict with the CLI's key names (``lambda`` not ``lambda_``).

        Returns
        -------
        dict
            Every field, ``lambda_`` renamed ``lambda``.
        """
        d = asdict(self)
        d["lambda"] = d.pop("lambda_")
        return d


def critical_temperature(a2f: A2F, mu_star: float, *, cutoff: float | None = None,
                         rescale_mu: bool = True, t_min: float = 0.05, t_max: float | None = None,
                         xtol: float = 1e-4) -> TcResult:
    """T_c where ρ(T) = 1 (bracketing + Brent), with λ, ω_log, ω̄₂ and Allen–Dynes T_c.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function (meV mesh).
    mu_star : float
        Coulomb pseudopotential (rescaled to ``cutoff`` unless ``rescale_mu`` is False).
    cutoff : float, optional
        Matsubara/Coulomb cutoff ω_c in meV (default 10 ω_max); the linearized
        sums run over all ω_n < ω_c.
    rescale_mu : bool
        Rescale μ* to ω_c.
    t_min : float
        Lowest temperature searched (K); ``tc_K = 0`` if ρ(t_min) < 1.
    t_max : float, optional
        Highest temperature searched (default: from ω_max).
    xtol : float
        Absolute tolerance on T_c in K.

    Returns
    -------
    TcResult
        T_c (K), moments (meV) and Allen–Dynes T_c.

    Raises
    ------
    ParameterError
        μ* < 0, or T_c above the search limit.
    """
    t0 = time.perf_counter()
    if not np.isfinite(mu_star) or mu_star < 0:
        raise ParameterError(f"mu* must be >= 0, got {mu_star}")
    mom = moments(a2f)
    tc_ad = allen_dynes_tc(mom["lambda"], mom["omega_log_meV"], mom["omega2_meV"], mu_star)
    n_eval = 0

    def f(t: float) -> float:
        nonlocal n_eval
        n_eval += 1
        return largest_eigenvalue(a2f, t, mu_star, cutoff=cutoff, rescale_mu=rescale_mu) - 1.0

    s0 = setup(a2f, 1.0, mu_star, cutoff=cutoff, rescale_mu=rescale_mu, n_matsubara=2)
    hi_cap = t_max if t_max is not None else 2.0 * a2f.omega_max / 0.0861733 + 10.0
    guess = tc_ad if tc_ad > t_min else 2.0 * t_min
    lo, hi = guess / 1.3, guess * 1.3
    f_lo, f_hi = f(lo) if lo > t_min else f(t_min), f(min(hi, hi_cap))
    lo = max(lo, t_min)
    hi = min(hi, hi_cap)
    while f_lo < 0 and lo > t_min:
        hi, f_hi = lo, f_lo
        lo = max(lo / 2.0, t_min)
        f_lo = f(lo)
    tc = 0.0
    if f_lo >= 0:
        while f_hi > 0 and hi < hi_cap:
            lo, f_lo = hi, f_hi
            hi = min(hi * 2.0, hi_cap)
            f_hi = f(hi)
        if f_hi > 0:
            raise ParameterError(f"T_c is above the search limit {hi_cap:.4g} K")
        tc = brentq(f, lo, hi, xtol=xtol, rtol=1e-8)
    return TcResult(float(tc), mom["lambda"], mom["omega_log_meV"], mom["omega2_meV"], tc_ad,
                    float(mu_star), s0.mu_star_eff, s0.omega_c, rescale_mu, n_eval,
                    time.perf_counter() - t0)
