"""Padé analytic continuation (Vidberg & Serene, J. Low Temp. Phys. 29, 179 (1977)).

Given values ``u_i = f(z_i)`` at N complex points, the N-point continued
fraction

    C_N(z) = a_1 / (1 + a_2 (z − z_1) / (1 + a_3 (z − z_2) / (1 + …)))

interpolates them; the coefficients come from the recursion
``g_1(z_i) = u_i``, ``g_p(z) = [g_{p−1}(z_{p−1}) − g_{p−1}(z)] / [(z − z_{p−1}) g_{p−1}(z)]``,
``a_p = g_p(z_p)``. The recursion loses digits quickly, so ``precision`` may be
``"double"``, ``"extended"`` (numpy ``clongdouble``; 80-bit on x86) or ``"mp"``
(mpmath with ``dps`` digits, only if mpmath is installed). The fraction is
evaluated backwards, which needs no rescaling.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from specinv.errors import ParameterError

PRECISIONS = ("double", "extended", "mp")


def have_mpmath() -> bool:
    """True when mpmath can be imported."""
    return importlib.util.find_spec("mpmath") is not None


@dataclass(frozen=True)
class Pade:
    """Continued-fraction interpolant through ``(z_i, u_i)``.

    Attributes
    ----------
    z : ndarray of shape (N,)
        Interpolation points (complex).
    a : ndarray of shape (N,)
        Coefficients (complex, in the working precision; object array for ``"mp"``).
    precision : str
    """

    z: np.ndarray
    a: np.ndarray
    precision: str
    dps: int = 50

    @classmethod
    def fit(cls, z: np.ndarray, u: np.ndarray, *, precision: str = "extended",
            dps: int = 50) -> Pade:
        """Coefficients of the N-point Padé approximant.

        Parameters
        ----------
        z : ndarray of shape (N,)
            Points (e.g. ``1j * omega_n``).
        u : ndarray of shape (N,)
            Function values there.
        precision : {"double", "extended", "mp"}
        dps : int
            Decimal digits for ``"mp"``.
        """
        if precision not in PRECISIONS:
            raise ParameterError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        z = np.asarray(z)
        u = np.asarray(u)
        if z.shape != u.shape or z.ndim != 1 or z.size < 1:
            raise ParameterError("Padé needs 1-D arrays z and u of equal length")
        if precision == "mp":
            if not have_mpmath():
                raise ParameterError("precision='mp' needs mpmath (pip install mpmath)")
            return cls(z, _coefficients_mp(z, u, dps), precision, dps)
        dtype = np.clongdouble if precision == "extended" else np.complex128
        zz = z.astype(dtype)
        g = u.astype(dtype).copy()
        n = z.size
        a = np.empty(n, dtype=dtype)
        a[0] = g[0]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for p in range(1, n):
                g[p:] = (g[p - 1] - g[p:]) / ((zz[p:] - zz[p - 1]) * g[p:])
                a[p] = g[p]
        return cls(z, a, precision, dps)

    def truncated(self, n: int) -> Pade:
        """The approximant through the first ``n`` points.

        Coefficient ``a_p`` depends on the points 1 … p only, so this is the
        ``n``-point fit without recomputing it.
        """
        if not 1 <= n <= self.a.size:
            raise ParameterError(f"truncation to {n} points of a {self.a.size}-point Padé")
        return Pade(self.z[:n], self.a[:n], self.precision, self.dps)

    def extended(self) -> Pade:
        """The same fraction with coefficients rounded to extended precision.

        The recursion for the coefficients loses digits; evaluating the fraction
        does not, so many-digit coefficients are evaluated this way at a fraction
        of mpmath's cost. Returns ``self`` when the coefficients do not fit.
        """
        if self.precision != "mp":
            return self
        z = np.array([complex(v) for v in self.z])
        a = np.array([complex(v) for v in self.a], dtype=np.clongdouble)
        if not (np.all(np.isfinite(a)) and np.all(a != 0)):
            return self
        return Pade(z, a, "extended", self.dps)

    def __call__(self, w: np.ndarray | complex) -> np.ndarray:
        """Evaluate at complex points ``w`` (any shape); returns complex128."""
        w_arr = np.asarray(w)
        if self.precision == "mp":
            return _evaluate_mp(self.z, self.a, w_arr, self.dps)
        dtype = self.a.dtype
        ww = w_arr.astype(dtype)
        zz = self.z.astype(dtype)
        t = np.ones(ww.shape, dtype=dtype)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for p in range(self.a.size - 1, 0, -1):
                t = 1.0 + self.a[p] * (ww - zz[p - 1]) / t
            out = self.a[0] / t
        return out.astype(np.complex128)


def _coefficients_mp(z: np.ndarray, u: np.ndarray, dps: int) -> np.ndarray:
    import mpmath

    with mpmath.workdps(dps):
        zz = [_mpc(v) for v in z]
        g = [_mpc(v) for v in u]
        n = len(zz)
        a = [g[0]]
        for p in range(1, n):
            gp = g[p - 1]
            zp = zz[p - 1]
            for i in range(p, n):
                g[i] = (gp - g[i]) / ((zz[i] - zp) * g[i]) if g[i] != 0 else mpmath.inf
            a.append(g[p])
    return np.array(a, dtype=object)


def _mpc(v):
    """An mpmath complex from a number; mpmath numbers keep their digits."""
    import mpmath

    return mpmath.mpc(v) if isinstance(v, (mpmath.mpf, mpmath.mpc)) else mpmath.mpc(complex(v))


def _evaluate_mp(z: np.ndarray, a: np.ndarray, w: np.ndarray, dps: int) -> np.ndarray:
    import mpmath

    out = np.empty(w.shape, dtype=np.complex128)
    with mpmath.workdps(dps):
        zz = [_mpc(v) for v in z]
        for idx, wv in np.ndenumerate(w):
            x = mpmath.mpc(complex(wv))
            t = mpmath.mpc(1)
            for p in range(len(a) - 1, 0, -1):
                t = 1 + a[p] * (x - zz[p - 1]) / t
            out[idx] = complex(a[0] / t)
    return out
