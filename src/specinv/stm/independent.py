"""Independent test generator of the STM bench: exact multiple scattering, buried scatterers.

Used only by ``specinv bench stm`` to measure transfer; never for training, threshold
choice or calibration of a shipped detector. Written apart from the training and
validation simulators (:mod:`~specinv.stm.friedel`, :mod:`~specinv.stm.tmatrix`), with
which it shares no code, so that their assumptions cannot leak into the test.

Physics (lengths in Å, energies in meV). A parabolic surface band with bottom ``E0``
and effective mass ``m*`` gives ``k(E) = sqrt((E − E0) m*/(ħ²/2m_e))``. The free 2-D
Green's function of ``∇² + k²`` is ``g(r) = −(i/4) H0⁽¹⁾(k r)`` with the Hankel function
``H0⁽¹⁾ = J0 + i Y0`` evaluated exactly (no table). A scatterer at depth below the
surface is seen through a short-distance cut-off: ``g(sqrt(r² + c²))`` with ``c`` the
scatterer's cut-off (surface adatoms ``c`` ≈ 1–2 Å: a sharp core; subsurface scatterers
``c`` = 5–12 Å: a flat disc several pixels wide, no central spike). Multiple scattering
among all scatterers (inside the map and in a margin around it) is solved exactly,

    T = (1 − t G)⁻¹ t,   G[j, l] = g(sqrt(|r_j − r_l|² + c_j² + c_l²)) (j ≠ l),

with single-site ``t = 2i(a e^{2iδ} − 1)``, phase ``δ`` of either sign and absorption
``a``; the LDOS change is ``δρ(r) ∝ −Im Σ_jl g_j(r) T_jl g_l(r)``.

Artefacts (in units of the clean modulation's std): per-layer gain and offset, white
noise, spatially correlated 2-D 1/f noise per layer, scan-line offsets and a plane
tilt. Formats: 40 × 40 and 80 × 80 pixels, 26 and 126 biases (:data:`FORMATS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal, special

#: ħ²/(2 m_e) in meV·Å²
_H2M = 3809.98
#: (side in pixels, number of biases) of the bench's independent sets
FORMATS = ((40, 26), (40, 126), (80, 26), (80, 126))


@dataclass(frozen=True)
class IndependentConfig:
    """Ranges drawn per map (or per scatterer) by :func:`simulate_independent`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    size, n_bias : int
        Map side (pixels) and number of biases.
    density : float
        Scatterers per pixel² inside the map and in the margin.
    margin_px : float
        Width of the band of unlabelled scatterers around the map (pixels).
    min_separation_px : float
        Smallest distance between scatterers (pixels).
    pixel_A : (float, float)
        Pixel size range (Å).
    band_bottom_meV, m_eff : (float, float)
        Ranges of the band bottom ``E0`` (meV) and the effective mass (m_e).
    window_meV : (float, float)
        Bias window (mV) above ``E0 + 150`` meV: lowest and highest bias.
    surface_cut_A, buried_cut_A : (float, float)
        Cut-off ranges (Å) of surface and subsurface scatterers.
    p_buried : float
        Fraction of subsurface scatterers.
    phase_abs : (float, float)
        ``|δ|`` range (rad); the sign is random.
    absorption : (float, float)
        ``a`` range (1: elastic).
    white, pink, lines, tilt, gain : float
        White-noise std, 2-D 1/f noise std, scan-line offset std, plane tilt amplitude
        (units of the clean modulation's std) and relative per-layer gain spread.
    """

    size: int = 80
    n_bias: int = 126
    density: float = 1.0 / 300.0
    margin_px: float = 10.0
    min_separation_px: float = 3.0
    pixel_A: tuple[float, float] = (3.5, 6.0)
    band_bottom_meV: tuple[float, float] = (-520.0, -380.0)
    m_eff: tuple[float, float] = (0.2, 0.35)
    window_meV: tuple[float, float] = (-200.0, 60.0)
    surface_cut_A: tuple[float, float] = (1.0, 2.0)
    buried_cut_A: tuple[float, float] = (5.0, 12.0)
    p_buried: float = 0.5
    phase_abs: tuple[float, float] = (0.3, 1.3)
    absorption: tuple[float, float] = (0.4, 1.0)
    white: float = 0.6
    pink: float = 0.4
    lines: float = 0.2
    tilt: float = 1.0
    gain: float = 0.2

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value.
        """
        return asdict(self)


def green(k: float, r: np.ndarray) -> np.ndarray:
    """Free 2-D Green's function ``−(i/4) H0⁽¹⁾(k r)`` (exact Bessel functions).

    Parameters
    ----------
    k : float
        Wave number (1/length of ``r``).
    r : ndarray
        Distances (> 0).

    Returns
    -------
    ndarray, complex
        ``g`` of the shape of ``r``.
    """
    x = k * np.asarray(r, float)
    return -0.25j * (special.j0(x) + 1j * special.y0(x))


def _place(rng: np.random.Generator, cfg: IndependentConfig) -> tuple[np.ndarray, np.ndarray]:
    """Scatterers by random sequential addition: (all positions, inside mask)."""
    n, m = cfg.size, cfg.margin_px
    area = (n + 2 * m) ** 2
    want = rng.poisson(cfg.density * area)
    pts: list[np.ndarray] = []
    for _ in range(50 * want):
        if len(pts) >= want:
            break
        p = rng.uniform(-0.5 - m, n - 0.5 + m, 2)
        if all(np.hypot(*(p - q)) >= cfg.min_separation_px for q in pts):
            pts.append(p)
    pos = np.asarray(pts, float).reshape(-1, 2)
    inside = np.all((pos >= -0.5) & (pos <= n - 0.5), axis=1)
    return pos, inside


def multiple_scattering_ldos(size: int, pos_px: np.ndarray, cut_px: np.ndarray,
                             t: np.ndarray, k_px: np.ndarray) -> np.ndarray:
    """``δρ`` (arbitrary units) of all scatterers, exact multiple scattering per bias.

    Parameters
    ----------
    size : int
        Map side (pixels).
    pos_px : ndarray of shape (n, 2)
        Scatterer positions ``(row, col)`` (pixels).
    cut_px : ndarray of shape (n,)
        Short-distance cut-off of each scatterer (pixels).
    t : ndarray of shape (n,), complex
        Single-site t-matrices.
    k_px : ndarray of shape (n_bias,)
        Wave number of each bias (rad/pixel).

    Returns
    -------
    ndarray of shape (n_bias, size, size)
        LDOS change per bias.
    """
    rows, cols = np.indices((size, size), dtype=float)
    d = np.hypot(rows.ravel()[None] - pos_px[:, :1], cols.ravel()[None] - pos_px[:, 1:])
    r = np.sqrt(d**2 + cut_px[:, None] ** 2)                         # (n, P)
    dd = np.hypot(*(pos_px[:, None, :] - pos_px[None, :, :]).transpose(2, 0, 1))
    rr = np.sqrt(dd**2 + cut_px[:, None] ** 2 + cut_px[None, :] ** 2)
    off = ~np.eye(len(pos_px), dtype=bool)
    out = np.empty((len(k_px), size, size))
    for i, k in enumerate(k_px):
        g = green(k, r)
        G = np.where(off, green(k, rr), 0.0)
        T = np.linalg.solve(np.eye(len(t)) - t[:, None] * G, np.diag(t))
        out[i] = -np.imag(np.einsum("jp,jp->p", g, T @ g)).reshape(size, size)
    return out


def pink_noise_2d(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-std noise with a 1/|q| power spectrum in the last two axes.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        ``(..., H, W)``.

    Returns
    -------
    ndarray of the given shape
        Spatially correlated noise, each 2-D slice scaled to unit std.
    """
    H, W = shape[-2:]
    q = np.hypot(np.fft.fftfreq(H)[:, None], np.fft.rfftfreq(W)[None])
    amp = np.where(q > 0, 1.0 / np.sqrt(np.maximum(q, 1e-12)), 0.0)
    z = rng.standard_normal(shape[:-1] + (W // 2 + 1,)) + 1j * rng.standard_normal(
        shape[:-1] + (W // 2 + 1,))
    x = np.fft.irfft2(z * amp, s=(H, W))
    return x / x.std(axis=(-2, -1), keepdims=True)


def simulate_independent(seed: int, cfg: IndependentConfig) -> dict:
    """One independent test map with its truth.

    Parameters
    ----------
    seed : int
        Seed of everything drawn.
    cfg : IndependentConfig
        Ranges and format.

    Returns
    -------
    dict
        ``maps`` (n_bias, size, size) float32, ``bias_mV`` (n_bias,), ``positions``
        (n_in, 2) of the scatterers inside the map (pixels), ``buried`` (n_in,) bool,
        ``kf_per_px`` (n_bias,), ``cut_px`` (n_in,), ``params`` (dict of drawn values).
    """
    rng = np.random.default_rng([seed, cfg.size, cfg.n_bias])
    pos, inside = _place(rng, cfg)
    pixel = rng.uniform(*cfg.pixel_A)
    e0, mass = rng.uniform(*cfg.band_bottom_meV), rng.uniform(*cfg.m_eff)
    bias = np.linspace(*cfg.window_meV, cfg.n_bias)
    k = np.sqrt((bias - e0) * mass / _H2M) * pixel
    buried = rng.random(len(pos)) < cfg.p_buried
    cut_A = np.where(buried, rng.uniform(*cfg.buried_cut_A, len(pos)),
                     rng.uniform(*cfg.surface_cut_A, len(pos)))
    delta = rng.choice([-1.0, 1.0], len(pos)) * rng.uniform(*cfg.phase_abs, len(pos))
    t = 2j * (rng.uniform(*cfg.absorption, len(pos)) * np.exp(2j * delta) - 1.0)
    clean = multiple_scattering_ldos(cfg.size, pos, cut_A / pixel, t, k)
    s = float(clean.std()) or 1.0
    nb, n = cfg.n_bias, cfg.size
    y, x = np.indices((n, n), dtype=float) / n - 0.5
    tilt = rng.standard_normal((nb, 2, 1, 1)) * cfg.tilt
    noise = (cfg.white * rng.standard_normal((nb, n, n)) + cfg.pink * pink_noise_2d(
        rng, (nb, n, n)) + cfg.lines * rng.standard_normal((nb, n, 1))
        + tilt[:, 0] * y + tilt[:, 1] * x)
    gain = 1.0 + cfg.gain * rng.standard_normal((nb, 1, 1))
    maps = gain * (clean + s * noise) + rng.standard_normal((nb, 1, 1)) * 10 * s
    return {"maps": maps.astype(np.float32), "bias_mV": bias, "positions": pos[inside],
            "buried": buried[inside], "kf_per_px": k, "cut_px": cut_A[inside] / pixel,
            "params": {"pixel_A": pixel, "band_bottom_meV": e0, "m_eff": mass,
                       "n_scatterers": len(pos), "n_inside": int(inside.sum())}}


def oracle_green_scores(maps: np.ndarray, kf_per_px: np.ndarray, cut_px: float,
                        radius: int = 8) -> np.ndarray:
    """Matched filter told the true Green's function (the bench's reference detector).

    For each bias the single-scatterer pattern ``g(ρ)²`` (``ρ = sqrt(r² + c²)``, true
    ``k``) spans, through its real and imaginary parts, every response of a scatterer
    of unknown complex ``t``; the score is the energy of the projection of the
    standardized map onto that two-dimensional template space (generalized likelihood
    ratio for white noise), summed over biases.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    kf_per_px : ndarray of shape (n_bias,)
        True wave number of each bias (rad/pixel).
    cut_px : float
        Cut-off of the template (pixels).
    radius : int
        Template half-width (pixels).

    Returns
    -------
    ndarray of shape (H, W)
        Summed projection energy.
    """
    from scipy import ndimage

    m = np.asarray(maps, float)
    m = m - ndimage.gaussian_filter(m, (0, 4.0, 4.0), mode="reflect")
    m = m / (m.std(axis=(1, 2), keepdims=True) + 1e-12)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    rho = np.sqrt(yy**2 + xx**2 + cut_px**2)
    disc = np.hypot(yy, xx) <= radius
    score = np.zeros(m.shape[1:])
    for img, k in zip(m, np.asarray(kf_per_px, float), strict=True):
        p = green(k, rho) ** 2
        basis = []
        for part in (p.real, p.imag):
            b = np.where(disc, part - part[disc].mean(), 0.0)
            basis.append(b)
        gram = np.array([[np.sum(a * b) for b in basis] for a in basis])
        c = np.stack([signal.fftconvolve(img, b[::-1, ::-1], mode="same") for b in basis])
        inv = np.linalg.pinv(gram, rcond=1e-8)
        score += np.einsum("ihw,ij,jhw->hw", c, inv, c)
    return score
