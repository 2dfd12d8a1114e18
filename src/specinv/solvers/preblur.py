"""Preblur (Kraberger et al., Phys. Rev. B 96, 155128 (2017)): MaxEnt of a hidden image.

The spectrum is written ``A = B h`` with ``B`` a Gaussian blur of width ``b`` on the
real-frequency mesh, and MaxEnt solves for the hidden image ``h`` with the kernel
``K B`` and the entropy of ``h``. Sharp structure of ``h`` the data cannot support is
smoothed in ``A`` without being penalized by the entropy; ``b = 0`` is plain MaxEnt
(TRIQS/maxent's ``PreblurKernel``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.base import Kernel


def blur_matrix(mesh: Mesh, width: float) -> np.ndarray:
    """Gaussian blur ``B`` on a mesh, normalized so that ``∫ B h = ∫ h``.

    ``B[j, k] = G(ω_j − ω_k) w_k / Σ_i G(ω_i − ω_k) w_i`` with ``G`` a Gaussian of standard
    deviation ``width`` and ``w`` the cell widths: each column keeps the weight of its
    cell inside the window.

    Parameters
    ----------
    mesh : Mesh
        Real-frequency mesh (``n_mesh`` cells).
    width : float
        Standard deviation of the Gaussian, in the mesh's energy unit (> 0).

    Returns
    -------
    ndarray of shape (n_mesh, n_mesh)
        ``A = B @ h`` for cell values ``h``.
    """
    if not np.isfinite(width) or width <= 0:
        raise ParameterError(f"preblur width must be > 0 (energy unit of the mesh), got {width}")
    w, x = mesh.weights, mesh.points
    g = np.exp(-0.5 * ((x[:, None] - x[None, :]) / width) ** 2)
    return g * w[None, :] / (w @ g)[None, :]


class BlurredKernel(Kernel):
    """``K B``: a kernel acting on the hidden image of a preblurred spectrum.

    Parameters
    ----------
    base : Kernel
        The kernel of the data.
    blur : ndarray of shape (n_mesh, n_mesh)
        Blur matrix (:func:`blur_matrix`).
    """

    def __init__(self, base: Kernel, blur: np.ndarray) -> None:
        super().__init__(base.data_points, base.mesh)
        self.base, self.blur = base, blur
        self.positive_spectrum = base.positive_spectrum

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        """``K_base B`` (``x`` are the base's data points)."""
        return self.base.matrix @ self.blur

    def parameters(self) -> dict[str, Any]:
        """The base kernel's parameters.

        Returns
        -------
        dict
            ``base_kernel`` and the base's :meth:`~specinv.kernels.base.Kernel.parameters`.
        """
        return {"base_kernel": type(self.base).__name__, **self.base.parameters()}


def hidden_problem(problem: Problem, width: float) -> tuple[Problem, np.ndarray | None]:
    """The problem of the hidden image, and the blur that maps it to the spectrum.

    Parameters
    ----------
    problem : Problem
        The problem to solve.
    width : float
        Blur width ``b`` in the mesh's energy unit; 0 leaves the problem unchanged.

    Returns
    -------
    problem : Problem
        ``problem`` with the kernel ``K B`` (default model unchanged), or ``problem``.
    blur : ndarray of shape (n_mesh, n_mesh) or None
        ``B`` (None for ``width == 0``).
    """
    if float(width) == 0.0:
        return problem, None
    b = blur_matrix(problem.kernel.mesh, float(width))
    return replace(problem, kernel=BlurredKernel(problem.kernel, b)), b
