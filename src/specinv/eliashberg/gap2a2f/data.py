"""Data sets for gap → α²F learning (seed 002, Sec. III and Appendix C).

The sets are built by the Eliashberg engine's resumable builder
(:func:`specinv.eliashberg.engine.dataset.build_dataset`) at T = 1.16 K,
μ* = 0.1, M = 350; this module only names the recipes (the seed's two, and its
simple one with exact real-axis gaps), turns a finished build into arrays, and
splits it 81/9/10 like the seed.

Inputs (features) per sample:

- ``"gap"``: [Re Δ(ω); Im Δ(ω)] on the builder's mesh ω = 0 … 35 meV
  (200 points each, 400 values, meV);
- ``"dos"``: N(ω)/N_F on the same mesh (200 values; the seed's second case).

Output: α²F(Ω) on 0 … 10 meV (1000 points, dimensionless).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.eliashberg.engine.dataset import DatasetConfig, build_dataset

#: The seed's two recipes. ``n`` is the number of α²F *tried*; about half pass the
#: superconductivity and Padé-consistency checks, giving ≈ 1800 and ≈ 10 000 samples.
#: ``simple_realaxis`` draws the same α²F as ``simple`` with exact real-axis gaps
#: (no Padé filter: 3419 of 3500 kept); the shipped default model is trained on it.
RECIPES: dict[str, DatasetConfig] = {
    "simple": DatasetConfig(n=3500, seed=2, kind="gaussian"),
    "complex": DatasetConfig(n=20000, seed=1, kind="gbm"),
    "simple_realaxis": DatasetConfig(n=3500, seed=2, kind="gaussian", continuation="realaxis"),
}

INPUTS = ("gap", "dos")
SPLIT = (0.81, 0.09, 0.10)


@dataclass
class GapSet:
    """Arrays of one data set (S samples).

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    omega : ndarray of shape (n_omega,)
        Real-axis mesh of Δ(ω) and the DOS, meV.
    omega_a2f : ndarray of shape (n_a2f,)
        α²F mesh, meV.
    a2f : ndarray of shape (S, n_a2f)
        α²F(Ω), dimensionless.
    delta : ndarray of shape (S, n_omega), complex
        Δ(ω) in meV.
    dos : ndarray of shape (S, n_omega)
        Tunneling DOS N(ω)/N_F.
    lam, tc_K, omega_log_meV : ndarray of shape (S,)
        Coupling λ, T_c (K) and ω_log (meV) of every sample.
    temperature_K, mu_star : float
        Temperature (K) and μ* the gaps were solved at.
    parameters : dict
        The builder's parameters (``dataset.json``).
    """

    omega: np.ndarray
    omega_a2f: np.ndarray
    a2f: np.ndarray
    delta: np.ndarray
    dos: np.ndarray
    lam: np.ndarray
    tc_K: np.ndarray
    omega_log_meV: np.ndarray
    temperature_K: float
    mu_star: float
    parameters: dict[str, Any]

    def __len__(self) -> int:
        return int(self.a2f.shape[0])

    def subset(self, idx: np.ndarray) -> GapSet:
        """The samples ``idx`` (same meshes and parameters).

        Parameters
        ----------
        idx : ndarray of int
            Sample indices.

        Returns
        -------
        GapSet
            The selected samples.
        """
        return replace(self, a2f=self.a2f[idx], delta=self.delta[idx], dos=self.dos[idx],
                       lam=self.lam[idx], tc_K=self.tc_K[idx],
                       omega_log_meV=self.omega_log_meV[idx])

    def features(self, kind: str = "gap") -> np.ndarray:
        """Input features of the network (see :func:`features`).

        Parameters
        ----------
        kind : {"gap", "dos"}
            ``[Re Δ; Im Δ]`` or the DOS.

        Returns
        -------
        ndarray of shape (S, 2 n_omega) or (S, n_omega), float32
            Rows of features (400 or 200 with the default mesh).
        """
        return features(self.delta, self.dos, kind)


def features(delta: np.ndarray, dos: np.ndarray | None, kind: str = "gap") -> np.ndarray:
    """[Re Δ; Im Δ] (``kind="gap"``) or the DOS (``kind="dos"``) as float32 rows.

    Parameters
    ----------
    delta : ndarray of shape (S, n) complex
        Δ(ω) in meV.
    dos : ndarray of shape (S, n) or None
        N(ω)/N_F (needed for ``kind="dos"``).
    kind : {"gap", "dos"}
        Which features.

    Returns
    -------
    ndarray of shape (S, 2n) or (S, n), float32
        ``[Re Δ, Im Δ]`` (meV) or the DOS, one row per sample.
    """
    if kind == "gap":
        d = np.atleast_2d(delta)
        return np.concatenate([d.real, d.imag], axis=1).astype(np.float32)
    if kind == "dos":
        if dos is None:
            raise ParameterError("input 'dos' needs the DOS array")
        return np.atleast_2d(dos).astype(np.float32)
    raise ParameterError(f"input must be one of {INPUTS}, got {kind!r}")


def prepare(recipe: str, cache: str | Path, *, n: int | None = None, workers: int = 1,
            progress: bool = False) -> dict[str, Any]:
    """Build (or resume) a set of :data:`RECIPES` under ``cache/recipe``.

    Parameters
    ----------
    recipe : {"simple", "complex", "simple_realaxis"}
        Name in :data:`RECIPES`.
    cache : str or Path
        Parent directory of the build (outside the repository).
    n : int, optional
        Override the number of α²F tried (small sets for tests).
    workers : int
        Local processes of the builder (1 on a shared machine).
    progress : bool
        Show a progress bar over shards.

    Returns
    -------
    dict
        The builder's manifest.
    """
    if recipe not in RECIPES:
        raise ParameterError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}")
    cfg = RECIPES[recipe] if n is None else replace(RECIPES[recipe], n=int(n),
                                                     shard_size=min(100, int(n)))
    return build_dataset(cfg, Path(cache) / recipe, workers=workers, progress=progress)


def load(path: str | Path) -> GapSet:
    """Load the finished shards of a build made by the engine's builder.

    Parameters
    ----------
    path : str or Path
        Data set directory (with ``dataset.json``).

    Returns
    -------
    GapSet
        The kept samples of every finished shard.

    Raises
    ------
    InputError
        No ``dataset.json`` or no kept samples in ``path``.
    """
    import json

    p = Path(path)
    if not (p / "dataset.json").is_file():
        raise InputError("not a data set directory (no dataset.json); build one with "
                         "'specinv eliashberg dataset'", str(p))
    from specinv.io.arrays import load_arrays, require

    try:
        manifest = json.loads((p / "dataset.json").read_text(encoding="utf-8"))
        par = manifest["parameters"]
        float(par["temperature_K"]), float(par["mu_star"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise InputError("dataset.json is not a data set manifest (expected the JSON written "
                         "by 'specinv eliashberg dataset')", str(p)) from None
    files = sorted(p.glob("shard_*.npz"))   # finished shards (written atomically)
    keys = ("a2f", "delta", "dos", "lam", "tc_K", "omega_log_meV")
    what = "a data set shard written by 'specinv eliashberg dataset'"
    parts = []
    for f in files:
        z = load_arrays(f, what, finite=False, complex_ok=True, convert=False)
        require(z, ("index", "omega", "omega_a2f", *keys), what, str(f))
        parts.append(z)
    parts = [z for z in parts if z["index"].size]
    if not parts:
        raise InputError("data set holds no kept samples yet", str(p))
    d = {k: np.concatenate([z[k] for z in parts]) for k in keys}
    for k in ("omega", "omega_a2f"):
        d[k] = parts[0][k]
    return GapSet(omega=d["omega"], omega_a2f=d["omega_a2f"], a2f=d["a2f"],
                  delta=d["delta"], dos=d["dos"], lam=d["lam"], tc_K=d["tc_K"],
                  omega_log_meV=d["omega_log_meV"], temperature_K=float(par["temperature_K"]),
                  mu_star=float(par["mu_star"]), parameters=par)


def split_indices(n: int, seed: int = 0,
                  fractions: tuple[float, float, float] = SPLIT
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random train/validation/test indices (seed: 81/9/10 %).

    Parameters
    ----------
    n : int
        Number of samples, >= 3.
    seed : int
        Seed of the permutation.
    fractions : (float, float, float)
        Train, validation and test fractions (validation and test get >= 1 sample).

    Returns
    -------
    train, val, test : ndarray of int
        Disjoint sample indices.
    """
    if n < 3:
        raise ParameterError(f"need at least 3 samples to split, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(fractions[2] * n)))
    n_val = max(1, int(round(fractions[1] * n)))
    return perm[n_test + n_val:], perm[n_test:n_test + n_val], perm[:n_test]
