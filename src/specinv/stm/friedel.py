"""Training simulator: Friedel-oscillation maps of point impurities (seed 004, Eq. 3).

All lengths are in pixels and wave numbers in rad/pixel. For one impurity
configuration and one bias index ``i`` the density modulation is

    δn_i(r) = Σ_w A_wi cos(2 k_i |r − r_w| + α_wi) / (|r − r_w| + ε)²,

with ``k_i`` drawn around a configuration-wide ``k_F⁰``, ``A_wi`` and ``α_wi``
drawn per bias. Each map has its mean removed and is scaled to [−1, 1]; white
Gaussian noise of width ``η`` is added afterwards (the seed's augmentation).
Labels put probability ``1/N_i`` on the impurity pixels; a tile without an
impurity puts its probability on an extra "no impurity" entry (index ``L*L``),
which anchors the absolute level of the score map so that one threshold works
for every tile (see :mod:`specinv.stm.model`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class FriedelConfig:
    """Parameters of the training simulator (recorded with every trained model).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    tile : int
        Side ``L`` of a training map in pixels (seed: 20).
    n_bias : int
        Number of maps ``N_v`` per configuration.
    kf0_range : (float, float)
        Range (rad/pixel) from which ``k_F⁰`` is drawn uniformly per configuration;
        wide so that maps of different pixel size work.
    kf_spread : float
        Per-bias ``k_F = k_F⁰ (1 + kf_spread·u)``, ``u ~ U(−1, 1)``.
    max_impurities : int
        Impurities inside the tile: 1 … ``max_impurities`` (uniform), or none with
        probability ``p_empty``.
    p_empty : float
        Probability of a tile without impurities (label on the null entry).
    max_outside : int
        Unlabelled impurities in a band of width ``outside_margin`` around the
        tile (0 … ``max_outside``), as in a tile cut from a larger map.
    outside_margin : float
        Width of that band in pixels.
    min_separation : float
        Smallest distance between two impurities (pixels).
    amplitude_range : (float, float)
        ``A_w`` drawn uniformly in this range (per impurity and bias).
    epsilon : float
        Cutoff ``ε`` of Eq. 3 (pixels).
    noise_eta : float
        Width ``η`` of the white noise added after scaling to [−1, 1] (seed: 0.8);
        0 disables the augmentation.
    """

    tile: int = 20
    n_bias: int = 12
    kf0_range: tuple[float, float] = (0.45, 1.15)
    kf_spread: float = 0.15
    max_impurities: int = 4
    p_empty: float = 0.1
    max_outside: int = 3
    outside_margin: float = 6.0
    min_separation: float = 3.0
    amplitude_range: tuple[float, float] = (0.3, 1.0)
    epsilon: float = 1.0
    noise_eta: float = 0.8

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value.
        """
        return asdict(self)


