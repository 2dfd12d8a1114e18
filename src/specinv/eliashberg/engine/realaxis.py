"""Real-axis Δ(ω), Z(ω): Padé continuation and the exact MSC iteration.

**Padé**: Δ(iω_n), Z(iω_n) (and φ = ZΔ for the seed's consistency check) are
continued with :class:`~specinv.eliashberg.engine.pade.Pade` to ω + i0⁺.

**Marsiglio–Schossmann–Carbotte** (PRB 37, 4965 (1988)), derived from the
spectral representation; with ω̃ = ωZ, G = ω̃/√(ω̃² − φ²), D = φ/√(ω̃² − φ²)
(root with Im ≥ 0, i.e. retarded), N Bose and f Fermi factors:

    ω̃(ω) = ω + 2πT Σ_{m≥0} Im λ(ω + iω_m) ω_m/R_m
           + iπ ∫dν α²F(ν) {[N(ν) + f(ν−ω)] G(ω−ν) + [N(ν) + f(ν+ω)] G(ω+ν)}
    φ(ω) = πT Σ_{m≥0} [2 Re λ(ω + iω_m) − 2μ*_c θ(ω_c − ω_m)] Δ_m/R_m
           + iπ ∫dν α²F(ν) {[N(ν) + f(ν−ω)] D(ω−ν) + [N(ν) + f(ν+ω)] D(ω+ν)}

The mesh is x_j = (j + ½)dω with α²F binned onto ν_k = k dω (hat functions), so
ω ± ν fall on mesh points; negative energies use ω̃(−x) = −ω̃*(x), φ(−x) = φ*(x)
(hence G(−x) = G(x)*, D(−x) = −D(x)*), energies beyond the mesh the normal
state (their weight is ~e^{−ν/T}). λ(x + iω_m) on the whole mesh is a discrete
convolution, done by FFT.

Two details decide the accuracy (both were missing in the first version, which
was off by up to ~5 % near Δ₀ + Ω and 0.2 % in Z at low ω):

* G and D have an integrable 1/√ singularity at the gap edge ±Δ₀ (no damping
  at low T). Sampling them at mesh points makes O(√dω) errors that do not
  converge smoothly; instead the convolution uses their hat-function averages,
  with ω̃, φ and ω̃² − φ² interpolated linearly and the root integrated in
  closed form (:func:`_hat_averages`).
* The Matsubara sum of ω̃ runs over all m: beyond the M solved frequencies
  ω_m/R_m = 1 and the tail is summed exactly with digamma functions
  (:func:`_normal_tail`), as the Matsubara solver does for Z.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import localcontext
from typing import Any

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import digamma, expit

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F
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


def _physical_root(wt: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """√(ω̃² − φ²) for ω > 0: aligned with ω̃ (Re G ≥ 0) where that is unambiguous,
    otherwise (inside the gap, where the root is nearly orthogonal to ω̃) Im ≥ 0."""
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


_GL_T, _GL_W = np.polynomial.legendre.leggauss(8)
_GL_T, _GL_W = 0.5 * (_GL_T + 1.0), 0.5 * _GL_W


def _hat_averages(num: np.ndarray, s2: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Hat-function averages of num(x)/√S(x) on a uniform mesh, integrating the root exactly.

    Between neighbouring nodes ``num`` and ``S = ω̃² − φ²`` are interpolated
    linearly and ∫ t^p dt/√S(t) (p = 0, 1, 2) is done in closed form, so the
    inverse-square-root singularity of G and D at the gap edge (S → 0) is
    integrated, not sampled. Intervals on which S varies little (|ΔS| < ½|S|)
    use 8-point Gauss–Legendre instead (the closed form cancels there). The
    root follows u(t) = u₀ √(S(t)/S₀) from the node's root u₀ (continuous
    along the segment). End nodes keep their point values.

    Parameters
    ----------
    num : ndarray of shape (q, L)
        Numerators (ω̃ and φ) at the L nodes.
    s2, root : ndarray of shape (L,)
        S at the nodes and its physical square root.

    Returns
    -------
    ndarray of shape (q, L)
        (1/h)∫ hat_p(x) num/√S dx at every node (point values at the two ends).
    """
    s0, s1 = s2[:-1], np.diff(s2)
    u0 = root[:-1]
    n0, dn = num[:, :-1], np.diff(num, axis=1)
    small = np.abs(s1) < 0.5 * np.abs(s0)
    j = np.empty((3, s0.size), dtype=complex)
    if np.any(small):  # smooth: Gauss–Legendre on the principal branch around 1
        ratio = (s1[small] / s0[small])[:, None]
        inv = 1.0 / (u0[small, None] * np.sqrt(1.0 + ratio * _GL_T[None, :]))
        for p in range(3):
            j[p, small] = (inv * (_GL_W * _GL_T ** p)[None, :]).sum(1)
    big = ~small
    if np.any(big):
        a, b, ua = s0[big], s1[big], u0[big]
        ub = ua * np.sqrt(s2[1:][big] / a)
        d1, d3, d5 = ub - ua, ub * s2[1:][big] - ua * a, ub * s2[1:][big] ** 2 - ua * a ** 2
        j[0, big] = 2.0 * d1 / b
        j[1, big] = (2.0 / 3.0 * d3 - 2.0 * a * d1) / b ** 2
        j[2, big] = (0.4 * d5 - 4.0 / 3.0 * a * d3 + 2.0 * a ** 2 * d1) / b ** 3
    left = n0 * j[0] + (dn - n0) * j[1] - dn * j[2]    # weight (1 − t) → node p
    right = n0 * j[1] + dn * j[2]                      # weight t → node p + 1
    out = num / root
    out[:, 1:-1] = left[:, 1:] + right[:, :-1]
    return out


