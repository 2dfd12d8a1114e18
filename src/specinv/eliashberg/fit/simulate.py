"""Simulated SIN tunneling conductance from a known α²F (the fit's test data).

Written apart from :mod:`~specinv.eliashberg.fit.didv`, with the engine's own defaults
(cutoff 10 ω_ph, μ* rescaled from the highest phonon energy, real-axis step 0.05 meV)
and :func:`~specinv.eliashberg.engine.realaxis.tunneling_conductance`, so a fit that
reproduces it does not merely invert its own discretization.
"""

from __future__ import annotations

import numpy as np

from specinv.eliashberg.engine.a2f import A2F, gaussian_a2f
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_iteration
from specinv.eliashberg.engine.realaxis import tunneling_conductance


def simulate_didv(a2f: A2F, temperature_K: float, mu_star: float, bias: np.ndarray, *,
                  lockin_rms: float = 0.05, noise: float = 1e-3, gamma: float = 0.0,
                  seed: int = 0) -> np.ndarray:
    """Normalized dI/dV of an SIN junction plus white noise.

    Parameters
    ----------
    a2f : A2F
        The true Eliashberg function.
    temperature_K : float
        Temperature (K).
    mu_star : float
        Coulomb pseudopotential.
    bias : ndarray of shape (n,)
        Bias (mV).
    lockin_rms : float
        Lock-in rms modulation (mV).
    noise : float
        Standard deviation of the added white noise (normalized units).
    gamma : float
        Dynes broadening (meV).
    seed : int
        Seed of the noise.

    Returns
    -------
    ndarray of shape (n,)
        dI/dV normalized to the normal state, with noise.
    """
    sol = solve_matsubara(a2f, temperature_K, mu_star)
    ra = real_axis_iteration(sol, a2f, omega_max=float(np.max(np.abs(bias))) + 4.0,
                             d_omega=0.05)
    g = tunneling_conductance(ra, bias, temperature_K, gamma=gamma, lockin_rms=lockin_rms)
    return g + noise * np.random.default_rng(seed).standard_normal(g.size)


def pb_like(n: int = 600) -> A2F:
    """A Pb-like α²F: transverse (4.4 meV) and longitudinal (8.5 meV) peaks, λ = 1.55.

    Parameters
    ----------
    n : int
        Mesh points on 0 … 11 meV.

    Returns
    -------
    A2F
        The spectrum (T_c ≈ 7.2 K at μ* = 0.12).
    """
    w = np.linspace(0.0, 11.0, n)
    return gaussian_a2f(w, (4.4, 8.5), (0.9, 0.6), (1.0, 0.55), cutoff=10.0, lam=1.55)


def nb_like(n: int = 800) -> A2F:
    """An Nb-like α²F: ω² acoustic continuum up to 28 meV with peaks at 16 and 23 meV, λ = 0.95.

    Parameters
    ----------
    n : int
        Mesh points on 0 … 30 meV.

    Returns
    -------
    A2F
        The spectrum (T_c ≈ 9 K at μ* = 0.12).
    """
    w = np.linspace(0.0, 30.0, n)
    cont = 0.25 * (w / 16.0) ** 2 * (w < 16.0) + 0.25 * (w >= 16.0)
    peaks = gaussian_a2f(w, (16.0, 23.0), (1.5, 1.8), (1.0, 1.2), lam=1.0).values
    f = np.where(w < 28.0, cont + peaks / peaks.max(), 0.0)
    return A2F.from_table(w, f, source="Nb-like").scaled_to_lambda(0.95)
