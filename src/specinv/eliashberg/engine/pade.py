"""Padé analytic continuation (Vidberg & Serene, J. Low Temp. Phys. 29, 179 (1977)).

Given values ``u_i = f(z_i)`` at N complex points, the N-point continued
fraction

    C_N(z) = a_1 / (1 + a_2 (z − z_1) / (1 + a_3 (z − z_2) / (1 + …)))

interpolates them; the coefficients come from the recursion
``g_1(z_i) = u_i``, ``g_p(z) = [g_{p−1}(z_{p−1}) − g_{p−1}(z)] / [(z − z_{p−1}) g_{p−1}(z)]``,
``a_p = g_p(z_p)``. The recursion loses digits quickly, so ``precision`` may be
``"double"``, ``"extended"`` (numpy ``clongdouble``; 80-bit on x86) or ``"mp"``
(``decimal`` arithmetic with ``dps`` digits, vectorized over the points). For
real values at points on the imaginary axis (Matsubara data of an even,
real-on-the-axis function) every g_p with p ≥ 2 is purely imaginary, and the
``"mp"`` recursion runs on real numbers only. The fraction is evaluated
backwards, which needs no rescaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

import numpy as np

from specinv.core.errors import ParameterError

PRECISIONS = ("double", "extended", "mp")


@dataclass(frozen=True)
class Pade:
    """Continued-fraction interpolant through ``(z_i, u_i)``.

    Built by :meth:`fit` or :meth:`fit_digits`; every parameter is kept as an
    attribute of the same name.

    Parameters
    ----------
    z : ndarray of shape (N,), or (2, N) of ``decimal.Decimal`` for ``"mp"``
        Interpolation points (complex; for ``"mp"`` real and imaginary parts).
    a : ndarray of shape (N,), or (2, N) of ``decimal.Decimal`` for ``"mp"``
        Coefficients in the working precision.
    precision : {"double", "extended", "mp"}
        Working precision of the coefficients.
    dps : int
        Decimal digits of ``"mp"``.
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
            Working precision: complex128, long double, or ``decimal`` with ``dps`` digits.
        dps : int
            Decimal digits for ``"mp"`` (inputs with more digits: :meth:`fit_digits`).

        Returns
        -------
        Pade
            The N-point approximant.
        """
        if precision not in PRECISIONS:
            raise ParameterError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        z = np.asarray(z)
        u = np.asarray(u)
        if z.shape != u.shape or z.ndim != 1 or z.size < 1:
            raise ParameterError("Padé needs 1-D arrays z and u of equal length")
        if precision == "mp":
            return cls.fit_digits(z.real, z.imag, u.real, u.imag, dps=dps)
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

    @classmethod
    def fit_digits(cls, z_re: np.ndarray, z_im: np.ndarray, u_re: np.ndarray,
                   u_im: np.ndarray, *, dps: int) -> Pade:
        """The ``"mp"`` fit from many-digit points and values.

        Parameters
        ----------
        z_re, z_im, u_re, u_im : array_like of shape (N,)
            Real and imaginary parts of the points and values: ``decimal.Decimal``
            (used as they are) or floats (exact binary values).
        dps : int
            Decimal digits of the recursion.

        Returns
        -------
        Pade
            The N-point approximant with ``"mp"`` coefficients.
        """
        with _context(dps):
            zr, zi, ur, ui = (np.array([_dec(v) for v in np.ravel(x)], dtype=object)
                              for x in (z_re, z_im, u_re, u_im))
            if not zr.size == zi.size == ur.size == ui.size >= 1:
                raise ParameterError("Padé needs 1-D arrays z and u of equal length")
            if all(v == 0 for v in zr) and all(v == 0 for v in ui):
                a_re, a_im = _coefficients_matsubara(zi, ur)
            else:
                a_re, a_im = _coefficients_complex(zr, zi, ur, ui)
        return cls(np.array([zr, zi]), np.array([a_re, a_im]), "mp", int(dps))

    def truncated(self, n: int) -> Pade:
        """The approximant through the first ``n`` points.

        Coefficient ``a_p`` depends on the points 1 … p only, so this is the
        ``n``-point fit without recomputing it.

        Parameters
        ----------
        n : int
            Points kept, ``1 <= n <= N``.

        Returns
        -------
        Pade
            The ``n``-point approximant.
        """
        if not 1 <= n <= self.a.shape[-1]:
            raise ParameterError(f"truncation to {n} points of a {self.a.shape[-1]}-point Padé")
        return Pade(self.z[..., :n], self.a[..., :n], self.precision, self.dps)

    def rounded(self, precision: str = "extended") -> Pade:
        """The same fraction with ``"mp"`` coefficients rounded to double or extended.

        The recursion for the coefficients loses digits; evaluating the fraction
        does not, so many-digit coefficients are evaluated this way at a fraction
        of the cost (Pb-like gap, 350 points from 100 digits: the double and
        extended evaluations differ from the 100-digit one by 6e-14 and 6e-15 of
        max|Δ|).

        Parameters
        ----------
        precision : {"extended", "double"}
            Target precision of the coefficients.

        Returns
        -------
        Pade
            The rounded approximant; ``self`` for a non-``"mp"`` approximant or
            when the coefficients overflow.
        """
        if self.precision != "mp":
            return self
        z = np.array([complex(float(r), float(i)) for r, i in self.z.T])
        if precision == "extended":
            ld = np.longdouble
            a = np.array([ld(str(r)) + 1j * ld(str(i)) for r, i in self.a.T],
                         dtype=np.clongdouble)
        else:
            a = np.array([complex(float(r), float(i)) for r, i in self.a.T])
        if not (np.all(np.isfinite(a)) and np.all(a != 0)):
            return self
        return Pade(z, a, precision, self.dps)

    def __call__(self, w: np.ndarray | complex) -> np.ndarray:
        """Evaluate at complex points ``w`` (any shape); returns complex128."""
        w_arr = np.asarray(w)
        if self.precision == "mp":
            return _evaluate_digits(self.z, self.a, w_arr, self.dps)
        dtype = self.a.dtype
        ww = w_arr.astype(dtype)
        zz = self.z.astype(dtype)
        t = np.ones(ww.shape, dtype=dtype)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for p in range(self.a.size - 1, 0, -1):
                t = 1.0 + self.a[p] * (ww - zz[p - 1]) / t
            out = self.a[0] / t
        return out.astype(np.complex128)


def _context(dps: int):
    """A decimal context of ``dps`` digits in which 1/0 gives ±Infinity, not an error."""
    return localcontext(Context(prec=int(dps), traps=[]))


def _dec(v) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(float(v))


def _coefficients_matsubara(omega: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recursion for real u at z = iω: g_p = i h_p (p ≥ 2), h_p = (h − α)/((ω − ω_{p−1}) h).

    With g_1 = h_1 = u real, α = h_{p−1}(ω_{p−1}); returns (Re a, Im a) with
    a_1 = h_1(ω_1) and a_p = i h_p(ω_p).
    """
    n = omega.size
    h = u.copy()
    coef = np.empty(n, dtype=object)
    coef[0] = h[0]
    for p in range(1, n):
        hp = h[p:]
        h[p:] = (hp - h[p - 1]) / ((omega[p:] - omega[p - 1]) * hp)
        coef[p] = h[p]
    zero = np.full(n, Decimal(0), dtype=object)
    a_re, a_im = zero.copy(), coef.copy()
    a_re[0], a_im[0] = coef[0], Decimal(0)
    return a_re, a_im


