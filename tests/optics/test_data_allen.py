"""Glue generators, cached data sets and the classical ``allen`` inversion."""

from __future__ import annotations

import numpy as np
import pytest

import specinv
from specinv import Mesh, ParameterError, Problem
from specinv.kernels.shulga import ShulgaKernel
from specinv.optics.allen import local_second_derivative
from specinv.optics.dataset import build_dataset
from specinv.optics.glue import MIXTURE_RANGES, gaussian_mixtures, ood_sets
from specinv.optics.setup import OpticsSetup


def test_mixtures_respect_documented_ranges():
    om = OpticsSetup().mesh().points
    x = gaussian_mixtures(om, 500, np.random.default_rng(0))
    lo, hi = MIXTURE_RANGES["max_height"]
    assert np.all(x >= 0)
    assert np.all((x.max(axis=1) >= lo - 1e-12) & (x.max(axis=1) <= hi + 1e-12))
    assert x.shape == (500, om.size)
    sets = ood_sets(om)
    assert set(sets) == {"broad_gaussian", "square", "trapezoid", "triangle"}
    assert sets["square"].shape[0] == 6 and np.all(sets["triangle"] >= 0)


def test_dataset_is_seeded_split_and_cached(tmp_path):
    a = build_dataset(50, noise=1e-2, seed=3, cache_dir=tmp_path)
    files = list(tmp_path.glob("optics_*.npz"))
    assert len(files) == 1
    b = build_dataset(50, noise=1e-2, seed=3, cache_dir=tmp_path)
    np.testing.assert_array_equal(a.y, b.y)
    sizes = [a.split[k].size for k in ("train", "val", "test")]
    assert sizes == [40, 5, 5]
    assert np.unique(np.concatenate(list(a.split.values()))).size == 50
    # same glue for every noise level; noise std = σ · max per sample
    c = build_dataset(50, noise=0.0, seed=3)
    np.testing.assert_array_equal(a.x, c.x)
    rel = (a.y - a.y_clean) / (1e-2 * a.y_clean.max(axis=1, keepdims=True))
    assert 0.8 < rel.std() < 1.2  # 50·100 standard normals: ±2 % sampling error
    np.testing.assert_allclose(c.y_clean, OpticsSetup().kernel().forward(c.x), rtol=1e-12)


def test_dataset_temperature_range():
    ds = build_dataset(40, seed=1, temperatures=(20.0, 200.0))
    assert set(ds.temperatures) == {20.0, 200.0}
    s = OpticsSetup()
    for t in (20.0, 200.0):
        sel = ds.temperature == t
        np.testing.assert_allclose(ds.y_clean[sel], s.kernel(t).forward(ds.x[sel]), rtol=1e-12)


def test_local_second_derivative_exact_for_quadratics():
    x = np.linspace(0, 10, 60) ** 1.2  # non-uniform
    f = 3 + 2 * x - 0.7 * x**2
    np.testing.assert_allclose(local_second_derivative(x, f, x[5:-5], 1.5), -1.4, rtol=1e-8)


def test_allen_inverts_the_zero_temperature_kernel():
    """At T = 0, d²/dω²[ω/τ]/2π = I²χ exactly; the smoothing broadens by ~ width²·f''/2."""
    w = np.linspace(1, 300, 600)
    mesh = Mesh.uniform(4, 300, 75)
    fine = Mesh.uniform(0.5, 300, 1200)
    glue = lambda o: np.exp(-0.5 * ((o - 120) / 25) ** 2)  # noqa: E731
    data = ShulgaKernel(w, fine, temperature=0).forward(glue(fine.points))
    r = specinv.solve(Problem(ShulgaKernel(w, mesh, temperature=0), data, sigma=1e-6),
                      method="allen", smoothing=3.0)
    # Gaussian smoothing of width s changes a Gaussian of width 25 by ≈ s²/(2·25²) ≈ 0.7 %
    np.testing.assert_allclose(r.spectrum[5:-5], glue(mesh.points[5:-5]), atol=0.02)
    assert r.hyperparameters["smoothing_meV"] == 3.0


def test_allen_is_insensitive_to_impurity_rate():
    s = OpticsSetup()
    k = s.kernel(10.0)
    x = gaussian_mixtures(s.mesh().points, 1, np.random.default_rng(5))[0]
    y = k.forward(x)
    a = specinv.solve(Problem(k, y, sigma=1.0), method="allen").spectrum
    b = specinv.solve(Problem(k, y + 25.0, sigma=1.0), method="allen").spectrum
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_allen_needs_the_optical_kernel():
    from specinv import STSKernel

    k = STSKernel(np.linspace(-1, 1, 11), Mesh.uniform(-2, 2, 21), beta=3.0)
    with pytest.raises(ParameterError, match="ShulgaKernel"):
        specinv.solve(Problem(k, np.ones(11)), method="allen")
