"""Correlated errors: a validated covariance matrix, its eigenbasis, and bins → covariance.

Data from one Monte Carlo run are correlated (G(τ) at neighbouring τ share the same
configurations). With a covariance matrix ``C = U diag(λ) Uᵀ`` the misfit is
``χ² = rᵀ C⁻¹ r``; in the eigenbasis of ``C`` the rotated data ``Uᵀ g`` have
independent errors ``√λ_i`` and the rotated kernel is ``Uᵀ K`` (Jarrell & Gubernatis,
Phys. Rep. 269, 133 (1996), sec. 3.4), so every solver written for independent errors
solves the correlated problem unchanged: :meth:`specinv.core.problem.Problem.decorrelated`.

From QMC bins (``n_bins × n_data`` samples) the covariance of the mean is estimated by
:func:`covariance_from_bins`: the sample covariance is singular when there are fewer
bins than data points and noisy unless there are many more, so its correlations are
shrunk towards zero with the intensity of Schäfer & Strimmer (Stat. Appl. Genet. Mol.
Biol. 4, 32 (2005), target "D": the Ledoit–Wolf estimator for a diagonal target with
unequal variances), which keeps the variances and is positive definite whenever the
intensity is above zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specinv.core.errors import InputError

#: largest asymmetry ``max|C − Cᵀ| / max|C|`` accepted (text files round values)
SYMMETRY_RTOL = 1e-6
#: smallest eigenvalue ratio ``λ_min / λ_max`` accepted as positive definite, per data point
PD_RTOL = 1e-14


@dataclass(frozen=True, eq=False)
class Covariance:
    """A symmetric positive-definite covariance and its eigendecomposition.

    Build it with :meth:`from_matrix`, which validates the matrix.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        ``C`` (symmetrized), in the data's unit squared.
    eigenvalues : ndarray of shape (n,)
        ``λ_i > 0``, ascending.
    eigenvectors : ndarray of shape (n, n)
        Orthonormal columns ``U[:, i]``.
    """

    matrix: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, n: int | None = None,
                    source: str = "covariance") -> Covariance:
        """Validate ``matrix`` as a covariance of ``n`` data points and decompose it.

        Parameters
        ----------
        matrix : array_like of shape (n, n)
            Candidate covariance, in the data's unit squared.
        n : int, optional
            Number of data points it must describe.
        source : str
            File or argument named in error messages.

        Returns
        -------
        Covariance
            The validated matrix with its eigenbasis.

        Raises
        ------
        InputError
            Wrong shape, non-finite entries, not symmetric, or not positive definite.
        """
        c = np.array(matrix, dtype=float, copy=True)
        size = c.shape[0] if c.ndim == 2 else -1
        if c.ndim != 2 or c.shape[1] != size or (n is not None and size != n):
            want = f"({n}, {n})" if n is not None else "(n, n)"
            raise InputError(f"expected a square covariance matrix of shape {want} (one row "
                             f"and column per data point, in the data's order), got shape "
                             f"{c.shape}", source)
        if not np.all(np.isfinite(c)):
            raise InputError("covariance matrix contains NaN or infinite values", source)
        scale = float(np.max(np.abs(c)))
        asym = float(np.max(np.abs(c - c.T))) / max(scale, 1e-300)
        if asym > SYMMETRY_RTOL:
            raise InputError(f"covariance matrix is not symmetric (max|C - C^T| / max|C| = "
                             f"{asym:.2g}, expected <= {SYMMETRY_RTOL:g})", source)
        c = 0.5 * (c + c.T)
        lam, u = np.linalg.eigh(c)
        if not lam[-1] > 0 or lam[0] <= PD_RTOL * size * lam[-1]:
            raise InputError(
                f"covariance matrix is not positive definite (eigenvalues from {lam[0]:.3g} to "
                f"{lam[-1]:.3g}); a covariance estimated from fewer bins than data points is "
                "singular: give the bins instead (--bins), which are shrunk", source)
        for a in (c, lam, u):
            a.setflags(write=False)
        return cls(c, lam, u)

    @property
    def size(self) -> int:
        """Number of data points ``n``."""
        return int(self.eigenvalues.size)

    @property
    def sigma(self) -> np.ndarray:
        """Marginal errors ``√C_ii``, shape (n,)."""
        return np.sqrt(np.diag(self.matrix))

    def rotate(self, values: np.ndarray) -> np.ndarray:
        """Coordinates in the eigenbasis: ``Uᵀ v`` for each vector of ``values``.

        Parameters
        ----------
        values : ndarray of shape (n,) or (n, m)
            Data vector(s) (columns for a matrix, e.g. the kernel ``K``).

        Returns
        -------
        ndarray of the same shape
            ``Uᵀ values``.
        """
        return self.eigenvectors.T @ np.asarray(values, dtype=float)

    def whiten(self, residual: np.ndarray) -> np.ndarray:
        """Normalized residual ``C^(-1/2) r`` (independent unit errors, data order kept).

        Parameters
        ----------
        residual : ndarray of shape (n,)
            ``K f − g``, in the data's unit.

        Returns
        -------
        ndarray of shape (n,)
            Dimensionless; its squared norm is ``χ² = rᵀ C⁻¹ r``.
        """
        return self.eigenvectors @ self._scaled(residual)

    def chi2(self, residual: np.ndarray) -> float:
        """``rᵀ C⁻¹ r`` (dimensionless).

        Parameters
        ----------
        residual : ndarray of shape (n,)
            ``K f − g``, in the data's unit.

        Returns
        -------
        float
            χ² with the full covariance.
        """
        z = self._scaled(residual)
        return float(z @ z)

    def _scaled(self, residual: np.ndarray) -> np.ndarray:
        """``Λ^(-1/2) Uᵀ r``: the residual in C's eigenbasis, in units of its errors."""
        return self.rotate(residual) / np.sqrt(self.eigenvalues)


