"""Figures of ``optics drude`` and ``optics kk`` (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_drude(path: str | Path, res: dict, title: str) -> None:
    """σ₁(ω), 1/τ(ω) and m*/m(ω) of an extended Drude analysis.

    Parameters
    ----------
    path : str or Path
        PNG file (a temporary path of the atomic writer).
    res : dict
        Output of :func:`specinv.optics.cli_frontend.drude_analysis`: ``omega`` (meV),
        ``sigma`` (complex, Ω⁻¹cm⁻¹), ``inv_tau`` (meV), ``mass_ratio`` and ``meta``.
    title : str
        Figure title (the input's name).
    """
    w = res["omega"]
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    ax[0].plot(w, res["sigma"].real, "k-", label="σ₁")
    ax[0].plot(w, res["sigma"].imag, "C0--", label="σ₂")
    ax[0].set(xlabel="ω (meV)", ylabel="σ (Ω⁻¹cm⁻¹)", title=title)
    ax[0].legend()
    ax[1].plot(w, res["inv_tau"], "C3-")
    ax[1].set(xlabel="ω (meV)", ylabel="1/τ(ω) (meV)",
              title=f"ω_p = {res['meta']['plasma_frequency_meV']:.4g} meV, "
                    f"ε_∞ = {res['meta']['eps_inf']:g}")
    ax[2].plot(w, res["mass_ratio"], "C2-")
    ax[2].axhline(1.0, color="0.6", lw=0.8)
    ax[2].set(xlabel="ω (meV)", ylabel="m*/m(ω)")
    if w[-1] > 30 * w[0]:  # spectra over decades (e.g. from optics kk): log ω
        for a in ax:
            a.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_kk(path: str | Path, omega: np.ndarray, refl: np.ndarray, theta: np.ndarray,
            sigma: np.ndarray, ext: Any, title: str) -> None:
    """R(ω) with its extrapolations marked, the phase θ(ω) and σ₁, σ₂.

    Parameters
    ----------
    path : str or Path
        PNG file (a temporary path of the atomic writer).
    omega : ndarray of shape (n,)
        Photon energies (meV).
    refl : ndarray of shape (n,)
        Reflectivity.
    theta : ndarray of shape (n,)
        Phase (rad).
    sigma : ndarray of shape (n,), complex
        Optical conductivity (Ω⁻¹cm⁻¹).
    ext : Extrapolation
        The extrapolations used (:class:`specinv.optics.kk.Extrapolation`).
    title : str
        Figure title (the input's name).
    """
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    top = float(omega[-1])
    s, onset = ext.details["high_power_used"], ext.details["onset_used_meV"]
    hi = np.geomspace(top, 3 * onset, 60)
    r_hi = np.where(hi <= onset, refl[-1] * (hi / top) ** (-s),
                    refl[-1] * (onset / top) ** (-s) * (hi / onset) ** (-4.0))
    ax[0].loglog(omega, refl, "k-", label="data")
    ax[0].loglog(hi, r_hi, "C1--", label=f"ω^-{s:.2g}, then ω^-4")
    ax[0].set(xlabel="ω (meV)", ylabel="R", title=f"{title} (below the data: {ext.low})")
    ax[0].legend()
    ax[1].semilogx(omega, theta, "C0-")
    ax[1].set(xlabel="ω (meV)", ylabel="phase θ (rad)")
    ax[2].semilogx(omega, sigma.real, "k-", label="σ₁")
    ax[2].semilogx(omega, sigma.imag, "C0--", label="σ₂")
    ax[2].set(xlabel="ω (meV)", ylabel="σ (Ω⁻¹cm⁻¹)")
    ax[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
