"""Validation simulator: T-matrix LDOS of point scatterers in a 2D electron gas.

This plays the role of the seed's Au(111) experiment and is never used with its
labels for training. Surface state: parabolic band ``E(k) = E0 + ħ²k²/2m*`` with
``m* = 0.26 m_e`` and onset ``E0 = −520 meV`` (Chen et al. 1998, seed appendix);
the map at sample bias ``V`` probes ``E = eV``.

Physics. With ``g(r) = −(i/4) H0⁽¹⁾(k r)`` the outgoing Green's function of
``∇² + k²`` (the free 2DEG Green's function is ``G0 = (2m*/ħ²) g``), a point
scatterer with complex s-wave phase shift gives ``t = 2i(a e^{2iδ} − 1)``
(``a ≤ 1`` models absorption into bulk states, the "black dot" limit ``a = 0``).
Multiple scattering among all scatterers:

    T = (1 − t G_off)⁻¹ t,      G_off[j, l] = g(|r_j − r_l|)  (j ≠ l),

and the LDOS relative to the flat 2D value ``ρ0 = m*/(2πħ²)``:

    δρ(r, E)/ρ0 = −4 Im Σ_jl g(r − r_j) T_jl g(r_l − r).

Far from one scatterer this is ``≈ Im[t e^{i(2kr − π/2)}]/(2π k r)``: a 1/r decay
(the training simulator's Eq. 3 has 1/r², so the two disagree on purpose). The
logarithmic divergence of H0 at the scatterer is cut at ``r_core`` and a random
short-range Gaussian feature is added at each impurity (non-universal physics
the Friedel simulator does not contain). Measurement artefacts (relative to the
standard deviation of the clean modulation): white noise, 1/f noise along the
raster (time) order, scan-line offsets and a smooth background varying with bias.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.special import hankel1

#: ħ²/(2 m_e) in meV·Å²
HBAR2_2ME_MEV_A2 = 3809.982


@dataclass(frozen=True)
class TMatrixConfig:
    """Parameters of the validation simulator (all recorded in metadata).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    shape : (int, int)
        Map size ``(H, W)`` in pixels.
    pixel_size_A : float
        Pixel size in Å (seed: 375 Å / 80 px).
    bias_mV : tuple of float
        Sample biases (mV); default −230 … +20 mV in 2 mV steps (126 maps).
    m_eff : float
        Effective mass in units of m_e.
    onset_meV : float
        Band bottom ``E0`` (meV).
    n_impurities : int
        Scatterers inside the field of view.
    outside_density : float
        Scatterers per pixel² in a band of ``outside_margin_px`` around the map (unlabelled).
    outside_margin_px : float
        Width of that band (pixels).
    min_separation_px : float
        Smallest distance between scatterers (pixels).
    phase_range : (float, float)
        Real part ``δ`` of the phase shift drawn in this range (rad).
    absorption_range : (float, float)
        ``a = |e^{2iδ}|`` drawn in this range (1: elastic, 0: black dot).
    r_core_A : float
        Core radius (Å): distances are replaced by ``sqrt(r² + r_core²)``.
    core_amplitude : float
        Peak height of the short-range Gaussian at each impurity, in units of the
        std of the clean modulation; sign and size random in ``±core_amplitude``.
    core_width_A : float
        Width (Å) of that Gaussian.
    white, pink, lines, background : float
        Standard deviations of white noise, 1/f raster noise, scan-line offsets and
        amplitude of the smooth background, in units of the std of the clean modulation.
    """

    shape: tuple[int, int] = (80, 80)
    pixel_size_A: float = 375.0 / 80.0
    bias_mV: tuple[float, ...] = field(
        default_factory=lambda: tuple(float(v) for v in np.arange(-230.0, 20.1, 2.0)))
    m_eff: float = 0.26
    onset_meV: float = -520.0
    n_impurities: int = 20
    outside_density: float = 20 / 6400
    outside_margin_px: float = 10.0
    min_separation_px: float = 3.0
    phase_range: tuple[float, float] = (0.25 * np.pi, 0.75 * np.pi)
    absorption_range: tuple[float, float] = (0.3, 1.0)
    r_core_A: float = 2.0
    core_amplitude: float = 1.0
    core_width_A: float = 3.0
    white: float = 0.5
    pink: float = 0.3
    lines: float = 0.3
    background: float = 2.0

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value; ``bias_mV`` summarized as ``[first, last, count]``.
        """
        d = asdict(self)
        d["bias_mV"] = [self.bias_mV[0], self.bias_mV[-1], len(self.bias_mV)]
        return d


