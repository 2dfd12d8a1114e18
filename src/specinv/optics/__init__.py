"""Optical scattering rate 1/τ(ω) → electron-boson glue I²χ(Ω) (seed 001).

Modules: :mod:`~specinv.optics.glue` and :mod:`~specinv.optics.dataset` (training
glues and data sets), :mod:`~specinv.optics.models` (FCN, CNN, rRIM),
:mod:`~specinv.optics.config` (model options), :mod:`~specinv.optics.train`,
:mod:`~specinv.optics.trained` (a trained model and its weights file),
:mod:`~specinv.optics.fast` (batched inference),
:mod:`~specinv.optics.solvers` (the registered learned solvers) with
:mod:`~specinv.optics.inputs` (noise level, grid and temperature of their input),
:mod:`~specinv.optics.allen` (the classical second-derivative formula),
:mod:`~specinv.optics.plots`, :mod:`~specinv.optics.cli`, :mod:`~specinv.optics.bench`.
"""
