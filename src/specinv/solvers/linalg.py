"""Shared linear algebra for the classical solvers.

Two things every SVD-based solver needs:

- :func:`scaled_svd` — the thin SVD of a row- and column-transformed kernel
  ``K̃ = diag(a) K R`` without a new dense SVD: the kernel's cached SVD is
  truncated at ``rtol · s_max`` (the rest is numerically zero), and the
  product ``(diag(a) U_r S_r)(Rᵀ V_r)ᵀ`` is re-diagonalized through two thin QR
  factorizations and one ``r × r`` SVD. Cost ``O(n r²)`` instead of ``O(n³)``;
  for the seed-000 kernel (n = 1201, r ≈ 110–350) this is 5–20× faster and
  the kernel's SVD is shared by every spectrum measured at that temperature.
- why the solvers run under :func:`specinv.core.threads.compute_threads`
  (option ``blas_threads``): the Newton systems of MaxEnt are small (a few
  hundred); on a 2-core machine shared with other work, multithreaded BLAS on
  such sizes is several times slower than one thread (measured: a 274 × 274
  solve 8.3 ms on 2 threads vs 0.96 ms on 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from specinv.kernels.base import Kernel

#: singular values of K below this fraction of the largest are rounding noise
SVD_RTOL = 1e-14


def scaled_svd(kernel: Kernel, row_scale: np.ndarray,
               right: Callable[[np.ndarray], np.ndarray] | np.ndarray | None = None,
               rtol: float = SVD_RTOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of ``diag(row_scale) · K · R`` from the kernel's cached SVD.

    Parameters
    ----------
    kernel : Kernel
        Kernel with matrix ``K`` of shape (n_data, n_mesh).
    row_scale : ndarray of shape (n_data,)
        Row weights ``a`` (typically ``1/σ``).
    right : ndarray of shape (n_mesh,), callable or None
        Column transform ``R``: a vector means ``diag(right)``; a callable maps
        ``V_r`` of shape (n_mesh, r) to ``Rᵀ V_r`` of the same shape; ``None`` is
        the identity.
    rtol : float
        Singular values of ``K`` below ``rtol · s_max`` are dropped first.

    Returns
    -------
    u : ndarray of shape (n_data, k)
        Left singular vectors (orthonormal columns).
    s : ndarray of shape (k,)
        Decreasing singular values of the transformed kernel.
    vt : ndarray of shape (k, n_mesh)
        Right singular vectors (orthonormal rows).
    """
    u0, s0, vt0 = kernel.svd
    r = max(int(np.count_nonzero(s0 > rtol * s0[0])), 1)
    left = (np.asarray(row_scale, dtype=float)[:, None] * u0[:, :r]) * s0[:r]
    v = vt0[:r].T
    if right is None:
        w = v
    elif callable(right):
        w = np.asarray(right(v), dtype=float)
    else:
        w = np.asarray(right, dtype=float)[:, None] * v
    q1, r1 = np.linalg.qr(left)
    q2, r2 = np.linalg.qr(w)
    um, s, vmt = np.linalg.svd(r1 @ r2.T)
    return q1 @ um, s, vmt @ q2.T
