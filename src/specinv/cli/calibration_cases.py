"""Simulated problems of ``specinv bench calibration``, over the range users run.

Each builder returns ``n`` cases ``(kernel, truth, relative noise, σ mode, noise-free
data)`` of one domain. Every axis a builder varies (temperature, data size, lock-in,
noise level, whether error bars are given) is balanced within the calibration and the
held-out half (:func:`calibration_half`, :func:`balanced`), so the factors are fitted and
tested on the same mixture; :data:`CASE_AXES` lists the axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def calibration_half(i: int) -> bool:
    """Whether case ``i`` is in the calibration half (pairs of cases alternate).

    Parameters
    ----------
    i : int
        Case index within its domain.

    Returns
    -------
    bool
        True for cases 0, 1, 4, 5, 8, 9, ...; the others are held out.
    """
    return i % 4 < 2


#: error bars of a case: given (the true σ) or estimated from the noisy data, as the CLI
#: does for a file without an error column
SIGMA_MODES = ("given", "estimated")
#: a simulated problem: kernel, true spectrum, relative noise, σ mode, noise-free data
_Case = tuple[Any, np.ndarray, float, str, np.ndarray]


def balanced(rng: np.random.Generator, n: int, levels: int) -> np.ndarray:
    """Levels of one case axis, balanced within the calibration and the held-out half.

    Each half (:func:`calibration_half`) holds every level ``len(half) // levels`` or
    one more times, in random order, so the factors are fitted and tested on the same
    mixture of temperatures, sizes and error modes.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the order within each half.
    n : int
        Number of cases.
    levels : int
        Number of levels of the axis.

    Returns
    -------
    ndarray of int, shape (n,)
        Level index of each case.
    """
    out = np.empty(n, dtype=int)
    for half in (True, False):
        idx = np.flatnonzero([calibration_half(i) is half for i in range(n)])
        out[idx] = rng.permutation(np.resize(np.arange(levels), idx.size))
    return out


def _sts_cases(rng: np.random.Generator, n: int) -> list[_Case]:
    """Tunneling spectra as users measure them: 0.3-10 K, 81-321 bias points, lock-in.

    The data are computed from the DOS on a mesh four times finer than the solver's
    (the measured curve comes from a continuum, not from the solver's cells); the truth
    is the DOS averaged over the solver's cells.
    """
    from specinv.core.mesh import Mesh
    from specinv.core.units import KB_MEV_PER_K
    from specinv.kernels.sts import STSKernel
    from specinv.sts.dos import dwave_dos, dynes_dos, two_gap_dos
    from specinv.sts.workflow import default_energy_mesh

    temps, sizes = (0.3, 1.0, 2.0, 4.0, 7.0, 10.0), (81, 161, 321)
    t_lv, n_lv, lock, mode, noise, shape = (balanced(rng, n, k) for k in (6, 3, 2, 2, 2, 3))
    out = []
    for i in range(n):
        t = temps[t_lv[i]]
        kt = KB_MEV_PER_K * t
        gap = float(rng.uniform(0.6, 1.6)) * max(1.0, 1.5 * kt / 0.3)  # Δ ≳ 1.76 k_B T_c
        lockin = float(rng.uniform(1.0, 3.0)) * kt if lock[i] else 0.0
        bias = np.linspace(-1, 1, sizes[n_lv[i]]) * float(rng.uniform(2.5, 4.0)) * gap
        mesh = default_energy_mesh(bias, t, lockin)
        fine = Mesh.uniform(float(mesh.edges[0]), float(mesh.edges[-1]), 4 * mesh.size)
        dos = (lambda m, g=gap: dynes_dos(m, g, 0.05 * g), lambda m, g=gap: dwave_dos(m, g, 0.05),
               lambda m, g=gap: two_gap_dos(m, g, 0.5 * g, 0.6))[shape[i]]
        data = STSKernel(bias, fine, temperature=t, lockin_rms=lockin).forward(dos(fine))
        out.append((STSKernel(bias, mesh, temperature=t, lockin_rms=lockin), dos(mesh),
                    (1e-2, 1e-3)[noise[i]], SIGMA_MODES[mode[i]], data))
    return out


def _peaks(rng: np.random.Generator, n: int, mesh: Any) -> list[np.ndarray]:
    """One to three Gaussian peaks on ``mesh``, normalized to unit weight."""
    x = mesh.points
    out = []
    for i in range(n):
        a = np.zeros_like(x)
        for _ in range(1 + i % 3):
            c, w = rng.uniform(-4.0, 4.0), rng.uniform(0.3, 1.5)
            a += rng.uniform(0.3, 1.0) * np.exp(-0.5 * ((x - c) / w) ** 2)
        out.append(a / (a @ mesh.weights))
    return out


def _ac_axes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """β (10, 20, 40), data size (3 levels), noise (2) and σ mode, balanced per half."""
    return tuple(balanced(rng, n, k) for k in (3, 3, 2, 2))


def _continuation_cases(rng: np.random.Generator, n: int,
                        kernel_at: Any) -> list[_Case]:
    """Peaked spectra on a ±8 mesh through ``kernel_at(mesh, beta, size_level)``."""
    from specinv.core.mesh import Mesh

    mesh = Mesh.uniform(-8.0, 8.0, 161)
    b_lv, n_lv, noise, mode = _ac_axes(rng, n)
    out = []
    for i, a in enumerate(_peaks(rng, n, mesh)):
        k = kernel_at(mesh, (10.0, 20.0, 40.0)[b_lv[i]], n_lv[i])
        out.append((k, a, (1e-3, 1e-4)[noise[i]], SIGMA_MODES[mode[i]], k.forward(a)))
    return out


def _ac_cases(rng: np.random.Generator, n: int) -> list[_Case]:
    from specinv.kernels.imaginary_time import FermionicTauKernel

    return _continuation_cases(rng, n, lambda mesh, beta, lv: FermionicTauKernel(
        np.linspace(0.0, beta, (51, 101, 201)[lv]), mesh, beta=beta))


def _matsubara_cases(rng: np.random.Generator, n: int) -> list[_Case]:
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    return _continuation_cases(rng, n, lambda mesh, beta, lv: FermionicMatsubaraKernel(
        (2 * np.arange((32, 64, 128)[lv]) + 1) * np.pi / beta, mesh, beta=beta))


def _optics_cases(rng: np.random.Generator, n: int) -> list[_Case]:
    from specinv.optics.bench_verified import families
    from specinv.optics.setup import OpticsSetup

    setup = OpticsSetup()
    glues = list(families(setup.mesh().points).values())
    temps = (10.0, 30.0, 100.0, 200.0, 300.0)
    t_lv, noise = balanced(rng, n, len(temps)), balanced(rng, n, 2)
    kernels = {t: setup.kernel(t) for t in temps}
    out = []
    for i in range(n):
        k, glue = kernels[temps[t_lv[i]]], glues[i % len(glues)]
        out.append((k, glue, (1e-3, 1e-4)[noise[i]], "given", k.forward(glue)))
    return out


def case_sigma(kernel: Any, data: np.ndarray, sigma: float, mode: str) -> Any:
    """Error bars a case is solved with: the true σ, or what the CLI estimates.

    Parameters
    ----------
    kernel : Kernel
        The case's kernel.
    data : ndarray of shape (n_data,)
        Noisy data.
    sigma : float
        True noise standard deviation.
    mode : {"given", "estimated"}
        :data:`SIGMA_MODES`.

    Returns
    -------
    float or None
        ``sigma``; None (the problem estimates it from the data, as ``sts deconvolve``
        and ``ac continue`` on τ data do); or, for stacked Matsubara data, the estimate
        from the imaginary part that ``ac continue`` uses.
    """
    if mode == "given":
        return sigma
    from specinv.core.noise import estimate_noise
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    if isinstance(kernel, FermionicMatsubaraKernel):
        return max(estimate_noise(data[data.size // 2:]), 1e-6 * float(np.abs(data).max()))
    return None


#: what each domain's cases vary (every axis balanced within both halves, :func:`balanced`)
CASE_AXES = {
    "sts": "Dynes, d-wave and two-gap DOS; T 0.3, 1, 2, 4, 7, 10 K; 81, 161, 321 bias points "
           "over ±(2.5-4) Δ, default energy mesh; lock-in 0 or 1-3 k_B T rms; noise 1e-2, "
           "1e-3 of max; σ given or estimated from the data",
    "ac": "1-3 Gaussian peaks on ±8 (161 points); β 10, 20, 40; 51, 101, 201 τ points; "
          "noise 1e-3, 1e-4 of max; σ given or estimated from the data",
    "ac-matsubara": "1-3 Gaussian peaks on ±8 (161 points); β 10, 20, 40; 32, 64, 128 "
                    "frequencies; noise 1e-3, 1e-4 of max; σ given or estimated from Im G",
    "optics": "glue families of specinv.optics.bench_verified; T 10, 30, 100, 200, 300 K; "
              "noise 1e-3, 1e-4 of max; σ given"}
