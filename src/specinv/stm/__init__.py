"""Impurity detection in multi-bias STM conductance maps (seed 004).

Modules: :mod:`~specinv.stm.friedel` (training simulator),
:mod:`~specinv.stm.tmatrix` (validation simulator), :mod:`~specinv.stm.model`
(networks), :mod:`~specinv.stm.train` (training), :mod:`~specinv.stm.detector`
(pipeline on real-size maps), :mod:`~specinv.stm.classical` (matched filter),
:mod:`~specinv.stm.scale` (Fourier-ring k_F), :mod:`~specinv.stm.tiling`,
:mod:`~specinv.stm.metrics`, :mod:`~specinv.stm.evaluate`.
"""

from specinv.stm.detector import Detection, Detector, load_default
from specinv.stm.friedel import FriedelConfig, friedel_maps
from specinv.stm.metrics import detection_scores, match_points
from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix

__all__ = ["Detection", "Detector", "FriedelConfig", "TMatrixConfig", "detection_scores",
           "friedel_maps", "load_default", "match_points", "simulate_tmatrix"]
