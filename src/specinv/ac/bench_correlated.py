"""Measured figures for correlated errors: covariance vs diagonal, jackknife, preblur.

``python -m specinv.ac.bench_correlated [--quick] [--output FILE.json]`` runs three
experiments, each on synthetic data with a known answer (none of them is drawn by a
training recipe; no learned method is involved):

1. **covariance vs diagonal**: G(τ) of a two-Gaussian spectrum (β = 10, 51 τ, mesh
   [−6, 6] of 121 cells) with noise drawn from ``C_ij = σ_i σ_j exp(−|τ_i − τ_j|/ξ)``;
   each draw is solved with the full ``C`` and with its diagonal only; reported: mean L1
   distance to the truth, mean χ²/N of the answer as each solve judged it, and χ²/N of
   the truth with ``C`` (expected 1 ± sqrt(2/N));
2. **jackknife calibration**: ``runs`` independent sets of 64 correlated bins, each
   continued with ``band=jackknife`` over 16 blocks; reported: the jackknife band
   (∫ std dω, averaged over runs) over the spread of the answers across runs
   (∫ std dω), and the fraction of the mesh where |answer − truth| < band;
3. **preblur**: ACTest STD_FG at σ = 1e-4 (and 1e-6) continued as ``ac continue`` does
   by default, with ``preblur`` b ∈ {0, 0.05, 0.1}; reported: f and failures.
"""

from __future__ import annotations

import argparse
import json
import warnings
from typing import Any

import numpy as np

from specinv.core.problem import Problem
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel
from specinv.solvers import solve

BETA = 10.0


def _model(n_tau: int = 51, n_mesh: int = 121) -> tuple[FermionicTauKernel, np.ndarray]:
    tau = np.linspace(0, BETA, n_tau)
    mesh = Mesh.uniform(-6, 6, n_mesh)
    w = mesh.points
    a = 0.6 * np.exp(-(w + 1.5) ** 2 / 0.5) + 0.4 * np.exp(-(w - 2) ** 2 / 1.28)
    return FermionicTauKernel(tau, mesh, beta=BETA), a / (a @ mesh.weights)


def _cov(k: FermionicTauKernel, g0: np.ndarray, level: float, xi: float) -> np.ndarray:
    tau, sig = k.data_points, level * (0.2 + np.abs(g0))
    return np.outer(sig, sig) * np.exp(-np.abs(tau[:, None] - tau[None, :]) / xi)


def covariance_vs_diagonal(seeds: int, xis: tuple[float, ...] = (0.5, 2.0),
                           methods: tuple[str, ...] = ("maxent", "tikhonov")) -> dict:
    """Experiment 1 (see the module): per ξ and method, the figures with C and diag C.

    Parameters
    ----------
    seeds : int
        Noise draws per ξ.
    xis : tuple of float
        Correlation lengths ξ (in units of τ, β = 10).
    methods : tuple of str
        Solvers (maxent with the ``ac continue`` α rule ``chi2curv``).

    Returns
    -------
    dict
        ``{"xi=...": {method: {"l1_cov", "l1_diag", "chi2n_cov", "chi2n_diag",
        "chi2n_truth"}}}``, means over the draws.
    """
    k, a = _model()
    g0, w = k.forward(a), k.mesh.weights
    out: dict[str, Any] = {}
    for xi in xis:
        cov = _cov(k, g0, 1e-3, xi)
        chol = np.linalg.cholesky(cov)
        rows: dict[str, dict[str, list]] = {m: {} for m in methods}
        for seed in range(seeds):
            g = g0 + chol @ np.random.default_rng(seed).standard_normal(g0.size)
            pc, pd = Problem(k, g, covariance=cov), Problem(k, g, sigma=np.sqrt(np.diag(cov)))
            for m in methods:
                opts = {"alpha_rule": "chi2curv"} if m == "maxent" else {}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rc, rd = solve(pc, m, **opts), solve(pd, m, **opts)
                for key, val in (("l1_cov", np.abs(rc.spectrum - a) @ w),
                                 ("l1_diag", np.abs(rd.spectrum - a) @ w),
                                 ("chi2n_cov", rc.chi2_reduced), ("chi2n_diag", rd.chi2_reduced),
                                 ("chi2n_truth", pc.chi2(a) / g0.size)):
                    rows[m].setdefault(key, []).append(float(val))
        out[f"xi={xi:g}"] = {m: {key: float(np.mean(v)) for key, v in r.items()}
                             for m, r in rows.items()}
    return out


