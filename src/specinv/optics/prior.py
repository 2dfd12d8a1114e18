"""Broad training prior of glue functions I²χ(Ω): the shapes fitted to real metals.

Seed 001 trains on 1–4 Gaussians only; a network trained there misses the glues
physicists actually fit to cuprates and other correlated metals (issue 27). Each
draw of :func:`broad_glues` picks one family with equal probability:

- ``mixture``: the seed's Gaussian mixtures (:func:`~specinv.optics.glue.gaussian_mixtures`);
- ``mmp``: a spin-fluctuation continuum Ωω_sf/(Ω² + ω_sf²) (Millis, Monien and Pines),
  ω_sf 5–80 meV, cut off smoothly (edge 3–20 meV wide) at 120–400 meV;
- ``mode_continuum``: a resonance mode (20–90 meV, width 3–12 meV) 1–6 times
  taller than an MMP continuum;
- ``multi_peak``: 2–5 phonon-like Gaussian peaks at 8–250 meV, widths 3–15 meV;
- ``histogram``: a flat band between Ω₁ = 5–60 meV and Ω₂ = 100–390 meV
  (edges 2–10 meV wide);
- ``gapped``: an MMP continuum that sets in at a gap Ω_g = 15–90 meV (onset
  2–6 meV wide), with a mode at the edge in half the draws.

Peak heights are log-uniform in 0.2–5 (the glue is dimensionless, I²χ ≲ a few in
cuprates). The families used to *test* generalization are written elsewhere
(:mod:`specinv.optics.families`), from other parameter ranges and shapes.

:func:`tail_glues` is the seed's prior with one change: every glue of the seed's
Gaussian mixtures vanishes towards Ω = 400 meV, so a network trained there answers
"nothing at the top of the window" with certainty, also where the data barely see the
top. There, a share of the mixtures (:data:`TAIL_SHARE`) carries a continuum that
persists to the end of the window (:data:`TAIL_RANGES`).
"""

from __future__ import annotations

import numpy as np

from specinv.optics.glue import gaussian_mixtures

FAMILIES = ("mixture", "mmp", "mode_continuum", "multi_peak", "histogram", "gapped")
#: peak height of a drawn glue: log-uniform in this range
HEIGHTS = (0.2, 5.0)


def _edge(o: np.ndarray, at: float, width: float) -> np.ndarray:
    """Smooth step from 0 (Ω ≪ at) to 1 (Ω ≫ at) of the given width (meV)."""
    return 0.5 * (1.0 + np.tanh((o - at) / width))


