"""The linear inverse problem handed to every solver: kernel, data, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

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
    """

    kernel: Kernel
    data: np.ndarray
    sigma: np.ndarray | float | None = None
    default_model: np.ndarray | None = None
    name: str = "data"
    info: dict[str, Any] = field(default_factory=dict)

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

    @property
    def has_errors(self) -> bool:
        """True when the user supplied error bars."""
        return self.sigma is not None

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
        s = self.noise() if sigma is None else sigma
        r = (self.kernel.forward(spectrum) - self.data) / s
        return float(r @ r)
