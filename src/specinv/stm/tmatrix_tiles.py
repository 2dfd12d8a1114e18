"""Labelled training tiles from the project's T-matrix simulator, surface and subsurface.

The Friedel tiles (:mod:`~specinv.stm.friedel`) all have a sharp central spike; the
domain-randomized tiles (:mod:`~specinv.stm.randomized`) vary the core with an
empirical radial form. Here each tile is an exact multiple-scattering LDOS of the
project's T-matrix simulator (:func:`~specinv.stm.tmatrix.tmatrix_ldos`), in which a
scatterer below the surface is seen through a larger short-distance cut-off ``c`` of
``G₀`` (``g(sqrt(r² + c²))``: a flat disc instead of a spike). Per scatterer: surface
or subsurface (cut-off drawn in one of two ranges), a phase shift of either sign and
an absorption; per tile: ``k_F`` rising over the biases, sub-pixel positions, a
constant-current set-point in a fraction of the tiles, and the artefacts of the
randomized recipe (:func:`~specinv.stm.randomized.add_artefacts`: per-layer gain and
offset, white and 2-D 1/f noise, scan-line offsets, tilt) in units of the clean
modulation's standard deviation. Labels are those of
:func:`~specinv.stm.friedel.label_vector` (the pixel that holds the scatterer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from specinv.stm.friedel import _place
from specinv.stm.randomized import add_artefacts, setpoint_normalize
from specinv.stm.tmatrix import tmatrix_ldos


@dataclass(frozen=True)
class TMatrixTileConfig:
    """Ranges of the T-matrix training tiles (lengths in pixels, wave numbers in rad/pixel).

    Every parameter is kept as an attribute of the same name; ranges ``(lo, hi)`` are
    drawn uniformly per tile or per scatterer.

    Parameters
    ----------
    tile : int
        Tile side (as the Friedel training tiles).
    kf0_range : (float, float)
        ``k_F`` at the middle bias: the detector resamples maps into this range.
    kf_spread : float
        Relative rise of ``k_F`` across the biases (``±kf_spread``): a parabolic band over
        a window of a few hundred meV.
    max_impurities, p_empty, max_outside, outside_margin : int, float, int, float
        Scatterers inside the tile (1 … max, or none with ``p_empty``) and unlabelled ones
        in a band around it.
    min_separation : float
        Closest scatterers (pixels).
    p_buried : float
        Fraction of subsurface scatterers.
    surface_core_px : (float, float)
        Cut-off of a surface adatom: 1–2 Å at 3–5 Å pixels (a sharp core).
    buried_core_px : (float, float)
        Cut-off of a subsurface scatterer: 4–14 Å (second to fourth layer of a (111)
        surface) at ~4 Å pixels; the top is the randomized recipe's largest core.
    phase_abs : (float, float)
        ``|δ|`` of the s-wave phase shift (rad); the sign is random (attractive and
        repulsive scatterers).
    absorption : (float, float)
        ``a = |e^{2iδ}|`` (1: elastic, small: strong coupling to bulk states).
    spike : float
        Short-range feature of a surface adatom (its own orbital): a Gaussian of width
        ``spike_width`` at the scatterer, amplitude uniform in ``±spike`` times the
        std of the clean modulation; subsurface scatterers have none.
    spike_width : float
        Width of that Gaussian (pixels).
    p_setpoint, setpoint_fraction, contrast : float, (float, float), (float, float)
        Constant-current grids, as in :class:`~specinv.stm.randomized.RandomizedConfig`.
    eta, pink, lines, tilt, gain, offset
        Artefact ranges of :func:`~specinv.stm.randomized.add_artefacts`, in units of the
        std of the clean modulation (the T-matrix validation maps use 0.5 white, 0.3
        1/f and 0.3 line noise in these units).
    """

    tile: int = 20
    kf0_range: tuple[float, float] = (0.45, 1.15)
    kf_spread: float = 0.15
    max_impurities: int = 5
    p_empty: float = 0.1
    max_outside: int = 4
    outside_margin: float = 6.0
    min_separation: float = 2.5
    p_buried: float = 0.5
    surface_core_px: tuple[float, float] = (0.2, 0.6)
    buried_core_px: tuple[float, float] = (1.0, 3.5)
    phase_abs: tuple[float, float] = (0.15 * np.pi, 0.5 * np.pi)
    absorption: tuple[float, float] = (0.3, 1.0)
    spike: float = 1.0
    spike_width: float = 0.7
    p_setpoint: float = 0.3
    setpoint_fraction: tuple[float, float] = (0.2, 1.0)
    contrast: tuple[float, float] = (0.05, 0.4)
    eta: tuple[float, float] = (0.2, 1.0)
    pink: tuple[float, float] = (0.0, 0.5)
    lines: tuple[float, float] = (0.0, 0.3)
    tilt: tuple[float, float] = (0.0, 1.0)
    gain: float = 0.2
    offset: tuple[float, float] = (0.0, 0.5)

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value.
        """
        return asdict(self)


