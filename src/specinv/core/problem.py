"""The linear inverse problem handed to every solver: kernel, data, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from specinv.core.covariance import Covariance, covariance_from_bins
from specinv.core.errors import InputError, ParameterError
from specinv.core.noise import estimate_noise

if TYPE_CHECKING:  # the core never imports the kernel layer at run time
    from specinv.kernels.base import Kernel


@dataclass(frozen=True, eq=False)
class Problem:
    """``data = kernel.matrix @ spectrum + noise`` with optional error bars.

    Parameters
    ----------
    kernel : Kernel
        Forward model; its ``data_points`` are where ``data`` was measured.
    data : ndarray of shape (n_data,)
        Measured values (copied; the caller's array is never modified).
    sigma : float or ndarray of shape (n_data,), optional
        One-standard-deviation errors of ``data``. When omitted, solvers that
        need them use :meth:`noise`, an estimate from the data's roughness,
        and say so in their result.
    default_model : ndarray of shape (n_mesh,), optional
        Prior spectrum (MaxEnt default model, starting point of iterative methods).
    name : str
        Where the data came from (file name), used in messages.
    info : dict
        Free-form metadata for the caller (e.g. file provenance); solvers ignore it.
    covariance : Covariance or ndarray of shape (n_data, n_data), optional
        Covariance of ``data`` (correlated errors, validated by
        :meth:`~specinv.core.covariance.Covariance.from_matrix`); ``sigma`` is then
        ``√diag C``. Solvers see the :meth:`decorrelated` problem; χ² uses the full ``C``.
    bins : ndarray of shape (n_bins, n_data), optional
        The Monte Carlo bins ``data`` is the mean of (see :meth:`from_bins`); used by the
        jackknife band.
    sigma_estimated : bool
        ``sigma`` was estimated by the caller from the data, not given with it: results
        and verdicts then report the noise as estimated (:attr:`sigma_given` is False).
    """

    kernel: Kernel
    data: np.ndarray
    sigma: np.ndarray | float | None = None
    default_model: np.ndarray | None = None
    name: str = "data"
    info: dict[str, Any] = field(default_factory=dict)
    covariance: Covariance | np.ndarray | None = None
    bins: np.ndarray | None = None
    sigma_estimated: bool = False

    def __post_init__(self) -> None:
        g = np.array(self.data, dtype=float, copy=True)
        n = self.kernel.data_points.size
        if g.shape != (n,):
            raise InputError(
                f"expected {n} data values (one per kernel point), got shape {g.shape}", self.name)
        if not np.all(np.isfinite(g)):
            raise InputError("data contain NaN or infinite values", self.name)
        g.setflags(write=False)
        object.__setattr__(self, "data", g)
        self._set_covariance(n)
        if self.sigma is not None:
            s = np.broadcast_to(np.asarray(self.sigma, dtype=float), (n,)).copy()
            if not np.all(np.isfinite(s)) or np.any(s <= 0):
                raise InputError("error bars (sigma) must be finite and > 0", self.name)
            s.setflags(write=False)
            object.__setattr__(self, "sigma", s)
        if self.default_model is not None:
            d = np.array(self.default_model, dtype=float, copy=True)
            if d.shape != (self.kernel.mesh.size,):
                raise ParameterError(
                    f"default model must have shape ({self.kernel.mesh.size},), got {d.shape}")
            if not np.all(np.isfinite(d)) or np.any(d <= 0):
                raise ParameterError("default model must be finite and strictly positive")
            d.setflags(write=False)
            object.__setattr__(self, "default_model", d)

    def _set_covariance(self, n: int) -> None:
        """Validate ``covariance`` and ``bins``; ``sigma`` becomes ``√diag C``."""
        if self.bins is not None:
            b = np.array(self.bins, dtype=float, copy=True)
            if b.ndim != 2 or b.shape[1] != n or b.shape[0] < 2:
                raise InputError(f"expected bins of shape (n_bins >= 2, {n}), got {b.shape}",
                                 self.name)
            b.setflags(write=False)
            object.__setattr__(self, "bins", b)
        if self.covariance is None:
            return
        c = self.covariance
        if not isinstance(c, Covariance):
            c = Covariance.from_matrix(c, n, f"{self.name} (covariance)")
        elif c.size != n:
            raise InputError(f"covariance describes {c.size} data points, the data have {n}",
                             self.name)
        if self.sigma is not None and not np.allclose(self.sigma, c.sigma, rtol=1e-9):
            raise ParameterError("give either sigma or a covariance, not both (sigma is "
                                 "the square root of the covariance's diagonal)")
        object.__setattr__(self, "covariance", c)
        object.__setattr__(self, "sigma", c.sigma)

    @classmethod
    def from_bins(cls, kernel: Kernel, bins: np.ndarray, **kwargs: Any) -> Problem:
        """The problem of the mean of Monte Carlo bins, with their shrunk covariance.

        Parameters
        ----------
        kernel : Kernel
            Forward model; the bins have one column per kernel data point.
        bins : ndarray of shape (n_bins, n_data)
            Independent measurements of the data vector.
        **kwargs
            Other :class:`Problem` fields (``default_model``, ``name``, ``info``).

        Returns
        -------
        Problem
            ``data`` the bin mean, ``covariance`` from
            :func:`~specinv.core.covariance.covariance_from_bins`, ``bins`` kept, and
            ``info["bins"]`` recording the number of bins and the shrinkage intensity.
        """
        est = covariance_from_bins(bins, kwargs.get("name", "bins"))
        info = {**kwargs.pop("info", {}),
                "bins": {"n_bins": est.n_bins, "shrinkage": est.shrinkage,
                         "estimator": "sample covariance / n_bins, correlations shrunk "
                                      "(Schaefer-Strimmer, diagonal target)"}}
        return cls(kernel, est.mean, covariance=est.covariance, bins=bins, info=info, **kwargs)

    def decorrelated(self) -> Problem:
        """The same problem in the eigenbasis of its covariance (itself if it has none).

        Returns
        -------
        Problem
            Kernel ``Uᵀ K`` (:meth:`specinv.kernels.base.Kernel.rotated`), data ``Uᵀ g``
            and independent errors ``√λ_i``; same default model, name and info.
        """
        c = self.covariance
        if c is None:
            return self
        assert isinstance(c, Covariance)
        return Problem(self.kernel.rotated(c.eigenvectors.T), c.rotate(self.data),
                       sigma=np.sqrt(c.eigenvalues), default_model=self.default_model,
                       name=self.name, info=self.info)

    @property
    def has_errors(self) -> bool:
        """True when the user supplied error bars."""
        return self.sigma is not None

    @property
    def sigma_given(self) -> bool:
        """True when error bars are present and came with the data (not estimated)."""
        return self.sigma is not None and not self.sigma_estimated

    def noise(self) -> np.ndarray:
        """Error bars: the given ``sigma``, or an estimate from the data.

        Returns
        -------
        ndarray of shape (n_data,)
            One-standard-deviation errors, in the unit of ``data``.
        """
        if self.sigma is not None:
            return np.asarray(self.sigma)
        return np.full(self.data.size, estimate_noise(self.data))

    def chi2(self, spectrum: np.ndarray, sigma: np.ndarray | None = None) -> float:
        """``Σ_i ((K f − g)_i / σ_i)²`` for a spectrum of shape (n_mesh,).

        With a covariance and no ``sigma``: ``rᵀ C⁻¹ r``, ``r = K f − g``.

        Parameters
        ----------
        spectrum : ndarray of shape (n_mesh,)
            Candidate spectrum ``f``.
        sigma : ndarray of shape (n_data,), optional
            Errors to use (default: :meth:`noise`).

        Returns
        -------
        float
            χ² (dimensionless).
        """
        r = self.kernel.forward(spectrum) - self.data
        if sigma is None and isinstance(self.covariance, Covariance):
            return self.covariance.chi2(r)
        r = r / (self.noise() if sigma is None else sigma)
        return float(r @ r)
