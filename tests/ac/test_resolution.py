"""Interpolation-error estimate and the adapted mesh of :mod:`specinv.ac.resolution`."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.ac.resolution import ADAPT_SHARE, adapted_mesh, interpolation_error
from specinv.ac.window import default_mesh
from specinv.kernels import Mesh


def _gaussian(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-((x - centre) ** 2) / (2 * width**2)) / (width * np.sqrt(2 * np.pi))


@pytest.mark.parametrize("ratio", [0.1, 0.2, 0.4])
def test_interpolation_error_of_a_gaussian_matches_the_leading_term(ratio):
    # ∫|A''| of a unit Gaussian of width Γ is 4 e^{-1/2} / (Γ² √(2π)), so the leading
    # term h²/8 ∫|A''| is e^{-1/2}/(2√(2π)) (h/Γ)²; the next term is O((h/Γ)⁴)
    width = 0.5
    mesh = Mesh.uniform(-8.0, 8.0, int(round(16.0 / (ratio * width))) + 1)
    h = mesh.points[1] - mesh.points[0]
    est = interpolation_error(mesh, _gaussian(mesh.points, 0.3, width))
    exact = np.exp(-0.5) / (2 * np.sqrt(2 * np.pi)) * (h / width) ** 2
    assert est == pytest.approx(exact, rel=(h / width) ** 2)


def test_interpolation_error_measures_the_actual_error_of_linear_reading():
    # the estimate is the error of reading the spectrum between its points, which the
    # ACTest score and every user plot do: compare with that error on a fine grid
    mesh = default_mesh("fermionic-tau", 8.0, 201)
    fine = np.linspace(-8.0, 8.0, 16001)
    for width in (0.05, 0.1, 0.3):
        a = _gaussian(mesh.points, 1.0, width)
        actual = np.trapezoid(np.abs(np.interp(fine, mesh.points, a)
                                     - _gaussian(fine, 1.0, width)), fine)
        est = interpolation_error(mesh, a)
        assert 0.5 * actual <= est <= 2.0 * actual


def test_interpolation_error_is_zero_without_curvature_or_weight():
    mesh = Mesh.uniform(-1.0, 1.0, 21)
    assert interpolation_error(mesh, 2.0 + mesh.points) == pytest.approx(0.0, abs=1e-12)
    assert interpolation_error(mesh, np.zeros(21)) == 0.0


def test_adapted_mesh_is_finer_at_a_narrow_peak_and_nowhere_coarser():
    mesh = default_mesh("fermionic-tau", 8.0, 201)
    a = _gaussian(mesh.points, 3.0, 0.05) + 0.1 * _gaussian(mesh.points, -2.0, 1.0)
    new = adapted_mesh(mesh, a, 2 * mesh.size)
    assert new.size == 2 * mesh.size
    np.testing.assert_allclose(new.edges[[0, -1]], mesh.edges[[0, -1]])
    # half the new points keep the old density: each new cell is at most as wide as
    # the old cells around it (1/ADAPT_SHARE new points per old one, ×1.05 for the
    # linear interpolation of the old density between its points)
    old_width = np.interp(new.points, mesh.points, mesh.weights)
    assert np.all(new.weights <= 1.05 * old_width / (2 * (1 - ADAPT_SHARE)))
    at_peak = np.abs(new.points - 3.0) < 0.05
    old_at_peak = np.abs(mesh.points - 3.0) < 0.05
    assert at_peak.sum() >= 3 * max(old_at_peak.sum(), 1)


def test_adapted_mesh_of_a_flat_answer_keeps_the_density():
    mesh = default_mesh("fermionic-tau", 5.0, 101)
    new = adapted_mesh(mesh, np.ones(mesh.size), 202)
    old_width = np.interp(new.points, mesh.points, mesh.weights)
    np.testing.assert_allclose(new.weights, old_width / 2, rtol=0.05)


def test_adapted_half_axis_mesh_starts_at_zero():
    mesh = default_mesh("bosonic-matsubara", 6.0, 151)
    a = _gaussian(mesh.points, 1.0, 0.05)
    new = adapted_mesh(mesh, a, 302, first_at_edge=True)
    assert new.points[0] == 0.0 and new.edges[0] == 0.0
    assert np.all(np.diff(new.points) > 0)
