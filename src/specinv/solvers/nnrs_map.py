"""NNRS on whole spectroscopic maps: every pixel's network trained in one batch.

All spectra of a grid share one kernel (same bias points, temperature and
lock-in), so the pixels × restarts networks are stacked into one
:class:`~specinv.solvers.nnrs_net.BatchedMLP` and trained together by
:func:`~specinv.solvers.nnrs_core.train_batched` — batched matrix products
instead of a Python loop over spectra. Restart ``e`` of every pixel starts
from the same seed ``(seed, e)`` as a one-spectrum ``solve(..., method="nnrs")``
would, so a pixel's batched answer equals its one-at-a-time answer up to
floating-point summation order.

Large maps are cut into chunks of pixels (:func:`split_chunks`) that run
through :func:`specinv.core.parallel.map_chunks` (local processes or Dask).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from specinv.core.errors import InputError
from specinv.core.noise import estimate_noise
from specinv.core.threads import compute_threads
from specinv.kernels.base import Kernel
from specinv.solvers.nnrs import combine_members, resolve_options
from specinv.solvers.nnrs_core import TrainOutput, train_batched
from specinv.solvers.nnrs_net import NetConfig

#: maps with at least this many pixels are warm-started (see :func:`solve_map`)
WARM_MIN_PIXELS = 64
#: one parent network trained from scratch per this many pixels
WARM_FRACTION = 16
#: children: learning rate and step budget relative to the preset's first stage
WARM_LR, WARM_STEPS = 0.25, 0.5


@dataclass
class MapResult:
    """NNRS spectra of a set of pixels.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    dos : ndarray of shape (n_pix, n_mesh)
        Recovered spectrum of every pixel (for STS: ρ/N_F on the kernel mesh).
    dos_spread : ndarray of shape (n_pix, n_mesh) or None
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
    dos_spread: np.ndarray | None
    chi2_reduced: np.ndarray
    sigma: np.ndarray
    steps: np.ndarray
    alive: np.ndarray
    settings: dict[str, Any]


