"""Domain-randomized training tiles: what real maps vary in, drawn per tile and scatterer.

The Friedel simulator (:mod:`~specinv.stm.friedel`) draws one form: a sharp
``1/(r + 1)²`` core, white noise. Real maps differ in how a scatterer looks and in
their artefacts; a detector trained on one form misses scatterers of another (a
subsurface scatterer shows a flat disc, not a spike). Here every tile draws, in the
ranges of :class:`RandomizedConfig` (the one place where the ranges and their physical
reasons live), the radial form summed over one or more surface bands ``b``

    δn_i(r) = Σ_b w_b Σ_s A_bsi cos(2 k_bi ρ_s + α_bsi) / (ρ_s + 1)^p,
    ρ_s = sqrt(|M (r − r_s)|² + c_s²),

with a core radius ``c_s`` per scatterer, a decay exponent ``p`` per tile and a
metric ``M`` per tile that holds non-square pixels and a linear scan drift (the
scatterer appears at its labelled pixel; the pattern around it is stretched and
sheared as the scan saw it). Each layer is scaled to [−1, 1]; a fraction of the tiles
are constant-current grids (:func:`setpoint_normalize`); then per-layer gain and
offset, white and 2-D 1/f noise, scan-line offsets and a tilt. Labels are those of
:func:`~specinv.stm.friedel.label_vector`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from specinv.stm.friedel import _place, label_vector


@dataclass(frozen=True)
class RandomizedConfig:
    """Ranges of the randomized simulator (lengths in pixels, wave numbers in rad/pixel).

    Every parameter is kept as an attribute of the same name; ranges ``(lo, hi)`` are
    drawn uniformly per tile unless stated.

    Parameters
    ----------
    tile : int
        Tile side (as the Friedel training tiles).
    kf0_range : (float, float)
        Typical ``k_F`` of a band in a tile: the detector resamples maps into this range.
    kf_spread : float
        Relative spread of ``k_F`` over the biases of a tile: a band's ``k_F(E)`` over
        a bias window of a few hundred meV.
    n_bands : (int, int)
        Surface bands per tile (inclusive): one for Cu/Ag(111); two for the
        spin-split Au(111) state or a surface state beside a surface resonance. Each
        band draws its own ``k_F`` in ``kf0_range`` and its own scattering amplitudes.
    band_weight : (float, float)
        Weight ``w_b`` of every band after the first (the first has 1): a second band
        is seen more weakly or about as strongly.
    max_impurities, p_empty, max_outside, outside_margin : int, float, int, float
        Scatterers inside the tile (1 … max, or none with ``p_empty``) and unlabelled ones
        in a band around it (a tile cut from a larger map).
    min_separation : float
        Closest scatterers (2.5 px: neighbours resolved at the 1 px match radius).
    core_px : (float, float)
        Core radius ``c`` per scatterer: 0 for a surface adatom (sharp core) to 3.5 px
        for a subsurface scatterer seen through a short-distance cut-off of ~14 Å
        (third or fourth layer of a (111) surface) at ~4 Å pixels.
    decay : (float, float)
        Exponent ``p``: 1 for a 2-D surface state (Hankel asymptotics of ``g²``), 2 for
        the seed's Friedel form (bulk-like decay).
    amplitude : (float, float)
        ``|A|``; its sign is random (attractive and repulsive scatterers).
    p_coherent : float
        Fraction of tiles in which a scatterer's phase and amplitude vary smoothly over
        the biases (its scattering phase shift ``δ(E)`` changes on the scale of a
        resonance width, hundreds of meV, and ``k_F(E)`` rises with the bias, as in
        real maps and the T-matrix maps); the other tiles draw them anew at every bias,
        as the seed's Friedel maps do (the harder case).
    phase_slope : float
        Largest change of a coherent scatterer's phase across the bias window (rad).
    aspect : (float, float)
        Pixel aspect ratio (row pitch / column pitch), drawn log-uniformly: grids with
        a different number of lines and points over the frame, or x/y piezo
        calibrations that differ by up to 25 %.
    drift_px : float
        Largest scan drift across the tile, per direction (pixels): thermal drift and
        piezo creep of a few Å during an hours-long grid shear and stretch the
        pattern along the slow (row) axis; the drift of each direction is uniform in
        ``±drift_px``.
    p_setpoint : float
        Fraction of tiles that are constant-current grids: before each spectrum the
        feedback sets the tip height so that ``I(V_set) = ∫₀^V_set ρ dE`` is the same
        at every pixel, so each pixel's spectrum is divided by its integrated LDOS
        between 0 and ``V_set`` (:func:`setpoint_normalize`).
    setpoint_fraction : (float, float)
        Fraction of the biases that lie between 0 and ``V_set`` (a set-point at the
        window's edge with zero bias inside or at the other edge of the window).
    contrast : (float, float)
        Relative LDOS modulation ``max |δρ| / ρ₀`` of a constant-current tile: weak
        (5 %) on noble-metal surface states to strong (40 %) near a band edge. The
        set-point effect grows with it.
    eta : (float, float)
        White-noise width after normalization (the seed's 0.8 lies inside).
    pink : (float, float)
        Std of spatially correlated 2-D 1/f noise (tip changes, drift of the setpoint).
    lines : (float, float)
        Std of scan-line offsets (feedback after each line).
    tilt : (float, float)
        Amplitude of a plane across the tile (sample tilt not removed).
    gain : float
        Relative per-layer gain spread (lock-in sensitivity, setpoint normalization).
    offset : (float, float)
        Std of a per-layer offset (background conductance and lock-in offset, which
        differ from bias to bias).
    """

    tile: int = 20
    kf0_range: tuple[float, float] = (0.45, 1.15)
    kf_spread: float = 0.15
    n_bands: tuple[int, int] = (1, 2)
    band_weight: tuple[float, float] = (0.3, 1.0)
    max_impurities: int = 5
    p_empty: float = 0.1
    max_outside: int = 4
    outside_margin: float = 6.0
    min_separation: float = 2.5
    core_px: tuple[float, float] = (0.0, 3.5)
    decay: tuple[float, float] = (1.0, 2.0)
    amplitude: tuple[float, float] = (0.3, 1.0)
    p_coherent: float = 0.5
    phase_slope: float = np.pi
    aspect: tuple[float, float] = (0.8, 1.25)
    drift_px: float = 1.0
    p_setpoint: float = 0.5
    setpoint_fraction: tuple[float, float] = (0.2, 1.0)
    contrast: tuple[float, float] = (0.05, 0.4)
    eta: tuple[float, float] = (0.3, 1.2)
    pink: tuple[float, float] = (0.0, 0.6)
    lines: tuple[float, float] = (0.0, 0.3)
    tilt: tuple[float, float] = (0.0, 0.5)
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


def _pink(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    n, H, W = shape
    q = np.hypot(np.fft.fftfreq(H)[:, None], np.fft.rfftfreq(W)[None])
    amp = np.where(q > 0, 1.0 / np.sqrt(np.maximum(q, 1e-12)), 0.0)
    z = rng.standard_normal((n, H, W // 2 + 1)) + 1j * rng.standard_normal((n, H, W // 2 + 1))
    x = np.fft.irfft2(z * amp, s=(H, W))
    return x / (x.std(axis=(1, 2), keepdims=True) + 1e-12)


def scan_metric(aspect: float, drift: tuple[float, float], size: int) -> np.ndarray:
    """Map from pixel offsets ``(Δrow, Δcol)`` to physical offsets (column-pixel units).

    The scan reaches row ``r`` at time ``r / size`` of the frame; a drift of
    ``(d_row, d_col)`` pixels per frame moves the sample under the tip, so the
    physical position seen at pixel ``(r, c)`` is ``(aspect (r + d_row r / size),
    c + d_col r / size)``: linear in ``(r, c)``.

    Parameters
    ----------
    aspect : float
        Row pitch / column pitch.
    drift : (float, float)
        Drift over the frame along rows and columns (pixels).
    size : int
        Rows in the frame.

    Returns
    -------
    ndarray of shape (2, 2)
        ``M`` with physical offset ``M @ (Δrow, Δcol)``.
    """
    return np.array([[aspect * (1.0 + drift[0] / size), 0.0], [drift[1] / size, 1.0]])


def setpoint_normalize(ldos: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Constant-current grid: each pixel's spectrum divided by its integral 0 … ``V_set``.

    Parameters
    ----------
    ldos : ndarray of shape (n_bias, H, W)
        Positive LDOS at every bias (equally spaced biases).
    block : ndarray of int, shape (m,)
        Indices of the biases between zero and the set-point bias.

    Returns
    -------
    ndarray of shape (n_bias, H, W)
        ``ldos / mean(ldos[block], axis=0)`` (the integral up to the bias step).
    """
    return ldos / ldos[block].mean(axis=0, keepdims=True)


def draw_effects(rng: np.random.Generator, cfg: RandomizedConfig, n_bias: int,
                 n_scatterers: int) -> dict:
    """Per-tile and per-scatterer draws of the physics (no noise).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : RandomizedConfig
        Ranges.
    n_bias : int
        Bias maps.
    n_scatterers : int
        Scatterers inside and around the tile.

    Returns
    -------
    dict
        ``kf`` (n_bands, n_bias) rad/pixel, ``weight`` (n_bands,), ``amp`` and
        ``phase`` (n_bands, n_bias, n_scatterers), ``core`` (n_scatterers,) px,
        ``decay``, ``metric`` (2, 2) (:func:`scan_metric`), ``setpoint`` (bias indices
        0 … V_set, or None), ``contrast`` and ``coherent``.
    """
    nb = int(rng.integers(cfg.n_bands[0], cfg.n_bands[1] + 1))
    coherent = bool(rng.random() < cfg.p_coherent)
    u = rng.uniform(-1, 1, (nb, n_bias))
    kf = rng.uniform(*cfg.kf0_range, (nb, 1)) * (1 + cfg.kf_spread * (
        np.sort(u, axis=1) if coherent else u))
    weight = np.concatenate([[1.0], rng.uniform(*cfg.band_weight, nb - 1)])
    amp = (rng.uniform(*cfg.amplitude, (nb, 1 if coherent else n_bias, n_scatterers))
           * rng.choice([-1.0, 1.0], (nb, 1, n_scatterers))) * np.ones((1, n_bias, 1))
    phase = rng.uniform(0, 2 * np.pi, (nb, 1 if coherent else n_bias, n_scatterers))
    if coherent:
        ramp = np.linspace(-0.5, 0.5, n_bias)[None, :, None]
        phase = phase + ramp * rng.uniform(-cfg.phase_slope, cfg.phase_slope,
                                           (nb, 1, n_scatterers))
    aspect = float(np.exp(rng.uniform(*np.log(cfg.aspect))))
    drift = tuple(rng.uniform(-cfg.drift_px, cfg.drift_px, 2))
    setpoint = None
    if rng.random() < cfg.p_setpoint:
        m = max(1, int(round(rng.uniform(*cfg.setpoint_fraction) * n_bias)))
        setpoint = np.arange(m) if rng.random() < 0.5 else np.arange(n_bias - m, n_bias)
    return {"kf": kf, "weight": weight, "amp": amp, "phase": phase, "coherent": coherent,
            "core": rng.uniform(*cfg.core_px, n_scatterers), "decay": rng.uniform(*cfg.decay),
            "metric": scan_metric(aspect, drift, cfg.tile), "setpoint": setpoint,
            "contrast": rng.uniform(*cfg.contrast)}


def render(effects: dict, positions: np.ndarray, size: int) -> np.ndarray:
    """Noise-free modulation of a tile, each layer scaled to max ``|δn|`` = 1.

    Parameters
    ----------
    effects : dict
        Output of :func:`draw_effects`.
    positions : ndarray of shape (n_scatterers, 2)
        Apparent scatterer pixels (row, col).
    size : int
        Tile side.

    Returns
    -------
    ndarray of shape (n_bias, size, size)
        Zero-mean layers in [−1, 1]; with a set-point, ``ρ = 1 + contrast δn`` is passed
        through :func:`setpoint_normalize` and rescaled the same way.
    """
    n_bias = effects["kf"].shape[1]
    if not len(positions):
        return np.zeros((n_bias, size, size))
    rows, cols = np.indices((size, size), dtype=float)
    d = np.stack([rows[None] - positions[:, 0, None, None],
                  cols[None] - positions[:, 1, None, None]])
    phys = np.einsum("ij,jsxy->isxy", effects["metric"], d)
    rho = np.sqrt((phys ** 2).sum(axis=0) + effects["core"][:, None, None] ** 2)
    env = 1.0 / (rho + 1.0) ** effects["decay"]
    maps = np.zeros((n_bias, size, size))
    for w, kf, amp, ph in zip(effects["weight"], effects["kf"], effects["amp"],
                              effects["phase"], strict=True):
        arg = 2 * kf[:, None, None, None] * rho[None] + ph[:, :, None, None]
        maps += w * (amp[:, :, None, None] * np.cos(arg) * env[None]).sum(axis=1)
    maps = _scale(maps)
    if effects["setpoint"] is not None:
        maps = _scale(setpoint_normalize(1.0 + effects["contrast"] * maps, effects["setpoint"]))
    return maps


def _scale(maps: np.ndarray) -> np.ndarray:
    maps = maps - maps.mean(axis=(1, 2), keepdims=True)
    return maps / np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1e-12)


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
    maps = render(draw_effects(rng, cfg, n_bias, len(pos)), pos, L)
    return add_artefacts(rng, cfg, maps), inside


def add_artefacts(rng: np.random.Generator, cfg: RandomizedConfig, maps: np.ndarray
                  ) -> np.ndarray:
    """Per-layer gain and offset, white and 2-D 1/f noise, scan-line offsets and a tilt.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    cfg : RandomizedConfig
        Ranges (``gain``, ``offset``, ``eta``, ``pink``, ``lines``, ``tilt``), in units of
        the clean modulation of ``maps``; any object with these attributes will do.
    maps : ndarray of shape (n_bias, L, L)
        Clean modulation.

    Returns
    -------
    ndarray of shape (n_bias, L, L)
        The maps with artefacts.
    """
    n_bias, L = maps.shape[0], maps.shape[1]
    y, x = np.indices((L, L), dtype=float) / L - 0.5
    t = rng.uniform(*cfg.tilt) * rng.standard_normal((2, 1, 1))
    return (maps * (1 + cfg.gain * rng.standard_normal((n_bias, 1, 1)))
            + rng.uniform(*cfg.offset) * rng.standard_normal((n_bias, 1, 1))
            + rng.uniform(*cfg.eta) * rng.standard_normal(maps.shape)
            + rng.uniform(*cfg.pink) * _pink(rng, maps.shape)
            + rng.uniform(*cfg.lines) * rng.standard_normal((n_bias, L, 1))
            + t[0] * y + t[1] * x)


def labelled_batch(make_tile: Callable[..., tuple], rng: np.random.Generator, cfg: Any,
                   batch: int, n_bias: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A labelled batch of tiles (the shape of the Friedel training batches).

    Parameters
    ----------
    make_tile : callable
        ``make_tile(rng, cfg, n_bias)`` returning the maps and the impurity pixels first
        (:func:`randomized_tile`, :func:`~specinv.stm.tmatrix_tiles.tmatrix_tile`).
    rng : numpy.random.Generator
        Source of randomness.
    cfg : RandomizedConfig or TMatrixTileConfig
        Ranges (``cfg.tile`` is the tile side, pixels).
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
        m, p = make_tile(rng, cfg, n_bias)[:2]
        xs.append(m)
        ys.append(label_vector(p, cfg.tile))
        ps.append(p)
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32), ps
