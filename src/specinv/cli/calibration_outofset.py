"""Out-of-set check of the calibrated bands: spectra the calibration never drew.

The factors of ``specinv bench calibration`` are fitted and tested on its own case
builders (:mod:`specinv.cli.bench_calibration`). This module writes its cases
independently of them, as a user's data would be: the trust example of the docs
(``docs/examples/plot_trust.py``: Dynes Δ = 1.2 meV, 2 K, 321 bias points, error
bars estimated), a two-gap superconductor at 4.2 K with lock-in on 501 bias points
(more points, another noise level), and an imaginary-time Green's function of a
semicircular band with a sharp satellite (shapes outside the Gaussian peaks of the
calibration, another β, τ grid and mesh). Every curve is computed on a mesh four to
eight times finer than the solver's, and solved with error bars estimated from the
data, through the same path as the CLI. Each case is drawn with several noise seeds;
the coverage of ``s68 σ_boot`` and ``s95 σ_boot`` is reported per case and method.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

#: noise seeds of every out-of-set case (seed 1 is the docs example's)
SEEDS = (1, 2, 3, 4)


def _sts_docs(seed: int) -> tuple[Any, Any]:
    """The trust example of the docs: Dynes Δ = 1.2, Γ = 0.05 meV, 2 K, 0.1 % noise."""
    from specinv.sts.dos import dynes_dos
    from specinv.sts.simulate import simulate_didv

    bias = np.linspace(-4, 4, 321)
    sim = simulate_didv("dynes", bias, gap=1.2, gamma=0.05, temperature=2.0, noise=1e-3,
                        seed=seed)
    return _sts_problem(bias, sim.didv, 2.0, 0.0), lambda m: dynes_dos(m, 1.2, 0.05)


def _sts_two_gap(seed: int) -> tuple[Any, Any]:
    """Two gaps (1.4 and 0.6 meV, weights 0.7/0.3) at 4.2 K, 0.1 mV lock-in, 501 points."""
    from specinv.sts.dos import two_gap_dos
    from specinv.sts.simulate import simulate_didv

    bias = np.linspace(-5, 5, 501)
    sim = simulate_didv("twogap", bias, gap=1.4, gap2=0.6, weight1=0.7, gamma=0.03,
                        temperature=4.2, lockin_rms=0.1, noise=3e-3, seed=seed)
    return (_sts_problem(bias, sim.didv, 4.2, 0.1),
            lambda m: two_gap_dos(m, 1.4, 0.6, 0.7, 0.03, 0.03))


def _sts_problem(bias: np.ndarray, didv: np.ndarray, temperature: float, lockin: float) -> Any:
    """The problem ``sts deconvolve`` builds for a file without an error column."""
    from specinv.core.problem import Problem
    from specinv.kernels.sts import STSKernel
    from specinv.sts.workflow import default_energy_mesh

    mesh = default_energy_mesh(bias, temperature, lockin)
    return Problem(STSKernel(bias, mesh, temperature=temperature, lockin_rms=lockin), didv)


def _semicircle(x: np.ndarray) -> np.ndarray:
    """Semicircular band (half-width 2, centre 0.5) plus a satellite at −3 (width 0.15)."""
    band = np.sqrt(np.clip(4.0 - (x - 0.5) ** 2, 0.0, None))
    return 0.7 * band / (2.0 * np.pi) + 0.3 * 0.15 / np.pi / ((x + 3.0) ** 2 + 0.15 ** 2)


def _tau_semicircle(seed: int) -> tuple[Any, Any]:
    """G(τ) at β = 30 on 81 τ points of that band, 3e-4 noise, solved on ±6 (121 points)."""
    from specinv.core.mesh import Mesh
    from specinv.core.problem import Problem
    from specinv.kernels.imaginary_time import FermionicTauKernel

    tau = np.linspace(0.0, 30.0, 81)
    mesh, fine = Mesh.uniform(-6.0, 6.0, 121), Mesh.uniform(-6.0, 6.0, 968)
    clean = FermionicTauKernel(tau, fine, beta=30.0).forward(_cell_mean(fine, _semicircle))
    g = clean + 3e-4 * np.abs(clean).max() * np.random.default_rng(seed).standard_normal(81)
    return Problem(FermionicTauKernel(tau, mesh, beta=30.0), g), \
        lambda m: _cell_mean(m, _semicircle)


def _cell_mean(mesh: Any, f: Any, sub: int = 16) -> np.ndarray:
    """Average of ``f`` over each cell of ``mesh`` (``sub`` midpoints per cell)."""
    e = mesh.edges
    t = (np.arange(sub) + 0.5) / sub
    return f(e[:-1, None] + (e[1:] - e[:-1])[:, None] * t).mean(axis=1)


#: case name -> (builder(seed) -> (problem, truth(mesh)), the bench domain it belongs to)
CASES = {"sts-docs-example": (_sts_docs, "sts"),
         "sts-two-gap-4.2K-lockin-501pts": (_sts_two_gap, "sts"),
         "tau-semicircle-beta30-81pts": (_tau_semicircle, "ac")}


def _coverage(name: str, spec: tuple[str, dict[str, Any]], factors: dict[str, Any]
              ) -> dict[str, Any]:
    """Coverage of the raw and calibrated bands of solver ``spec`` on case ``name``."""
    from specinv.solvers import get_solver
    from specinv.solvers.bands import level_missed

    build, _ = CASES[name]
    z = []
    for seed in SEEDS:
        problem, truth = build(seed)
        solver = get_solver(spec[0], **spec[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = solver.solve(problem)
        z.append(np.abs(r.spectrum - truth(problem.kernel.mesh)) / r.extras["band_std_raw"])
    out = {"seeds": list(SEEDS), "raw_68": float(np.mean(np.concatenate(z) <= 1.0)),
           "s68": factors["s68"], "s95": factors["s95"]}
    for level in ("68", "95"):
        per_seed = [float(np.mean(a <= factors[f"s{level}"])) for a in z]
        out[f"coverage_{level}"] = float(np.mean(per_seed))
        out[f"coverage_{level}_per_seed"] = per_seed
        out[f"reported_{level}"] = level_missed(factors, level) is None
    return out


def out_of_set(factors: dict[tuple[str, str], dict[str, Any]],
               methods: dict[str, tuple[str, ...]],
               specs: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Coverage of the calibrated bands on the out-of-set cases.

    Parameters
    ----------
    factors : dict
        ``(domain, method)`` -> its fitted entry (``s68``, ``s95``).
    methods : dict
        Domain -> the methods benchmarked there.
    specs : dict
        Method -> (registered solver, options), as
        :data:`specinv.cli.bench_calibration.METHODS`.

    Returns
    -------
    dict
        ``"case/method"`` -> ``raw_68`` (share of points with z ≤ 1), the factors,
        ``coverage_68``/``coverage_95`` (mean over :data:`SEEDS`, and per seed) and
        ``reported_68``/``reported_95`` (whether the shipped rule shows that level).
    """
    out = {}
    for name, (_, domain) in CASES.items():
        for method in methods[domain]:
            res = _coverage(name, specs[method], factors[(domain, method)])
            out[f"{name}/{method}"] = res
            print(f"out of set {name} {method}: raw band covers {res['raw_68']:.0%}; "
                  f"calibrated {res['coverage_68']:.0%} / {res['coverage_95']:.0%}", flush=True)
    return out