def _coefficients_complex(zr: np.ndarray, zi: np.ndarray, ur: np.ndarray,
                          ui: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The general recursion on (real, imaginary) pairs."""
    n = zr.size
    gr, gi = ur.copy(), ui.copy()
    a_re, a_im = np.empty(n, dtype=object), np.empty(n, dtype=object)
    a_re[0], a_im[0] = gr[0], gi[0]
    for p in range(1, n):
        nr, ni = gr[p - 1] - gr[p:], gi[p - 1] - gi[p:]
        dzr, dzi = zr[p:] - zr[p - 1], zi[p:] - zi[p - 1]
        dr = dzr * gr[p:] - dzi * gi[p:]
        di = dzr * gi[p:] + dzi * gr[p:]
        q = dr * dr + di * di
        gr[p:], gi[p:] = (nr * dr + ni * di) / q, (ni * dr - nr * di) / q
        a_re[p], a_im[p] = gr[p], gi[p]
    return a_re, a_im


def _evaluate_digits(z: np.ndarray, a: np.ndarray, w: np.ndarray, dps: int) -> np.ndarray:
    """Backward evaluation in ``decimal`` arithmetic, vectorized over ``w``."""
    with _context(dps):
        flat = np.ravel(w).astype(complex)
        wr = np.array([Decimal(float(v)) for v in flat.real], dtype=object)
        wi = np.array([Decimal(float(v)) for v in flat.imag], dtype=object)
        one, zero = Decimal(1), Decimal(0)
        tr, ti = np.full(flat.size, one, dtype=object), np.full(flat.size, zero, dtype=object)
        for p in range(a.shape[1] - 1, 0, -1):
            xr, xi = wr - z[0, p - 1], wi - z[1, p - 1]
            nr, ni = a[0, p] * xr - a[1, p] * xi, a[0, p] * xi + a[1, p] * xr
            q = tr * tr + ti * ti
            tr, ti = one + (nr * tr + ni * ti) / q, (ni * tr - nr * ti) / q
        q = tr * tr + ti * ti
        out_r, out_i = (a[0, 0] * tr + a[1, 0] * ti) / q, (a[1, 0] * tr - a[0, 0] * ti) / q
        out = np.array([complex(float(r), float(i)) for r, i in zip(out_r, out_i, strict=True)])
    return out.reshape(w.shape)
