"""``specinv sts deconvolve-map``: deconvolve a grid of tunneling spectra in one batch.

Input is a ``.npz`` with ``bias_mV`` (n_bias,) and ``didv`` (ny, nx, n_bias),
or a Nanonis ``.3ds`` grid. All pixels share one thermal (+ lock-in) kernel;
``nnrs`` trains one small network per pixel, all pixels together as a batch.
Output ``OUT.npz``: ``dos`` (ny, nx, n_energy), ``energy_meV``, ``gap_map_meV``
(positive-bias coherence peak per pixel), ``chi2_reduced`` (ny, nx),
``fallback`` (ny, nx) (pixels whose NNRS fit missed the noise level and that MaxEnt
fitted better), ``dos_spread`` (the restarts' spread, not an error band) when
``--ensemble > 1``; ``OUT.json`` holds the metadata. Both are written atomically
(an interrupted run leaves nothing behind).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.io.limits import check_array, check_count
from specinv.io.report import add_verdict_argument, report_verdict

HELP = "deconvolve a grid map of dI/dV spectra (batched NNRS)"


def register(sts_sub: argparse._SubParsersAction) -> None:
    """Add ``deconvolve-map`` to the ``specinv sts`` subparsers."""
    p = sts_sub.add_parser("deconvolve-map", help=HELP, description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="INPUT", help=".npz (bias_mV, didv) or Nanonis .3ds grid")
    p.add_argument("--temperature", type=float, required=True, metavar="K",
                   help="measurement temperature in K")
    p.add_argument("--lockin-rms", type=float, default=0.0, metavar="MV",
                   help="lock-in modulation rms amplitude in mV (default 0)")
    p.add_argument("--method", default="nnrs",
                   help="solver; nnrs is batched, others run pixel by pixel (default nnrs)")
    p.add_argument("--output", required=True, metavar="OUT.npz", help="output .npz file")
    p.add_argument("--plot", metavar="GAPMAP.png",
                   help="draw the gap map (default: no figure)")
    p.add_argument("--channel", help="dI/dV channel of a .3ds grid (default: lock-in guess)")
    p.add_argument("--n-energy", type=int, default=None,
                   help="energy mesh points (default: as many as bias points)")
    p.add_argument("--energy-range", type=float, nargs=2, metavar=("LO", "HI"),
                   help="energy mesh range in meV (default: bias range padded by 2 k_B T "
                        "+ one lock-in peak amplitude, as for one spectrum)")
    p.add_argument("--ensemble", type=int, default=1,
                   help="nnrs restarts per pixel; > 1 also writes dos_spread, their spread "
                        "(not a calibrated error band; default 1)")
    p.add_argument("--steps", type=int, default=None, help="nnrs Adam steps (default: preset)")
    p.add_argument("--preset", default="default", choices=("default", "paper"),
                   help="nnrs network and schedule: ours or the seed paper's 3 × 1000 ReLU "
                        "(default: %(default)s)")
    p.add_argument("--fallback", default="maxent", choices=("maxent", "tikhonov", "none"),
                   help="nnrs only: solver that re-fits the pixels whose chi2/N exceeds 2; the "
                        "better fit is kept and marked in the 'fallback' array "
                        "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="nnrs initialization seed (default %(default)s)")
    p.add_argument("--chunk-size", type=int, default=256, metavar="PIXELS",
                   help="pixels per chunk (default 256)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="local processes (default: usable cores)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address, e.g. tcp://h:8786 (default: none, local "
                        "processes)")
    add_verdict_argument(p)
    p.set_defaults(func=run)


def load_map(path: str, channel: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a dI/dV map with increasing bias.

    Parameters
    ----------
    path : str
        ``.npz`` (arrays ``bias_mV`` and ``didv``) or Nanonis ``.3ds`` grid.
    channel : str, optional
        dI/dV channel of a ``.3ds`` (default: the lock-in channel).

    Returns
    -------
    bias_mV : ndarray of shape (n_bias,)
        Bias (mV), increasing.
    didv : ndarray of shape (ny, nx, n_bias)
        Conductance of every pixel (file units).

    Raises
    ------
    InputError
        Missing file or keys, wrong shapes, NaN, duplicated bias, too few points.
    """
    from specinv.io.arrays import load_arrays, require

    p = Path(path)
    src = str(p)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        if channel is not None:
            raise InputError("--channel selects a channel of a Nanonis .3ds grid; this is an "
                             ".npz map (arrays bias_mV and didv)", src)
        arrays = load_arrays(p, "an .npz with bias_mV (n_bias,) and didv (ny, nx, n_bias)",
                             finite=False)
        bias, didv = require(arrays, ("bias_mV", "didv"),
                             "bias_mV (n_bias,) and didv (ny, nx, n_bias)", src)
    elif suffix == ".3ds":
        from specinv.io.nanonis_grid import read_3ds

        grid = read_3ds(p)
        name = grid.didv_channel(channel)
        bias = np.asarray(grid.bias_mV(), float)
        didv = np.moveaxis(np.asarray(grid.channels[name], float), 0, -1)
    elif not p.exists():
        raise InputError("file not found", src)
    else:
        raise InputError(f"unknown map format {p.suffix!r}; expected .npz or .3ds", src)
    if bias.ndim != 1:
        raise InputError(f"bias_mV must be 1-D, got shape {bias.shape}", src)
    if didv.ndim != 3 or didv.shape[2] != bias.size:
        raise InputError(f"didv must have shape (ny, nx, {bias.size}) to match bias_mV, "
                         f"got {didv.shape}", src)
    if bias.size < 12:
        raise InputError(f"need at least 12 bias points, got {bias.size}", src)
    if not np.all(np.isfinite(bias)):
        raise InputError("bias_mV contains NaN or infinite values", src)
    bad = ~np.all(np.isfinite(didv), axis=2)
    if bad.any():
        iy, ix = np.argwhere(bad)[0]
        raise InputError(f"didv contains NaN or infinite values in {int(bad.sum())} pixel(s), "
                         f"first at (y={iy}, x={ix})", src)
    d = np.diff(bias)
    if np.all(d < 0):
        bias, didv = bias[::-1], didv[..., ::-1]
    elif not np.all(d > 0):
        raise InputError("bias_mV must be strictly increasing or decreasing (no duplicates)", src)
    return np.ascontiguousarray(bias), np.ascontiguousarray(didv)