def jackknife_calibration(runs: int, method: str = "maxent") -> dict:
    """Experiment 2 (see the module).

    Parameters
    ----------
    runs : int
        Independent sets of 64 bins.
    method : str
        Solver (maxent with ``alpha_rule=chi2curv``).

    Returns
    -------
    dict
        ``band_over_spread``, ``coverage`` (fraction of mesh points), ``l1`` (mean).
    """
    k, a = _model(41, 101)
    g0, w = k.forward(a), k.mesh.weights
    chol = np.linalg.cholesky(_cov(k, g0, 3e-3, 1.5))
    opts = {"alpha_rule": "chi2curv"} if method == "maxent" else {}
    answers, bands = [], []
    for run in range(runs):
        bins = g0 + (chol @ np.random.default_rng(50 + run).standard_normal((g0.size, 64))).T
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = solve(Problem.from_bins(k, bins), method, band="jackknife", n_band=16, **opts)
        answers.append(r.spectrum)
        bands.append(r.spectrum_std)
    f, s = np.array(answers), np.array(bands)
    return {"band_over_spread": float(s.mean(axis=0) @ w / (f.std(axis=0, ddof=1) @ w)),
            "coverage": float(np.mean(np.abs(f - a) < s)),
            "l1": float(np.mean(np.abs(f - a) @ w))}


def preblur_scores(sigma: float, widths: tuple[float, ...]) -> dict:
    """Experiment 3 (see the module): f and failures on STD_FG per preblur width.

    Parameters
    ----------
    sigma : float
        ACTest noise level.
    widths : tuple of float
        Preblur widths b (energy unit of the set).

    Returns
    -------
    dict
        ``{"preblur=b": {"f", "failures"}}``.
    """
    from specinv.ac import actest
    from specinv.ac.bench_actest import _ours, run_level
    from specinv.ac.cli import AC_DEFAULT_MODEL, AC_DEFAULTS

    runs = {f"preblur={b:g}": _ours("maxent", {**AC_DEFAULTS["maxent"], "preblur": b},
                                     model=AC_DEFAULT_MODEL) for b in widths}
    level = run_level(actest.STD_FG, sigma, runs)["methods"]
    return {k: {"f": v["f"], "failures": v["failures"]} for k, v in level.items()}


def main(argv: list[str] | None = None) -> dict:
    """Run the three experiments, print them, optionally write them as JSON.

    Parameters
    ----------
    argv : list of str, optional
        ``--quick`` (few draws, no preblur set) and ``--output FILE.json``.

    Returns
    -------
    dict
        Every figure, keyed by experiment.
    """
    p = argparse.ArgumentParser(prog="python -m specinv.ac.bench_correlated")
    p.add_argument("--quick", action="store_true", help="2 draws, 3 runs, no ACTest set")
    p.add_argument("--output", default=None, help="JSON file for the figures (default: none)")
    args = p.parse_args(argv)
    res: dict[str, Any] = {
        "covariance_vs_diagonal": covariance_vs_diagonal(2 if args.quick else 10),
        "jackknife": {m: jackknife_calibration(3 if args.quick else 20, m)
                      for m in ("maxent", "tikhonov")}}
    if not args.quick:
        res["preblur"] = {f"sigma={s:g}": preblur_scores(s, (0.0, 0.05, 0.1))
                          for s in (1e-4, 1e-6)}
    print(json.dumps(res, indent=1))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":
    main()
