"""Input checks, bias binning, tiling with overlap, stitching and peak finding."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from specinv.core.errors import InputError


def validate_maps(maps: np.ndarray, *, min_bias: int, tile: int,
                  source: str | None = None) -> np.ndarray:
    """Check a conductance-map stack and return it as float32.

    Parameters
    ----------
    maps : array_like of shape (n_bias, H, W)
        Conductance maps.
    min_bias : int
        Fewest bias maps the detector accepts.
    tile : int
        Tile side; the map must be at least this large in both directions.
    source : str, optional
        File name for messages.

    Returns
    -------
    ndarray of shape (n_bias, H, W), float32
        The checked maps.

    Raises
    ------
    InputError
        Wrong dimensionality, too few biases, NaN/inf pixels, map smaller than a tile.
    """
    a = np.asarray(maps, dtype=np.float32)
    if a.ndim != 3:
        raise InputError(f"expected maps of shape (n_bias, H, W), got shape {a.shape}", source)
    n, H, W = a.shape
    if n < min_bias:
        raise InputError(f"only {n} bias map(s); the detector needs at least {min_bias} "
                         "(it correlates the oscillations across biases)", source)
    bad = ~np.isfinite(a)
    if bad.any():
        b, r, c = np.argwhere(bad)[0]
        nb = int(bad.any(axis=0).sum())
        raise InputError(f"{nb} pixel(s) contain NaN or infinite values (first at bias index "
                         f"{b}, row {r}, col {c}); crop or fill them before detection", source)
    if H < tile or W < tile:
        raise InputError(f"map of {H} x {W} pixels is smaller than one {tile} x {tile} tile",
                         source)
    return a


def bin_biases(maps: np.ndarray, max_maps: int) -> np.ndarray:
    """Average consecutive bias maps into at most ``max_maps`` groups.

    Neighbouring biases of a fine sweep (e.g. 2 mV) carry nearly the same
    oscillation, so binning keeps the information and bounds the cost.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps in bias order.
    max_maps : int
        Most groups.

    Returns
    -------
    ndarray of shape (min(n_bias, max_maps), H, W)
        Group means (``maps`` itself when already small enough).
    """
    if len(maps) <= max_maps:
        return maps
    return np.stack([g.mean(axis=0) for g in np.array_split(maps, max_maps)])


def tile_starts(n: int, tile: int, overlap: int) -> np.ndarray:
    """Start indices of tiles of side ``tile`` covering ``0 … n−1`` with ≥ ``overlap``.

    Parameters
    ----------
    n : int
        Pixels along the axis.
    tile : int
        Tile side (pixels).
    overlap : int
        Least overlap of neighbouring tiles (pixels).

    Returns
    -------
    ndarray of int
        Evenly spread starts, the first 0 and the last ``n − tile``.
    """
    if n <= tile:
        return np.array([0])
    stride = max(tile - overlap, 1)
    k = int(np.ceil((n - tile) / stride))
    return np.round(np.linspace(0, n - tile, k + 1)).astype(int)


def _owner(n: int, starts: np.ndarray, tile: int) -> np.ndarray:
    """For each pixel, the tile whose centre is nearest (each pixel has one owner)."""
    centres = starts + tile / 2.0
    return np.argmin(np.abs(np.arange(n)[:, None] + 0.5 - centres[None]), axis=1)


def stitched_scores(maps: np.ndarray, score_tiles: Callable[[np.ndarray], np.ndarray],
                    tile: int, overlap: int, batch: int = 64) -> np.ndarray:
    """Score a large map tile by tile and stitch the tiles' central parts.

    Each pixel takes its score from the tile whose centre is nearest, so tile
    borders (where the network sees only part of the oscillation) never decide,
    and every pixel is scored exactly once.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    score_tiles : callable
        ``(n_tiles, n_bias, tile, tile) -> (n_tiles, tile, tile)`` scores.
    tile : int
        Tile side (pixels).
    overlap : int
        Least overlap of neighbouring tiles (pixels).
    batch : int
        Tiles per call of ``score_tiles``.

    Returns
    -------
    ndarray of shape (H, W)
        Stitched score map.
    """
    _, H, W = maps.shape
    rs, cs = tile_starts(H, tile, overlap), tile_starts(W, tile, overlap)
    coords = [(r, c) for r in rs for c in cs]
    scores = np.empty((len(coords), tile, tile), np.float32)
    for i in range(0, len(coords), batch):
        chunk = coords[i:i + batch]
        x = np.stack([maps[:, r:r + tile, c:c + tile] for r, c in chunk])
        scores[i:i + len(chunk)] = score_tiles(x)
    orow, ocol = _owner(H, rs, tile), _owner(W, cs, tile)
    index = {rc: i for i, rc in enumerate(coords)}
    out = np.empty((H, W), np.float32)
    for a, r in enumerate(rs):
        rows = np.nonzero(orow == a)[0]
        for b, c in enumerate(cs):
            cols = np.nonzero(ocol == b)[0]
            out[np.ix_(rows, cols)] = scores[index[(r, c)]][np.ix_(rows - r, cols - c)]
    return out


def find_peaks(score: np.ndarray, threshold: float = -np.inf, min_distance: float = 2.0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of a score map above ``threshold``, strongest first.

    A pixel is a peak if it is the maximum of its 3 × 3 neighbourhood; peaks closer
    than ``min_distance`` to a stronger one are dropped (this also removes the
    duplicate a stitched border could create). Flat tops (a network whose score
    saturates gives plateaus of equal values) are resolved by adding a tiny multiple
    of the Gaussian-smoothed score, which puts one maximum near the plateau's middle.

    Parameters
    ----------
    score : ndarray of shape (H, W)
        Score map.
    threshold : float
        Peaks must exceed this score.
    min_distance : float
        Least distance between kept peaks (pixels).

    Returns
    -------
    positions : ndarray of shape (n, 2), int
        ``(row, col)`` pixel indices.
    values : ndarray of shape (n,)
        Scores at the peaks.
    """
    s0 = np.asarray(score, float)
    span = float(np.ptp(s0)) if s0.size else 0.0
    s = s0 + 1e-6 * (span + 1e-12) * ndimage.gaussian_filter(s0 - s0.mean(), 1.0) \
        / (np.abs(s0 - s0.mean()).max() + 1e-300) if s0.size else s0
    fill = np.nanmin(s) - 1.0 if s.size else 0.0
    local = (s == ndimage.maximum_filter(s, size=3, mode="constant", cval=fill)) & (s0 > threshold)
    pos = np.argwhere(local)
    vals = s[local]
    order = np.argsort(-vals, kind="stable")
    pos, vals = pos[order], vals[order]
    pos = pos[_suppress(pos, min_distance)].reshape(-1, 2)
    return pos, s0[pos[:, 0], pos[:, 1]]