def _place(rng: np.random.Generator, n_in: int, n_out: int, size: int, margin: float,
           min_sep: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel positions inside and float positions in the outer band."""
    inside: list[tuple[float, float]] = []
    tries = 0
    while len(inside) < n_in and tries < 200:
        tries += 1
        p = rng.integers(0, size, 2).astype(float)
        if all(np.hypot(*(p - q)) >= min_sep for q in inside):
            inside.append((p[0], p[1]))
    outside: list[tuple[float, float]] = []
    tries = 0
    while len(outside) < n_out and tries < 200:
        tries += 1
        p = rng.uniform(-margin, size - 1 + margin, 2)
        if (p >= -0.5).all() and (p <= size - 0.5).all():
            continue
        if all(np.hypot(*(p - np.asarray(q))) >= min_sep for q in inside + outside):
            outside.append((p[0], p[1]))
    return np.asarray(inside).reshape(-1, 2), np.asarray(outside).reshape(-1, 2)


def friedel_maps(shape: tuple[int, int], positions: np.ndarray, kf: np.ndarray,
                 amplitudes: np.ndarray, phases: np.ndarray, epsilon: float = 1.0,
                 normalize: bool = True) -> np.ndarray:
    """Evaluate Eq. 3 on a pixel grid.

    Parameters
    ----------
    shape : (int, int)
        Map size ``(H, W)`` in pixels.
    positions : ndarray of shape (n_imp, 2)
        Impurity positions ``(row, col)`` in pixels (may lie outside the map).
    kf : ndarray of shape (n_bias,)
        Fermi wave number per map (rad/pixel).
    amplitudes, phases : ndarray of shape (n_bias, n_imp)
        ``A_w`` and ``α_w`` (rad) per map and impurity.
    epsilon : float
        Cutoff (pixels).
    normalize : bool
        Remove each map's mean and scale it to [−1, 1].

    Returns
    -------
    ndarray of shape (n_bias, H, W), float64
        δn per map (scaled to [−1, 1] with ``normalize``).
    """
    rows, cols = np.indices(shape, dtype=float)
    pos = np.asarray(positions, float).reshape(-1, 2)
    r = np.hypot(rows[None] - pos[:, 0, None, None], cols[None] - pos[:, 1, None, None])
    kf = np.asarray(kf, float)
    arg = 2.0 * kf[:, None, None, None] * r[None] + np.asarray(phases)[:, :, None, None]
    dn = (np.asarray(amplitudes)[:, :, None, None] * np.cos(arg) / (r[None] + epsilon) ** 2)
    dn = dn.sum(axis=1)
    if normalize:
        dn = dn - dn.mean(axis=(1, 2), keepdims=True)
        scale = np.abs(dn).max(axis=(1, 2), keepdims=True)
        dn = dn / np.where(scale > 0, scale, 1.0)
    return dn


def sample_configuration(rng: np.random.Generator, cfg: FriedelConfig,
                         n_bias: int | None = None) -> dict:
    """Draw one impurity configuration and its clean, normalized maps.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : FriedelConfig
        Simulator settings.
    n_bias : int, optional
        Maps per configuration (default ``cfg.n_bias``).

    Returns
    -------
    dict
        ``maps`` (n_bias, L, L), ``positions`` (n_in, 2) integer pixels,
        ``outside`` (n_out, 2) pixels, ``kf`` (n_bias,) and ``kf0`` (float), rad/pixel.
    """
    nb = cfg.n_bias if n_bias is None else n_bias
    n_in = 0 if rng.random() < cfg.p_empty else int(rng.integers(1, cfg.max_impurities + 1))
    n_out = int(rng.integers(0, cfg.max_outside + 1))
    inside, outside = _place(rng, n_in, n_out, cfg.tile, cfg.outside_margin,
                             cfg.min_separation)
    allpos = np.concatenate([inside, outside])
    kf0 = rng.uniform(*cfg.kf0_range)
    kf = kf0 * (1.0 + cfg.kf_spread * rng.uniform(-1, 1, nb))
    amp = rng.uniform(*cfg.amplitude_range, (nb, len(allpos)))
    phase = rng.uniform(0, 2 * np.pi, (nb, len(allpos)))
    if len(allpos):
        maps = friedel_maps((cfg.tile, cfg.tile), allpos, kf, amp, phase, cfg.epsilon)
    else:
        maps = np.zeros((nb, cfg.tile, cfg.tile))
    return {"maps": maps, "positions": inside, "outside": outside, "kf": kf, "kf0": kf0}


def label_vector(positions: np.ndarray, tile: int) -> np.ndarray:
    """Target distribution: 1/N_i at impurity pixels, or all weight on the null entry.

    Parameters
    ----------
    positions : ndarray of shape (n_i, 2)
        Impurity pixels ``(row, col)`` inside the tile.
    tile : int
        Side ``L`` of the tile in pixels.

    Returns
    -------
    ndarray of shape (L*L + 1,)
        Probabilities over the row-major pixels and the null entry (last).
    """
    y = np.zeros(tile * tile + 1)
    if len(positions) == 0:
        y[-1] = 1.0
    else:
        idx = positions[:, 0].astype(int) * tile + positions[:, 1].astype(int)
        y[idx] = 1.0 / len(positions)
    return y


def training_batch(rng: np.random.Generator, cfg: FriedelConfig, batch: int,
                   n_bias: int | None = None, noise: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A batch of noisy training maps with labels.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : FriedelConfig
        Simulator settings.
    batch : int
        Number of configurations.
    n_bias : int, optional
        Maps per configuration (default ``cfg.n_bias``).
    noise : bool
        Add the white noise of width ``cfg.noise_eta``.

    Returns
    -------
    x : ndarray of shape (batch, n_bias, L, L), float32
        Maps scaled to [−1, 1] plus white noise of width ``cfg.noise_eta`` if ``noise``.
    y : ndarray of shape (batch, L*L + 1), float32
        Target distributions (last entry: no impurity in the tile).
    positions : list of ndarray of shape (n_i, 2)
        Impurity pixels of each configuration.
    """
    x, y, positions, _ = labelled_batch(rng, cfg, batch, n_bias, noise)
    return x, y, positions


def labelled_batch(rng: np.random.Generator, cfg: FriedelConfig, batch: int,
                   n_bias: int | None = None, noise: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """:func:`training_batch` plus each map's Fermi wave number.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : FriedelConfig
        Simulator settings.
    batch : int
        Number of configurations.
    n_bias : int, optional
        Maps per configuration (default ``cfg.n_bias``).
    noise : bool
        Add the white noise of width ``cfg.noise_eta``.

    Returns
    -------
    x, y, positions
        As :func:`training_batch` (same random stream: the same ``rng`` state gives
        the same maps).
    kf : ndarray of shape (batch, n_bias)
        ``k_i`` of every map, rad/pixel (what an oracle detector may be told).
    """
    xs, ys, ps, ks = [], [], [], []
    for _ in range(batch):
        c = sample_configuration(rng, cfg, n_bias)
        xs.append(c["maps"])
        ys.append(label_vector(c["positions"], cfg.tile))
        ps.append(c["positions"])
        ks.append(c["kf"])
    x = np.stack(xs)
    if noise and cfg.noise_eta > 0:
        x = x + cfg.noise_eta * rng.standard_normal(x.shape)
    return x.astype(np.float32), np.stack(ys).astype(np.float32), ps, np.stack(ks)
