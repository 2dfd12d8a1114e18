"""Fixed-point arithmetic on Python integers, with exact matrix–vector products.

A real number x is held as the integer ``round(x · 2^f)`` (f fraction bits), in
numpy object arrays so that elementwise operations stay vectorized. The one
costly operation of the many-digit Eliashberg solve is a dense product K·x
with M ≈ 350; it is done exactly with double-precision BLAS by cutting K and x
into signed slices of ``s`` bits (an Ozaki-type split): every slice product
and every sum of M of them is an integer below 2⁵³, hence exact in float64,
and the slice results are recombined with integer shifts.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np

#: bits of a float64 significand
_MANTISSA = 53


def fraction_bits(dps: int, guard: int = 64) -> int:
    """Fraction bits f that carry ``dps`` decimal digits plus ``guard`` bits.

    Parameters
    ----------
    dps : int
        Decimal digits to carry.
    guard : int
        Extra bits against rounding in intermediate steps.

    Returns
    -------
    int
        ``ceil(dps · log2 10) + guard``.
    """
    return int(math.ceil(dps * math.log2(10))) + guard


def from_float(x: float | np.ndarray, f: int) -> int | np.ndarray:
    """⌊x · 2^f⌋, exact for every float whose binary exponent is ≥ −f.

    Parameters
    ----------
    x : float or ndarray
        Value(s) to convert.
    f : int
        Fraction bits.

    Returns
    -------
    int or ndarray of object
        Fixed-point integer(s), the shape of ``x``.
    """
    if np.ndim(x) == 0:
        n, d = float(x).as_integer_ratio()
        return (n << f) // d
    return np.array([from_float(v, f) for v in np.asarray(x, dtype=float).ravel()],
                    dtype=object).reshape(np.shape(x))


def to_float(v: np.ndarray, f: int) -> np.ndarray:
    """Nearest doubles of fixed-point values (shape kept).

    Parameters
    ----------
    v : ndarray of object
        Fixed-point integers.
    f : int
        Their fraction bits.

    Returns
    -------
    ndarray of float
        ``v / 2^f``, the shape of ``v``.
    """
    one = 1 << f
    return np.array([int(x) / one for x in np.asarray(v).ravel()],
                    dtype=float).reshape(np.shape(v))


def to_decimal(v: np.ndarray, f: int, prec: int) -> np.ndarray:
    """Fixed-point values as ``decimal.Decimal`` rounded to ``prec`` digits.

    Parameters
    ----------
    v : ndarray of object
        Fixed-point integers.
    f : int
        Their fraction bits.
    prec : int
        Decimal digits of the result.

    Returns
    -------
    ndarray of object
        ``decimal.Decimal`` values, the shape of ``v``.
    """
    with localcontext() as ctx:
        ctx.prec = prec
        one = Decimal(1 << f)
        return np.array([Decimal(int(x)) / one for x in np.asarray(v).ravel()],
                        dtype=object).reshape(np.shape(v))


def from_decimal(x: Decimal, f: int) -> int:
    """⌊x · 2^f⌋ for a ``decimal.Decimal``.

    Parameters
    ----------
    x : decimal.Decimal
        Value to convert.
    f : int
        Fraction bits.

    Returns
    -------
    int
        Fixed-point integer (exact floor).
    """
    with localcontext() as ctx:
        ctx.prec = len(x.as_tuple().digits) + f + 10  # the product is exact
        return int((x * (1 << f)).to_integral_value(rounding="ROUND_FLOOR"))


def pi(f: int) -> int:
    """π with ``f`` fraction bits (Machin: π = 16 atan(1/5) − 4 atan(1/239)).

    Parameters
    ----------
    f : int
        Fraction bits.

    Returns
    -------
    int
        π as a fixed-point integer.
    """
    guard = 32
    one = 1 << (f + guard)

    def atan_inv(x: int) -> int:
        term, total, x2, k, sign = one // x, one // x, x * x, 1, -1
        while term:
            term //= x2
            k += 2
            total += sign * (term // k)
            sign = -sign
        return total

    return (16 * atan_inv(5) - 4 * atan_inv(239)) >> guard


def isqrt(v: np.ndarray) -> np.ndarray:
    """⌊√v⌋ elementwise: values with 2f fraction bits give roots with f fraction bits.

    Parameters
    ----------
    v : ndarray of object, shape (n,)
        Non-negative integers.

    Returns
    -------
    ndarray of object, shape (n,)
        Integer square roots.
    """
    return np.array([math.isqrt(int(x)) for x in v], dtype=object)


def slice_bits(m: int) -> int:
    """Slice width s such that sums of m products of slices stay exact in float64.

    Matrix slices may be the sum of two slices (|value| < 2^(s+1)) and vector
    slices are below 2^s, so m · 2^(2s+1) ≤ 2^53.

    Parameters
    ----------
    m : int
        Length of the summed products (columns of the matrix).

    Returns
    -------
    int
        Slice width s in bits.
    """
    return (_MANTISSA - 1 - int(math.ceil(math.log2(max(m, 2))))) // 2


def split(v: np.ndarray, top: int, s: int) -> np.ndarray:
    """Signed s-bit slices of fixed-point integers with |v| < 2^top.

    Parameters
    ----------
    v : ndarray of object
        Fixed-point integers.
    top : int
        Bound on the magnitudes, ``|v| < 2^top``.
    s : int
        Slice width in bits.

    Returns
    -------
    ndarray of shape (P,) + v.shape, float64
        ``v = Σ_p out[p] · 2^(P·s − s(p+1))`` exactly, P = ⌈top / s⌉.
    """
    p_count = -(-top // s)
    v = np.asarray(v, dtype=object)
    sign = np.where(v < 0, -1, 1)
    mag = np.abs(v)
    mask = (1 << s) - 1
    out = np.empty((p_count,) + v.shape, dtype=float)
    for p in range(p_count):
        out[p] = ((mag >> (s * (p_count - 1 - p))) & mask).astype(float) * sign
    return out


class ExactMatrix:
    """A fixed-point matrix K (f fraction bits) prepared for exact products K·x.

    Parameters
    ----------
    slices : ndarray of shape (P, M, N), float64
        Slices with ``K · 2^f = Σ_p slices[p] · 2^(top − s(p+1))``, |entries| < 2^(s+1).
    top : int
        ``P · s``.
    s : int
        Slice width in bits.
    f : int
        Fraction bits of K.
    """

    @classmethod
    def from_fixed(cls, k: np.ndarray, f: int) -> ExactMatrix:
        """From a matrix of fixed-point integers (f fraction bits).

        Parameters
        ----------
        k : ndarray of object, shape (M, N)
            Fixed-point matrix.
        f : int
            Its fraction bits.

        Returns
        -------
        ExactMatrix
            The sliced matrix, ready for :meth:`matvec`.
        """
        k = np.asarray(k, dtype=object)
        s = slice_bits(k.shape[1])
        top = max(abs(int(v)) for v in k.ravel()).bit_length() + 1
        sl = split(k, top, s)
        return cls(sl, sl.shape[0] * s, s, f)

    def __init__(self, slices: np.ndarray, top: int, s: int, f: int) -> None:
        self.slices = np.ascontiguousarray(slices)
        self.top, self.s, self.f = top, s, f

    def matvec(self, x: np.ndarray, x_top: int, bits: int | None = None) -> np.ndarray:
        """K·x for fixed-point x (f fraction bits, |x| < 2^x_top), to 2^−bits.

        Slice products whose sum is below 2^−(bits+6) are skipped; with
        ``bits`` ≥ f the result is the exact product floored to f fraction bits
        up to the last few bits.

        Parameters
        ----------
        x : ndarray of object, shape (N,)
            Fixed-point vector (f fraction bits).
        x_top : int
            Bound on its magnitudes, ``|x| < 2^x_top``.
        bits : int, optional
            Fraction bits wanted in the result (default and maximum ``f + 8``).

        Returns
        -------
        ndarray of shape (M,), object
            Fixed-point result with f fraction bits.
        """
        s, f = self.s, self.f
        bits = f + 8 if bits is None else min(int(bits), f + 8)
        xs = split(x, x_top, s)                         # (Q, N)
        q = xs.shape[0]
        p, m, _ = self.slices.shape
        # the (p, q) slice product is below m·2^(2s+1) · 2^(top + qs − s(p+q+2) − 2f)
        # in value; keep p + q ≤ t_max, dropping at most ~2P such terms
        slack = math.log2(m) + 2 * s + 1 + self.top + q * s - 2 * f + bits + 6 + math.log2(2 * p)
        t_max = min(p + q - 2, int(slack // s) - 2)
        if t_max < 0:
            return np.zeros(m, dtype=object)
        acc = np.zeros((m, t_max + 1), dtype=np.int64)   # Σ over p + q = t, < 2^59
        for i in range(min(p, t_max + 1)):
            qn = min(q, t_max + 1 - i)
            acc[:, i:i + qn] += (self.slices[i] @ xs[:qn].T).astype(np.int64)  # exact
        out = acc[:, 0].astype(object)
        for t in range(1, t_max + 1):
            out = (out << s) + acc[:, t].astype(object)
        # value · 2^f = out · 2^(top + qs − s(t_max + 2) − f)
        shift = self.top + q * s - s * (t_max + 2) - f
        return out << shift if shift >= 0 else out >> (-shift)
