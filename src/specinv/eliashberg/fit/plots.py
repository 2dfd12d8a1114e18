"""Figure of a dI/dV → α²F fit: α²F with its band, conductance fit, residuals."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specinv.eliashberg.fit.result import A2FFit


def plot_didv_fit(path: str | Path, fit: A2FFit, bias: np.ndarray, didv: np.ndarray) -> None:
    """Three panels: α²F ± 2σ, measured and fitted dI/dV, residuals of the fitted region.

    Parameters
    ----------
    path : str or Path
        PNG file.
    fit : A2FFit
        The fit (``fitted`` holds the conductance on ``bias``).
    bias : ndarray of shape (n,)
        Bias (mV).
    didv : ndarray of shape (n,)
        Measured normalized conductance.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    std = fit.a2f_std
    ax[0].plot(fit.omega, fit.a2f, color="C0")
    ax[0].fill_between(fit.omega, fit.a2f - 2 * std, fit.a2f + 2 * std, alpha=0.3, color="C0",
                       label="±2σ")
    ax[0].set_xlabel("Ω (meV)")
    ax[0].set_ylabel("α²F")
    ax[0].legend()
    ax[1].plot(bias, didv, ".", ms=2, color="0.4", label="measured")
    ax[1].plot(bias, fit.fitted, color="C3", lw=1, label="fit")
    ax[1].set_xlabel("bias (mV)")
    ax[1].set_ylabel("dI/dV (normalized)")
    ax[1].legend()
    lo = fit.info["fitted_from_mV"]
    sel = np.abs(bias) >= lo
    fit.check.plot_residuals(ax[2], bias[sel], xlabel="bias (mV), fitted region")
    f = fit.figures
    fig.suptitle(f"λ = {f['lambda']:.3f} ± {f['lambda_std']:.3f}, ω_log = "
                 f"{f['omega_log_meV']:.2f} meV, T_c = {f['tc_K']:.2f} K, μ* = "
                 f"{fit.mu_star:.3f}")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)
