"""Test families of glue functions, written apart from every training generator.

Five members per family, drawn with a fixed seed from shapes and parameter ranges
that neither the seed's Gaussian mixtures (:mod:`specinv.optics.glue`) nor the broad
prior (:mod:`specinv.optics.prior`) use: Lorentzian instead of Gaussian peaks,
sharp instead of smooth edges, linear ramps and square-root onsets:

- ``MMP continuum``: Ωω_sf/(Ω² + ω_sf²), ω_sf 20–60 meV, ramped linearly to 0
  between 0.8 Ω_c and Ω_c = 250–350 meV, peak 0.4–2.5;
- ``mode+continuum``: a Lorentzian mode (30–60 meV, half-width 3–8 meV, peak 1.5–3.5)
  on a continuum rising linearly to 0.5 at 150 meV, cut off at 300 meV;
- ``multi-peak``: 3–4 Lorentzian peaks at 15–200 meV, half-widths 4–12 meV, peaks 0.3–1.5;
- ``flat band``: a flat glue 0.2–1.2 with sharp edges at 20–50 and 150–330 meV;
- ``gapped``: √(Ω − Ω_g) above a gap Ω_g = 20–70 meV, times e^{−Ω/150 meV}, peak 0.5–2;
- ``in-prior mixture``: Gaussian mixtures drawn by the seed's own generator (control).
"""

from __future__ import annotations

import numpy as np

from specinv.optics.glue import gaussian_mixtures

MEMBERS = 5
SEED = 20261207
NAMES = ("MMP continuum", "mode+continuum", "multi-peak", "flat band", "gapped",
         "in-prior mixture")


def _lorentz(o: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    return half_width**2 / ((o - centre) ** 2 + half_width**2)


def _member(o: np.ndarray, name: str, rng: np.random.Generator) -> np.ndarray:
    """One glue of family ``name`` on the mesh ``o`` (meV)."""
    if name == "MMP continuum":
        wsf, wc = rng.uniform(20.0, 60.0), rng.uniform(250.0, 350.0)
        g = o * wsf / (o**2 + wsf**2) * np.clip((wc - o) / (0.2 * wc), 0.0, 1.0)
        return rng.uniform(0.4, 2.5) * g / g.max()
    if name == "mode+continuum":
        cont = 0.5 * np.clip(o / 150.0, 0.0, 1.0) * (o < 300.0)
        return cont + rng.uniform(1.5, 3.5) * _lorentz(o, rng.uniform(30.0, 60.0),
                                                       rng.uniform(3.0, 8.0))
    if name == "multi-peak":
        return sum(rng.uniform(0.3, 1.5) * _lorentz(o, rng.uniform(15.0, 200.0),
                                                    rng.uniform(4.0, 12.0))
                   for _ in range(rng.integers(3, 5)))
    if name == "flat band":
        lo, hi = rng.uniform(20.0, 50.0), rng.uniform(150.0, 330.0)
        return rng.uniform(0.2, 1.2) * ((o > lo) & (o < hi))
    if name == "gapped":
        g = np.sqrt(np.clip(o - rng.uniform(20.0, 70.0), 0.0, None)) * np.exp(-o / 150.0)
        return rng.uniform(0.5, 2.0) * g / g.max()
    if name == "in-prior mixture":
        return gaussian_mixtures(o, 1, rng)[0]
    raise ValueError(f"unknown test family {name!r}")


def family_glues(omega: np.ndarray, members: int = MEMBERS) -> dict[str, np.ndarray]:
    """``members`` glues of every family on the mesh ``omega`` (seeded, reproducible).

    Parameters
    ----------
    omega : ndarray of shape (n_glue,)
        Boson energies Ω (meV).
    members : int
        Glues per family (the first ``members`` of the fixed seeded sequence).

    Returns
    -------
    dict of str to ndarray of shape (members, n_glue)
        Non-negative glues I²χ(Ω) per family name.
    """
    o = np.asarray(omega, dtype=float)
    out = {}
    for i, name in enumerate(NAMES):
        rng = np.random.default_rng([SEED, i])
        out[name] = np.array([_member(o, name, rng) for _ in range(members)])
    return out
