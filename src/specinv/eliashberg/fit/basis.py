"""Non-negative hat-function (linear B-spline) representation of α²F.

α²F(Ω) = Σ_k a_k B_k(Ω) with hats B_k centred on Ω_k = k h, k = 1 … K, on a
fine evaluation mesh 0 … (K + 1) h, so α²F(0) = 0 and α²F vanishes beyond the
last knot. a_k ≥ 0 makes α²F ≥ 0 everywhere. λ is linear in a; ω_log and ω̄₂
are smooth functions of a whose gradients are taken by central differences of
a cheap quadrature (no engine solve). The roughness operator is the second
difference of α²F/Ω^p at the knots (with zero end values), so the penalty ‖L a‖²
favours smooth spectra vanishing as Ω^(p+1) at 0 (α²F/Ω^p is 0 there) and no
particular λ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F, coupling, moments

#: evaluation points per knot interval of the fine mesh
POINTS_PER_KNOT = 8


@dataclass(frozen=True)
class HatBasis:
    """Hats on knots Ω_k = k h (k = 1 … K) and their values on a fine mesh.

    Parameters
    ----------
    n_knots : int
        K, the number of coefficients.
    omega_max : float
        Energy of the highest knot Ω_K, meV (α²F is 0 from Ω_K + h on).
    """

    n_knots: int
    omega_max: float

    def __post_init__(self) -> None:
        if self.n_knots < 3 or not self.omega_max > 0:
            raise ParameterError(f"the α²F basis needs >= 3 knots and omega_max > 0 meV, got "
                                 f"{self.n_knots}, {self.omega_max}")

    @property
    def spacing(self) -> float:
        """Knot spacing h (meV)."""
        return self.omega_max / self.n_knots

    @property
    def knots(self) -> np.ndarray:
        """Knot energies Ω_k (meV), shape (K,)."""
        return self.spacing * np.arange(1, self.n_knots + 1)

    @property
    def mesh(self) -> np.ndarray:
        """Fine evaluation mesh 0 … Ω_K + h (meV), shape (POINTS_PER_KNOT (K + 1) + 1,)."""
        return np.linspace(0.0, self.omega_max + self.spacing,
                           POINTS_PER_KNOT * (self.n_knots + 1) + 1)

    @property
    def matrix(self) -> np.ndarray:
        """Hat values B_k(Ω) on :attr:`mesh`, shape (n_mesh, K)."""
        x = self.mesh[:, None] / self.spacing - np.arange(1, self.n_knots + 1)[None, :]
        return np.clip(1.0 - np.abs(x), 0.0, None)

    def values(self, a: np.ndarray) -> np.ndarray:
        """α²F on :attr:`mesh` for coefficients ``a`` (negative ones set to 0).

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients (α²F at the knots, dimensionless).

        Returns
        -------
        ndarray of shape (n_mesh,)
            α²F(Ω) on the fine mesh.
        """
        return self.matrix @ np.clip(np.asarray(a, float), 0.0, None)

    def spectrum(self, a: np.ndarray, *, source: str = "fitted α²F") -> A2F:
        """The engine's :class:`A2F` of coefficients ``a``.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients (dimensionless).
        source : str
            Name used in messages.

        Returns
        -------
        A2F
            α²F on :attr:`mesh`.
        """
        return A2F.from_table(self.mesh, self.values(a), source=source)

    def project(self, omega: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Coefficients whose α²F has the λ-weighted shape of a tabulated α²F.

        The table is interpolated to the knots after averaging over each hat (so a
        peak narrower than h keeps its weight), then scaled to keep λ.

        Parameters
        ----------
        omega : ndarray of shape (n,)
            Mesh of the table (meV), increasing.
        values : ndarray of shape (n,)
            α²F on it (negative values set to 0).

        Returns
        -------
        ndarray of shape (K,)
            Non-negative coefficients (zeros when the table has no weight below Ω_K + h).
        """
        f = np.interp(self.mesh, omega, np.clip(values, 0.0, None), right=0.0)
        b = self.matrix
        a = (b.T @ f) / np.maximum(b.sum(axis=0), 1e-300)
        if not np.any(a > 0) or not np.any(f > 0):
            return a
        return a * (coupling(A2F.from_table(self.mesh, f)) / coupling(self.spectrum(a)))

    def roughness(self, power: float = 1.0) -> np.ndarray:
        """Second differences of α²F/Ω^p at the knots (0 at Ω = 0 and beyond the last knot).

        Smoothness of α²F/Ω^p rather than of α²F: the smoothest spectrum near Ω = 0 is then
        α²F ∝ Ω^(p+1) (p = 1: Ω², acoustic phonons' Debye law), not a linear ramp, which
        would put weight at low Ω that the data barely see and that λ and ω_log weight by
        1/Ω. A larger p makes weight at low Ω dearer still.

        Parameters
        ----------
        power : float
            p (1 or more).

        Returns
        -------
        ndarray of shape (K, K)
            L with L a = Ω̄^p Δ²(a/Ω^p) / h², Ω̄ the mean knot energy (so L has the scale of
            the second differences of a).
        """
        k = self.n_knots
        lap = -2.0 * np.eye(k) + np.eye(k, k=1) + np.eye(k, k=-1)
        knots = self.knots
        return lap * ((knots.mean() / knots) ** power)[None, :] / self.spacing ** 2

    def moments(self, a: np.ndarray) -> dict[str, float]:
        """λ, ω_log, ω̄₂ (meV) of coefficients ``a``.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients.

        Returns
        -------
        dict
            As :func:`specinv.eliashberg.engine.a2f.moments`.
        """
        return moments(self.spectrum(a))

    def moment_gradients(self, a: np.ndarray) -> dict[str, np.ndarray]:
        """∂(λ, ω_log, ω̄₂)/∂a by central differences of the quadrature.

        Parameters
        ----------
        a : ndarray of shape (K,)
            Coefficients (with some weight).

        Returns
        -------
        dict
            ``lambda``, ``omega_log_meV``, ``omega2_meV``: ndarray of shape (K,) each.
        """
        a = np.clip(np.asarray(a, float), 0.0, None)
        step = 1e-6 * max(float(a.max()), 1e-12)
        keys = ("lambda", "omega_log_meV", "omega2_meV")
        out = {k: np.empty(a.size) for k in keys}
        for i in range(a.size):
            up, dn = a.copy(), a.copy()
            up[i] += step
            dn[i] = max(dn[i] - step, 0.0)
            mu, md = self.moments(up), self.moments(dn)
            for k in keys:
                out[k][i] = (mu[k] - md[k]) / (up[i] - dn[i])
        return out

