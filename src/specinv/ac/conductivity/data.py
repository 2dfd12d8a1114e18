"""Seed-003 data sets: sums of three Drude terms seen through Λ(τ) at ten temperatures.

Each example: ``σ_T(ω) = Σ_{i=1..3} α_i γ_i(T)/(ω² + γ_i(T)²)``, ``Σα_i = 1``
(α ~ Dirichlet(1, 1, 1), i.e. uniform on the simplex), ``γ_i(T) = γ_0i +
γ_1i T²``, ``T ∈ {0.1, …, 1.0}`` (dimensionless, k_B = 1). The input is the
exact ``Λ(τ)`` (:func:`~specinv.ac.conductivity.drude.drude_lambda_tau`, the
correct relation of PHYSICS.md §4, not the seed's eqs. 4–6) at 200 cell
midpoints ``τ_k = (k + ½)/(200 T)`` in (0, 1/T) — Λ diverges at τ = 0 and β,
so the end points are not sampled: a 10 × 200 array. The label is 3 × 3,
rows ``(α_i, γ_0i, γ_1i)``, rows sorted by γ_0 (a canonical order; the seed
left the three components unordered, which makes the γ regression ambiguous
for exchangeable components).

The four γ distributions ("hard" = γ(T)/T small, i.e. a Drude peak sharper
than the thermal scale, which Λ(τ) hardly resolves), uniform on the ranges:

=================  ==============  ==============  ==========================
name               γ_0             γ_1             γ(T)/T at T = 0.1 / 1.0
=================  ==============  ==============  ==========================
``easy``           [1, 5]          [0, 5]          ≥ 10 / ≥ 1
``hard_low_t``     [0.01, 0.05]    [2, 5]          ≤ 1 / ≥ 2
``hard_high_t``    [0.15, 0.4]     [0, 0.1]        ≥ 1.5 / ≤ 0.5
``hard_all_t``     [0.01, 0.05]    [0, 0.2]        ≤ 0.7 / ≤ 0.25
=================  ==============  ==============  ==========================

Data sets (2000 / 200 / 200 examples as the seed):

- ``easy_data``: all three components from ``easy``;
- ``mixed_data``: per example one of {easy, hard_high_t, hard_low_t} for all three;
- ``element_mixed_data``: component 1 easy, 2 hard_high_t, 3 hard_low_t.

Optional QMC-like noise: relative (``level · Λ``), correlated in τ with a
Gaussian correlation of length ``corr`` (fraction of β), unit variance per point.
Sets are cached as ``.npz`` in a user-given directory (never in the package).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from specinv.ac.conductivity.drude import drude_lambda_tau, drude_sigma, tau_grid
from specinv.core.errors import ParameterError
from specinv.io.atomic import atomic_path

TEMPERATURES = np.round(np.arange(1, 11) * 0.1, 10)
N_TAU = 200
DISTRIBUTIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "easy": ((1.0, 5.0), (0.0, 5.0)),
    "hard_low_t": ((0.01, 0.05), (2.0, 5.0)),
    "hard_high_t": ((0.15, 0.4), (0.0, 0.1)),
    "hard_all_t": ((0.01, 0.05), (0.0, 0.2)),
}
DATASETS = ("easy_data", "mixed_data", "element_mixed_data")
SPLITS = {"train": 2000, "val": 200, "test": 200}
#: evaluation mesh of the fractional error σ/σ̂: 101 points, ω ∈ [0, 5] (k_B T_max = 1)
EVAL_OMEGA = np.linspace(0.0, 5.0, 101)


def tau_matrix() -> np.ndarray:
    """τ grid of every temperature: row t is ``tau_grid(1/T_t)``.

    Returns
    -------
    ndarray of shape (10, 200)
        Imaginary times (dimensionless, k_B = 1).
    """
    return np.stack([tau_grid(1.0 / t, N_TAU) for t in TEMPERATURES])


def sample_labels(rng: np.random.Generator, dataset: str, n: int) -> np.ndarray:
    """Labels with rows ``(α, γ_0, γ_1)`` sorted by γ_0.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    dataset : str
        One of :data:`DATASETS`.
    n : int
        Number of examples.

    Returns
    -------
    ndarray of shape (n, 3, 3)
        Weights α_i and γ coefficients (dimensionless) of the three Drude terms.
    """
    if dataset not in DATASETS:
        raise ParameterError(f"unknown data set {dataset!r}; valid: {', '.join(DATASETS)}")
    if dataset == "easy_data":
        dists = np.full((n, 3), "easy", dtype=object)
    elif dataset == "mixed_data":
        pick = rng.choice(["easy", "hard_high_t", "hard_low_t"], size=n)
        dists = np.repeat(pick[:, None], 3, axis=1)
    else:
        dists = np.tile(np.array(["easy", "hard_high_t", "hard_low_t"], dtype=object), (n, 1))
    lab = np.empty((n, 3, 3))
    lab[:, :, 0] = rng.dirichlet(np.ones(3), size=n)
    for name, ((a0, b0), (a1, b1)) in DISTRIBUTIONS.items():
        m = dists == name
        lab[:, :, 1][m] = rng.uniform(a0, b0, m.sum())
        lab[:, :, 2][m] = rng.uniform(a1, b1, m.sum())
    order = np.argsort(lab[:, :, 1], axis=1)
    return np.take_along_axis(lab, order[:, :, None], axis=1)


def gammas(labels: np.ndarray) -> np.ndarray:
    """``γ_i(T) = γ_0i + γ_1i T²`` at the ten temperatures.

    Parameters
    ----------
    labels : ndarray of shape (..., 3, 3)
        Labels as from :func:`sample_labels`.

    Returns
    -------
    ndarray of shape (..., 3, 10)
        Scattering rates (dimensionless).
    """
    lab = np.asarray(labels)
    return lab[..., 1, None] + lab[..., 2, None] * TEMPERATURES**2


def lambda_inputs(labels: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Exact Λ_T(τ) of labels.

    Parameters
    ----------
    labels : ndarray of shape (n, 3, 3)
        Labels as from :func:`sample_labels`.
    chunk : int
        Examples evaluated at once (bounds the memory).

    Returns
    -------
    ndarray of shape (n, 10, 200)
        Λ(τ) at every temperature on :func:`tau_matrix`.
    """
    lab = np.asarray(labels, dtype=float)
    tau = tau_matrix()
    beta = (1.0 / TEMPERATURES)[:, None]
    out = np.empty((lab.shape[0], TEMPERATURES.size, N_TAU))
    for s in range(0, lab.shape[0], chunk):
        part = lab[s:s + chunk]
        g = gammas(part)  # (m, 3, 10)
        lam = drude_lambda_tau(tau[None, None], g[..., None], beta[None, None])
        out[s:s + chunk] = np.einsum("mi,mitk->mtk", part[:, :, 0], lam)
    return out


