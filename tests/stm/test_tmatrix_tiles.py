"""T-matrix training tiles with surface and subsurface scatterers."""

from __future__ import annotations

import dataclasses

import numpy as np

from specinv.stm.friedel import label_vector
from specinv.stm.randomized import labelled_batch
from specinv.stm.tmatrix import tmatrix_ldos
from specinv.stm.tmatrix_tiles import TMatrixTileConfig, tmatrix_tile

QUIET = dict(eta=(0.0, 0.0), pink=(0.0, 0.0), lines=(0.0, 0.0), tilt=(0.0, 0.0),
             offset=(0.0, 0.0), gain=0.0, p_setpoint=0.0)


def test_per_scatterer_core_equals_scalar_core_when_equal():
    """An array of equal core radii gives the scalar-core LDOS exactly."""
    pos = np.array([[5.0, 6.0], [12.3, 9.1]])
    k = np.array([0.6, 0.8])
    t = 2j * (0.8 * np.exp(2j * np.array([0.5, -0.9])) - 1.0)
    a = tmatrix_ldos((16, 16), pos, k, t, 1.5)
    b = tmatrix_ldos((16, 16), pos, k, t, np.array([1.5, 1.5]))
    np.testing.assert_array_equal(a, b)


def test_buried_scatterer_is_a_flat_disc():
    """A large cut-off flattens the core: the LDOS change at the scatterer's nearest
    neighbours differs from the centre by far less than with a surface cut-off (the
    curvature of g(sqrt(r² + c²)) at r = 0 scales as 1/c² against 1/c² of the small c)."""
    pos, k = np.array([[10.0, 10.0]]), np.array([0.8])
    t = 2j * (np.exp(2j * np.array([0.7])) - 1.0)
    drop = {}
    for c in (0.3, 3.0):
        m = tmatrix_ldos((21, 21), pos, k, t, np.array([c]))[0]
        drop[c] = abs(m[10, 10] - m[10, 11]) / np.abs(m).max()
    assert drop[3.0] < 0.25 * drop[0.3]


def test_tiles_labels_reproducible_and_mixed():
    """Same seed, same tile; labels are the Friedel label vectors; both kinds occur."""
    cfg = TMatrixTileConfig()
    a = tmatrix_tile(np.random.default_rng(5), cfg, 8)
    b = tmatrix_tile(np.random.default_rng(5), cfg, 8)
    np.testing.assert_array_equal(a[0], b[0])
    x, y, p = labelled_batch(tmatrix_tile, np.random.default_rng(1), cfg, 6, 8)
    assert x.shape == (6, 8, 20, 20) and x.dtype == np.float32 and np.isfinite(x).all()
    for yi, pi in zip(y, p, strict=True):
        np.testing.assert_allclose(yi, label_vector(pi, 20))
    flags = np.concatenate([tmatrix_tile(np.random.default_rng(s), cfg, 4)[2]
                            for s in range(30)])
    assert 0.3 < flags.mean() < 0.7


def test_clean_tile_peaks_near_its_scatterer():
    """Without artefacts, the bias-averaged |modulation| of a lone surface scatterer is
    largest within 1 px of its labelled pixel."""
    cfg = dataclasses.replace(TMatrixTileConfig(max_impurities=1, p_empty=0.0,
                                                max_outside=0, p_buried=0.0), **QUIET)
    hits = 0
    for s in range(10):
        m, pos, _ = tmatrix_tile(np.random.default_rng(s), cfg, 12)
        peak = np.unravel_index(np.abs(m).mean(0).argmax(), m.shape[1:])
        hits += np.hypot(*(np.asarray(peak) - pos[0])) <= 1.0
    assert hits >= 9
