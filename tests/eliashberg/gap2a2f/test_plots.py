"""The inversion figure shows the answer's residuals when it has a verdict."""

import numpy as np

from specinv.core.check import check_fit
from specinv.eliashberg.gap2a2f import plots


def test_inversion_figure_draws_the_checks_residuals(tmp_path, monkeypatch):
    """With a check, a third panel holds exactly its normalized residuals (Re Δ, then Im Δ)."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    w = np.linspace(0.1, 10.0, 50)
    omega = np.linspace(0.0, 20.0, 40)
    delta = 1.5 + 0.1j * omega
    data = np.concatenate([delta.real, delta.imag])
    fitted = data + 0.01 * np.random.default_rng(0).normal(size=data.size)
    check = check_fit(data, fitted, np.full(data.size, 0.01), sigma_given=True)
    res = {"lambda": 1.0, "tc_K": 7.0, "resolve_gap_residual": 0.01}
    plots.plot_inversion(tmp_path / "a.png", w, np.exp(-w), None, omega, delta, res)
    plots.plot_inversion(tmp_path / "b.png", w, np.exp(-w), None, omega, delta, res,
                         check=check)
    assert len(figures[0].axes) == 2 and len(figures[1].axes) == 3
    drawn = [ln.get_ydata() for ln in figures[1].axes[2].lines if len(ln.get_ydata()) > 2]
    assert len(drawn) == 1 and np.array_equal(drawn[0], check.residuals)
