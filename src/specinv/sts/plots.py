"""Figures for tunneling-spectrum deconvolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.core.result import InversionResult
from specinv.io.atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_deconvolution(path: str | Path, bias: np.ndarray, didv: np.ndarray,
                       result: InversionResult, *, truth: tuple[np.ndarray, np.ndarray] | None
                       = None, title: str = "") -> None:
    """Data with the fit and its normalized residuals; the recovered DOS (± std band).

    Parameters
    ----------
    path : str or Path
        PNG file (written atomically).
    bias, didv : ndarray of shape (n_bias,)
        Measured curve (mV, conductance).
    result : InversionResult
        Deconvolution of the curve (its fit and DOS are drawn).
    truth : (energy, dos), optional
        Ground truth to overlay (meV, ρ/N_F).
    title : str
        Figure title.
    """
    plt = _pyplot()
    fig = plt.figure(figsize=(10, 5))
    grid = fig.add_gridspec(2, 2, height_ratios=(3, 1))
    ax1, ax2 = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[:, 1])
    ax1.plot(bias, didv, ".", ms=2, color="0.5", label="data")
    ax1.plot(bias, result.fitted, "-", color="C3", lw=1.2, label="fit (K·DOS)")
    ax1.set_ylabel("dI/dV")
    if result.check is not None:
        result.check.plot_residuals(fig.add_subplot(grid[1, 0], sharex=ax1), bias,
                                    xlabel="bias (mV)")
    else:
        ax1.set_xlabel("bias (mV)")
    ax1.legend(frameon=False)
    ax1.set_title(f"χ²/N = {result.chi2_reduced:.3g}")
    e = result.omega
    if result.spectrum_band95 is not None:
        ax2.fill_between(e, result.spectrum - result.spectrum_band95,
                         result.spectrum + result.spectrum_band95, color="C0", alpha=0.15,
                         lw=0, label="95 % band")
    if result.spectrum_std is not None:
        ax2.fill_between(e, result.spectrum - result.spectrum_std,
                         result.spectrum + result.spectrum_std, color="C0", alpha=0.3,
                         lw=0, label="±1σ")
    ax2.plot(e, result.spectrum, color="C0", lw=1.2, label=result.method)
    if truth is not None:
        ax2.plot(truth[0], truth[1], "--", color="k", lw=0.8, label="truth")
    ax2.set_xlabel("energy (meV)")
    ax2.set_ylabel("DOS")
    ax2.set_xlim(bias.min(), bias.max())
    top = np.percentile(result.spectrum, 99.5)
    ax2.set_ylim(min(0.0, float(result.spectrum.min())) * 1.1, 1.3 * top if top > 0 else None)
    ax2.legend(frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    plt.close(fig)


def plot_gap_map(gap: np.ndarray, bias: np.ndarray, energy: np.ndarray, dos: np.ndarray,
                 std: np.ndarray | None, path: Path, *, chi2: np.ndarray | None = None,
                 verdict: str | None = None) -> None:
    """Gap map, the map-averaged DOS and, when given, the per-pixel χ²/N map.

    Parameters
    ----------
    gap : ndarray of shape (ny, nx)
        Coherence-peak energy of every pixel (meV).
    bias : ndarray of shape (n_bias,)
        Bias (mV) of the data; not drawn.
    energy : ndarray of shape (n_energy,)
        Energy mesh of the DOS (meV).
    dos : ndarray of shape (ny, nx, n_energy)
        Recovered DOS of every pixel.
    std : ndarray of shape (ny, nx, n_energy) or None
        Ensemble spread of the DOS.
    path : Path
        PNG file.
    chi2 : ndarray of shape (ny, nx), optional
        χ²/N of every pixel's fit (the map's residual panel; pixels above the
        acceptable band are outlined).
    verdict : str, optional
        The map's verdict, shown in that panel's title.
    """
    from specinv.core.check import CHI2_OK

    plt = _pyplot()

    n = 2 if chi2 is None else 3
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4))
    ax0, ax1 = axes[0], axes[1]
    # a line of spectra (e.g. a field sweep stored as a 1 × n map) is stretched to be seen
    aspect = "auto" if max(gap.shape) > 4 * min(gap.shape) else "equal"
    if chi2 is not None:
        im2 = axes[2].imshow(np.log10(np.maximum(chi2, 1e-12)), origin="lower", cmap="magma",
                             aspect=aspect)
        fig.colorbar(im2, ax=axes[2], label="log10 χ²/N")
        if min(chi2.shape) > 1:  # outline the pixels whose fit failed
            axes[2].contour(chi2 > CHI2_OK[1], levels=[0.5], colors="c", linewidths=0.8)
        axes[2].set_title(f"fit per pixel, verdict {verdict}")
        axes[2].set_xlabel("x (pixel)")
    im = ax0.imshow(gap, origin="lower", cmap="viridis", aspect=aspect)
    fig.colorbar(im, ax=ax0, label="coherence-peak energy (meV)")
    ax0.set_title("gap map")
    ax0.set_xlabel("x (pixel)")
    ax0.set_ylabel("y (pixel)")
    mean = dos.reshape(-1, dos.shape[-1]).mean(axis=0)
    ax1.plot(energy, mean, color="C0", label="mean DOS")
    if std is not None:
        s = std.reshape(-1, std.shape[-1]).mean(axis=0)
        ax1.fill_between(energy, mean - s, mean + s, color="C0", alpha=0.3,
                         label="ensemble spread (mean std)")
    ax1.set_xlabel("energy (meV)")
    ax1.set_ylabel("DOS (data units)")
    ax1.legend()
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)
