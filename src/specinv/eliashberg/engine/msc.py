"""Exact real-axis Δ(ω), Z(ω): the Marsiglio–Schossmann–Carbotte iteration.

Marsiglio, Schossmann and Carbotte (PRB 37, 4965 (1988)), derived from the
spectral representation; with ω̃ = ωZ, G = ω̃/√(ω̃² − φ²), D = φ/√(ω̃² − φ²)
(root with Im ≥ 0, i.e. retarded), N Bose and f Fermi factors:

    ω̃(ω) = ω + 2πT Σ_{m≥0} Im λ(ω + iω_m) ω_m/R_m
           + iπ ∫dν α²F(ν) {[N(ν) + f(ν−ω)] G(ω−ν) + [N(ν) + f(ν+ω)] G(ω+ν)}
    φ(ω) = πT Σ_{m≥0} [2 Re λ(ω + iω_m) − 2μ*_c θ(ω_c − ω_m)] Δ_m/R_m
           + iπ ∫dν α²F(ν) {[N(ν) + f(ν−ω)] D(ω−ν) + [N(ν) + f(ν+ω)] D(ω+ν)}

The mesh is x_j = (j + ½)dω with α²F binned onto ν_k = k dω (hat functions), so
ω ± ν fall on mesh points; negative energies use ω̃(−x) = −ω̃*(x), φ(−x) = φ*(x)
(hence G(−x) = G(x)*, D(−x) = −D(x)*), energies beyond the mesh the normal
state (their weight is ~e^{−ν/T}). The Matsubara sums of λ(x + iω_m) on the whole
mesh are discrete convolutions (the sum over m taken in the kernel first), done by FFT.

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
from collections.abc import Callable

import numpy as np
from scipy.fft import fft, ifft, next_fast_len
from scipy.signal import fftconvolve
from scipy.special import digamma, expit

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F
from specinv.eliashberg.engine.matsubara import MatsubaraSolution
from specinv.eliashberg.engine.realaxis import RealAxisSolution, continue_pade, physical_root

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


#: kernels 1/(ν_k ∓ x_j ∓ iω_m) kept between calls (same mesh, T and M within a fit)
_KERNELS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
#: most kernel pairs kept, and the largest kernel (complex entries) that is kept at all
KERNEL_CACHE, KERNEL_CACHE_MAX_SIZE = 4, 4_000_000


def _kernels(d_omega: float, n_mesh: int, k: int, wn: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """u(j, m) = 1/((−j − ½)dω − iω_m), j = −(k−1) … n_mesh − 1, and v(s, m) =
    1/((s + ½)dω + iω_m), s = 0 … n_mesh + k − 2 (cached when small)."""
    key = (float(d_omega), int(n_mesh), int(k), wn.size, float(wn[0]))
    if key in _KERNELS:
        return _KERNELS[key]
    jj = np.arange(-(k - 1), n_mesh)
    ss = np.arange(0, n_mesh + k - 1)
    u = 1.0 / ((-jj[:, None] - 0.5) * d_omega - 1j * wn[None, :])
    v = 1.0 / ((ss[:, None] + 0.5) * d_omega + 1j * wn[None, :])
    if u.size <= KERNEL_CACHE_MAX_SIZE:
        if len(_KERNELS) >= KERNEL_CACHE:
            _KERNELS.pop(next(iter(_KERNELS)))
        _KERNELS[key] = (u, v)
    return u, v


def _lambda_sums(c: np.ndarray, d_omega: float, n_mesh: int, wn: np.ndarray,
                 g: np.ndarray) -> np.ndarray:
    """Σ_m λ(x_j + iω_m) g_m for real vectors g, shape (n_mesh, q).

    λ(x_j + iω_m) = Σ_k c_k [1/(ν_k − z) + 1/(ν_k + z)]; the sum over m is taken
    in the kernels first, which leaves two 1-D convolutions over k (by FFT) per vector.

    Parameters
    ----------
    c : ndarray of shape (k,)
        Binned α²F weights on ν_k = k dω (meV).
    d_omega : float
        Mesh step (meV).
    n_mesh : int
        Mesh points x_j = (j + ½) dω.
    wn : ndarray of shape (M,)
        Matsubara frequencies (meV).
    g : ndarray of shape (M, q)
        The vectors summed against.

    Returns
    -------
    ndarray of shape (n_mesh, q), complex
    """
    k = c.size
    u, v = _kernels(d_omega, n_mesh, k, wn)
    a = fftconvolve(c[:, None], u @ g, axes=0)[k - 1:k - 1 + n_mesh]
    b = fftconvolve(c[::-1, None], v @ g, axes=0)[k - 1:k - 1 + n_mesh]
    return a + b


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


def _phonon_integrals(c: np.ndarray, x: np.ndarray, d_omega: float, kt: float
                      ) -> Callable[[np.ndarray], np.ndarray]:
    """The α²F integrals of the iteration as FFT convolutions over the mesh.

    Σ_k c_k {[N(ν_k) + f(ν_k − x_i)] G(x_i − ν_k) + [N(ν_k) + f(ν_k + x_i)] G(x_i + ν_k)}:
    f(ν_k ∓ x_i) depends on i ∓ k only, so each half is a convolution (a correlation for
    x_i + ν_k) of c_k and c_k N(ν_k) with G and f·G on the extended mesh
    ``ext = [mirror, mesh, beyond]`` (beyond the mesh: the last, normal-state entry).

    Parameters
    ----------
    c : ndarray of shape (k,)
        Binned α²F weights on ν_k = k dω (meV).
    x : ndarray of shape (n,)
        Mesh x_i = (i + ½) dω (meV).
    d_omega : float
        Mesh step (meV).
    kt : float
        k_B T (meV).

    Returns
    -------
    callable
        ext of shape (q, 2n + 1) ↦ the integrals, shape (q, n).
    """
    nj, kk = x.size, c.size
    nu = np.arange(kk) * d_omega
    with np.errstate(over="ignore", divide="ignore"):
        bose = np.where(nu > 0, 1.0 / np.expm1(nu / kt), 0.0)
    f_minus = expit((np.arange(-(kk - 1), nj) + 0.5) * d_omega / kt)   # f(ν_k − x_i), j = i − k
    f_plus = expit(-(np.arange(nj + kk - 1) + 0.5) * d_omega / kt)     # f(ν_k + x_i), s = i + k
    n_fft = next_fast_len(nj + 2 * kk - 2)
    kern = np.stack([fft(w, n_fft) for w in (c * bose, c, (c * bose)[::-1], c[::-1])])

    def integrals(ext: np.ndarray) -> np.ndarray:
        g_minus = ext[:, nj - kk + 1:2 * nj]
        g_plus = np.concatenate([ext[:, nj:2 * nj], np.repeat(ext[:, 2 * nj:], kk - 1, axis=1)],
                                axis=1)
        spec = fft(np.stack([g_minus, f_minus * g_minus, g_plus, f_plus * g_plus]), n_fft)
        out = ifft(kern[0] * spec[0] + kern[1] * spec[1] + kern[2] * spec[2]
                   + kern[3] * spec[3])
        return out[:, kk - 1:kk - 1 + nj]

    return integrals


def _initial_guess(sol: MatsubaraSolution, x: np.ndarray, initial: RealAxisSolution | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Starting Δ(x), Z(x): ``initial`` interpolated (default Padé), non-finite → Δ_0, Z_0."""
    if initial is None:
        initial = continue_pade(sol, x, n_points=min(sol.omega_n.size, 200))
    delta = np.interp(x, initial.omega, initial.delta.real) + 1j * np.interp(
        x, initial.omega, initial.delta.imag)
    z = np.interp(x, initial.omega, initial.z.real) + 1j * np.interp(x, initial.omega,
                                                                     initial.z.imag)
    bad = ~np.isfinite(delta) | ~np.isfinite(z)
    delta[bad], z[bad] = sol.delta[0], sol.z[0]
    return delta, z


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
        The Eliashberg function α²F(Ω) the Matsubara solution was found with (meV mesh).
    omega_max : float
        Highest output energy, meV (the mesh extends by ω_max of α²F internally).
    d_omega : float
        Mesh spacing, meV.
    tol : float
        Stop when max|ΔΔ| <= tol · max|Δ| (plus 1e-12 meV).
    max_iter : int
        Most iterations (``info["converged"]`` is False when they run out).
    alpha : float
        Linear mixing of successive iterates.
    initial : RealAxisSolution, optional
        Starting Δ, Z (default: Padé on the mesh).

    Returns
    -------
    RealAxisSolution
        Δ (meV) and Z on the mesh ω_j = (j + ½) dω ≤ omega_max; ``info`` holds
        ``converged``, ``iterations``, the last change (meV) and the mesh.
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
    integrals = _phonon_integrals(c, x, d_omega, kt)
    r_m = np.sqrt(s.omega_n ** 2 + sol.delta ** 2)
    sums = _lambda_sums(c, d_omega, nj, s.omega_n,
                        np.stack([s.omega_n / r_m, sol.delta / r_m], axis=1))
    pit = s.pit
    wz = x + 2.0 * pit * sums[:, 0].imag + _normal_tail(c, d_omega, nj, s)
    wphi = pit * (2.0 * sums[:, 1].real - np.dot(s.coulomb, sol.delta / r_m))
    delta, z = _initial_guess(sol, x, initial)
    hist = []
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        wt, phi = x * z, z * delta
        r = physical_root(wt, phi)
        # mirror to ω < 0: ω̃(−ω) = −ω̃*(ω), φ(−ω) = φ*(ω), √(ω̃² − φ²)(−ω) = −√(…)*(ω)
        num = np.stack([np.concatenate([-np.conj(wt[::-1]), wt]),
                        np.concatenate([np.conj(phi[::-1]), phi])])
        s2 = wt ** 2 - phi ** 2
        avg = _hat_averages(num, np.concatenate([np.conj(s2[::-1]), s2]),
                            np.concatenate([-np.conj(r[::-1]), r]))
        ph = integrals(np.concatenate([avg, [[1.0], [0.0]]], axis=1))
        wt_new = wz + 1j * np.pi * ph[0]
        phi_new = wphi + 1j * np.pi * ph[1]
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
        Converged imaginary-axis solution at the same T, μ*, cutoff.
    a2f : A2F
        The Eliashberg function α²F(Ω) the Matsubara solution was found with (meV mesh).
    omega : ndarray of shape (n,)
        Real frequencies ω > 0 of the output (meV).
    d_omega : float
        Spacing of the iteration's own mesh (meV).
    initial : RealAxisSolution, optional
        Starting Δ, Z on the iteration's mesh (default: Padé).

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
