"""Impurity detection in multi-bias STM conductance maps (seed 004).

Modules: :mod:`~specinv.imaging.friedel` (training simulator),
:mod:`~specinv.imaging.tmatrix` (validation simulator), :mod:`~specinv.imaging.model`
(networks), :mod:`~specinv.imaging.train` (training), :mod:`~specinv.imaging.detector`
(pipeline on real-size maps), :mod:`~specinv.imaging.classical` (matched filter),
:mod:`~specinv.imaging.scale` (Fourier-ring k_F), :mod:`~specinv.imaging.tiling`,
:mod:`~specinv.imaging.metrics`, :mod:`~specinv.imaging.evaluate`.
"""

from specinv.imaging.detector import Detection, Detector, load_default
from specinv.imaging.friedel import FriedelConfig, friedel_maps
from specinv.imaging.metrics import detection_scores, match_points
from specinv.imaging.tmatrix import TMatrixConfig, simulate_tmatrix

__all__ = ["Detection", "Detector", "FriedelConfig", "TMatrixConfig", "detection_scores",
           "friedel_maps", "load_default", "match_points", "simulate_tmatrix"]
