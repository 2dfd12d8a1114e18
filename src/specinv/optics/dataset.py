"""Seeded, cached training/validation/test sets of (glue, 1/τ) pairs.

A data set is ``N`` Gaussian-mixture glue functions (:mod:`specinv.optics.glue`),
or glues of the broad prior (:mod:`specinv.optics.prior`),
their scattering rates through the Shulga kernel at the sample's temperature,
and Gaussian noise of standard deviation ``noise × max(1/τ)`` per sample (seed
001). The split is 0.8/0.1/0.1 in a seeded random order. Everything follows
from the parameters, which are hashed into the cache file name; the cache lives
in a user-given directory (never inside the package).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.io.atomic import atomic_path
from specinv.optics.glue import MIXTURE_RANGES, gaussian_mixtures
from specinv.optics.setup import OpticsSetup

SPLIT = (0.8, 0.1, 0.1)
PRIORS = ("mixtures", "broad", "tails", "tails_broad")


@dataclass
class GlueDataset:
    """Glue functions and scattering rates with a fixed split.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    x : ndarray of shape (N, n_glue)
        Glue functions on the setup's mesh.
    y : ndarray of shape (N, n_omega)
        Noisy 1/τ in meV.
    y_clean : ndarray of shape (N, n_omega)
        Noise-free 1/τ in meV.
    temperature : ndarray of shape (N,)
        Temperature of each sample, K.
    split : dict of str -> ndarray of int
        Indices of ``train``, ``val`` and ``test``.
    setup : OpticsSetup
        Grids (ω and Ω in meV) the set was generated on.
    params : dict
        Everything the set was generated from (recorded in results).
    sigma : ndarray of shape (N,), optional
        Relative noise level of each sample (mixed-noise sets); None: ``params["noise"]``
        for every sample.
    """

    x: np.ndarray
    y: np.ndarray
    y_clean: np.ndarray
    temperature: np.ndarray
    split: dict[str, np.ndarray]
    setup: OpticsSetup
    params: dict[str, Any] = field(default_factory=dict)
    sigma: np.ndarray | None = None

    def noise_of(self, name: str) -> np.ndarray:
        """Relative noise level σ of each sample of split ``name``.

        Parameters
        ----------
        name : {"train", "val", "test"}
            Split.

        Returns
        -------
        ndarray of shape (n_split,)
            σ relative to each sample's max 1/τ.
        """
        idx = self.split[name]
        if self.sigma is not None:
            return self.sigma[idx]
        return np.full(idx.size, float(self.params.get("noise", 0.0)))

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, temperature)`` of split ``name`` (train, val, test).

        Parameters
        ----------
        name : {"train", "val", "test"}
            Split.

        Returns
        -------
        x : ndarray of shape (n_split, n_glue)
            Glue functions (dimensionless).
        y : ndarray of shape (n_split, n_omega)
            Noisy 1/τ (meV).
        temperature : ndarray of shape (n_split,)
            Temperatures (K).
        """
        idx = self.split[name]
        return self.x[idx], self.y[idx], self.temperature[idx]

    @property
    def temperatures(self) -> np.ndarray:
        """Distinct temperatures present, K."""
        return np.unique(self.temperature)


def _noise_rng(seed: int, noise: float) -> np.random.Generator:
    return np.random.default_rng([seed, 2, int(round(noise * 1e9))])


def _load_cached(path: Path, setup: OpticsSetup, params: dict) -> GlueDataset:
    """The data set written by :func:`build_dataset` with these ``params``."""
    with np.load(path) as z:
        split = {k: z[f"split_{k}"] for k in ("train", "val", "test")}
        sigma = z["sigma"] if "sigma" in z.files else None
        return GlueDataset(z["x"], z["y"], z["y_clean"], z["temperature"], split, setup,
                           params, sigma)


def _check_size(n: int, noise: float) -> None:
    if n < 10:
        raise ParameterError(f"data set size must be >= 10, got {n}")
    if not noise >= 0:
        raise ParameterError(f"noise must be >= 0, got {noise}")


