"""Square, invertible regularization operators for Tikhonov's standard form.

``‖L f‖²`` penalises size (identity) or roughness (first/second derivative in
ω, divided by the local spacing). Derivative operators are rectangular; they
are completed to lower-triangular square matrices by rows
``c · (boundary values)`` with a tiny ``c``, so ``K L⁻¹`` can be formed and
Tikhonov reduced to filter factors of one SVD. The added rows put a negligible
penalty ``λ c² f₀²`` on the first value(s).
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh

REGULARIZERS = ("identity", "d1", "d2")

#: weight of the completing rows relative to the derivative rows
_BOUNDARY = 1e-3


def regularization_matrix(kind: str, mesh: Mesh) -> np.ndarray:
    """Square lower-triangular operator, shape (n_mesh, n_mesh).

    Parameters
    ----------
    kind : {"identity", "d1", "d2"}
        Size, first-derivative or second-derivative penalty.
    mesh : Mesh
        Mesh of the spectrum (spacings enter the derivatives).

    Returns
    -------
    ndarray of shape (n_mesh, n_mesh)
        ``L`` such that the penalty is ``‖L f‖²``.
    """
    n = mesh.size
    x = mesh.points
    scale = np.sqrt(np.mean(mesh.weights))
    if kind == "identity":
        return np.eye(n)
    if kind == "d1":
        h = np.diff(x)
        mat = np.zeros((n, n))
        mat[0, 0] = _BOUNDARY / scale
        i = np.arange(1, n)
        mat[i, i] = 1.0 / h
        mat[i, i - 1] = -1.0 / h
        return mat * scale
    if kind == "d2":
        mat = np.zeros((n, n))
        mat[0, 0] = _BOUNDARY / scale**2
        mat[1, 0], mat[1, 1] = -_BOUNDARY / scale**2, _BOUNDARY / scale**2
        i = np.arange(2, n)
        h1 = x[i - 1] - x[i - 2]
        h2 = x[i] - x[i - 1]
        mat[i, i - 2] = 2.0 / (h1 * (h1 + h2))
        mat[i, i - 1] = -2.0 / (h1 * h2)
        mat[i, i] = 2.0 / (h2 * (h1 + h2))
        return mat * scale**2
    raise ParameterError(f"unknown regularizer {kind!r}; valid: {', '.join(REGULARIZERS)}")