def sigma_on_mesh(labels: np.ndarray, omega: np.ndarray = EVAL_OMEGA) -> np.ndarray:
    """σ_T(ω) of labels on ``omega``.

    Parameters
    ----------
    labels : ndarray of shape (n, 3, 3)
        Labels as from :func:`sample_labels`.
    omega : ndarray of shape (n_omega,)
        Frequencies (dimensionless, k_B T_max = 1).

    Returns
    -------
    ndarray of shape (n, 10, n_omega)
        σ at every temperature.
    """
    lab = np.asarray(labels, dtype=float)
    g = gammas(lab)[..., None]  # (n, 3, 10, 1)
    return np.einsum("ni,nitw->ntw", lab[:, :, 0], drude_sigma(np.asarray(omega), g))


def add_noise(rng: np.random.Generator, x: np.ndarray, level: float,
              corr: float = 0.05) -> np.ndarray:
    """Relative noise ``level · Λ · ξ`` with ξ Gaussian, unit variance, correlated in τ.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the noise.
    x : ndarray of shape (n, 10, 200)
        Clean Λ(τ).
    level : float
        Relative standard deviation.
    corr : float
        Correlation length as a fraction of β (0: white).

    Returns
    -------
    ndarray of shape (n, 10, 200)
        Noisy copy of ``x``.
    """
    if level <= 0:
        return x.copy()
    white = rng.standard_normal(x.shape)
    if corr > 0:
        k = np.arange(N_TAU)
        d = np.minimum(np.abs(k[:, None] - k[None, :]), N_TAU - np.abs(k[:, None] - k[None, :]))
        c = np.exp(-0.5 * (d / (corr * N_TAU)) ** 2)
        chol = np.linalg.cholesky(c + 1e-10 * np.eye(N_TAU))
        white = white @ chol.T
    return x * (1.0 + level * white)


def build_dataset(dataset: str, *, seed: int = 0, noise: float = 0.0, corr: float = 0.05,
                  cache_dir: str | Path | None = None,
                  sizes: dict[str, int] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Train/val/test splits ``{"x": (n, 10, 200), "y": (n, 3, 3)}``, cached on disk.

    Parameters
    ----------
    dataset : str
        One of :data:`DATASETS`.
    seed : int
        Seed of labels and noise (each split has its own derived stream).
    noise, corr : float
        Relative correlated noise (see :func:`add_noise`); 0 = exact data as the seed.
    cache_dir : path, optional
        Directory of the ``.npz`` cache (created); ``None`` = no caching.
    sizes : dict, optional
        Split sizes (default 2000/200/200).

    Returns
    -------
    dict of str to dict of str to ndarray
        Per split (``train``, ``val``, ``test``): ``x`` (n, 10, 200) Λ(τ) and
        ``y`` (n, 3, 3) labels.
    """
    sizes = dict(SPLITS if sizes is None else sizes)
    params = {"dataset": dataset, "seed": seed, "noise": noise, "corr": corr, "sizes": sizes,
              "version": 1}
    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"{dataset}_{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        z = np.load(path)
        return {s: {"x": z[f"{s}_x"], "y": z[f"{s}_y"]} for s in sizes}
    out = {}
    for i, (split, n) in enumerate(sizes.items()):
        rng = np.random.default_rng([seed, i, DATASETS.index(dataset)])
        y = sample_labels(rng, dataset, n)
        x = add_noise(rng, lambda_inputs(y), noise, corr)
        out[split] = {"x": x, "y": y}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **{f"{s}_{k}": v for s, d in out.items() for k, v in d.items()},
                         params=json.dumps(params))
    return out
