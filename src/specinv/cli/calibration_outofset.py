"""Out-of-set check of the calibrated bands: spectra the calibration never drew.

The factors of ``specinv bench calibration`` are fitted and tested on its own case
builders (:mod:`specinv.cli.calibration_cases`). This module writes its cases
independently of them, as a user's data would be: the trust example of the docs
(``docs/examples/plot_trust.py``: Dynes Δ = 1.2 meV, 2 K, 321 bias points, error
bars estimated), a two-gap superconductor at 4.2 K with lock-in on 501 bias points
(more points, another noise level), and imaginary-time and Matsubara Green's functions
of shapes outside the calibration's Gaussian peaks (a semicircular band with a sharp
satellite, a Mott-like insulator with asymmetric Hubbard bands, a correlated metal with
a Lorentzian quasiparticle peak) at temperatures (β = 5, 60), grid sizes (24 and 48
frequencies, 61 and 301 τ points) and meshes the calibration does not draw. Every curve
is computed on a mesh four to eight times finer than the solver's, and solved with
error bars estimated from the data, through the same path as the CLI. Each case is
drawn with several noise seeds. The bench uses these cases twice: to validate a factor
below the raw band's Gaussian width (a shrink is shipped only as far as every case of
the domain still covers the lower end of the window,
:func:`specinv.cli.bench_calibration.out_of_set_floor`), and to report the coverage of
``s68 σ_boot`` and ``s95 σ_boot`` per case and method (:func:`out_of_set`).
"""

from __future__ import annotations

import warnings
from functools import partial
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
    return 0.7 * _band(x, 0.5, 2.0) + 0.3 * _lorentzian(x, -3.0, 0.15)


def _insulator(x: np.ndarray) -> np.ndarray:
    """Mott-like insulator: asymmetric Hubbard bands at −2.5 and +2 (half-widths 1.2, 1.5)."""
    return 0.55 * _band(x, -2.5, 1.2) + 0.45 * _band(x, 2.0, 1.5)


def _metal(x: np.ndarray) -> np.ndarray:
    """Correlated metal: Lorentzian quasiparticle peak at 0.2 (width 0.25), Hubbard bands ±3."""
    return 0.4 * _lorentzian(x, 0.2, 0.25) + 0.3 * _band(x, -3.0, 1.5) + 0.3 * _band(x, 3.0, 1.5)


