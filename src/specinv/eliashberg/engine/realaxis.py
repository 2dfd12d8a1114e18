"""Real-axis Δ(ω), Z(ω): the solution type, Padé continuation and observables.

**Padé**: Δ(iω_n), Z(iω_n) (and φ = ZΔ for the seed's consistency check) are
continued with :class:`~specinv.eliashberg.engine.pade.Pade` to ω + i0⁺.

The exact Marsiglio–Schossmann–Carbotte iteration lives in
:mod:`~specinv.eliashberg.engine.msc`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import localcontext
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.matsubara import MatsubaraSolution
from specinv.eliashberg.engine.pade import Pade


def retarded_root(w2: np.ndarray) -> np.ndarray:
    """√w2 on the branch with Im ≥ 0 (principal root, negated where Im < 0).

    Parameters
    ----------
    w2 : ndarray
        Squared (complex) energies.

    Returns
    -------
    ndarray of complex
        The retarded root, the shape of ``w2``.
    """
    r = np.sqrt(w2.astype(complex))
    return np.where(r.imag < 0, -r, r)


def physical_root(wt: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """√(ω̃² − φ²) for ω > 0: aligned with ω̃ (Re G ≥ 0) where that is unambiguous,
    otherwise (inside the gap, where the root is nearly orthogonal to ω̃) Im ≥ 0.

    Parameters
    ----------
    wt, phi : ndarray of complex, shape (n,)
        ω̃ = ωZ and φ = ZΔ on a mesh of positive energies, meV.

    Returns
    -------
    ndarray of complex, shape (n,)
        The root, meV.
    """
    r = retarded_root(wt ** 2 - phi ** 2)
    proj = (np.conj(wt) * r).real
    clear = np.abs(proj) > 0.1 * np.abs(wt) * np.abs(r)
    return np.where(clear & (proj < 0), -r, r)


def dos(omega: np.ndarray, delta: np.ndarray, gamma: float = 0.0) -> np.ndarray:
    """Tunneling DOS N(ω)/N_F = Re[(ω + iΓ)/√((ω + iΓ)² − Δ(ω)²)], even in ω.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Energies in meV (any sign; |ω| is used with Δ given at |ω|).
    delta : ndarray of shape (n,)
        Complex gap Δ(|ω|) in meV.
    gamma : float
        Dynes broadening Γ in meV (≥ 0).

    Returns
    -------
    ndarray of shape (n,)
        N(ω)/N_F (0 where the root vanishes).
    """
    w = np.abs(np.asarray(omega, dtype=float)) + 1j * gamma
    r = np.sqrt(w ** 2 - np.asarray(delta) ** 2)
    r = np.where(r.real < 0, -r, r)  # DOS branch: Re N ≥ 0 for ω > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (w / r).real
    return np.nan_to_num(out, nan=0.0, posinf=0.0)


def gap_edge(omega: np.ndarray, delta: np.ndarray) -> float:
    """Δ₀ from Re Δ(Δ₀) = Δ₀: first sign change of Re Δ(ω) − ω (linear interpolation), meV.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Energies ω ≥ 0 (meV), increasing.
    delta : ndarray of shape (n,)
        Complex gap Δ(ω) (meV).

    Returns
    -------
    float
        Δ₀ (meV); NaN when Re Δ(ω) − ω never changes sign on the mesh.
    """
    w = np.asarray(omega, dtype=float)
    g = np.real(delta) - w
    idx = np.nonzero((g[:-1] > 0) & (g[1:] <= 0))[0]
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    return float(w[i] + g[i] * (w[i + 1] - w[i]) / (g[i] - g[i + 1]))


@dataclass
class RealAxisSolution:
    """Δ(ω), Z(ω) for ω ≥ 0 (meV) from Padé or the MSC iteration.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Real energies (meV).
    delta : ndarray of shape (n,), complex
        Gap Δ(ω) (meV).
    z : ndarray of shape (n,), complex
        Renormalization Z(ω).
    method : {"pade", "realaxis"}
        How the solution was obtained.
    info : dict
        Method details (Padé points and precision, or iterations and convergence).
    """

    omega: np.ndarray
    delta: np.ndarray
    z: np.ndarray
    method: str
    info: dict[str, Any] = field(default_factory=dict)

    def dos(self, gamma: float = 0.0) -> np.ndarray:
        """N(ω)/N_F on :attr:`omega` (see :func:`dos`).

        Parameters
        ----------
        gamma : float
            Dynes broadening Γ (meV).

        Returns
        -------
        ndarray of shape (n,)
            The tunneling DOS.
        """
        return dos(self.omega, self.delta, gamma)

    def gap_edge(self) -> float:
        """Δ₀ in meV (see :func:`gap_edge`).

        Returns
        -------
        float
            Δ₀ (meV), NaN when not found.
        """
        return gap_edge(self.omega, self.delta)


def continue_pade(sol: MatsubaraSolution, omega: np.ndarray, *, n_points: int | None = None,
                  precision: str = "extended", eta: float = 0.0,
                  with_phi: bool = False, n_approximants: int = 1) -> RealAxisSolution:
    """Padé continuation of Δ and Z (and optionally φ) to ω + iη.

    Parameters
    ----------
    sol : MatsubaraSolution
        With ``precision="mp"`` and a solution solved with ``dps``
        (``sol.digits``), the many-digit values are continued; otherwise the
        double-precision ones, whose rounding limits the continuation (see
        :mod:`~specinv.eliashberg.engine.digits`).
    omega : ndarray of shape (n,)
        Real energies, meV.
    n_points : int, optional
        Lowest Matsubara points used (default all).
    precision : {"double", "extended", "mp"}
        Arithmetic of the Padé recursion. The continued fraction is evaluated in
        extended precision whatever the recursion used.
    eta : float
        Distance above the real axis, meV (0: on the axis).
    with_phi : bool
        Also continue φ = ZΔ; ``info["phi"]`` then holds φ(ω).
    n_approximants : int
        Pointwise median (of real and imaginary parts) over the approximants
        through ``n_points``, ``n_points − s``, … points, s = 10 (less when
        there are fewer than 10 points per approximant to spare): a spurious pole
        pair of one approximant near the real axis does not survive the median.

    Returns
    -------
    RealAxisSolution
        Δ and Z on ``omega`` (method ``"pade"``).
    """
    t0 = time.perf_counter()
    n = sol.omega_n.size if n_points is None else min(int(n_points), sol.omega_n.size)
    k = int(n_approximants)
    if k < 1 or n - (k - 1) < 2:
        raise ParameterError(f"n_approximants must be between 1 and n_points - 1 = {n - 1}, "
                             f"got {n_approximants}")
    step = min(10, (n - 2) // (k - 1)) if k > 1 else 1
    digits = sol.digits if precision == "mp" else None
    w = np.asarray(omega, dtype=float) + 1j * eta
    names = ("delta", "z", "phi") if with_phi else ("delta", "z")
    out = {}
    for name in names:
        if digits is not None:
            with localcontext() as ctx:  # φ = ZΔ rounded to the solution's digits
                ctx.prec = digits.dps
                u = digits.z * digits.delta if name == "phi" else getattr(digits, name)
            zeros = np.zeros(n)
            pade = Pade.fit_digits(zeros, digits.omega_n[:n], u[:n], zeros, dps=digits.dps)
        else:
            u = sol.phi if name == "phi" else getattr(sol, name)
            pade = Pade.fit(1j * sol.omega_n[:n], u[:n].astype(complex), precision=precision)
        pade = pade.rounded("double")  # 6e-14 of max|Δ| from the exact fraction
        runs = [pade.truncated(n - step * i)(w) for i in range(k)]
        out[name] = runs[0] if k == 1 else (np.median(np.real(runs), axis=0)
                                            + 1j * np.median(np.imag(runs), axis=0))
    info: dict[str, Any] = {"n_points": n, "precision": precision, "eta_meV": eta,
                            "n_approximants": k, "approximant_step": step,
                            "digits": digits.dps if digits is not None else None}
    if with_phi:
        info["phi"] = out["phi"]
    info["wall_time_s"] = time.perf_counter() - t0
    return RealAxisSolution(np.asarray(omega, dtype=float), out["delta"], out["z"], "pade", info)


def consistency_check(ra: RealAxisSolution, omega_max: float = 35.0, *,
                      diff_tol: float = 0.02, ratio_tol: float = 0.05) -> dict[str, Any]:
    """Seed 002 check of Δ(ω) against φ(ω)/Z(ω) below ``omega_max`` (Padé with φ).

    Passes when ``max|Δ − φ/Z| <= diff_tol · max|Δ|`` and, where
    ``|Δ| >= 0.1 max|Δ|``, ``max|Δ/(φ/Z) − 1| <= ratio_tol``.

    Parameters
    ----------
    ra : RealAxisSolution
        Padé solution made with ``with_phi=True``.
    omega_max : float
        Highest energy checked (meV).
    diff_tol, ratio_tol : float
        Tolerances of the two criteria.

    Returns
    -------
    dict
        ``passed``, ``max_diff_rel``, ``max_ratio_dev`` and the tolerances.
    """
    if "phi" not in ra.info:
        raise ParameterError("consistency check needs a Padé solution made with with_phi=True")
    sel = ra.omega <= omega_max
    d = ra.delta[sel]
    alt = ra.info["phi"][sel] / ra.z[sel]
    scale = float(np.max(np.abs(d))) if d.size else 0.0
    if not scale > 0 or not np.all(np.isfinite(alt)) or not np.all(np.isfinite(d)):
        return {"passed": False, "max_diff_rel": float("inf"), "max_ratio_dev": float("inf")}
    diff = float(np.max(np.abs(d - alt)) / scale)
    big = np.abs(d) >= 0.1 * scale
    ratio = float(np.max(np.abs(d[big] / alt[big] - 1.0)))
    return {"passed": bool(diff <= diff_tol and ratio <= ratio_tol), "max_diff_rel": diff,
            "max_ratio_dev": ratio, "diff_tol": diff_tol, "ratio_tol": ratio_tol,
            "omega_max_meV": omega_max}


def tunneling_conductance(ra: RealAxisSolution, bias: np.ndarray, temperature: float, *,
                          gamma: float = 0.0, lockin_rms: float = 0.0) -> np.ndarray:
    """Normalized SIN dI/dV(V) from the Eliashberg DOS through :class:`STSKernel`.

    The DOS (Dynes broadening ``gamma`` meV) is mirrored to negative energies
    (it is even) and convolved with the thermal and lock-in kernel at
    ``temperature`` K; far from the gap the result tends to 1. ``bias`` in mV
    must lie well inside ±max(ra.omega).

    Parameters
    ----------
    ra : RealAxisSolution
        Real-axis solution on ω ≥ 0 (meV).
    bias : ndarray of shape (n_bias,)
        Bias (mV).
    temperature : float
        Temperature of the measurement (K).
    gamma : float
        Dynes broadening (meV).
    lockin_rms : float
        Lock-in rms modulation (mV).

    Returns
    -------
    ndarray of shape (n_bias,)
        Normalized dI/dV.
    """
    from specinv.kernels import Mesh, STSKernel

    w = np.concatenate([-ra.omega[::-1], ra.omega])
    n = np.concatenate([ra.dos(gamma)[::-1], ra.dos(gamma)])
    kernel = STSKernel(np.asarray(bias, dtype=float), Mesh.from_points(w),
                       temperature=temperature, lockin_rms=lockin_rms)
    return kernel.forward(n)