def wave_number(energy_meV: np.ndarray, m_eff: float = 0.26,
                onset_meV: float = -520.0) -> np.ndarray:
    """Surface-state wave number ``k(E)`` in 1/Å for energies above the onset.

    Parameters
    ----------
    energy_meV : ndarray
        Energies (meV), all above ``onset_meV``.
    m_eff : float
        Effective mass (units of m_e).
    onset_meV : float
        Band bottom E0 (meV).

    Returns
    -------
    ndarray
        ``k = sqrt((E − E0) m_eff / (ħ²/2m_e))`` in 1/Å, the shape of ``energy_meV``.
    """
    e = np.asarray(energy_meV, float) - onset_meV
    if np.any(e <= 0):
        raise ValueError("energies must lie above the band onset")
    return np.sqrt(e * m_eff / HBAR2_2ME_MEV_A2)


def _positions(rng: np.random.Generator, cfg: TMatrixConfig) -> tuple[np.ndarray, np.ndarray]:
    H, W = cfg.shape
    m = cfg.outside_margin_px
    n_out = rng.poisson(cfg.outside_density * ((H + 2 * m) * (W + 2 * m) - H * W))
    pts: list[np.ndarray] = []
    inside: list[bool] = []
    tries = 0
    while (sum(inside) < cfg.n_impurities or len(pts) - sum(inside) < n_out) and tries < 20000:
        tries += 1
        want_in = sum(inside) < cfg.n_impurities
        if want_in:
            p = rng.uniform([-0.5, -0.5], [H - 0.5, W - 0.5])
        else:
            p = rng.uniform([-m, -m], [H - 1 + m, W - 1 + m])
            if -0.5 <= p[0] <= H - 0.5 and -0.5 <= p[1] <= W - 0.5:
                continue
        if all(np.hypot(*(p - q)) >= cfg.min_separation_px for q in pts):
            pts.append(p)
            inside.append(want_in)
    pts_a = np.asarray(pts).reshape(-1, 2)
    mask = np.asarray(inside, bool)
    return pts_a[mask], pts_a[~mask]


def _hankel_table(xmax: float, step: float = 2e-3) -> tuple[float, np.ndarray]:
    """``H0⁽¹⁾`` tabulated on the uniform grid ``x = 0, step, …`` up to ``xmax`` for
    linear interpolation (relative error < 2e-5 for ``x > 0.1``: the cell error is
    step²/8 · |H0''|). The divergent value at ``x = 0`` is replaced by the next one;
    ``r >= r_core`` keeps the arguments away from it."""
    x = np.arange(0.0, xmax + 3 * step, step)
    h = np.empty(len(x), complex)
    h[1:] = hankel1(0, x[1:])
    h[0] = h[1]
    return step, h


def _h0(x: np.ndarray, table: tuple[float, np.ndarray]) -> np.ndarray:
    step, h = table
    u = x / step
    i = u.astype(np.int64)
    f = u - i
    return h[i] + f * (h[i + 1] - h[i])


def tmatrix_ldos(shape: tuple[int, int], positions_px: np.ndarray, k_per_px: np.ndarray,
                 t: np.ndarray, r_core_px: float | np.ndarray) -> np.ndarray:
    """``δρ/ρ0`` of scatterers with multiple scattering.

    Parameters
    ----------
    shape : (int, int)
        ``(H, W)`` pixels.
    positions_px : ndarray of shape (n, 2)
        Scatterer positions ``(row, col)`` in pixels.
    k_per_px : ndarray of shape (n_bias,)
        Wave number per map in rad/pixel.
    t : ndarray of shape (n,), complex
        Single-site t-matrices ``2i(a e^{2iδ} − 1)``.
    r_core_px : float or ndarray of shape (n,)
        Core radius (pixels), one for all scatterers or one per scatterer (a surface
        adatom has a small one, a subsurface scatterer a large one).

    Returns
    -------
    ndarray of shape (n_bias, H, W)
        Relative LDOS change δρ/ρ0 per map.
    """
    rows, cols = np.indices(shape, dtype=float)
    pos = np.asarray(positions_px, float).reshape(-1, 2)
    n = len(pos)
    out = np.zeros((len(k_per_px),) + tuple(shape))
    if n == 0:
        return out
    r = np.hypot(rows.ravel()[None] - pos[:, :1], cols.ravel()[None] - pos[:, 1:])
    r = np.sqrt(r**2 + np.broadcast_to(np.asarray(r_core_px, float), (n,))[:, None] ** 2)
    d = np.hypot(pos[:, None, 0] - pos[None, :, 0], pos[:, None, 1] - pos[None, :, 1])
    off = ~np.eye(n, dtype=bool)
    table = _hankel_table(float(np.max(k_per_px)) * float(r.max()))
    for i, k in enumerate(k_per_px):
        g = -0.25j * _h0(k * r, table)                      # (n, P)
        goff = np.zeros((n, n), complex)
        goff[off] = -0.25j * hankel1(0, k * d[off])
        T = np.linalg.solve(np.eye(n) - t[:, None] * goff, np.diag(t))
        out[i] = (-4.0 * np.imag(np.einsum("jp,jp->p", g, T @ g))).reshape(shape)
    return out


