"""Training-set builder for seed 002: random α²F → Δ(ω), Z, DOS, λ, T_c, in NPZ shards.

Layout of ``DIR``::

    DIR/dataset.json          all build parameters, format description, shard list
    DIR/shard_00000.npz       one file per shard (written atomically)

Each shard holds the *kept* samples of ``shard_size`` consecutive sample
indices (sample ``i`` uses ``numpy.random.default_rng([seed, i])``, so any
shard can be rebuilt alone). Arrays, with S kept samples:

    index (S,) int           global sample index
    omega_a2f (n_a2f,)       α²F mesh, meV;   a2f (S, n_a2f)
    omega (n_omega,)         real-axis mesh, meV (0 … omega_out)
    delta (S, n_omega) c128  Δ(ω);            z (S, n_omega) c128  Z(ω)
    dos (S, n_omega)         N(ω)/N_F
    omega_n (M,)             Matsubara frequencies, meV
    delta_n (S, M), z_n (S, M)
    lam, tc_K, omega_log_meV, delta0_meV (S,)
    consistency_diff (S,)    max|Δ − φ/Z| / max|Δ| below omega_out
    n_tried, n_normal, n_rejected ()  counts in this shard

Samples that are not superconducting at T (Δ = 0) are dropped. Δ(ω) and Z(ω)
come from Padé (``continuation="pade"``, the seed's route), and samples failing
the seed's Δ(ω) vs φ(ω)/Z(ω) check (:func:`consistency_check`) are dropped too;
or from the exact real-axis iteration (``continuation="realaxis"``, step
``realaxis_step_meV``, linearly interpolated to the output mesh, the value at the
first cell centre held below it), where Δ = φ/Z holds by construction, the check
is replaced by the iteration's convergence, and ``consistency_diff`` is 0.
Padé has isolated errors of 10-40 % of max|Re Δ| on these recipes (see
``specinv bench eliashberg``, ``pade_vs_realaxis.seed_sets``) and a median
relative L2 error of 1.5 % against the real axis on the simple set; the real
axis costs ~50 ms more per kept sample. Finished shards are skipped on restart
(resumable).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.parallel import map_chunks
from specinv.eliashberg.engine.a2f import moments
from specinv.eliashberg.engine.generators import GENERATORS
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_on_mesh
from specinv.eliashberg.engine.realaxis import consistency_check, continue_pade
from specinv.eliashberg.engine.seed import SEED_SETUP
from specinv.eliashberg.engine.tc import critical_temperature
from specinv.io.atomic import atomic_path

FORMAT_VERSION = 1
CONTINUATIONS = ("pade", "realaxis")


@dataclass(frozen=True)
class DatasetConfig:
    """Every parameter of a build (recorded in ``dataset.json``).

    Parameters
    ----------
    n : int
        α²F samples tried.
    seed : int
        Base seed; sample ``i`` draws from ``(seed, i)``.
    kind : {"gbm", "gaussian"}
        Generator of the random α²F.
    shard_size : int
        Samples per shard file.
    temperature_K : float
        Temperature of the Eliashberg solves (K; seed 1.16).
    mu_star : float
        Coulomb pseudopotential (seed 0.1).
    n_matsubara : int
        Positive Matsubara frequencies M (seed 350).
    n_a2f : int
        Points of the α²F mesh.
    a2f_omega_max_meV : float
        Upper end of the α²F mesh (meV).
    lambda_min, lambda_max : float
        Range of the drawn coupling λ.
    omega_out_meV : float
        Upper end of the real-axis output mesh (meV).
    n_omega : int
        Points of the output mesh on [0, omega_out_meV].
    pade_precision : {"double", "extended", "mp"}
        Working precision of the Padé continuation.
    diff_tol, ratio_tol : float
        Tolerances of the Padé consistency check of Δ against φ/Z.
    with_tc : bool
        Also compute T_c of every kept sample.
    continuation : {"pade", "realaxis"}
        Route to Δ(ω) on the real axis.
    realaxis_step_meV : float
        Step of the real-axis iteration (meV).
    """

    n: int
    seed: int = 0
    kind: str = "gbm"
    shard_size: int = 100
    temperature_K: float = SEED_SETUP.temperature_K
    mu_star: float = SEED_SETUP.mu_star
    n_matsubara: int = SEED_SETUP.n_matsubara
    n_a2f: int = 1000
    a2f_omega_max_meV: float = 10.0
    lambda_min: float = 0.8
    lambda_max: float = 2.5
    omega_out_meV: float = 35.0
    n_omega: int = 200
    pade_precision: str = "extended"
    diff_tol: float = 0.10
    ratio_tol: float = 0.25
    with_tc: bool = True
    continuation: str = "pade"
    realaxis_step_meV: float = 0.05

    def validate(self) -> None:
        """Check the fields that a bad command line can get wrong.

        Raises
        ------
        ParameterError
            Naming the first invalid field and its accepted range.
        """
        if self.n < 1 or self.shard_size < 1:
            raise ParameterError(f"--n and shard size must be >= 1, got {self.n}, "
                                 f"{self.shard_size}")
        if self.kind not in GENERATORS:
            raise ParameterError(f"kind must be one of {sorted(GENERATORS)}, got {self.kind!r}")
        if not self.temperature_K > 0:
            raise ParameterError(f"temperature must be > 0 K, got {self.temperature_K}")
        if self.mu_star < 0:
            raise ParameterError(f"mu* must be >= 0, got {self.mu_star}")
        if self.continuation not in CONTINUATIONS:
            raise ParameterError(f"continuation must be one of {CONTINUATIONS}, got "
                                 f"{self.continuation!r}")
        if not 0 < self.realaxis_step_meV < self.omega_out_meV:
            raise ParameterError(f"realaxis step must lie in (0, {self.omega_out_meV}) meV, "
                                 f"got {self.realaxis_step_meV}")

    @property
    def n_shards(self) -> int:
        """Number of shard files, ``ceil(n / shard_size)``."""
        return -(-self.n // self.shard_size)


def shard_path(out: Path, j: int) -> Path:
    """File of shard ``j`` in the data set directory ``out``.

    Parameters
    ----------
    out : Path
        Data set directory.
    j : int
        Shard index.

    Returns
    -------
    Path
        ``out / "shard_<j:05d>.npz"``.
    """
    return out / f"shard_{j:05d}.npz"


def build_sample(cfg: DatasetConfig, i: int) -> tuple[str, dict[str, Any] | None]:
    """Generate and solve sample ``i``.

    Parameters
    ----------
    cfg : DatasetConfig
        Data set recipe (generator, temperature in K, μ*, meshes in meV).
    i : int
        Sample index; the random α²F is drawn from the seed ``(cfg.seed, i)``.

    Returns
    -------
    status : {"kept", "normal", "rejected"}
        ``normal``: no superconducting solution; ``rejected``: the real-axis
        continuation failed its consistency check.
    record : dict or None
        For a kept sample: α²F, complex Δ(ω) and Z(ω) (meV, dimensionless) on
        ``omega``, DOS, Matsubara Δ_n (meV) and Z_n, λ, T_c (K), ω_log (meV),
        Δ₀ (meV) and the meshes; None otherwise.
    """
    rng = np.random.default_rng([cfg.seed, i])
    spec, _ = GENERATORS[cfg.kind](rng, n=cfg.n_a2f, omega_max=cfg.a2f_omega_max_meV,
                                   lambda_range=(cfg.lambda_min, cfg.lambda_max))
    sol = solve_matsubara(spec, cfg.temperature_K, cfg.mu_star, n_matsubara=cfg.n_matsubara)
    if not sol.report.converged or not sol.is_superconducting:
        return "normal", None
    omega = np.linspace(0.0, cfg.omega_out_meV, cfg.n_omega)
    if cfg.continuation == "realaxis":
        ra, exact = real_axis_on_mesh(sol, spec, omega, d_omega=cfg.realaxis_step_meV)
        if not exact.info["converged"]:
            return "rejected", None
        check = {"max_diff_rel": 0.0}
        delta0 = exact.gap_edge()
    else:
        ra = continue_pade(sol, omega, precision=cfg.pade_precision, with_phi=True)
        check = consistency_check(ra, cfg.omega_out_meV, diff_tol=cfg.diff_tol,
                                  ratio_tol=cfg.ratio_tol)
        if not check["passed"]:
            return "rejected", None
        delta0 = ra.gap_edge()
    mom = moments(spec)
    tc = critical_temperature(spec, cfg.mu_star).tc_K if cfg.with_tc else float("nan")
    return "kept", {"index": i, "a2f": spec.values, "delta": ra.delta, "z": ra.z,
                    "dos": ra.dos(), "delta_n": sol.delta, "z_n": sol.z,
                    "lam": mom["lambda"], "tc_K": tc, "omega_log_meV": mom["omega_log_meV"],
                    "delta0_meV": delta0, "consistency_diff": check["max_diff_rel"],
                    "omega_a2f": spec.omega, "omega": omega, "omega_n": sol.omega_n}


def build_shard(task: tuple[dict, int]) -> dict[str, Any]:
    """Compute one shard (module-level so it pickles for processes and Dask).

    Parameters
    ----------
    task : (dict, int)
        :class:`DatasetConfig` fields as a dict, and the shard index ``j``.

    Returns
    -------
    dict
        Arrays to save as the shard's NPZ: per-sample stacks of the kept
        records (leading axis n_kept), the shared meshes and the counts of
        tried, normal and rejected samples.
    """
    cfg_dict, j = task
    cfg = DatasetConfig(**cfg_dict)
    lo, hi = j * cfg.shard_size, min(cfg.n, (j + 1) * cfg.shard_size)
    kept: list[dict[str, Any]] = []
    counts = {"normal": 0, "rejected": 0, "kept": 0}
    t0 = time.perf_counter()
    for i in range(lo, hi):
        status, rec = build_sample(cfg, i)
        counts[status] += 1
        if rec is not None:
            kept.append(rec)
    out: dict[str, Any] = {"n_tried": hi - lo, "n_normal": counts["normal"],
                           "n_rejected": counts["rejected"],
                           "wall_time_s": time.perf_counter() - t0}
    omega = np.linspace(0.0, cfg.omega_out_meV, cfg.n_omega)
    out["omega"] = omega
    out["omega_a2f"] = np.linspace(0.0, cfg.a2f_omega_max_meV, cfg.n_a2f)
    from specinv.eliashberg.engine.pairing import matsubara_frequencies
    out["omega_n"] = matsubara_frequencies(cfg.temperature_K, cfg.n_matsubara)
    for key, dtype in (("index", np.int64), ("lam", float), ("tc_K", float),
                       ("omega_log_meV", float), ("delta0_meV", float),
                       ("consistency_diff", float)):
        out[key] = np.array([r[key] for r in kept], dtype=dtype)
    for key, width, dtype in (("a2f", cfg.n_a2f, float), ("delta", cfg.n_omega, complex),
                              ("z", cfg.n_omega, complex), ("dos", cfg.n_omega, float),
                              ("delta_n", cfg.n_matsubara, float),
                              ("z_n", cfg.n_matsubara, float)):
        out[key] = (np.array([r[key] for r in kept], dtype=dtype) if kept
                    else np.zeros((0, width), dtype=dtype))
    return out


def build_dataset(cfg: DatasetConfig, output: str | Path, *, workers: int | None = None,
                  scheduler: Any = None, progress: bool = True) -> dict[str, Any]:
    """Build (or resume) a data set in ``output``.

    Parameters
    ----------
    cfg : DatasetConfig
        Data set recipe.
    output : str or Path
        Directory (created).
    workers : int, optional
        Local processes (default: all cores); ignored with ``scheduler``.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``tcp://host:port``) or client.
    progress : bool
        tqdm progress bar over shards.

    Returns
    -------
    dict
        The manifest written to ``output/dataset.json`` (parameters, shards,
        samples tried and kept).
    """
    cfg.validate()
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "dataset.json"
    params = asdict(cfg)
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        # keys added in later versions are absent from older manifests: those used defaults
        if {**asdict(DatasetConfig(n=cfg.n)), **old.get("parameters", {})} != params:
            raise ParameterError(f"{out} holds a data set built with other parameters; "
                                 "use another --output or the same parameters to resume")
    todo = [j for j in range(cfg.n_shards) if not shard_path(out, j).exists()]
    t0 = time.perf_counter()
    _write_manifest(manifest_path, params, out, cfg, 0.0)
    tasks = [(params, j) for j in todo]
    for k, result in map_chunks(build_shard, tasks, workers=workers, scheduler=scheduler,
                                progress=progress, desc="shards"):
        j = todo[k]
        with atomic_path(shard_path(out, j)) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **result)
    return _write_manifest(manifest_path, params, out, cfg, time.perf_counter() - t0)


def _write_manifest(path: Path, params: dict, out: Path, cfg: DatasetConfig,
                    wall: float) -> dict[str, Any]:
    shards = []
    kept = tried = 0
    for j in range(cfg.n_shards):
        p = shard_path(out, j)
        if p.exists():
            with np.load(p) as z:
                n_kept, n_tried = int(z["index"].size), int(z["n_tried"])
            shards.append({"file": p.name, "kept": n_kept, "tried": n_tried})
            kept += n_kept
            tried += n_tried
    manifest = {"format": "specinv-eliashberg-dataset", "format_version": FORMAT_VERSION,
                "description": (__doc__ or "").strip(), "parameters": params,
                "complete": len(shards) == cfg.n_shards, "shards": shards,
                "samples_tried": tried, "samples_kept": kept,
                "last_run_wall_time_s": wall, "cpu_count": os.cpu_count()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def load_dataset(output: str | Path) -> dict[str, np.ndarray]:
    """Concatenate all shards of a finished build (per-sample arrays stacked).

    Parameters
    ----------
    output : str or Path
        Data set directory written by :func:`build_dataset`.

    Returns
    -------
    dict of str to ndarray
        Per-sample arrays with leading axis n_samples (``a2f``, ``delta``, ``z``,
        ``dos``, ``delta_n``, ``z_n``, ``lam``, ``tc_K``, ...) and the shared
        meshes ``omega``, ``omega_a2f`` (meV) and ``omega_n`` (meV).
    """
    out = Path(output)
    manifest = json.loads((out / "dataset.json").read_text())
    parts = [np.load(out / s["file"]) for s in manifest["shards"]]
    keys = ("index", "a2f", "delta", "z", "dos", "delta_n", "z_n", "lam", "tc_K",
            "omega_log_meV", "delta0_meV", "consistency_diff")
    data = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    for k in ("omega", "omega_a2f", "omega_n"):
        data[k] = parts[0][k]
    return data