def _glues(prior: str, mesh: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` training glues on ``mesh`` (meV) from the named prior."""
    if prior not in PRIORS:
        raise ParameterError(f"prior must be one of {PRIORS}, got {prior!r}")
    if prior == "broad":
        from specinv.optics.prior import broad_glues

        return broad_glues(mesh, n, rng)[0]
    if prior == "tails":
        from specinv.optics.prior import tail_glues

        return tail_glues(mesh, n, rng)
    if prior == "tails_broad":
        from specinv.optics.prior import tail_broad_glues

        return tail_broad_glues(mesh, n, rng)
    return gaussian_mixtures(mesh, n, rng)


def build_dataset(n: int, *, noise: float = 0.0, seed: int = 0,
                  temperatures: tuple[float, ...] = (100.0,),
                  setup: OpticsSetup | None = None,
                  cache_dir: str | Path | None = None,
                  noise_levels: tuple[float, ...] | None = None,
                  prior: str = "mixtures") -> GlueDataset:
    """Generate (or load from the cache) a glue data set.

    Parameters
    ----------
    n : int
        Number of samples N (>= 10), split 0.8/0.1/0.1.
    noise : float
        Relative noise σ: each sample's 1/τ gets N(0, (σ max 1/τ)²) noise.
    seed : int
        Seed of glue functions, temperatures, split and noise. The same seed and
        N give the same glue functions for every noise level.
    temperatures : tuple of float
        Temperatures (K) drawn uniformly per sample (one value: fixed T).
    setup : OpticsSetup, optional
        Grids (default :class:`OpticsSetup`).
    cache_dir : str or Path, optional
        Directory for ``optics_<hash>.npz``; reused when present.
    noise_levels : tuple of float, optional
        Mixed noise (training of noise-conditioned models): each sample's σ is drawn
        uniformly from these levels (``noise`` must then be 0) and kept in ``sigma``.
        Glue functions, temperatures and split equal those of the fixed-noise sets.
    prior : {"mixtures", "broad", "tails", "tails_broad"}
        Seed mixtures, or ``broad_glues``, ``tail_glues``, ``tail_broad_glues`` (optics.prior).

    Returns
    -------
    GlueDataset
        Glue functions, clean and noisy 1/τ (meV), temperatures (K) and the split.
    """
    _check_size(n, noise)
    temps = tuple(float(t) for t in temperatures)
    if not temps or any(not t > 0 for t in temps):
        raise ParameterError(f"temperatures must be > 0 K, got {temperatures}")
    levels = None if noise_levels is None else [float(v) for v in noise_levels]
    if levels is not None and (not levels or noise != 0 or any(not v >= 0 for v in levels)):
        raise ParameterError(f"noise_levels must be a non-empty list of σ >= 0 with noise = 0, "
                             f"got {noise_levels} (noise = {noise})")
    setup = setup or OpticsSetup()
    params = {"n": int(n), "noise": float(noise), "seed": int(seed), "temperatures": list(temps),
              "setup": setup.to_dict(), "mixture_ranges": MIXTURE_RANGES, "split": SPLIT,
              "version": 1}
    if levels is not None:  # only then: the fixed-noise sets keep their cache names
        params["noise_levels"] = levels
    if prior != "mixtures":  # likewise (an unknown prior is refused by _glues)
        params["prior"] = prior
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"optics_{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        return _load_cached(path, setup, params)
    rng = np.random.default_rng([seed, 1])
    x = _glues(prior, setup.mesh().points, n, rng)
    temperature = np.asarray(temps)[rng.integers(0, len(temps), size=n)]
    y_clean = np.empty((n, setup.n_omega))
    for t in temps:
        sel = temperature == t
        y_clean[sel] = setup.kernel(t).forward(x[sel])
    order = rng.permutation(n)
    n_train, n_val = int(round(SPLIT[0] * n)), int(round(SPLIT[1] * n))
    split = {"train": np.sort(order[:n_train]), "val": np.sort(order[n_train:n_train + n_val]),
             "test": np.sort(order[n_train + n_val:])}
    sigma = None
    if levels is None:
        y = add_noise(y_clean, noise, _noise_rng(seed, noise))
    else:
        nrng = np.random.default_rng([seed, 3])
        sigma = np.asarray(levels)[nrng.integers(0, len(levels), size=n)]
        y = add_noise(y_clean, sigma, nrng)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {} if sigma is None else {"sigma": sigma}
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, x=x, y=y, y_clean=y_clean, temperature=temperature, **extra,
                     **{f"split_{k}": v for k, v in split.items()})
    return GlueDataset(x, y, y_clean, temperature, split, setup, params, sigma)


def add_noise(y: np.ndarray, noise: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``y + noise · max(y) · N(0, 1)`` per sample (rows of ``y``; ``noise`` scalar or per row).

    Parameters
    ----------
    y : ndarray of shape (..., n_omega)
        Clean scattering rates (meV).
    noise : float or ndarray of shape (...)
        Relative noise level, one value or one per row.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    ndarray of shape (..., n_omega)
        Noisy copy of ``y`` (meV).
    """
    y = np.asarray(y, dtype=float)
    if np.all(np.asarray(noise) == 0):
        return y.copy()
    nz = np.asarray(noise, dtype=float)
    scale = (nz[..., None] if nz.ndim else nz) * np.abs(y).max(axis=-1, keepdims=True)
    return y + scale * rng.standard_normal(y.shape)