def _pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-variance noise with a 1/f power spectrum, length ``n``."""
    f = np.fft.rfftfreq(n)
    amp = np.zeros_like(f)
    amp[1:] = 1.0 / np.sqrt(f[1:])
    spec = amp * (rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f)))
    x = np.fft.irfft(spec, n)
    return x / x.std()


def measurement_artefacts(rng: np.random.Generator, n_bias: int, shape: tuple[int, int],
                          scale: float, cfg: TMatrixConfig) -> np.ndarray:
    """White + 1/f raster noise + scan-line offsets + smooth bias-dependent background.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_bias : int
        Number of maps.
    shape : (int, int)
        Map size ``(H, W)`` in pixels.
    scale : float
        Std of the clean modulation; the artefact amplitudes of ``cfg`` are in this unit.
    cfg : TMatrixConfig
        Artefact amplitudes (``white``, ``pink``, ``lines``, ``background``).

    Returns
    -------
    ndarray of shape (n_bias, H, W)
        Additive artefacts (dI/dV units of the maps).
    """
    H, W = shape
    noise = cfg.white * rng.standard_normal((n_bias, H, W))
    if cfg.pink > 0:
        # the whole stack is one long raster: map after map, line after line
        noise += cfg.pink * _pink_noise(rng, n_bias * H * W).reshape(n_bias, H, W)
    noise += cfg.lines * rng.standard_normal((n_bias, H, 1))
    if cfg.background > 0:
        y, x = np.indices(shape, dtype=float)
        y, x = y / max(H - 1, 1) - 0.5, x / max(W - 1, 1) - 0.5
        c = rng.standard_normal((2, 5))
        s = np.linspace(0.0, 1.0, n_bias)[:, None, None]
        basis = np.stack([x, y, x * y, np.exp(-((x - c[0, 4] / 4) ** 2 + y**2) / 0.1), x**2])
        bg = np.einsum("k,khw->hw", c[0], basis)[None] * (1 - s) + \
            np.einsum("k,khw->hw", c[1], basis)[None] * s
        noise += cfg.background * bg / max(np.abs(bg).max(), 1e-12)
    return noise * scale


def simulate_tmatrix(rng: np.random.Generator | int, cfg: TMatrixConfig | None = None) -> dict:
    """One simulated dI/dV grid with ground truth.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness, or its seed.
    cfg : TMatrixConfig, optional
        Simulator settings (default ``TMatrixConfig()``).

    Returns
    -------
    dict
        ``maps`` (n_bias, H, W) float32 (dI/dV in units of the flat value),
        ``bias_mV`` (n_bias,), ``positions`` (n_imp, 2) float pixel coordinates
        ``(row, col)`` of the scatterers inside the map, ``kf_per_px`` (n_bias,)
        (rad/pixel), ``clean`` (n_bias, H, W) noise-free maps, ``config`` (dict).
    """
    rng = np.random.default_rng(rng)
    cfg = TMatrixConfig() if cfg is None else cfg
    inside, outside = _positions(rng, cfg)
    allpos = np.concatenate([inside, outside])
    bias = np.asarray(cfg.bias_mV, float)
    k = wave_number(bias, cfg.m_eff, cfg.onset_meV) * cfg.pixel_size_A
    delta = rng.uniform(*cfg.phase_range, len(allpos))
    a = rng.uniform(*cfg.absorption_range, len(allpos))
    t = 2j * (a * np.exp(2j * delta) - 1.0)
    dldos = tmatrix_ldos(cfg.shape, allpos, k, t, cfg.r_core_A / cfg.pixel_size_A)
    scale = float(dldos.std()) or 1.0
    rows, cols = np.indices(cfg.shape, dtype=float)
    w = cfg.core_width_A / cfg.pixel_size_A
    core = np.zeros(cfg.shape)
    for p, c in zip(allpos, rng.uniform(-1, 1, len(allpos)), strict=True):
        core += c * np.exp(-((rows - p[0]) ** 2 + (cols - p[1]) ** 2) / (2 * w**2))
    slope = rng.uniform(0.5, 1.5, len(bias))[:, None, None]
    clean = 1.0 + dldos + cfg.core_amplitude * scale * slope * core[None]
    maps = clean + measurement_artefacts(rng, len(bias), cfg.shape, scale, cfg)
    return {"maps": maps.astype(np.float32), "bias_mV": bias, "positions": inside,
            "kf_per_px": k, "clean": clean.astype(np.float32), "config": cfg.to_dict()}
