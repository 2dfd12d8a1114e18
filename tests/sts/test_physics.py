"""DOS models, noise estimate and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import Mesh
from specinv.core.metrics import coherence_peaks, l2_error, negativity, oscillation
from specinv.core.noise import estimate_noise
from specinv.sts.dos import bcs_dos, dwave_dos, dynes_dos, two_gap_dos
from specinv.sts.simulate import simulate_didv


def test_bcs_cell_average_integrates_exactly():
    mesh = Mesh.uniform(-3, 3, 61)
    rho = bcs_dos(mesh, 1.0)
    f = lambda w: np.sign(w) * np.sqrt(max(w * w - 1, 0))  # noqa: E731
    assert rho @ mesh.weights == pytest.approx(f(mesh.edges[-1]) - f(mesh.edges[0]), rel=1e-13)
    inside = (np.abs(mesh.edges[:-1]) <= 1) & (np.abs(mesh.edges[1:]) <= 1)
    assert inside.sum() == 19 and np.all(rho[inside] == 0)


def test_dynes_limits():
    mesh = Mesh.uniform(-4, 4, 81)
    np.testing.assert_allclose(dynes_dos(mesh, 1.0, 1e-12), bcs_dos(mesh, 1.0), atol=1e-5)
    far = Mesh.uniform(50, 60, 11)
    np.testing.assert_allclose(dynes_dos(far, 1.0, 0.1), 1.0, atol=1e-3)
    np.testing.assert_allclose(dwave_dos(far, 1.0), 1.0, atol=1e-3)


def test_dwave_is_gapless_and_two_gap_mixes():
    mesh = Mesh.uniform(-3, 3, 301)
    d = dwave_dos(mesh, 1.0)
    assert 0 < d[150] < 0.05  # linear in |ω| at low energy
    t = two_gap_dos(mesh, 1.0, 0.5, 0.3)
    np.testing.assert_allclose(t, 0.3 * bcs_dos(mesh, 1.0) + 0.7 * bcs_dos(mesh, 0.5))


def test_simulation_noise_level_and_seed():
    a = simulate_didv("bcs", np.linspace(-4, 4, 801), gap=1.0, temperature=2.0, noise=1e-2, seed=3)
    b = simulate_didv("bcs", np.linspace(-4, 4, 801), gap=1.0, temperature=2.0, noise=1e-2, seed=3)
    np.testing.assert_array_equal(a.didv, b.didv)
    resid = a.didv - a.clean
    # sample std of 801 normals is within ±4·σ/√(2·801) of σ
    assert np.std(resid) == pytest.approx(a.sigma, abs=4 * a.sigma / np.sqrt(1602))
    est = estimate_noise(a.didv)
    assert est == pytest.approx(a.sigma, rel=0.2)


def test_peak_metrics_subgrid_and_errors():
    x = np.linspace(-2, 2, 41)
    y = 1 - (x - 0.73) ** 2 + 0.0 * x
    y = np.maximum(y, 1 - (x + 0.73) ** 2)
    peaks = coherence_peaks(x, y)
    assert peaks["positive"][0] == pytest.approx(0.73, abs=1e-12)
    assert peaks["negative"][0] == pytest.approx(-0.73, abs=1e-12)
    assert l2_error(y, y) == 0.0
    assert negativity(np.array([1.0, -1.0, 2.0])) == pytest.approx(0.25)
    fine = np.linspace(-2, 2, 401)
    smooth = np.exp(-fine * fine)
    wiggly = smooth + 0.05 * np.sin(40 * fine)
    assert oscillation(wiggly, smooth)["spurious_extrema"] > 4
    assert oscillation(smooth, smooth)["spurious_extrema"] == 0
