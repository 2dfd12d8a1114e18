"""Principal-value Kramers–Kronig on a non-uniform mesh."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import dawsn

from specinv.ac.kramers_kronig import hilbert_real_part
from specinv.core.errors import ParameterError
from specinv.kernels import Mesh


def _triangle_hilbert(w: np.ndarray) -> np.ndarray:
    """P∫ (1 − |x|)/(ω − x) dx over [−1, 1] in closed form (ω not at −1, 0, 1)."""
    return ((1 + w) * np.log(np.abs((w + 1) / w)) + (1 - w) * np.log(np.abs(w / (w - 1))))


def test_piecewise_linear_spectrum_is_exact():
    # a triangle is piecewise linear on any mesh holding −1, 0, 1: the segment
    # integration is then exact, at the nodes (where the logs cancel) and between them
    rng = np.random.default_rng(0)
    inner = np.sort(rng.uniform(-1.4, 1.4, 60))
    pts = np.unique(np.concatenate([inner, [-1.5, -1.0, 0.0, 1.0, 1.5]]))
    a = np.clip(1 - np.abs(pts), 0, None)
    at = pts[(np.abs(pts) > 1e-9) & (np.abs(np.abs(pts) - 1) > 1e-9)]
    got = hilbert_real_part(pts, a, at)
    assert np.max(np.abs(got - _triangle_hilbert(at))) < 1e-12
    off = np.array([-1.23, -0.61, 0.013, 0.47, 1.31])
    assert np.max(np.abs(hilbert_real_part(pts, a, off) - _triangle_hilbert(off))) < 1e-12


def test_gaussian_converges_at_second_order():
    # Hilbert transform of a unit Gaussian: (√2/s) D(ω/(√2 s)), D the Dawson function;
    # linear interpolation errs by O(h²), so doubling the points divides the error by ~4
    s = 0.7
    errs = []
    for n in (201, 401, 801):
        m = Mesh.focused(-8, 8, n, center=0.0, width=2.0, density=3.0)
        a = np.exp(-m.points**2 / (2 * s * s)) / (np.sqrt(2 * np.pi) * s)
        exact = np.sqrt(2) / s * dawsn(m.points / (np.sqrt(2) * s))
        errs.append(np.max(np.abs(hilbert_real_part(m.points, a, edges=m.edges) - exact)))
    assert errs[1] < errs[0] / 3 and errs[2] < errs[1] / 3
    assert errs[2] < 1e-3


def test_columns_are_independent_spectra():
    m = Mesh.uniform(-3, 3, 121)
    a = np.c_[np.exp(-m.points**2), np.exp(-(m.points - 1) ** 2)]
    both = hilbert_real_part(m.points, a, edges=m.edges)
    for j in range(2):
        assert np.allclose(both[:, j], hilbert_real_part(m.points, a[:, j], edges=m.edges))


def test_refuses_unsorted_mesh():
    with pytest.raises(ParameterError, match="increasing"):
        hilbert_real_part(np.array([0.0, 2.0, 1.0]), np.ones(3))


def test_chunked_evaluation_matches(monkeypatch):
    import specinv.ac.kramers_kronig as kk

    m = Mesh.uniform(-3, 3, 301)
    a = np.exp(-m.points**2)
    whole = kk.hilbert_real_part(m.points, a, edges=m.edges)
    monkeypatch.setattr(kk, "CHUNK_ELEMENTS", 1000)  # 3 rows at a time
    assert np.array_equal(kk.hilbert_real_part(m.points, a, edges=m.edges), whole)