def _binned_weights(a2f: A2F, d_omega: float) -> np.ndarray:
    """α²F dν deposited linearly on ν_k = k dω, k = 0 … K−1 (c_0 = 0)."""
    p = a2f.nu / d_omega
    k0 = np.floor(p).astype(int)
    frac = p - k0
    c = np.zeros(k0.max() + 2)
    np.add.at(c, k0, a2f.weight * (1 - frac))
    np.add.at(c, k0 + 1, a2f.weight * frac)
    c[0] = 0.0
    return c


def _lambda_on_mesh(c: np.ndarray, d_omega: float, n_mesh: int, wn: np.ndarray) -> np.ndarray:
    """λ(x_j + iω_m) = Σ_k c_k [1/(ν_k − z) + 1/(ν_k + z)], shape (n_mesh, M), by FFT."""
    k = c.size
    out = np.empty((n_mesh, wn.size), dtype=complex)
    jj = np.arange(-(k - 1), n_mesh)                # u(j) = 1/(ν − x) with j = i − k
    ss = np.arange(0, n_mesh + k - 1)
    for lo in range(0, wn.size, 128):
        w = wn[lo:lo + 128, None]
        u = 1.0 / ((-jj[None, :] - 0.5) * d_omega - 1j * w)
        v = 1.0 / ((ss[None, :] + 0.5) * d_omega + 1j * w)
        a = fftconvolve(c[None, :], u, axes=1)[:, k - 1:k - 1 + n_mesh]
        b = fftconvolve(c[None, ::-1], v, axes=1)[:, k - 1:k - 1 + n_mesh]
        out[:, lo:lo + 128] = (a + b).T
    return out