def _band(x: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    """Unit-weight semicircle."""
    u = (x - centre) / half_width
    return 2.0 / (np.pi * half_width) * np.sqrt(np.clip(1.0 - u ** 2, 0.0, None))


def _lorentzian(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Unit-weight Lorentzian of half-width ``width``."""
    return width / np.pi / ((x - centre) ** 2 + width ** 2)


def _tau(shape: Any, beta: float, n_tau: int, noise: float, half: float, n_mesh: int,
         seed: int) -> tuple[Any, Any]:
    """G(τ) of ``shape`` on ``n_tau`` points, relative noise ``noise``, solved on ±half."""
    from specinv.core.mesh import Mesh
    from specinv.core.problem import Problem
    from specinv.kernels.imaginary_time import FermionicTauKernel

    tau = np.linspace(0.0, beta, n_tau)
    mesh, fine = Mesh.uniform(-half, half, n_mesh), Mesh.uniform(-half, half, 8 * n_mesh)
    clean = FermionicTauKernel(tau, fine, beta=beta).forward(_cell_mean(fine, shape))
    g = clean + noise * np.abs(clean).max() * np.random.default_rng(seed).standard_normal(n_tau)
    return Problem(FermionicTauKernel(tau, mesh, beta=beta), g), lambda m: _cell_mean(m, shape)


def _matsubara(shape: Any, beta: float, n_freq: int, noise: float, half: float, n_mesh: int,
               seed: int) -> tuple[Any, Any]:
    """G(iω_n) of ``shape`` on the first ``n_freq`` frequencies; σ from Im G as ``ac continue``."""
    from specinv.core.mesh import Mesh
    from specinv.core.noise import estimate_noise
    from specinv.core.problem import Problem
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    wn = (2 * np.arange(n_freq) + 1) * np.pi / beta
    mesh, fine = Mesh.uniform(-half, half, n_mesh), Mesh.uniform(-half, half, 8 * n_mesh)
    clean = FermionicMatsubaraKernel(wn, fine, beta=beta).forward(_cell_mean(fine, shape))
    scale = float(np.abs(clean).max())
    g = clean + noise * scale * np.random.default_rng(seed).standard_normal(clean.size)
    sigma = max(estimate_noise(g[n_freq:]), 1e-6 * scale)
    return Problem(FermionicMatsubaraKernel(wn, mesh, beta=beta), g, sigma=sigma), \
        lambda m: _cell_mean(m, shape)


def _cell_mean(mesh: Any, f: Any, sub: int = 16) -> np.ndarray:
    """Average of ``f`` over each cell of ``mesh`` (``sub`` midpoints per cell)."""
    e = mesh.edges
    t = (np.arange(sub) + 0.5) / sub
    return f(e[:-1, None] + (e[1:] - e[:-1])[:, None] * t).mean(axis=1)


#: case name -> (builder(seed) -> (problem, truth(mesh)), the bench domain it belongs to);
#: the continuation cases leave the calibration's Gaussian peaks, β 10-40, its grid sizes
#: and its ±8 mesh of 161 points
CASES = {"sts-docs-example": (_sts_docs, "sts"),
         "sts-two-gap-4.2K-lockin-501pts": (_sts_two_gap, "sts"),
         "tau-semicircle-beta30-81pts": (partial(_tau, _semicircle, 30.0, 81, 3e-4, 6.0, 121),
                                         "ac"),
         "tau-insulator-beta60-61pts": (partial(_tau, _insulator, 60.0, 61, 1e-3, 7.0, 141),
                                        "ac"),
         "tau-metal-beta5-301pts": (partial(_tau, _metal, 5.0, 301, 3e-5, 10.0, 201), "ac"),
         "matsubara-semicircle-beta30-48freq": (
             partial(_matsubara, _semicircle, 30.0, 48, 3e-4, 6.0, 121), "ac-matsubara"),
         "matsubara-insulator-beta60-100freq": (
             partial(_matsubara, _insulator, 60.0, 100, 1e-3, 7.0, 141), "ac-matsubara"),
         "matsubara-metal-beta5-24freq": (
             partial(_matsubara, _metal, 5.0, 24, 3e-5, 10.0, 201), "ac-matsubara")}


def case_z(task: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """Scores of one solver on one out-of-set case, one per noise seed.

    Parameters
    ----------
    task : tuple
        ``(case name in CASES, registered solver, its options)``.

    Returns
    -------
    list of (ndarray, ndarray, float)
        :func:`specinv.cli.calibration_scores.band_scores` for each of :data:`SEEDS`:
        ``|f − truth| / σ_boot`` of the raw bootstrap band, the same with the α-window
        term, and the window-to-bootstrap ratio.
    """
    from specinv.cli.calibration_scores import band_scores
    from specinv.solvers import get_solver

    name, solver, options = task
    z = []
    for seed in SEEDS:
        problem, truth = CASES[name][0](seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = get_solver(solver, **options).solve(problem)
        z.append(band_scores(r, truth(problem.kernel.mesh)))
    return z


def out_of_set_z(methods: dict[str, tuple[str, ...]],
                 specs: dict[str, tuple[str, dict[str, Any]]],
                 mapper: Any = map) -> dict[tuple[str, str], list[Any]]:
    """z-scores of every benchmarked method on every out-of-set case of its domain.

    Parameters
    ----------
    methods : dict
        Domain -> the methods benchmarked there.
    specs : dict
        Method -> (registered solver, options), as
        :data:`specinv.cli.bench_calibration.METHODS`.
    mapper : callable, optional
        ``map`` or a process pool's ``map``, applied to :func:`case_z`.

    Returns
    -------
    dict
        ``(case, method)`` -> :func:`case_z` of that pair.
    """
    keys = [(name, m) for name, (_, domain) in CASES.items() for m in methods[domain]]
    tasks = [(name, *specs[m]) for name, m in keys]
    return dict(zip(keys, mapper(case_z, tasks), strict=True))


def domain_z(zs: dict[tuple[str, str], list[Any]], domain: str,
             method: str) -> list[np.ndarray]:
    """The pooled z-scores of ``method`` on each out-of-set case of ``domain``.

    Parameters
    ----------
    zs : dict
        :func:`out_of_set_z`.
    domain, method : str
        A benchmarked pair.

    Returns
    -------
    list of ndarray
        One array per case of that domain (its seeds concatenated); empty when the
        domain has no out-of-set case.
    """
    return [np.concatenate([s[0] for s in zs[(name, method)]])
            for name, (_, d) in CASES.items() if d == domain]


def out_of_set(zs: dict[tuple[str, str], list[Any]],
               factors: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Coverage of the calibrated bands on the out-of-set cases.

    Parameters
    ----------
    zs : dict
        :func:`out_of_set_z`.
    factors : dict
        ``(domain, method)`` -> its fitted entry (``s68``, ``s95``, ``alpha_limited``).

    Returns
    -------
    dict
        ``"case/method"`` -> ``raw_68`` (share of points with z ≤ 1), the factors, the
        window-to-bootstrap ratio of each seed (``alpha_ratio_per_seed``),
        ``coverage_68``/``coverage_95`` of the bands reported (α-limited seeds with the
        wider band, :func:`specinv.cli.calibration_scores.covered`; mean over
        :data:`SEEDS`, and per seed) and
        ``reported_68``/``reported_95`` (whether the shipped rule shows that level).
    """
    from specinv.cli.calibration_scores import covered
    from specinv.solvers.bands import level_missed

    out = {}
    for (name, method), z in zs.items():
        entry = factors[(CASES[name][1], method)]
        res = {"seeds": list(SEEDS),
               "raw_68": float(np.mean(np.concatenate([s[0] for s in z]) <= 1.0)),
               "s68": entry["s68"], "s95": entry["s95"],
               "alpha_ratio_per_seed": [float(s[2]) for s in z]}
        for level in ("68", "95"):
            per_seed = [float(np.mean(covered(s, entry, level))) for s in z]
            res[f"coverage_{level}"] = float(np.mean(per_seed))
            res[f"coverage_{level}_per_seed"] = per_seed
            res[f"reported_{level}"] = level_missed(entry, level) is None
        out[f"{name}/{method}"] = res
        print(f"out of set {name} {method}: raw band covers {res['raw_68']:.0%}; "
              f"calibrated {res['coverage_68']:.0%} / {res['coverage_95']:.0%}", flush=True)
    return out