def build_kernel(bias: np.ndarray, temperature: float, lockin_rms: float,
                 n_energy: int | None, energy_range: tuple[float, float] | None) -> Any:
    """Thermal (and lock-in) kernel of a map on the single-curve default energy mesh.

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Bias in mV, increasing.
    temperature : float
        Temperature in K (> 0).
    lockin_rms : float
        Lock-in rms amplitude in mV (>= 0).
    n_energy : int or None
        Energy mesh points (default: as many as biases, at most the default cap).
    energy_range : (float, float) or None
        Energy window in meV (default: the bias range plus the kernel's reach, as for
        one spectrum, :func:`~specinv.sts.workflow.default_energy_mesh`).

    Returns
    -------
    STSKernel
        Kernel from the energy mesh to the biases.
    """
    from specinv.kernels import Mesh
    from specinv.kernels.sts import STSKernel
    from specinv.sts.workflow import default_energy_mesh

    if not np.isfinite(temperature) or temperature <= 0:
        raise ParameterError(f"--temperature must be > 0 K, got {temperature}")
    if not np.isfinite(lockin_rms) or lockin_rms < 0:
        raise ParameterError(f"--lockin-rms must be >= 0 mV, got {lockin_rms}")
    n = bias.size if n_energy is None else int(n_energy)
    if n < 12:
        raise ParameterError(f"--n-energy must be >= 12, got {n}")
    check_array("--n-energy", n, (bias.size, n), what="kernel")
    if energy_range is None:  # the single-curve default: one spectrum = a 1-pixel map
        mesh = default_energy_mesh(bias, temperature, lockin_rms, n_energy)
    else:
        lo, hi = map(float, energy_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ParameterError(f"--energy-range needs finite LO < HI, got {lo} {hi}")
        mesh = Mesh.uniform(lo, hi, n)
    return STSKernel(bias, mesh, temperature=temperature, lockin_rms=lockin_rms)


def _gap_map(energy: np.ndarray, dos: np.ndarray) -> np.ndarray:
    from specinv.core.metrics import coherence_peaks

    flat = dos.reshape(-1, dos.shape[-1])
    gaps = np.array([coherence_peaks(energy, f)["positive"][0] for f in flat])
    return gaps.reshape(dos.shape[:-1])


def _checked_input(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, Any]:
    """Check outputs and parameters, read the map: ``(bias, didv, kernel)``, before any work."""
    from specinv.io.output import table_outputs
    from specinv.sts.checks import check_spectrum

    if not str(args.output).lower().endswith(".npz"):
        raise ParameterError(f"--output must end in .npz, got {args.output}")
    table_outputs(args.output, args.plot, inputs=[args.input])
    check_count("--ensemble", args.ensemble)
    if args.steps is not None:
        check_count("--steps", args.steps)
    if args.chunk_size < 1:
        raise ParameterError(f"--chunk-size must be >= 1, got {args.chunk_size}")
    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers must be >= 1, got {args.workers}")
    bias, didv = load_map(args.input, args.channel)
    kernel = build_kernel(bias, args.temperature, args.lockin_rms, args.n_energy,
                          args.energy_range)
    check_spectrum(bias, didv, args.temperature, args.lockin_rms, str(args.input))
    ny, nx, _ = didv.shape
    check_array("the map size", f"{ny}x{nx}", (ny * nx, kernel.mesh.size), what="DOS array")
    from specinv.solvers import get_solver

    get_solver(args.method)  # unknown method: clear message before any work
    return bias, didv, kernel


def run(args: argparse.Namespace) -> int:
    """``specinv sts deconvolve-map``: deconvolve every pixel; write NPZ + JSON (+ PNG).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of the command.

    Returns
    -------
    int
        0, or 3 when a pixel's fit fails its check (without ``--allow-fail``).
    """
    bias, didv, kernel = _checked_input(args)
    from specinv.core.check import CHI2_OK, check_map
    from specinv.io.atomic import atomic_outputs
    from specinv.sts.workflow import refit_failed_pixels, solve_pixels

    ny, nx, nb = didv.shape
    flat = didv.reshape(ny * nx, nb)
    t0 = time.perf_counter()
    if args.method == "nnrs":
        dos, std, chi2, settings = _solve_nnrs(args, kernel, flat)
    else:
        from tqdm.auto import tqdm

        dos, chi2 = solve_pixels(kernel, tqdm(flat, desc=args.method, unit="px"), args.method,
                                 args.seed)
        std, settings = None, {"method": args.method}
    replaced = np.zeros(chi2.shape, dtype=bool)
    if args.method == "nnrs" and args.fallback != "none":
        dos, chi2, replaced = refit_failed_pixels(kernel, flat, dos, chi2, CHI2_OK[1],
                                                  args.fallback)
        settings["fallback"] = {"method": args.fallback, "pixels_replaced": int(replaced.sum()),
                                "rule": f"pixels with chi2/N > {CHI2_OK[1]:g} re-solved; "
                                        "the better fit kept"}
    wall = time.perf_counter() - t0
    energy = kernel.mesh.points
    dos3 = dos.reshape(ny, nx, -1)
    gap = _gap_map(energy, dos3)
    arrays = {"dos": dos3, "energy_meV": energy, "gap_map_meV": gap, "bias_mV": bias,
              "chi2_reduced": chi2.reshape(ny, nx), "fallback": replaced.reshape(ny, nx)}
    if std is not None:
        std[replaced] = np.nan  # the spread of NNRS restarts says nothing of a fallback's answer
        arrays["dos_spread"] = std.reshape(ny, nx, -1)
    check = check_map(chi2, sigma_given=False)
    arrays["failed"] = ~(chi2.reshape(ny, nx) <= CHI2_OK[1])
    meta = {
        "check": check.to_dict(),
        "input": str(args.input), "shape": [ny, nx, nb], "n_energy": int(energy.size),
        "settings": settings, "kernel": kernel.describe(), "seed": args.seed,
        "wall_time_s": wall, "spectra_per_s": ny * nx / wall if wall > 0 else None,
        "chunk_size": args.chunk_size, "workers": args.workers, "scheduler": args.scheduler,
        "gap_map_meV": {"median": float(np.nanmedian(gap)), "min": float(np.nanmin(gap)),
                        "max": float(np.nanmax(gap))},
        "chi2_reduced_median": float(np.median(chi2)),
        "arrays": {k: list(v.shape) for k, v in arrays.items()},
    }
    out_path = Path(args.output)
    targets = [out_path, out_path.with_suffix(".json")] + ([args.plot] if args.plot else [])
    with atomic_outputs(targets) as tmps:
        np.savez(tmps[0], **arrays)
        tmps[1].write_text(json.dumps(meta, indent=2, default=str))
        if args.plot:
            from specinv.sts.plots import plot_gap_map

            plot_gap_map(gap, bias, energy, dos3, std, tmps[2], chi2=chi2.reshape(ny, nx),
                         verdict=check.verdict)
    print(f"wrote {out_path} ({ny}x{nx} pixels, {energy.size} energies, {wall:.1f} s); "
          f"median gap {meta['gap_map_meV']['median']:.3f} meV"
          + (f"; {int(replaced.sum())} pixels re-fitted by {args.fallback}" if replaced.any()
             else ""))
    return report_verdict(check, args)


def _solve_nnrs(args: argparse.Namespace, kernel: Any, flat: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict[str, Any]]:
    """Batched NNRS over the pixels: one batch on all cores, or chunks on workers/Dask."""
    from tqdm.auto import tqdm

    from specinv.core.parallel import default_workers, map_chunks
    from specinv.solvers.nnrs_map import solve_chunk, solve_map, split_chunks

    options = {"preset": args.preset, "seed": args.seed, "n_ensemble": args.ensemble,
               "steps": args.steps}
    chunks = split_chunks(flat.shape[0], args.chunk_size)
    workers = default_workers() if args.workers is None else args.workers
    dos = np.zeros((flat.shape[0], kernel.mesh.size))
    std = np.zeros_like(dos) if args.ensemble > 1 else None
    chi2 = np.zeros(flat.shape[0])
    settings: dict[str, Any] = {"method": "nnrs"}
    if len(chunks) == 1 and args.scheduler is None:
        n_steps = sum(n for _, n in _stages(options))
        with tqdm(total=n_steps, desc="nnrs steps", unit="step") as bar:
            # one batch: all cores work on the batched network products
            results = [(0, solve_map(kernel, flat, progress=bar.update,
                                     threads=os.cpu_count() or 1, **options))]
    else:
        per = max(1, (os.cpu_count() or 1) // max(1, min(workers, len(chunks))))
        # the default preset's small networks run fastest on one thread per process
        extra = {"threads": per} if args.preset == "paper" else {}
        tasks = [(kernel, flat[c], {**options, **extra}) for c in chunks]
        results = map_chunks(solve_chunk, tasks, workers=workers, scheduler=args.scheduler,
                             progress=True, desc="nnrs chunks")
    for i, res in results:
        dos[chunks[i]] = res.dos
        chi2[chunks[i]] = res.chi2_reduced
        if std is not None and res.dos_spread is not None:
            std[chunks[i]] = res.dos_spread
        settings = {"method": "nnrs", **res.settings}
    return dos, std, chi2, settings


def _stages(options: dict[str, Any]) -> tuple[tuple[float, int], ...]:
    from specinv.solvers.nnrs import resolve_options

    cfg, _ = resolve_options(options)
    return cfg.stages