def _standard(maps: np.ndarray) -> np.ndarray:
    maps = maps - maps.mean(axis=(1, 2), keepdims=True)
    return maps / np.maximum(maps.std(axis=(1, 2), keepdims=True), 1e-12)


def clean_tile(rng: np.random.Generator, cfg: TMatrixTileConfig, n_bias: int,
               positions: np.ndarray, buried: np.ndarray) -> np.ndarray:
    """Noise-free T-matrix modulation of one tile, each layer with unit std.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : TMatrixTileConfig
        Ranges.
    n_bias : int
        Bias maps.
    positions : ndarray of shape (n, 2)
        Scatterer positions (row, col) in pixels, inside and around the tile.
    buried : ndarray of bool, shape (n,)
        Which scatterers are subsurface.

    Returns
    -------
    ndarray of shape (n_bias, tile, tile)
        Zero-mean, unit-std layers (zeros without scatterers).
    """
    L, n = cfg.tile, len(positions)
    if n == 0:
        return np.zeros((n_bias, L, L))
    k = rng.uniform(*cfg.kf0_range) * (1 + cfg.kf_spread * np.linspace(-1, 1, n_bias))
    core = np.where(buried, rng.uniform(*cfg.buried_core_px, n),
                    rng.uniform(*cfg.surface_core_px, n))
    delta = rng.uniform(*cfg.phase_abs, n) * rng.choice([-1.0, 1.0], n)
    t = 2j * (rng.uniform(*cfg.absorption, n) * np.exp(2j * delta) - 1.0)
    ldos = tmatrix_ldos((L, L), positions, k, t, core)
    rows, cols = np.indices((L, L), dtype=float)
    amp = rng.uniform(-cfg.spike, cfg.spike, n) * ~buried
    spike = sum(a * np.exp(-((rows - p[0]) ** 2 + (cols - p[1]) ** 2) / (2 * cfg.spike_width**2))
                for p, a in zip(positions, amp, strict=True))
    slope = rng.uniform(0.5, 1.5, (n_bias, 1, 1))
    maps = _standard(ldos) + slope * spike
    if rng.random() < cfg.p_setpoint:
        m = max(1, int(round(rng.uniform(*cfg.setpoint_fraction) * n_bias)))
        block = np.arange(m) if rng.random() < 0.5 else np.arange(n_bias - m, n_bias)
        rel = maps / np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1e-12)
        maps = setpoint_normalize(1.0 + rng.uniform(*cfg.contrast) * rel, block)
    return _standard(maps)


def tmatrix_tile(rng: np.random.Generator, cfg: TMatrixTileConfig, n_bias: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One noisy tile, its labelled impurity pixels and which of them are subsurface.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : TMatrixTileConfig
        Ranges.
    n_bias : int
        Bias maps.

    Returns
    -------
    maps : ndarray of shape (n_bias, L, L)
        Maps with artefacts.
    positions : ndarray of shape (n_in, 2)
        Impurity pixels inside the tile (the scatterer lies within half a pixel).
    buried : ndarray of bool, shape (n_in,)
        Subsurface flags of those impurities.
    """
    L = cfg.tile
    n_in = 0 if rng.random() < cfg.p_empty else int(rng.integers(1, cfg.max_impurities + 1))
    inside, outside = _place(rng, n_in, int(rng.integers(0, cfg.max_outside + 1)), L,
                             cfg.outside_margin, cfg.min_separation)
    jitter = rng.uniform(-0.45, 0.45, inside.shape)
    pos = np.concatenate([inside + jitter, outside])
    buried = rng.random(len(pos)) < cfg.p_buried
    maps = add_artefacts(rng, cfg, clean_tile(rng, cfg, n_bias, pos, buried))
    return maps, inside, buried[:len(inside)]
