"""Eliashberg functions α²F(Ω): representation, moments and Allen–Dynes T_c.

An :class:`A2F` holds the spectrum on its own mesh (``omega``, ``values``, meV
and dimensionless) and, derived from it, *quadrature nodes* ``nu`` (meV, > 0)
with weights ``weight = α²F(ν) dν`` (meV). Every integral of the engine is a
sum over these nodes, so any mesh (uniform, EPW's THz grid, a single Einstein
mode) is handled the same way:

    λ = 2 Σ w/ν,   ω_log = exp[(2/λ) Σ w ln ν / ν],   ω̄₂ = [(2/λ) Σ w ν]^{1/2}

(PHYSICS.md §3). Points at Ω ≤ 0 carry no weight (α²F/Ω is undefined there
and α²F vanishes as Ω → 0 for phonons).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.core.mesh import trapezoid_weights
from specinv.core.units import KB_MEV_PER_K


@dataclass(frozen=True, eq=False)
class A2F:
    """Eliashberg function on a mesh, with quadrature nodes for the solvers.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Boson energies Ω in meV (increasing).
    values : ndarray of shape (n,)
        α²F(Ω), dimensionless, ≥ 0.
    nu : ndarray of shape (k,)
        Quadrature nodes (meV, > 0).
    weight : ndarray of shape (k,)
        ``α²F(ν) dν`` at each node (meV).
    """

    omega: np.ndarray
    values: np.ndarray
    nu: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)

    @classmethod
    def from_table(cls, omega: np.ndarray, values: np.ndarray, *, source: str = "α²F") -> A2F:
        """Build from tabulated α²F (trapezoid weights on the given mesh).

        Parameters
        ----------
        omega : ndarray of shape (n,)
            Boson energies Ω (meV), strictly increasing; points at Ω ≤ 0 get no node.
        values : ndarray of shape (n,)
            α²F(Ω), dimensionless, ≥ 0.
        source : str
            Where the table came from (file name), used in messages.

        Returns
        -------
        A2F
            The tabulated function with trapezoid quadrature nodes at Ω > 0.

        Raises
        ------
        InputError
            Non-finite, negative, unsorted, or all-zero input.
        """
        w = np.asarray(omega, dtype=float)
        f = np.asarray(values, dtype=float)
        if w.ndim != 1 or f.shape != w.shape or w.size < 2:
            raise InputError("expected two 1-D arrays of equal length >= 2 (Ω, α²F)", source)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(f))):
            raise InputError("Ω and α²F must be finite numbers (found NaN or inf)", source)
        if np.any(np.diff(w) <= 0):
            raise InputError("Ω must be strictly increasing", source)
        if np.any(f < 0):
            i = int(np.argmax(f < 0))
            raise InputError(f"α²F must be >= 0; found {f[i]:.3g} at Ω = {w[i]:.4g} meV", source)
        dw = trapezoid_weights(w)
        keep = w > 0
        nu, wt = w[keep], (f * dw)[keep]
        if not np.any(wt > 0):
            raise InputError("α²F is zero at every Ω > 0 (no coupling)", source)
        return cls(w, f, nu, wt)

    @classmethod
    def einstein(cls, omega_e: float, lam: float) -> A2F:
        """Einstein mode ``α²F = (λ Ω_E / 2) δ(Ω − Ω_E)`` with coupling ``lam``.

        Parameters
        ----------
        omega_e : float
            Mode energy Ω_E (meV), > 0.
        lam : float
            Coupling λ, > 0.

        Returns
        -------
        A2F
            A single delta function (``values`` is ``inf``, see :attr:`is_discrete`).
        """
        if not omega_e > 0 or not lam > 0:
            raise ParameterError(f"Einstein model needs Ω_E > 0 and λ > 0, got {omega_e}, {lam}")
        nu = np.array([float(omega_e)])
        return cls(nu.copy(), np.array([np.inf]), nu, np.array([0.5 * lam * omega_e]))

    @property
    def is_discrete(self) -> bool:
        """True for a sum of delta functions (no tabulated values)."""
        return not np.all(np.isfinite(self.values))

    def scaled(self, factor: float) -> A2F:
        """α²F multiplied by ``factor`` (λ scales linearly).

        Parameters
        ----------
        factor : float
            Multiplier of α²F.

        Returns
        -------
        A2F
            The scaled function (same mesh and nodes).
        """
        vals = self.values if self.is_discrete else self.values * factor
        return A2F(self.omega, vals, self.nu, self.weight * factor)

    def scaled_to_lambda(self, lam: float) -> A2F:
        """α²F rescaled so that λ equals ``lam``.

        Parameters
        ----------
        lam : float
            Target coupling λ, > 0.

        Returns
        -------
        A2F
            The scaled function.
        """
        if not lam > 0:
            raise ParameterError(f"target λ must be > 0, got {lam}")
        return self.scaled(lam / coupling(self))

    @property
    def omega_max(self) -> float:
        """Highest boson energy carrying weight (> 1e-6 of the largest node weight), meV."""
        sig = self.weight > 1e-6 * self.weight.max()
        return float(self.nu[sig].max())


def coupling(a2f: A2F) -> float:
    """λ = 2∫ α²F(Ω)/Ω dΩ.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function.

    Returns
    -------
    float
        Coupling λ (dimensionless).
    """
    return float(2.0 * np.sum(a2f.weight / a2f.nu))


def moments(a2f: A2F) -> dict[str, float]:
    """λ, ω_log and ω̄₂ (meV) of α²F.

    Parameters
    ----------
    a2f : A2F
        Eliashberg function.

    Returns
    -------
    dict
        ``lambda``, ``omega_log_meV``, ``omega2_meV``, ``omega_max_meV``.
    """
    lam = coupling(a2f)
    wlog = float(np.exp(2.0 / lam * np.sum(a2f.weight * np.log(a2f.nu) / a2f.nu)))
    w2 = float(np.sqrt(2.0 / lam * np.sum(a2f.weight * a2f.nu)))
    return {"lambda": lam, "omega_log_meV": wlog, "omega2_meV": w2,
            "omega_max_meV": a2f.omega_max}


def power_moment(a2f: A2F, p: float) -> float:
    """μ_p = ∫ Ω^p α²F(Ω) dΩ (the seed's Appendix E moments, p = 2, 1, 0, −1).

    Parameters
    ----------
    a2f : A2F
        Eliashberg function.
    p : float
        Power of Ω.

    Returns
    -------
    float
        μ_p in meV^(p + 1).
    """
    return float(np.sum(a2f.weight * a2f.nu ** p))


def allen_dynes_tc(lam: float, omega_log: float, omega2: float, mu_star: float) -> float:
    """Allen–Dynes T_c in K (PHYSICS.md §3), 0 when the exponent's denominator is ≤ 0.

    Parameters
    ----------
    lam : float
        Electron-phonon coupling λ.
    omega_log, omega2 : float
        ω_log and ω̄₂ in meV.
    mu_star : float
        Coulomb pseudopotential (same value as given to the Eliashberg solver).

    Returns
    -------
    float
        T_c (K).
    """
    den = lam - mu_star * (1.0 + 0.62 * lam)
    if den <= 0:
        return 0.0
    f1 = (1.0 + (lam / (2.46 * (1.0 + 3.8 * mu_star))) ** 1.5) ** (1.0 / 3.0)
    r = omega2 / omega_log
    f2 = 1.0 + (r - 1.0) * lam ** 2 / (lam ** 2 + (1.82 * (1.0 + 6.3 * mu_star) * r) ** 2)
    tc_mev = f1 * f2 * omega_log / 1.2 * np.exp(-1.04 * (1.0 + lam) / den)
    return float(tc_mev / KB_MEV_PER_K)


def gaussian_a2f(omega: np.ndarray, centers, widths, weights, *, cutoff: float | None = None,
                 lam: float | None = None) -> A2F:
    """Sum of Gaussians on ``omega`` (meV), optionally zeroed above ``cutoff`` and scaled to λ.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Mesh in meV.
    centers, widths, weights : sequence of float
        Gaussian centres and standard deviations (meV) and relative heights.
    cutoff : float, optional
        α²F is set to 0 above this energy (meV).
    lam : float, optional
        Rescale to this λ.

    Returns
    -------
    A2F
        The tabulated sum (trapezoid nodes on ``omega``).
    """
    w = np.asarray(omega, dtype=float)
    f = np.zeros_like(w)
    for c, s, a in zip(centers, widths, weights, strict=True):
        f += a * np.exp(-0.5 * ((w - c) / s) ** 2)
    f[w <= 0] = 0.0
    if cutoff is not None:
        f[w > cutoff] = 0.0
    spec = A2F.from_table(w, f, source="gaussian α²F")
    return spec if lam is None else spec.scaled_to_lambda(lam)


def pb_like_a2f(lam: float = 1.5, n: int = 1000) -> A2F:
    """Two-peak Pb-like α²F of the issue: 4.4 and 8.5 meV (σ 0.6, 0.4; 1 : 0.6), 0 > 10 meV.

    Parameters
    ----------
    lam : float
        Coupling λ it is scaled to.
    n : int
        Points of the uniform mesh on [0, 10] meV.

    Returns
    -------
    A2F
        The two-peak function.
    """
    return gaussian_a2f(np.linspace(0.0, 10.0, n), (4.4, 8.5), (0.6, 0.4), (1.0, 0.6),
                        cutoff=10.0, lam=lam)
