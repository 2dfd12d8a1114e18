"""Impurity detection in multi-bias STM conductance maps (seed 004).

Modules: :mod:`~specinv.stm.friedel` (training simulator),
:mod:`~specinv.stm.tmatrix` (validation simulator), :mod:`~specinv.stm.model`
(networks), :mod:`~specinv.stm.train` (training), :mod:`~specinv.stm.detector`
(pipeline on real-size maps), :mod:`~specinv.stm.classical` (matched filter),
:mod:`~specinv.stm.scale` (Fourier-ring k_F), :mod:`~specinv.stm.tiling`,
:mod:`~specinv.stm.metrics`, :mod:`~specinv.stm.evaluate`.
"""