def _mmp(o: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    wsf = rng.uniform(5.0, 80.0)
    cont = o * wsf / (o**2 + wsf**2)
    return cont * (1.0 - _edge(o, rng.uniform(120.0, 400.0), rng.uniform(3.0, 20.0)))


def _gauss(o: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-(((o - centre) / width) ** 2))


def _draw(o: np.ndarray, family: str, rng: np.random.Generator) -> np.ndarray:
    """One unnormalized glue of ``family`` on the mesh ``o`` (meV)."""
    if family == "mmp":
        return _mmp(o, rng)
    if family == "mode_continuum":
        cont = _mmp(o, rng)
        return cont / cont.max() + rng.uniform(1.0, 6.0) * _gauss(
            o, rng.uniform(20.0, 90.0), rng.uniform(3.0, 12.0))
    if family == "multi_peak":
        k = rng.integers(2, 6)
        return sum(rng.uniform(0.2, 1.0) * _gauss(o, rng.uniform(8.0, 250.0),
                                                  rng.uniform(3.0, 15.0)) for _ in range(k))
    if family == "histogram":
        w = rng.uniform(2.0, 10.0)
        return _edge(o, rng.uniform(5.0, 60.0), w) * (1.0 - _edge(o, rng.uniform(100.0, 390.0), w))
    if family == "gapped":
        gap = rng.uniform(15.0, 90.0)
        g = _mmp(o, rng) * _edge(o, gap, rng.uniform(2.0, 6.0))
        g = g / g.max()
        if rng.random() < 0.5:
            g = g + rng.uniform(0.5, 3.0) * _gauss(o, gap + rng.uniform(0.0, 10.0),
                                                   rng.uniform(3.0, 8.0))
        return g
    raise ValueError(f"unknown glue family {family!r}")


#: share of :func:`tail_glues` draws that carry a persistent continuum
TAIL_SHARE = 1.0 / 3.0
#: ranges of the continuum ``h e^{−Ω/L} edge(Ω; Ω_on, w)`` of :func:`tail_glues`: onset Ω_on
#: and edge width w uniform (meV), decay length L log-uniform (meV), and its height h at
#: Ω = 400 meV, uniform, relative to the maximum of the mixture it is added to
TAIL_RANGES: dict[str, tuple[float, float]] = {
    "onset_meV": (10.0, 150.0),
    "edge_width_meV": (5.0, 30.0),
    "decay_length_meV": (150.0, 2000.0),
    "height_at_400_meV": (0.05, 0.6),
}


def tail_glues(omega: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` glues of the seed's prior, a share of them with a continuum to 400 meV.

    Parameters
    ----------
    omega : ndarray of shape (n_glue,)
        Boson energies Ω (meV).
    n : int
        Number of glues.
    rng : numpy.random.Generator
        Source of every choice.

    Returns
    -------
    ndarray of shape (n, n_glue)
        Non-negative glues; each maximum in the seed's range (0.2–1.5).
    """
    o = np.asarray(omega, dtype=float)
    x = gaussian_mixtures(o, n, rng)
    top = x.max(axis=1)
    r = TAIL_RANGES
    for i in np.flatnonzero(rng.random(n) < TAIL_SHARE):
        shape = _edge(o, rng.uniform(*r["onset_meV"]), rng.uniform(*r["edge_width_meV"]))
        shape = shape * np.exp(-o / np.exp(rng.uniform(*np.log(r["decay_length_meV"]))))
        g = x[i] + rng.uniform(*r["height_at_400_meV"]) * top[i] * shape / np.interp(400.0, o,
                                                                                     shape)
        x[i] = g * top[i] / g.max()
    return x


def broad_glues(omega: np.ndarray, n: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` glues of the broad prior on the mesh ``omega`` and the family of each.

    Parameters
    ----------
    omega : ndarray of shape (n_glue,)
        Boson energies Ω (meV).
    n : int
        Number of glues.
    rng : numpy.random.Generator
        Source of every choice.

    Returns
    -------
    glues : ndarray of shape (n, n_glue)
        Non-negative glue functions (dimensionless), peak heights in :data:`HEIGHTS`.
    families : ndarray of shape (n,), int
        Index of each glue's family in :data:`FAMILIES`.
    """
    o = np.asarray(omega, dtype=float)
    fam = rng.integers(0, len(FAMILIES), size=n)
    out = np.empty((n, o.size))
    for i, f in enumerate(fam):
        if FAMILIES[f] == "mixture":
            out[i] = gaussian_mixtures(o, 1, rng)[0]
            continue
        g = np.clip(_draw(o, FAMILIES[f], rng), 0.0, None)
        out[i] = g / g.max() * np.exp(rng.uniform(*np.log(HEIGHTS)))
    return out, fam


#: share of :func:`tail_broad_glues` draws taken from :func:`broad_glues`
BROAD_SHARE = 1.0 / 3.0


def tail_broad_glues(omega: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` glues: :data:`BROAD_SHARE` of them from the broad prior, the rest from the tail prior.

    Parameters
    ----------
    omega : ndarray of shape (n_glue,)
        Boson energies Ω (meV).
    n : int
        Number of glues.
    rng : numpy.random.Generator
        Source of every choice.

    Returns
    -------
    ndarray of shape (n, n_glue)
        Non-negative glues in a random order (:func:`tail_glues` and :func:`broad_glues`).
    """
    n_broad = int(round(BROAD_SHARE * n))
    x = np.concatenate([tail_glues(omega, n - n_broad, rng), broad_glues(omega, n_broad, rng)[0]])
    return x[rng.permutation(n)]
