"""Domain-randomized training tiles: what real maps vary in, drawn per tile and scatterer.

The Friedel simulator (:mod:`~specinv.stm.friedel`) draws one form: a sharp
``1/(r + 1)²`` core, white noise. Real maps differ in how a scatterer looks and in
their artefacts; a detector trained on one form misses scatterers of another (a
subsurface scatterer shows a flat disc, not a spike). Here every tile draws, in the
ranges of :class:`RandomizedConfig` (each with its physical reason), the radial form

    δn_i(r) = Σ_w A_wi cos(2 k_i ρ_w + α_wi) / (ρ_w + 1)^p,   ρ_w = sqrt(|r − r_w|² + c_w²),

with a core radius ``c_w`` per scatterer and a decay exponent ``p`` per tile, then
normalizes each map to [−1, 1] as the Friedel simulator does and adds measurement
artefacts. Labels are those of :func:`~specinv.stm.friedel.label_vector`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from specinv.stm.friedel import _place, label_vector


@dataclass(frozen=True)
class RandomizedConfig:
    """Ranges of the randomized simulator (lengths in pixels, wave numbers in rad/pixel).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    tile : int
        Tile side (as the Friedel training tiles).
    kf0_range : (float, float)
        Typical ``k_F`` of a tile: the detector resamples maps into this range.
    kf_spread : float
        Relative spread of ``k_F`` over the biases of a tile: a band's ``k_F(E)`` over
        a bias window of a few hundred meV.
    max_impurities, p_empty, max_outside, outside_margin : int, float, int, float
        Scatterers inside the tile (1 … max, or none with ``p_empty``) and unlabelled ones
        in a band around it (a tile cut from a larger map).
    min_separation : float
        Closest scatterers (2.5 px: neighbours resolved at the 1 px match radius).
    core_px : (float, float)
        Core radius ``c``: 0 for a surface adatom (sharp core) to 2.5 px for a subsurface
        scatterer seen through a short-distance cut-off of ~10 Å at ~4 Å pixels.
    decay : (float, float)
        Exponent ``p``: 1 for a 2-D surface state (Hankel asymptotics of ``g²``), 2 for
        the seed's Friedel form (bulk-like decay).
    amplitude : (float, float)
        ``|A|``; its sign is random (attractive and repulsive scatterers).
    eta : (float, float)
        White-noise width after normalization (the seed's 0.8 lies inside).
    pink : (float, float)
        Std of spatially correlated 2-D 1/f noise (tip changes, drift of the setpoint).
    lines : (float, float)
        Std of scan-line offsets (feedback after each line).
    tilt : (float, float)
        Amplitude of a plane across the tile (sample tilt not removed).
    gain : float
        Relative per-bias gain spread (lock-in sensitivity, setpoint normalization).
    """

    tile: int = 20
    kf0_range: tuple[float, float] = (0.45, 1.15)
    kf_spread: float = 0.15
    max_impurities: int = 5
    p_empty: float = 0.1
    max_outside: int = 4
    outside_margin: float = 6.0
    min_separation: float = 2.5
    core_px: tuple[float, float] = (0.0, 2.5)
    decay: tuple[float, float] = (1.0, 2.0)
    amplitude: tuple[float, float] = (0.3, 1.0)
    eta: tuple[float, float] = (0.3, 1.2)
    pink: tuple[float, float] = (0.0, 0.6)
    lines: tuple[float, float] = (0.0, 0.3)
    tilt: tuple[float, float] = (0.0, 0.5)
    gain: float = 0.2

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value.
        """
        return asdict(self)


def _pink(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    n, H, W = shape
    q = np.hypot(np.fft.fftfreq(H)[:, None], np.fft.rfftfreq(W)[None])
    amp = np.where(q > 0, 1.0 / np.sqrt(np.maximum(q, 1e-12)), 0.0)
    z = rng.standard_normal((n, H, W // 2 + 1)) + 1j * rng.standard_normal((n, H, W // 2 + 1))
    x = np.fft.irfft2(z * amp, s=(H, W))
    return x / (x.std(axis=(1, 2), keepdims=True) + 1e-12)


def randomized_tile(rng: np.random.Generator, cfg: RandomizedConfig, n_bias: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One noisy tile and its impurity pixels.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : RandomizedConfig
        Ranges.
    n_bias : int
        Bias maps.

    Returns
    -------
    maps : ndarray of shape (n_bias, L, L)
        Normalized maps with artefacts.
    positions : ndarray of shape (n_in, 2)
        Impurity pixels inside the tile.
    """
    L = cfg.tile
    n_in = 0 if rng.random() < cfg.p_empty else int(rng.integers(1, cfg.max_impurities + 1))
    inside, outside = _place(rng, n_in, int(rng.integers(0, cfg.max_outside + 1)), L,
                             cfg.outside_margin, cfg.min_separation)
    pos = np.concatenate([inside, outside])
    kf = rng.uniform(*cfg.kf0_range) * (1 + cfg.kf_spread * rng.uniform(-1, 1, n_bias))
    maps = np.zeros((n_bias, L, L))
    if len(pos):
        rows, cols = np.indices((L, L), dtype=float)
        core = rng.uniform(*cfg.core_px, len(pos))
        rho = np.sqrt((rows[None] - pos[:, 0, None, None]) ** 2
                      + (cols[None] - pos[:, 1, None, None]) ** 2 + core[:, None, None] ** 2)
        amp = rng.uniform(*cfg.amplitude, (n_bias, len(pos))) * rng.choice([-1.0, 1.0],
                                                                          len(pos))
        phase = rng.uniform(0, 2 * np.pi, (n_bias, len(pos)))
        p = rng.uniform(*cfg.decay)
        arg = 2 * kf[:, None, None, None] * rho[None] + phase[:, :, None, None]
        maps = (amp[:, :, None, None] * np.cos(arg) / (rho[None] + 1.0) ** p).sum(axis=1)
        maps -= maps.mean(axis=(1, 2), keepdims=True)
        maps /= np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1e-12)
    y, x = np.indices((L, L), dtype=float) / L - 0.5
    t = rng.uniform(*cfg.tilt) * rng.standard_normal((2, 1, 1))
    maps = (maps * (1 + cfg.gain * rng.standard_normal((n_bias, 1, 1)))
            + rng.uniform(*cfg.eta) * rng.standard_normal(maps.shape)
            + rng.uniform(*cfg.pink) * _pink(rng, maps.shape)
            + rng.uniform(*cfg.lines) * rng.standard_normal((n_bias, L, 1))
            + t[0] * y + t[1] * x)
    return maps, inside


def randomized_batch(rng: np.random.Generator, cfg: RandomizedConfig, batch: int, n_bias: int
                     ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A labelled batch of randomized tiles (the shape of the Friedel training batches).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : RandomizedConfig
        Ranges.
    batch : int
        Tiles.
    n_bias : int
        Bias maps per tile.

    Returns
    -------
    x : ndarray of shape (batch, n_bias, L, L), float32
        Tiles.
    y : ndarray of shape (batch, L*L + 1), float32
        Target distributions (last entry: no impurity).
    positions : list of ndarray of shape (n_i, 2)
        Impurity pixels per tile.
    """
    xs, ys, ps = [], [], []
    for _ in range(batch):
        m, p = randomized_tile(rng, cfg, n_bias)
        xs.append(m)
        ys.append(label_vector(p, cfg.tile))
        ps.append(p)
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32), ps
