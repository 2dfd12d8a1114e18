"""Imaginary-time current correlations → optical conductivity (seed 003).

Modules: :mod:`~specinv.ac.conductivity.drude` (exact Λ of Drude terms),
:mod:`~specinv.ac.conductivity.data` (the seed's data sets), :mod:`~.models`,
:mod:`~.train` (Losses 1–3), :mod:`~.refine` (physics refinement),
:mod:`~.evaluate` (fractional error, usable fraction), :mod:`~.pretrained`.
"""
