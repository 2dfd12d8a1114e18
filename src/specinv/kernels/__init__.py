"""Kernel layer: linear forward models with quadrature weights folded in."""

from specinv.core.mesh import Mesh
from specinv.kernels.base import Kernel
from specinv.kernels.sts import STSKernel

__all__ = ["Kernel", "Mesh", "STSKernel"]