def _suppress(pos: np.ndarray, min_distance: float) -> np.ndarray:
    """Indices of the points kept by greedy suppression in the given (strongest-first) order.

    A point is kept when no kept point lies closer than ``min_distance``; the near pairs
    come from a k-d tree, so the cost grows with the number of pairs, not its square."""
    from scipy.spatial import cKDTree  # here: not a member of this module's API

    keep = np.ones(len(pos), bool)
    if len(pos) < 2 or not min_distance > 0:
        return np.nonzero(keep)[0]
    pairs = cKDTree(pos).query_pairs(min_distance, output_type="ndarray")
    d = np.hypot(*(pos[pairs[:, 0]] - pos[pairs[:, 1]]).T)
    pairs = np.sort(pairs[d < min_distance], axis=1)  # (stronger, weaker)
    later = [[] for _ in range(len(pos))]
    for i, j in pairs.tolist():
        later[i].append(j)
    for i in range(len(pos)):
        if keep[i]:
            keep[later[i]] = False
    return np.nonzero(keep)[0]


def zoom_maps(maps: np.ndarray, factor: float) -> np.ndarray:
    """Resample every bias map by ``factor`` (new size ≈ factor × old), linear.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    factor : float
        Zoom factor of both spatial axes.

    Returns
    -------
    ndarray of shape (n_bias, ≈ factor·H, ≈ factor·W)
        Resampled maps.
    """
    return ndimage.zoom(maps, (1.0, factor, factor), order=1, grid_mode=True, mode="nearest")