@dataclass(frozen=True, eq=False)
class BinEstimate:
    """Mean and covariance of the mean from Monte Carlo bins.

    Parameters
    ----------
    mean : ndarray of shape (n_data,)
        Average over the bins.
    covariance : Covariance
        Shrunk covariance of the mean.
    shrinkage : float
        Intensity in [0, 1] towards the diagonal (0: the sample covariance).
    n_bins : int
        Number of bins averaged.
    """

    mean: np.ndarray
    covariance: Covariance
    shrinkage: float
    n_bins: int


def shrinkage_intensity(bins: np.ndarray) -> float:
    """Schäfer–Strimmer intensity of shrinking the sample correlations towards zero.

    ``λ* = Σ_{i≠j} Var(r_ij) / Σ_{i≠j} r_ij²`` with ``r_ij`` the sample correlations and
    ``Var(r_ij)`` their estimated sampling variance, clipped to [0, 1].

    Parameters
    ----------
    bins : ndarray of shape (n_bins, n_data)
        Samples, every column with non-zero variance.

    Returns
    -------
    float
        λ* (dimensionless): near 0 when the correlations are well determined, near 1 when
        they are indistinguishable from noise.
    """
    x = np.asarray(bins, dtype=float)
    k = x.shape[0]
    z = x - x.mean(axis=0)
    z = z / np.sqrt((z * z).sum(axis=0) / (k - 1))
    wbar = z.T @ z / k  # mean of w_kij = z_ki z_kj
    z2 = z * z
    var_sum = k / (k - 1) ** 3 * (z2.T @ z2 - k * wbar ** 2)  # Σ_b (w_bij − w̄_ij)² scaled
    r = wbar * k / (k - 1)
    off = ~np.eye(x.shape[1], dtype=bool)
    denom = float(np.sum(r[off] ** 2))
    if denom <= 0:
        return 1.0
    return float(np.clip(np.sum(var_sum[off]) / denom, 0.0, 1.0))


def covariance_from_bins(bins: np.ndarray, source: str = "bins") -> BinEstimate:
    """Mean of QMC bins and the shrunk covariance of that mean.

    ``C = S*/n_bins`` with ``S*`` the sample covariance whose off-diagonal part is scaled
    by ``1 − λ*`` (:func:`shrinkage_intensity`).

    Parameters
    ----------
    bins : array_like of shape (n_bins, n_data)
        One row per bin (statistically independent measurements of the data vector).
    source : str
        File named in error messages.

    Returns
    -------
    BinEstimate
        Mean, covariance of the mean, shrinkage intensity and number of bins.

    Raises
    ------
    InputError
        Fewer than 2 bins, non-finite values, a column with zero variance, or a
        covariance that is still not positive definite.
    """
    x = np.asarray(bins, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InputError(f"expected bins as a 2-D array (n_bins >= 2 rows, one column per "
                         f"data point), got shape {x.shape}", source)
    if not np.all(np.isfinite(x)):
        raise InputError("bins contain NaN or infinite values", source)
    var = x.var(axis=0, ddof=1)
    flat = np.flatnonzero(var <= 1e-28 * max(float(np.max(np.abs(x))) ** 2, 1e-300))
    if flat.size:
        raise InputError(f"data point(s) {flat[:5].tolist()} (0-based) do not vary across "
                         "the bins; every data point needs a statistical error", source)
    lam = shrinkage_intensity(x)
    s = np.cov(x, rowvar=False)
    d = np.diag(s).copy()
    s *= 1.0 - lam
    s[np.diag_indices_from(s)] = d
    cov = Covariance.from_matrix(s / x.shape[0], x.shape[1], source)
    mean = x.mean(axis=0)
    mean.setflags(write=False)
    return BinEstimate(mean, cov, lam, int(x.shape[0]))
