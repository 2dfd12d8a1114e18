"""The Matsubara gap to many digits, so that Padé can continue it faithfully.

Padé continuation of Δ(iω_n) amplifies the rounding errors of its input
roughly exponentially in the number of points: from a double-precision
solution it smooths phonon structure narrower than a few meV, however many
digits the recursion itself carries (Pb-like α²F at T = 1.16 K: median
|Re Δ_Padé − Re Δ_real axis| = 1.5 % of max|Re Δ| at every temperature down to
0.3 K). The equations themselves are not the limit: solved to 80 digits, the
same continuation agrees with the exact real-axis iteration to 0.03 %.

:func:`refine` takes a converged double-precision solution to ``dps``
decimal digits with mpmath: the kernel λ(k) is recomputed in that precision
from the α²F mesh (its double-precision rounding is not the transform of any
spectrum), and Newton steps on ``F(Δ) = G(Δ) − Δ`` use the residual in
``dps`` digits with the Jacobian of G in double precision, so each step gains
about 13 digits. Equations and symbols as in
:mod:`specinv.physics.eliashberg.matsubara`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from specinv.errors import ConvergenceWarning, ParameterError
from specinv.physics.eliashberg.a2f import A2F
from specinv.physics.eliashberg.matsubara import MatsubaraSetup
from specinv.units import KB_MEV_PER_K

#: Newton steps allowed; each gains ~13 digits
MAX_STEPS = 40
#: the Newton corrections pass through double precision (smallest normal ~1e-308)
MAX_DPS = 300
#: digits that make Padé of the Pb-like gap agree with the real axis to 0.4 %
DEFAULT_DPS = 100


@dataclass(frozen=True)
class Digits:
    """Δ(iω_n) and Z(iω_n) at the solution's Matsubara frequencies to ``dps`` digits.

    Attributes
    ----------
    dps : int
        Decimal digits of the arithmetic.
    omega_n : ndarray of shape (M,), dtype object
        ω_n = πk_BT(2n+1) in meV as ``mpmath.mpf``.
    delta, z : ndarray of shape (M,), dtype object
        ``mpmath.mpf`` values (Δ in meV).
    residual : float
        ``max|G(Δ) − Δ| / max|Δ|`` at the returned Δ.
    steps : int
        Newton steps taken.
    """

    dps: int
    omega_n: np.ndarray
    delta: np.ndarray
    z: np.ndarray
    residual: float
    steps: int


def _mp():
    try:
        import mpmath
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ParameterError("multiprecision needs mpmath (pip install mpmath)") from exc
    return mpmath


def _jacobian(s: MatsubaraSetup, delta: np.ndarray) -> np.ndarray:
    """∂G_n/∂Δ_m in double precision, shape (M, M)."""
    w = s.omega_n
    r = np.sqrt(w**2 + delta**2)
    z = s.z_normal + s.pit / w * (s.k_minus @ (w / r - 1.0))
    phi = s.pit * (s.k_plus @ (delta / r) - np.dot(s.coulomb, delta / r))
    d_x = w**2 / r**3            # d(Δ/R)/dΔ
    d_wr = -w * delta / r**3     # d(ω/R)/dΔ
    d_phi = s.pit * (s.k_plus - s.coulomb[None, :]) * d_x[None, :]
    d_z = (s.pit / w)[:, None] * s.k_minus * d_wr[None, :]
    return d_phi / z[:, None] - (phi / z**2)[:, None] * d_z


def refine(s: MatsubaraSetup, a2f: A2F, delta: np.ndarray, dps: int = DEFAULT_DPS) -> Digits:
    """Newton-refine a converged gap to ``dps`` digits.

    Parameters
    ----------
    s : MatsubaraSetup
        The setup the gap was solved with.
    a2f : A2F
        The same α²F (its mesh and weights are taken as exact).
    delta : ndarray of shape (M,)
        Converged double-precision gap, meV.
    dps : int
        Decimal digits, 20 … 300.

    Returns
    -------
    Digits

    Warns
    -----
    ConvergenceWarning
        When the Newton steps stop gaining digits before ``dps − 5``; the best
        iterate is returned and ``residual`` says how far it got.
    """
    if not 20 <= int(dps) <= MAX_DPS:
        raise ParameterError(f"dps must be between 20 and {MAX_DPS} digits, got {dps}")
    mp = _mp()
    m = s.omega_n.size
    with mp.workdps(int(dps)):
        mpf = mp.mpf
        pit = mp.pi * mpf(KB_MEV_PER_K) * mpf(s.temperature)
        wn = [pit * (2 * n + 1) for n in range(m)]
        num = [2 * mpf(float(w)) * mpf(float(v))
               for w, v in zip(a2f.weight, a2f.nu, strict=True)]
        nu2 = [mpf(float(v)) ** 2 for v in a2f.nu]
        lam = [mp.fsum(a / (nk2 + b) for a, b in zip(num, nu2, strict=True))
               for nk2 in (((2 * k) * pit) ** 2 for k in range(2 * m))]
        kp = [[lam[abs(i - j)] + lam[i + j + 1] for j in range(m)] for i in range(m)]
        km = [[lam[abs(i - j)] - lam[i + j + 1] for j in range(m)] for i in range(m)]
        csum = np.cumsum(np.array(lam[:m], dtype=object))
        zn = [1 + pit / wn[n] * (2 * csum[n] - lam[0]) for n in range(m)]
        mu = mpf(s.mu_star)
        mu_c = mu / (1 + mu * mp.log(mpf(s.omega_ph) / mpf(s.omega_c))) \
            if s.rescale_mu and s.mu_star > 0 else mu
        coul = [2 * mu_c if c > 0 else mpf(0) for c in s.coulomb]  # the same θ(ω_c − ω_m)

        def gap_map(d: list) -> tuple[list, list]:
            r = [mp.sqrt(wn[n] ** 2 + d[n] ** 2) for n in range(m)]
            x = [d[n] / r[n] for n in range(m)]
            a = [wn[n] / r[n] - 1 for n in range(m)]
            cx = mp.fdot(coul, x)
            z = [zn[n] + pit / wn[n] * mp.fdot(km[n], a) for n in range(m)]
            return [pit * (mp.fdot(kp[n], x) - cx) / z[n] for n in range(m)], z

        step = np.linalg.inv(_jacobian(s, np.asarray(delta, dtype=float)) - np.eye(m))
        d = [mpf(float(v)) for v in delta]
        scale = max(abs(v) for v in d)
        target = mpf(10) ** (5 - int(dps))
        best = None
        for it in range(MAX_STEPS + 1):
            g, z = gap_map(d)
            f = [g[n] - d[n] for n in range(m)]
            res = max(abs(v) for v in f) / scale
            if best is not None and res >= best[0]:  # no digits gained: keep the best
                res, d, z, it = best
                break
            best = (res, d, z, it)
            if res <= target or it == MAX_STEPS:
                break
            corr = step @ np.array([float(v) for v in f])
            d = [d[n] - mpf(float(corr[n])) for n in range(m)]
        if res > target:
            warnings.warn(f"multiprecision refinement reached a residual of {float(res):.3g}, "
                          f"not 1e{5 - int(dps)}, after {it} Newton steps",
                          ConvergenceWarning, stacklevel=2)
        return Digits(int(dps), np.array(wn, dtype=object), np.array(d, dtype=object),
                      np.array(z, dtype=object), float(res), it)