def _normal_tail(c: np.ndarray, d_omega: float, n_mesh: int, s) -> np.ndarray:
    """2πT Σ_{m≥M} Im λ(x_j + iω_m): the Matsubara sum of ω̃ beyond the M solved frequencies.

    There Δ_m ≪ ω_m, so ω_m/R_m = 1 and the sum is exact in digamma functions,
    Σ_k c_k Re[ψ(M + ½ + i(ν_k + x_j)/2πT) − ψ(M + ½ + i(ν_k − x_j)/2πT)]; it makes
    the normal part of Z the exact infinite sum, as on the Matsubara axis. On the
    mesh ν_k ± x_j = (p + ½)dω with integer p, so ψ is needed on one 1-D grid only.
    """
    kk = c.size
    p = np.arange(-n_mesh, n_mesh + kk)                     # ν_k ± x_j = (p + ½) dω
    re_psi = digamma(s.omega_n.size + 0.5 + 1j * (p + 0.5) * d_omega / (2.0 * s.pit)).real
    j = np.arange(n_mesh)[:, None]
    k = np.arange(kk)[None, :]
    return (re_psi[n_mesh + j + k] - re_psi[n_mesh + k - j - 1]) @ c


def real_axis_iteration(sol: MatsubaraSolution, a2f: A2F, *, omega_max: float = 35.0,
                        d_omega: float = 0.05, tol: float = 1e-9, max_iter: int = 300,
                        alpha: float = 1.0, initial: RealAxisSolution | None = None
                        ) -> RealAxisSolution:
    """Exact real-axis Δ(ω), Z(ω) by the MSC iteration on ω ∈ (0, omega_max].

    Parameters
    ----------
    sol : MatsubaraSolution
        Converged imaginary-axis solution at the same T, μ*, cutoff.
    a2f : A2F
        Eliashberg function of that solution.
    omega_max : float
        Highest output energy, meV (the mesh extends by ω_max of α²F internally).
    d_omega : float
        Mesh spacing, meV.
    tol : float
        Stop when max|ΔΔ| <= tol · max|Δ| (plus 1e-12 meV).
    max_iter : int
        Most iterations.
    alpha : float
        Linear mixing of successive iterates.
    initial : RealAxisSolution, optional
        Starting Δ, Z (default: Padé on the mesh).

    Returns
    -------
    RealAxisSolution
        Δ and Z at the cell centres ``(j + ½) d_omega`` up to ``omega_max``
        (method ``"realaxis"``; ``info`` has convergence and timing).
    """
    t0 = time.perf_counter()
    if not d_omega > 0 or not omega_max > d_omega:
        raise ParameterError(f"need 0 < d_omega < omega_max, got {d_omega}, {omega_max}")
    s = sol.setup
    kt = KB_MEV_PER_K * s.temperature
    c = _binned_weights(a2f, d_omega)
    kk = c.size
    n_out = int(np.ceil(omega_max / d_omega))
    nj = n_out + kk
    x = (np.arange(nj) + 0.5) * d_omega
    nu = np.arange(kk) * d_omega
    with np.errstate(over="ignore", divide="ignore"):
        bose = np.where(nu > 0, 1.0 / np.expm1(nu / kt), 0.0)
    i = np.arange(nj)[:, None]
    k = np.arange(kk)[None, :]
    w_minus = c * (bose + expit(-(nu[None, :] - x[:, None]) / kt))
    w_plus = c * (bose + expit(-(nu[None, :] + x[:, None]) / kt))
    idx_m = nj + i - k                                  # into ext = [mirror, mesh, beyond]
    idx_p = np.where(i + k < nj, nj + i + k, 2 * nj)
    r_m = np.sqrt(s.omega_n ** 2 + sol.delta ** 2)
    lam = _lambda_on_mesh(c, d_omega, nj, s.omega_n)
    pit = s.pit
    wz = x + 2.0 * pit * (lam.imag @ (s.omega_n / r_m)) + _normal_tail(c, d_omega, nj, s)
    wphi = pit * (2.0 * (lam.real @ (sol.delta / r_m)) - np.dot(s.coulomb, sol.delta / r_m))
    if initial is None:
        initial = continue_pade(sol, x, n_points=min(sol.omega_n.size, 200))
    delta = np.interp(x, initial.omega, initial.delta.real) + 1j * np.interp(
        x, initial.omega, initial.delta.imag)
    z = np.interp(x, initial.omega, initial.z.real) + 1j * np.interp(x, initial.omega,
                                                                     initial.z.imag)
    bad = ~np.isfinite(delta) | ~np.isfinite(z)
    delta[bad], z[bad] = sol.delta[0], sol.z[0]
    hist = []
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        wt, phi = x * z, z * delta
        r = _physical_root(wt, phi)
        # mirror to ω < 0: ω̃(−ω) = −ω̃*(ω), φ(−ω) = φ*(ω), √(ω̃² − φ²)(−ω) = −√(…)*(ω)
        num = np.stack([np.concatenate([-np.conj(wt[::-1]), wt]),
                        np.concatenate([np.conj(phi[::-1]), phi])])
        s2 = wt ** 2 - phi ** 2
        avg = _hat_averages(num, np.concatenate([np.conj(s2[::-1]), s2]),
                            np.concatenate([-np.conj(r[::-1]), r]))
        g_ext = np.concatenate([avg[0], [1.0]])
        d_ext = np.concatenate([avg[1], [0.0]])
        wt_new = wz + 1j * np.pi * ((w_minus * g_ext[idx_m]).sum(1)
                                    + (w_plus * g_ext[idx_p]).sum(1))
        phi_new = wphi + 1j * np.pi * ((w_minus * d_ext[idx_m]).sum(1)
                                       + (w_plus * d_ext[idx_p]).sum(1))
        z_new = wt_new / x
        delta_new = phi_new / z_new
        change = float(np.max(np.abs(delta_new[:n_out] - delta[:n_out])))
        hist.append(change)
        delta = (1 - alpha) * delta + alpha * delta_new
        z = (1 - alpha) * z + alpha * z_new
        if change <= tol * float(np.max(np.abs(delta[:n_out]))) + 1e-12:
            converged = True
            break
    info = {"converged": converged, "iterations": iterations,
            "change_meV": hist[-1] if hist else None,
            "d_omega_meV": d_omega, "mesh_points": int(nj), "wall_time_s": time.perf_counter() - t0}
    return RealAxisSolution(x[:n_out], delta[:n_out], z[:n_out], "realaxis", info)


