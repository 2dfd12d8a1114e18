"""The STS workflow as one function: a measured curve in, a deconvolved DOS out."""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.metrics import coherence_peaks
from specinv.core.problem import Problem
from specinv.core.result import InversionResult
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.sts import STSKernel
from specinv.solvers import solve

#: largest default energy mesh (the SVD cost grows as n³)
MAX_DEFAULT_MESH = 1201


def default_energy_mesh(bias: np.ndarray, temperature: float, lockin_rms: float = 0.0,
                        n: int | None = None) -> Mesh:
    """Energy mesh covering the bias window plus the kernel's reach.

    The window is extended by ``2 k_B T + √2 V_rms`` on each side (states that
    far outside still contribute to the measured edges) with as many points as
    bias values (at most :data:`MAX_DEFAULT_MESH`) unless ``n`` is given. Single
    spectra and maps (``specinv sts map``) both use this mesh.

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Bias values, mV (any order).
    temperature : float
        Measurement temperature, K.
    lockin_rms : float
        Lock-in modulation, mV rms.
    n : int, optional
        Mesh points (at least 10).

    Returns
    -------
    Mesh
        Uniform mesh in meV.
    """
    pad = 2.0 * KB_MEV_PER_K * temperature + np.sqrt(2.0) * lockin_rms
    n = min(bias.size, MAX_DEFAULT_MESH) if n is None else int(n)
    if n < 10:
        raise ParameterError(f"energy mesh needs at least 10 points, got {n}")
    return Mesh.uniform(float(bias.min()) - pad, float(bias.max()) + pad, n)


#: MaxEnt α rule for tunneling spectra: hundreds of bias points make N_good large, and
#: the classic rule then fits the noise (χ²/N ≈ 0.9, ripples of ±0.1–0.2 in the normal
#: state of the demo); χ² = N gives 5–9× smaller ripples at the same speed
STS_MAXENT_DEFAULTS = {"alpha_rule": "historic"}


def deconvolve(bias: np.ndarray, didv: np.ndarray, *, temperature: float,
               method: str = "maxent", lockin_rms: float = 0.0, sigma: Any = None,
               mesh: Mesh | None = None, name: str = "data",
               **options: Any) -> tuple[InversionResult, dict[str, Any]]:
    """Remove thermal and lock-in broadening from a tunneling spectrum.

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Bias in mV.
    didv : ndarray of shape (n_bias,)
        Differential conductance (any unit; normalized data give ρ/N_F).
    temperature : float
        K.
    method : str
        Registered solver name.
    lockin_rms : float
        Lock-in rms amplitude, mV.
    sigma : float or ndarray, optional
        Error bars of ``didv``; estimated from the data when omitted.
    mesh : Mesh, optional
        Energy mesh (default :func:`default_energy_mesh`).
    name : str
        Where the data came from (file name), used in messages.
    **options
        Solver options (``maxent`` defaults to ``alpha_rule="historic"``,
        :data:`STS_MAXENT_DEFAULTS`).

    Returns
    -------
    result : InversionResult
        Recovered DOS on the energy mesh (meV) with its fit.
    summary : dict
        Kernel description and coherence-peak energies ``peaks_meV`` [negative, positive].
    """
    if not np.isfinite(temperature) or temperature <= 0:
        raise ParameterError(f"temperature must be > 0 K, got {temperature}")
    if method == "maxent":
        options = {**STS_MAXENT_DEFAULTS, **options}
    mesh = default_energy_mesh(bias, temperature, lockin_rms) if mesh is None else mesh
    kernel = STSKernel(bias, mesh, temperature=temperature, lockin_rms=lockin_rms)
    result = solve(Problem(kernel, didv, sigma=sigma, name=name), method=method, **options)
    peaks = coherence_peaks(result.omega, result.spectrum)
    summary = {"kernel": kernel.describe(),
               "peaks_meV": [peaks["negative"][0], peaks["positive"][0]],
               "peak_heights": [peaks["negative"][1], peaks["positive"][1]]}
    return result, summary


def solve_pixels(kernel: STSKernel, rows: Any, method: str,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deconvolve map pixels one by one with a single-curve solver.

    Parameters
    ----------
    kernel : STSKernel
        The map's kernel (shared by all pixels).
    rows : iterable of ndarray of shape (n_bias,)
        dI/dV of each pixel (error bars estimated from each curve).
    method : str
        Registered solver (``maxent`` with :data:`STS_MAXENT_DEFAULTS`).
    seed : int
        Seed of stochastic solvers.

    Returns
    -------
    dos : ndarray of shape (n_pix, n_mesh)
        Recovered DOS per pixel.
    chi2 : ndarray of shape (n_pix,)
        ``χ²/N`` of each fit.
    """
    from specinv.solvers import get_solver

    opts = {"seed": seed} if "seed" in get_solver(method).defaults else {}
    if method == "maxent":
        opts.update(STS_MAXENT_DEFAULTS)
    results = [solve(Problem(kernel, row), method=method, **opts) for row in rows]
    return (np.array([r.spectrum for r in results]).reshape(-1, kernel.mesh.size),
            np.array([r.chi2_reduced for r in results]))


def refit_failed_pixels(kernel: STSKernel, rows: np.ndarray, dos: np.ndarray,
                        chi2: np.ndarray, limit: float,
                        method: str = "maxent") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Re-solve the pixels whose fit misses the noise level with a classical solver.

    A pixel whose ``χ²/N`` exceeds ``limit`` is solved again with ``method``; its
    answer replaces the first one where it fits better.

    Parameters
    ----------
    kernel : STSKernel
        The map's kernel.
    rows : ndarray of shape (n_pix, n_bias)
        dI/dV per pixel.
    dos : ndarray of shape (n_pix, n_mesh)
        First answers.
    chi2 : ndarray of shape (n_pix,)
        Their ``χ²/N``.
    limit : float
        Largest acceptable ``χ²/N`` (the check's upper bound).
    method : str
        The fallback solver.

    Returns
    -------
    dos : ndarray of shape (n_pix, n_mesh)
        Answers, replaced where the fallback fits better.
    chi2 : ndarray of shape (n_pix,)
        Their ``χ²/N``.
    replaced : ndarray of bool, shape (n_pix,)
        Pixels answered by the fallback.
    """
    dos, chi2 = dos.copy(), chi2.copy()
    replaced = np.zeros(chi2.shape, dtype=bool)
    tried = np.flatnonzero(~(chi2 <= limit))
    if tried.size:
        new_dos, new_chi2 = solve_pixels(kernel, rows[tried], method)
        better = new_chi2 < chi2[tried]
        dos[tried[better]], chi2[tried[better]] = new_dos[better], new_chi2[better]
        replaced[tried[better]] = True
    return dos, chi2, replaced
