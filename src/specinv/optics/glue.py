"""Glue-function generators: Gaussian mixtures (training) and OOD shapes (tests).

Training glue functions follow seed 001: sums of 1–4 Gaussians

    I²χ(Ω) = Σ_k a_k exp(−(Ω − μ_k)² / 2 s_k²)

with ranges chosen to resemble cuprate glue spectra extracted from optics
(a sharp mode near 40–70 meV on a broad background reaching 300–400 meV, peak
heights of order 1):

- centres μ_k uniform in [15, 300] meV,
- widths s_k uniform in [5, 60] meV but at most μ_k/2.5 (the glue then nearly
  vanishes at Ω → 0, as it must, and below the first mesh cell),
- amplitudes a_k uniform in [0.1, 1], then the whole mixture rescaled so its
  maximum is uniform in [0.2, 1.5].

The out-of-distribution sets of seed 001 (one broad Gaussian, square waves of
several heights and widths, trapezoids, triangles) are fixed shapes from
:func:`ood_sets`.
"""

from __future__ import annotations

import numpy as np

#: documented ranges of the Gaussian-mixture generator (meV, dimensionless heights)
MIXTURE_RANGES: dict[str, tuple[float, float]] = {
    "n_components": (1, 4),
    "center_meV": (15.0, 300.0),
    "width_meV": (5.0, 60.0),
    "amplitude": (0.1, 1.0),
    "max_height": (0.2, 1.5),
}
WIDTH_OVER_CENTER_MAX = 1.0 / 2.5


def gaussian_mixtures(omega: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random glue functions on the mesh points ``omega`` (meV).

    Parameters
    ----------
    omega : ndarray of shape (n_mesh,)
        Boson energies Ω (meV).
    n : int
        Number of samples.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (n, n_mesh)
        Non-negative glue functions.
    """
    r = MIXTURE_RANGES
    k_max = int(r["n_components"][1])
    ncomp = rng.integers(1, k_max + 1, size=n)
    mu = rng.uniform(*r["center_meV"], size=(n, k_max))
    s = np.minimum(rng.uniform(*r["width_meV"], size=(n, k_max)), WIDTH_OVER_CENTER_MAX * mu)
    a = rng.uniform(*r["amplitude"], size=(n, k_max))
    a[np.arange(k_max)[None, :] >= ncomp[:, None]] = 0.0
    height = rng.uniform(*r["max_height"], size=n)
    o = np.asarray(omega, dtype=float)[None, None, :]
    x = np.sum(a[..., None] * np.exp(-0.5 * ((o - mu[..., None]) / s[..., None]) ** 2), axis=1)
    return x * (height / x.max(axis=1))[:, None]


def _square(o: np.ndarray, lo: float, hi: float, h: float) -> np.ndarray:
    return np.where((o >= lo) & (o <= hi), h, 0.0)


def _trapezoid(o: np.ndarray, a: float, b: float, c: float, d: float, h: float) -> np.ndarray:
    up = np.clip((o - a) / (b - a), 0.0, 1.0)
    down = np.clip((d - o) / (d - c), 0.0, 1.0)
    return h * np.minimum(up, down)


def ood_sets(omega: np.ndarray) -> dict[str, np.ndarray]:
    """Out-of-distribution glue functions of seed 001 (Fig. 3d–f and supplement).

    Parameters
    ----------
    omega : ndarray of shape (n_mesh,)
        Boson energies Ω of the glue mesh (meV).

    Returns
    -------
    dict of str -> ndarray of shape (k, n_mesh)
        ``broad_gaussian`` (3), ``square`` (6: heights 0.4/0.8/1.2 × widths 60/150 meV),
        ``trapezoid`` (4), ``triangle`` (4).
    """
    o = np.asarray(omega, dtype=float)
    broad = [h * np.exp(-0.5 * ((o - c) / w) ** 2)
             for c, w, h in ((150.0, 70.0, 0.8), (200.0, 90.0, 0.5), (120.0, 50.0, 1.0))]
    square = [_square(o, c - w / 2, c + w / 2, h)
              for h in (0.4, 0.8, 1.2) for c, w in ((100.0, 60.0), (180.0, 150.0))]
    trap = [_trapezoid(o, *p) for p in ((40, 80, 160, 220, 0.8), (60, 100, 120, 300, 0.5),
                                        (20, 60, 90, 130, 1.2), (100, 180, 250, 330, 0.6))]
    tri = [_trapezoid(o, a, b, b, d, h) for a, b, d, h in ((20, 60, 140, 1.0), (80, 160, 240, 0.8),
                                                           (30, 120, 300, 0.6), (50, 70, 90, 1.2))]
    return {"broad_gaussian": np.array(broad), "square": np.array(square),
            "trapezoid": np.array(trap), "triangle": np.array(tri)}