def real_axis_on_mesh(sol: MatsubaraSolution, a2f: A2F, omega: np.ndarray, *,
                      d_omega: float = 0.05, initial: RealAxisSolution | None = None
                      ) -> tuple[RealAxisSolution, RealAxisSolution]:
    """The exact real-axis Δ(ω), Z(ω) interpolated to an arbitrary mesh.

    Runs :func:`real_axis_iteration` on its uniform cell-centred mesh up to
    ``max(omega) + d_omega`` and interpolates linearly (the value at the first cell
    centre ``d_omega/2`` is held below it).

    Parameters
    ----------
    sol : MatsubaraSolution
        Converged imaginary-axis solution.
    a2f : A2F
        Its Eliashberg function.
    omega : ndarray of shape (n,)
        Output energies (meV).
    d_omega : float
        Mesh spacing of the iteration (meV).
    initial : RealAxisSolution, optional
        Warm start (a previous ``native`` solution).

    Returns
    -------
    on_mesh : RealAxisSolution
        On ``omega``.
    native : RealAxisSolution
        On the iteration's own mesh (for warm starts, :meth:`~RealAxisSolution.gap_edge`).
    """
    w = np.asarray(omega, dtype=float)
    native = real_axis_iteration(sol, a2f, omega_max=float(w.max()) + d_omega, d_omega=d_omega,
                                 initial=initial)

    def at(f: np.ndarray) -> np.ndarray:
        return np.interp(w, native.omega, f.real) + 1j * np.interp(w, native.omega, f.imag)

    return RealAxisSolution(w, at(native.delta), at(native.z), "realaxis",
                            native.info), native


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
