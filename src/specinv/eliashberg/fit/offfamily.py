"""α²F shapes no bench family draws, for the out-of-family check of the gap fit.

Written apart from :mod:`~specinv.eliashberg.fit.families` (and from the training
generators), fixed rather than random, and never used to choose a setting of the fit:

``two_einstein``
    two Einstein-like peaks of unequal width and weight: a narrow one at 6 meV
    (σ 0.25 meV, narrower than the basis's knot spacing on the data's whole range) and a
    broad one at 19 meV (σ 3 meV), λ = 1.0;
``debye_cut``
    a pure Debye law α²F ∝ Ω² cut sharply at Ω_D = 22 meV (a step the hat basis can only
    approximate), λ = 0.9.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from specinv.eliashberg.engine.a2f import A2F, gaussian_a2f


def two_einstein() -> A2F:
    """Narrow and broad Einstein-like peaks (see the module docstring).

    Returns
    -------
    A2F
        The spectrum on 0 … 35 meV (0.02 meV steps).
    """
    w = np.linspace(0.0, 35.0, 1751)
    return gaussian_a2f(w, (6.0, 19.0), (0.25, 3.0), (1.0, 0.35), lam=1.0)


def debye_cut() -> A2F:
    """Debye Ω² law with a sharp cut at 22 meV (see the module docstring).

    Returns
    -------
    A2F
        The spectrum on 0 … 30 meV (0.02 meV steps).
    """
    w = np.linspace(0.0, 30.0, 1501)
    return A2F.from_table(w, np.where(w <= 22.0, (w / 22.0) ** 2, 0.0),
                          source="Debye cut").scaled_to_lambda(0.9)


SHAPES: dict[str, Callable[[], A2F]] = {"two_einstein": two_einstein, "debye_cut": debye_cut}
