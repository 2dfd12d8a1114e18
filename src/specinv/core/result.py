"""The one result type every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from specinv.core.mesh import Mesh

if TYPE_CHECKING:  # check.py imports jsonable from here
    from specinv.core.check import Check


@dataclass(eq=False)
class InversionResult:
    """Spectrum recovered by a solver, with everything needed to trust it.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    method : str
        Registered solver name.
    mesh : Mesh
        Real-axis mesh of the spectrum.
    spectrum : ndarray of shape (n_mesh,)
        Recovered spectrum (cell values).
    fitted : ndarray of shape (n_data,)
        ``K @ spectrum``, to compare with the data.
    chi2 : float
        ``Σ ((fitted − data)/σ)²`` with the σ the solver used.
    chi2_reduced : float
        ``chi2 / n_data``.
    spectrum_std : ndarray of shape (n_mesh,) or None
        One-standard-deviation uncertainty where the method provides one.
    hyperparameters : dict
        What the solver chose (λ, α, rank, ...) and how.
    options : dict
        The options the solver ran with (defaults filled in).
    sigma_estimated : bool
        True when σ was estimated from the data rather than given.
    noise_level : float
        Median σ used.
    wall_time_s : float
        Wall-clock time of the solve.
    warnings : list of str
        Warnings raised during the solve (also emitted as Python warnings).
    extras : dict
        Method-specific arrays (e.g. particular solutions, α scan).
    check : Check or None
        The physics check of the answer (:mod:`specinv.core.check`): residuals,
        χ²/N at the noise level, positivity, and the verdict ``ok | warn | fail``.
    spectrum_band95 : ndarray of shape (n_mesh,) or None
        Half-width of the 95 % band where the band is calibrated (``spectrum_std`` is
        then the 68 % band; see :mod:`specinv.solvers.bands`).
    """

    method: str
    mesh: Mesh
    spectrum: np.ndarray
    fitted: np.ndarray
    chi2: float
    chi2_reduced: float
    spectrum_std: np.ndarray | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    sigma_estimated: bool = False
    noise_level: float = 0.0
    wall_time_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    check: Check | None = None
    spectrum_band95: np.ndarray | None = None

    @property
    def omega(self) -> np.ndarray:
        """Mesh points, shape (n_mesh,)."""
        return self.mesh.points

    def metadata(self) -> dict[str, Any]:
        """JSON-ready summary (no large arrays).

        Returns
        -------
        dict
            Method, options, hyperparameters, χ², noise level, wall time and
            warnings as plain Python values (arrays over 64 entries are
            replaced by a note of their shape).
        """
        return {
            "method": self.method,
            "options": jsonable(self.options),
            "hyperparameters": jsonable(self.hyperparameters),
            "chi2": float(self.chi2),
            "chi2_reduced": float(self.chi2_reduced),
            "sigma_estimated": bool(self.sigma_estimated),
            "noise_level": float(self.noise_level),
            "wall_time_s": float(self.wall_time_s),
            "warnings": list(self.warnings),
            **({"check": self.check.to_dict()} if self.check is not None else {}),
        }


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars and arrays inside dicts and lists to plain Python.

    Parameters
    ----------
    obj : Any
        Nested dicts, lists and tuples of numbers, strings, arrays.

    Returns
    -------
    Any
        The same structure with arrays of ≤ 64 elements as lists, larger ones as a
        ``"<array shape ...>"`` note, numpy scalars as Python numbers, anything else
        unknown as its ``repr``.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.size <= 64 else f"<array shape {obj.shape}>"
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float | int | str | bool) or obj is None:
        return obj
    return repr(obj)
