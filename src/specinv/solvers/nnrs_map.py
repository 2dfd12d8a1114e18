"""NNRS on whole spectroscopic maps: every pixel's network trained in one batch.

All spectra of a grid share one kernel (same bias points, temperature and
lock-in), so the pixels × restarts networks are stacked into one
:class:`~specinv.solvers.nnrs_core.BatchedMLP` and trained together by
:func:`~specinv.solvers.nnrs_core.train_batched` — batched matrix products
instead of a Python loop over spectra. Restart ``e`` of every pixel starts
from the same seed ``(seed, e)`` as a one-spectrum ``solve(..., method="nnrs")``
would, so a pixel's batched answer equals its one-at-a-time answer up to
floating-point summation order.

Large maps are cut into chunks of pixels (:func:`split_chunks`) that run
through :func:`specinv.parallel.map_chunks` (local processes or Dask).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.errors import InputError
from specinv.kernels.base import Kernel
from specinv.noise import estimate_noise
from specinv.solvers.nnrs import combine_members, resolve_options
from specinv.solvers.nnrs_core import train_batched


@dataclass
class MapResult:
    """NNRS spectra of a set of pixels.

    Attributes
    ----------
    dos : ndarray of shape (n_pix, n_mesh)
    dos_std : ndarray of shape (n_pix, n_mesh) or None
        Ensemble spread (``n_ensemble > 1``).
    chi2_reduced : ndarray of shape (n_pix,)
        ``χ²/N`` of ``dos`` with the σ used.
    sigma : ndarray of shape (n_pix,)
        Error bar used per pixel (given or estimated).
    steps : ndarray of shape (n_pix,)
        Mean optimizer steps per restart.
    alive : ndarray of shape (n_pix,)
        Restarts that did not collapse.
    settings : dict
        Effective NNRS settings.
    """

    dos: np.ndarray
    dos_std: np.ndarray | None
    chi2_reduced: np.ndarray
    sigma: np.ndarray
    steps: np.ndarray
    alive: np.ndarray
    settings: dict[str, Any]


def solve_map(kernel: Kernel, didv: np.ndarray, sigma: np.ndarray | float | None = None, *,
              progress: Any = None, **options: Any) -> MapResult:
    """Deconvolve many spectra that share ``kernel`` as one batch of networks.

    Parameters
    ----------
    kernel : Kernel
        Shared forward model (``n_data`` data points, ``n_mesh`` cells).
    didv : ndarray of shape (n_pix, n_data)
        One spectrum per row (not modified).
    sigma : float or ndarray of shape (n_pix,) or (n_pix, n_data), optional
        Error bars; default: :func:`specinv.noise.estimate_noise` of each pixel.
    progress : callable, optional
        Called with the number of optimizer steps done (for a progress bar).
    **options
        ``nnrs`` solver options (``preset``, ``seed``, ``n_ensemble``, ``steps``, ...).

    Returns
    -------
    MapResult
    """
    g = np.array(didv, dtype=float)
    if g.ndim != 2 or g.shape[1] != kernel.data_points.size:
        raise InputError(f"map data must have shape (n_pixels, {kernel.data_points.size}), "
                         f"got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise InputError("map data contain NaN or infinite values")
    n_pix, n_data = g.shape
    if sigma is None:
        s_pix = np.array([estimate_noise(row) for row in g])
        s = np.repeat(s_pix[:, None], n_data, axis=1)
    else:
        s = np.broadcast_to(np.asarray(sigma, float).reshape(
            (n_pix, -1) if np.ndim(sigma) else (1, 1)), (n_pix, n_data)).copy()
        s_pix = np.sqrt(np.mean(s**2, axis=1))
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise InputError("error bars (sigma) must be finite and > 0")
    opts = {k: v for k, v in options.items() if k not in ("threads",)}
    cfg, settings = resolve_options(opts)
    n_ens = settings["n_ensemble"]
    seed = int(opts.get("seed", 0) or 0)
    member_seeds = [(seed, e) for _ in range(n_pix) for e in range(n_ens)]
    out = train_batched(kernel.matrix, np.repeat(g, n_ens, axis=0), np.repeat(s, n_ens, axis=0),
                        kernel.mesh.points, cfg, member_seeds=member_seeds,
                        svd=kernel.svd[:2] if cfg.loss == "precond" else None, progress=progress)
    spectra = out.spectra.reshape(n_pix, n_ens, -1)
    loss = out.loss.reshape(n_pix, n_ens)
    alive = out.alive.reshape(n_pix, n_ens)
    dos, std, _ = combine_members(spectra, loss, alive, settings["select"])
    r = (kernel.forward(dos) - g) / s
    chi2 = np.mean(r * r, axis=1)
    return MapResult(dos=dos, dos_std=std, chi2_reduced=chi2, sigma=s_pix,
                     steps=out.steps.reshape(n_pix, n_ens).mean(axis=1),
                     alive=alive.sum(axis=1), settings=settings)


def split_chunks(n_pix: int, chunk_size: int) -> list[slice]:
    """Contiguous pixel ranges of at most ``chunk_size`` pixels."""
    size = max(1, int(chunk_size))
    return [slice(i, min(i + size, n_pix)) for i in range(0, n_pix, size)]


def solve_chunk(task: tuple[Kernel, np.ndarray, dict[str, Any]]) -> MapResult:
    """Picklable worker for :func:`specinv.parallel.map_chunks`: ``(kernel, didv, options)``."""
    kernel, didv, options = task
    threads = options.get("threads")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    return solve_map(kernel, didv, **{k: v for k, v in options.items() if k != "threads"})
