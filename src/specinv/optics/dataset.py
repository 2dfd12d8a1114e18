"""Seeded, cached training/validation/test sets of (glue, 1/τ) pairs.

A data set is ``N`` Gaussian-mixture glue functions (:mod:`specinv.optics.glue`),
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

from specinv.errors import ParameterError
from specinv.io.atomic import atomic_path
from specinv.optics.glue import MIXTURE_RANGES, gaussian_mixtures
from specinv.optics.setup import OpticsSetup

SPLIT = (0.8, 0.1, 0.1)


@dataclass
class GlueDataset:
    """Glue functions and scattering rates with a fixed split.

    Attributes
    ----------
    x : ndarray of shape (N, n_glue)
        Glue functions on the setup's mesh.
    y : ndarray of shape (N, n_omega)
        Noisy 1/τ in meV.
    y_clean : ndarray of shape (N, n_omega)
    temperature : ndarray of shape (N,)
        Temperature of each sample, K.
    split : dict of str -> ndarray of int
        Indices of ``train``, ``val`` and ``test``.
    setup : OpticsSetup
    params : dict
        Everything the set was generated from (recorded in results).
    """

    x: np.ndarray
    y: np.ndarray
    y_clean: np.ndarray
    temperature: np.ndarray
    split: dict[str, np.ndarray]
    setup: OpticsSetup
    params: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, temperature)`` of split ``name`` (train, val, test)."""
        idx = self.split[name]
        return self.x[idx], self.y[idx], self.temperature[idx]

    @property
    def temperatures(self) -> np.ndarray:
        """Distinct temperatures present, K."""
        return np.unique(self.temperature)


def _noise_rng(seed: int, noise: float) -> np.random.Generator:
    return np.random.default_rng([seed, 2, int(round(noise * 1e9))])


def build_dataset(n: int, *, noise: float = 0.0, seed: int = 0,
                  temperatures: tuple[float, ...] = (100.0,),
                  setup: OpticsSetup | None = None,
                  cache_dir: str | Path | None = None) -> GlueDataset:
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

    Returns
    -------
    GlueDataset
    """
    if n < 10:
        raise ParameterError(f"data set size must be >= 10, got {n}")
    if not noise >= 0:
        raise ParameterError(f"noise must be >= 0, got {noise}")
    temps = tuple(float(t) for t in temperatures)
    if not temps or any(not t > 0 for t in temps):
        raise ParameterError(f"temperatures must be > 0 K, got {temperatures}")
    setup = setup or OpticsSetup()
    params = {"n": int(n), "noise": float(noise), "seed": int(seed), "temperatures": list(temps),
              "setup": setup.to_dict(), "mixture_ranges": MIXTURE_RANGES, "split": SPLIT,
              "version": 1}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"optics_{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        with np.load(path) as z:
            split = {k: z[f"split_{k}"] for k in ("train", "val", "test")}
            return GlueDataset(z["x"], z["y"], z["y_clean"], z["temperature"], split, setup,
                               params)
    rng = np.random.default_rng([seed, 1])
    x = gaussian_mixtures(setup.mesh().points, n, rng)
    temperature = np.asarray(temps)[rng.integers(0, len(temps), size=n)]
    y_clean = np.empty((n, setup.n_omega))
    for t in temps:
        sel = temperature == t
        y_clean[sel] = setup.kernel(t).forward(x[sel])
    order = rng.permutation(n)
    n_train, n_val = int(round(SPLIT[0] * n)), int(round(SPLIT[1] * n))
    split = {"train": np.sort(order[:n_train]), "val": np.sort(order[n_train:n_train + n_val]),
             "test": np.sort(order[n_train + n_val:])}
    y = add_noise(y_clean, noise, _noise_rng(seed, noise))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, x=x, y=y, y_clean=y_clean, temperature=temperature,
                     **{f"split_{k}": v for k, v in split.items()})
    return GlueDataset(x, y, y_clean, temperature, split, setup, params)


def add_noise(y: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``y + noise · max(y) · N(0, 1)`` per sample (rows of ``y``)."""
    y = np.asarray(y, dtype=float)
    if noise == 0:
        return y.copy()
    scale = noise * np.abs(y).max(axis=-1, keepdims=True)
    return y + scale * rng.standard_normal(y.shape)
