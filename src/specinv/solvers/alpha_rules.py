"""Analyzers of a MaxEnt α scan that do not depend on the error-bar scale's absolute value.

Each takes the scanned ``log α`` (decreasing or increasing) and the χ² (or entropy S)
of the spectrum at each α and returns the index of the chosen α, as TRIQS/maxent's
analyzers do (Kraberger et al., PRB 96, 155128 (2017)):

- :func:`chi2_curvature`: the maximum curvature of ``log₁₀ χ²`` against ``γ log₁₀ α``
  (OmegaMaxEnt's and TRIQS/maxent's rule; γ = :data:`CURVATURE_GAMMA`): the corner where
  χ² leaves its noise floor;
- :func:`line_fit`: the intersection of two straight lines fitted to ``ln χ²(ln α)``,
  the noise plateau at small α and the rise at large α;
- :func:`entropy_plateau`: the α at which ``dS/d ln α`` is smallest in magnitude.

Multiplying every error bar by c shifts ``log χ²`` by a constant and rescales α, so the
χ² corner (curvature, line fit) moves with the data's information content, not with the
error bars' scale, unlike the discrepancy (``historic``) or Bayesian rules.
"""

from __future__ import annotations

import numpy as np

#: γ of the curvature rule: 0.1, half TRIQS/maxent's 0.2, which moves the chosen α a little
#: towards smaller α; on ``bench ac --suite actest`` STD_FG (Gaussian default model) f goes
#: from 11.01 / 18.35 / 19.47 to 11.48 / 18.47 / 19.49 at σ = 1e-2 / 1e-4 / 1e-6, STD_FD
#: from 2.09 to 2.72 at 1e-4 (γ = 0.05: 18.40; 0.5: 18.00 at 1e-4)
CURVATURE_GAMMA = 0.1
#: the corner is sought where log χ² lies in this lower fraction of its scanned range: a
#: bend near the top (χ² leaving the default model's plateau) is not the noise floor's
#: corner (it won on a δ-peak spectrum of ACTest STD_FD at σ = 1e-6, χ²/N = 7e4)
LOWER_FRACTION = 0.5
#: the noise floor lies at least this factor below the χ² of the scan's largest α (the
#: default model's misfit); a plateau above it is the default model's, not the floor
FLOOR_FALL = 0.1


def curvature(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Curvature ``y'' / (1 + y'²)^{3/2}`` by central differences (NaN at both ends).

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        The curve; ``x`` strictly monotonic (non-uniform spacing allowed).

    Returns
    -------
    ndarray of shape (n,)
        Curvature; the first and last entries are NaN.
    """
    c = np.full(x.size, np.nan)
    if x.size < 3:
        return c
    h0, h1 = x[1:-1] - x[:-2], x[2:] - x[1:-1]
    d0, d1 = (y[1:-1] - y[:-2]) / h0, (y[2:] - y[1:-1]) / h1
    d2 = 2.0 * (d1 - d0) / (h0 + h1)
    d = (h1 * d0 + h0 * d1) / (h0 + h1)
    c[1:-1] = d2 / (1.0 + d * d) ** 1.5
    return c


def chi2_curvature(log_alpha: np.ndarray, chi2: np.ndarray,
                   gamma: float = CURVATURE_GAMMA) -> int:
    """Index of the maximum curvature of ``log₁₀ χ²`` against ``γ log₁₀ α``.

    Parameters
    ----------
    log_alpha : ndarray of shape (n,)
        ``ln α`` of the scan, monotonic.
    chi2 : ndarray of shape (n,)
        χ² at each α (> 0).
    gamma : float
        Scale of the α axis (TRIQS/maxent: 0.2; default :data:`CURVATURE_GAMMA`).

    Returns
    -------
    int
        Index into the scan (an end point only when the scan has fewer than 3 points),
        among the points whose log χ² lies in the lower :data:`LOWER_FRACTION` of its
        range.
    """
    x = gamma * np.asarray(log_alpha, float) / np.log(10.0)
    y = np.log10(np.maximum(np.asarray(chi2, float), 1e-300))
    c = curvature(x, y)
    c[y > y.min() + LOWER_FRACTION * (y.max() - y.min())] = np.nan
    if not np.any(np.isfinite(c)):
        return int(np.argmin(np.abs(y - np.median(y))))
    return int(np.nanargmax(c))


def floor_reached(log_alpha: np.ndarray, chi2: np.ndarray, plateau: float) -> bool:
    """Has a scan from large to small α reached the χ² floor (the curvature rule's corner
    then lies behind it)?

    Parameters
    ----------
    log_alpha : ndarray of shape (n,)
        ``ln α`` of the scan so far, decreasing.
    chi2 : ndarray of shape (n,)
        χ² at each α.
    plateau : float
        Relative fall of χ² over the last decade of α below which χ² is flat.

    Returns
    -------
    bool
        True when χ² has been flat for a decade of α and lies at least 1/:data:`FLOOR_FALL`
        below its value at the largest α (so that the flat part is not the default
        model's plateau at the top of the scan).
    """
    la, chi2 = np.asarray(log_alpha, float) / np.log(10.0), np.asarray(chi2, float)
    if la.size < 5:
        return False
    back = int(np.searchsorted(-la, -(la[-1] + 1.0)))
    return bool(back < la.size - 1 and chi2[-1] >= (1.0 - plateau) * chi2[back]
                and chi2[-1] <= FLOOR_FALL * chi2[0])


def line_fit(log_alpha: np.ndarray, chi2: np.ndarray) -> int:
    """Index nearest the intersection of two lines fitted to ``ln χ²(ln α)``.

    Every split of the scan into two runs (at least three points each) is fitted by
    least squares, one line per run; the split with the smallest total residual wins and
    its lines' intersection is the α.

    Parameters
    ----------
    log_alpha : ndarray of shape (n,)
        ``ln α`` of the scan, monotonic.
    chi2 : ndarray of shape (n,)
        χ² at each α (> 0).

    Returns
    -------
    int
        Index into the scan.
    """
    x = np.asarray(log_alpha, float)
    y = np.log(np.maximum(np.asarray(chi2, float), 1e-300))
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    best, cut = np.inf, None
    for k in range(3, xs.size - 2):
        fits = [np.polyfit(xs[sl], ys[sl], 1, full=True) for sl in (slice(0, k), slice(k, None))]
        res = sum(float(f[1][0]) if f[1].size else 0.0 for f in fits)
        if res < best:
            best, cut = res, (fits[0][0], fits[1][0])
    if cut is None:
        return chi2_curvature(log_alpha, chi2)
    (a0, b0), (a1, b1) = cut
    xc = (b1 - b0) / (a0 - a1) if a0 != a1 else float(np.median(xs))
    return int(np.argmin(np.abs(x - xc)))


def entropy_plateau(log_alpha: np.ndarray, ent: np.ndarray) -> int:
    """Index of the smallest ``|dS/d ln α|`` (central differences; ends excluded).

    Parameters
    ----------
    log_alpha : ndarray of shape (n,)
        ``ln α`` of the scan, monotonic.
    ent : ndarray of shape (n,)
        Entropy S ≤ 0 at each α.

    Returns
    -------
    int
        Index into the scan.
    """
    x, s = np.asarray(log_alpha, float), np.asarray(ent, float)
    if x.size < 3:
        return 0
    d = np.abs((s[2:] - s[:-2]) / (x[2:] - x[:-2]))
    return int(np.argmin(d)) + 1