def solve_map(kernel: Kernel, didv: np.ndarray, sigma: np.ndarray | float | None = None, *,
              progress: Any = None, warm_start: bool | None = None, **options: Any
              ) -> MapResult:
    """Deconvolve many spectra that share ``kernel`` as one batch of networks.

    Parameters
    ----------
    kernel : Kernel
        Shared forward model (``n_data`` data points, ``n_mesh`` cells).
    didv : ndarray of shape (n_pix, n_data)
        One spectrum per row (not modified).
    sigma : float or ndarray of shape (n_pix,) or (n_pix, n_data), optional
        Error bars; default: :func:`specinv.core.noise.estimate_noise` of each pixel.
    progress : callable, optional
        Called with the number of optimizer steps done (for a progress bar).
    warm_start : bool, optional
        Train one pixel in ``WARM_FRACTION`` (farthest-point sample in whitened data
        space) from scratch, then start every other pixel from the network of its
        nearest such parent with a shorter, gentler schedule (``WARM_LR``,
        ``WARM_STEPS``). Default: on for maps of ``WARM_MIN_PIXELS`` pixels or more.
        Off, every pixel's answer equals its one-at-a-time ``solve`` answer.
    **options
        ``nnrs`` solver options (``preset``, ``seed``, ``n_ensemble``, ``steps``, ...).

    Returns
    -------
    MapResult
        Spectrum, spread, χ²/N, σ and steps of every pixel.
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
    # no L-BFGS polish by default on maps: its line search is shared by the whole batch,
    # so a pixel's answer would depend on the chunk it was solved in
    options = {**options, "lbfgs_steps": options.get("lbfgs_steps") or 0}
    cfg, settings = resolve_options(options)
    n_ens = settings["n_ensemble"]
    seed = int(options.get("seed", 0) or 0)
    if warm_start is None:
        warm_start = n_pix >= WARM_MIN_PIXELS
    settings["warm_start"] = bool(warm_start)
    with compute_threads(settings["threads"]):
        svd = kernel.svd if cfg.loss != "sse" else None

        def train(rows: np.ndarray, init: list[np.ndarray] | None, c: NetConfig) -> TrainOutput:
            return train_batched(kernel.matrix, np.repeat(g[rows], n_ens, axis=0),
                                 np.repeat(s[rows], n_ens, axis=0), kernel.mesh.points, c,
                                 member_seeds=[(seed, e) for _ in rows for e in range(n_ens)],
                                 svd=svd, progress=progress, init_params=init)

        if not warm_start:
            out = train(np.arange(n_pix), None, cfg)
            spectra, loss = out.spectra, out.loss
            alive, steps = out.alive, out.steps
        else:
            spectra, loss, alive, steps = _warm_started(train, g / s_pix[:, None], cfg, n_ens)
    spectra = spectra.reshape(n_pix, n_ens, -1)
    alive = alive.reshape(n_pix, n_ens)
    dos, std, _ = combine_members(spectra, loss.reshape(n_pix, n_ens), alive, settings["select"])
    r = (kernel.forward(dos) - g) / s
    chi2 = np.mean(r * r, axis=1)
    return MapResult(dos=dos, dos_spread=std, chi2_reduced=chi2, sigma=s_pix,
                     steps=steps.reshape(n_pix, n_ens).mean(axis=1),
                     alive=alive.sum(axis=1), settings=settings)


def pick_parents(white: np.ndarray, n_parents: int) -> tuple[np.ndarray, np.ndarray]:
    """Farthest-point sample of pixels in (noise-whitened) data space.

    Parameters
    ----------
    white : ndarray of shape (n_pix, n_data)
        Data of every pixel divided by its error bars.
    n_parents : int
        Pixels to pick (at most ``n_pix``).

    Returns
    -------
    parents : ndarray of int, shape (n_parents,)
        Indices of the chosen pixels, the most central one first.
    nearest : ndarray of int, shape (n_pix,)
        Index into ``parents`` of every pixel's nearest parent.
    """
    n_pix = white.shape[0]
    first = int(np.argmin(np.sum((white - white.mean(axis=0)) ** 2, axis=1)))
    chosen = [first]
    d2 = np.sum((white - white[first]) ** 2, axis=1)
    nearest = np.zeros(n_pix, dtype=int)
    for k in range(1, min(n_parents, n_pix)):
        nxt = int(np.argmax(d2))
        chosen.append(nxt)
        dn = np.sum((white - white[nxt]) ** 2, axis=1)
        closer = dn < d2
        nearest[closer] = k
        d2 = np.minimum(d2, dn)
    return np.array(chosen), nearest


def _warm_started(train: Any, white: np.ndarray, cfg: NetConfig, n_ens: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train ``1/WARM_FRACTION`` parents from scratch, then every other pixel from the
    network of its nearest parent (in data space) with a short, gentle schedule."""
    n_pix = white.shape[0]
    parents, nearest = pick_parents(white, max(1, int(np.ceil(n_pix / WARM_FRACTION))))
    p_out = train(parents, None, cfg)
    children = np.setdiff1d(np.arange(n_pix), parents)
    pe = (nearest[children][:, None] * n_ens + np.arange(n_ens)[None, :]).ravel()
    init = [a[pe] for a in p_out.params]
    lr0, n0 = cfg.stages[0]
    c_cfg = replace(cfg, stages=((lr0 * WARM_LR, max(1, int(n0 * WARM_STEPS))),))
    c_out = train(children, init, c_cfg)
    n_mesh = p_out.spectra.shape[1]
    spectra = np.zeros((n_pix, n_ens, n_mesh))
    loss, steps = np.zeros((n_pix, n_ens)), np.zeros((n_pix, n_ens))
    alive = np.zeros((n_pix, n_ens), dtype=bool)
    for rows, o in ((parents, p_out), (children, c_out)):
        spectra[rows] = o.spectra.reshape(rows.size, n_ens, -1)
        loss[rows] = o.loss.reshape(rows.size, n_ens)
        steps[rows] = o.steps.reshape(rows.size, n_ens)
        alive[rows] = o.alive.reshape(rows.size, n_ens)
    return spectra.reshape(n_pix * n_ens, -1), loss.ravel(), alive.ravel(), steps.ravel()


def split_chunks(n_pix: int, chunk_size: int) -> list[slice]:
    """Contiguous pixel ranges of at most ``chunk_size`` pixels.

    Parameters
    ----------
    n_pix : int
        Number of pixels.
    chunk_size : int
        Most pixels per chunk (at least 1 is used).

    Returns
    -------
    list of slice
        Ranges covering ``0 .. n_pix − 1`` in order.
    """
    size = max(1, int(chunk_size))
    return [slice(i, min(i + size, n_pix)) for i in range(0, n_pix, size)]


def solve_chunk(task: tuple[Kernel, np.ndarray, dict[str, Any]]) -> MapResult:
    """Picklable worker for :func:`~specinv.core.parallel.map_chunks`.

    Parameters
    ----------
    task : (Kernel, ndarray of shape (n_pix, n_data), dict)
        Kernel, dI/dV of the chunk's pixels and the keyword options of :func:`solve_map`.

    Returns
    -------
    MapResult
        The chunk's spectra.
    """
    kernel, didv, options = task
    return solve_map(kernel, didv, **options)
