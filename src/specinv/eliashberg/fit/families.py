"""Held-out α²F families for the bench of the gap and dI/dV fits.

Written apart from the training generators (:mod:`specinv.eliashberg.engine.generators`,
which draw the seed's Gaussian mixtures below 10 meV and its GBM recipe) and drawn
from their own seeds, so no bench spectrum is a training spectrum:

``simple``
    the seed's recipe (1–3 Gaussians, σ 0.2–1 meV, below 10 meV) from the engine's
    generator with a seed the training sets never use: the in-distribution reference;
``acoustic``
    a Debye ω² continuum up to Ω_D ∈ [8, 30] meV plus one or two optic Gaussians
    between Ω_D and 40 meV (A15/elemental-like, outside the network's 10 meV range);
``random_walk``
    exp of a smoothed random walk on [0, Ω_c], Ω_c ∈ [6, 30] meV, vanishing as Ω² at 0;
``lorentzian``
    2–4 Lorentzians (half widths 0.5–3 meV) at 2–35 meV, cut at the last centre + 5 meV.

Each is scaled to λ ∈ [0.6, 1.6].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d

from specinv.eliashberg.engine.a2f import A2F
from specinv.eliashberg.engine.generators import gaussian_mixture_a2f

#: seed offset of every bench draw (the training sets use seeds < 1000)
SEED_OFFSET = 28_000
LAMBDA_RANGE = (0.6, 1.6)


def _finish(w: np.ndarray, f: np.ndarray, rng: np.random.Generator, name: str) -> A2F:
    f = np.clip(f, 0.0, None)
    f[0] = 0.0
    return A2F.from_table(w, f / f.max(), source=name).scaled_to_lambda(
        float(rng.uniform(*LAMBDA_RANGE)))


def simple(rng: np.random.Generator) -> A2F:
    """The seed's simple recipe (engine generator, held-out seed).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    A2F
        1–3 Gaussians below 10 meV.
    """
    return gaussian_mixture_a2f(rng, lambda_range=(0.8, 2.5))[0]


def acoustic(rng: np.random.Generator) -> A2F:
    """Debye ω² continuum plus optic peaks (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    A2F
        The spectrum on 0 … 45 meV.
    """
    w = np.linspace(0.0, 45.0, 901)
    wd = rng.uniform(8.0, 30.0)
    f = 0.5 * (w / wd) ** 2 * (w <= wd)
    for _ in range(int(rng.integers(1, 3))):
        c = rng.uniform(wd, min(wd + 12.0, 40.0))
        f += rng.uniform(0.3, 1.0) * np.exp(-0.5 * ((w - c) / rng.uniform(0.8, 2.0)) ** 2)
    return _finish(w, f * (w <= 42.0), rng, "acoustic + optic α²F")


def random_walk(rng: np.random.Generator) -> A2F:
    """exp(smoothed random walk), Ω² onset, cut at Ω_c (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    A2F
        The spectrum on 0 … 35 meV.
    """
    w = np.linspace(0.0, 35.0, 701)
    wc = rng.uniform(6.0, 30.0)
    walk = gaussian_filter1d(np.cumsum(rng.normal(0.0, 0.35, w.size)), 8.0)
    f = np.exp(walk - walk.max()) * np.clip(w / (0.25 * wc), 0.0, 1.0) ** 2 * (w <= wc)
    return _finish(w, f, rng, "random-walk α²F")


def lorentzian(rng: np.random.Generator) -> A2F:
    """2–4 Lorentzians, cut 5 meV above the last centre (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    A2F
        The spectrum on 0 … 45 meV.
    """
    w = np.linspace(0.0, 45.0, 901)
    centres = np.sort(rng.uniform(2.0, 35.0, int(rng.integers(2, 5))))
    f = np.zeros_like(w)
    for c in centres:
        g = rng.uniform(0.5, 3.0)
        f += rng.uniform(0.3, 1.0) * g ** 2 / ((w - c) ** 2 + g ** 2)
    f *= np.clip(w / 1.5, 0.0, 1.0) ** 2 * (w <= centres[-1] + 5.0)
    return _finish(w, f, rng, "Lorentzian α²F")


FAMILIES: dict[str, Callable[[np.random.Generator], A2F]] = {
    "simple": simple, "acoustic": acoustic, "random_walk": random_walk,
    "lorentzian": lorentzian}


def draw(family: str, index: int) -> A2F:
    """Bench sample ``index`` of ``family`` (seeded, reproducible).

    Parameters
    ----------
    family : str
        A key of :data:`FAMILIES`.
    index : int
        Sample number.

    Returns
    -------
    A2F
        The spectrum.
    """
    k = list(FAMILIES).index(family)
    return FAMILIES[family](np.random.default_rng(SEED_OFFSET + 1000 * k + index))
