"""Forward simulation of finite-temperature tunneling spectra with noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.sts import STSKernel
from specinv.sts.dos import dwave_dos, dynes_dos, two_gap_dos

DOS_MODELS = ("bcs", "dynes", "dwave", "twogap")


def model_dos(model: str, omega: Mesh | np.ndarray, *, gap: float, gamma: float = 0.0,
              gap2: float | None = None, weight1: float = 0.5) -> np.ndarray:
    """Evaluate a named DOS model (``bcs``, ``dynes``, ``dwave``, ``twogap``) on a mesh.

    ``twogap`` uses ``gap2`` (default ``gap/2``) and weight ``weight1`` on ``gap``.

    Parameters
    ----------
    model : {"bcs", "dynes", "dwave", "twogap"}
        DOS model.
    omega : Mesh or ndarray of shape (n,)
        Energy mesh (meV), or its points.
    gap : float
        Δ (meV); the gap maximum for ``dwave``, Δ₁ for ``twogap``.
    gamma : float
        Dynes broadening Γ (meV; ignored by ``bcs``).
    gap2 : float, optional
        Second gap Δ₂ of ``twogap`` (meV).
    weight1 : float
        Weight of the ``gap`` term of ``twogap``, in [0, 1].

    Returns
    -------
    ndarray of shape (n,)
        ρ/N_F on each cell.
    """
    if model == "bcs":
        return dynes_dos(omega, gap, 0.0)
    if model == "dynes":
        return dynes_dos(omega, gap, gamma)
    if model == "dwave":
        return dwave_dos(omega, gap, gamma)
    if model == "twogap":
        return two_gap_dos(omega, gap, 0.5 * gap if gap2 is None else gap2, weight1, gamma, gamma)
    raise ParameterError(f"unknown DOS model {model!r}; valid: {', '.join(DOS_MODELS)}")


@dataclass
class SimulatedSpectrum:
    """A simulated dI/dV curve and its ground truth.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Bias in mV.
    didv : ndarray of shape (n_bias,)
        Normalized conductance with noise.
    clean : ndarray of shape (n_bias,)
        Noise-free conductance.
    sigma : float
        Standard deviation of the added noise (conductance units).
    mesh : Mesh
        Fine energy mesh of the ground truth.
    dos : ndarray of shape (n_mesh,)
        Ground-truth DOS on ``mesh``.
    parameters : dict
        Everything needed to reproduce the simulation.
    """

    bias: np.ndarray
    didv: np.ndarray
    clean: np.ndarray
    sigma: float
    mesh: Mesh
    dos: np.ndarray
    parameters: dict[str, Any]


def simulate_didv(model: str, bias: np.ndarray, *, gap: float, temperature: float,
                  gamma: float = 0.0, gap2: float | None = None, weight1: float = 0.5,
                  lockin_rms: float = 0.0, noise: float = 0.0, seed: int = 0,
                  oversample: int = 8) -> SimulatedSpectrum:
    """Simulate the normalized dI/dV of a model superconductor.

    The truth is evaluated (cell-averaged) on a mesh ``oversample`` times finer
    than the bias step, padded by ``15 k_B T + 2 V_p`` on both sides so the
    kernel's tails are inside it. Noise is Gaussian with standard deviation
    ``noise · max|dI/dV|`` (a constant floor, as in a measurement).

    Parameters
    ----------
    model : {"bcs", "dynes", "dwave", "twogap"}
        DOS model (see :func:`model_dos`).
    bias : ndarray of shape (n_bias,)
        Bias points in mV (increasing).
    gap, gamma, gap2, weight1 : float
        DOS parameters in meV (see :func:`model_dos`).
    temperature : float
        K.
    lockin_rms : float
        Lock-in rms modulation in mV.
    noise : float
        Relative noise level (0 for exact data).
    seed : int
        Seed of the noise generator.
    oversample : int
        Truth mesh points per bias step.

    Returns
    -------
    SimulatedSpectrum
        Noisy and clean dI/dV, noise σ, and the truth on its fine mesh.
    """
    v = np.asarray(bias, dtype=float)
    if v.ndim != 1 or v.size < 3 or np.any(np.diff(v) <= 0):
        raise ParameterError("bias must be an increasing 1-D array with at least 3 points")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ParameterError(f"temperature must be > 0 K, got {temperature}")
    if not np.isfinite(noise) or noise < 0:
        raise ParameterError(f"noise must be >= 0, got {noise}")
    pad = 15.0 * KB_MEV_PER_K * temperature + 2.0 * np.sqrt(2.0) * lockin_rms
    step = float(np.min(np.diff(v))) / oversample
    n = int(np.ceil((v[-1] - v[0] + 2 * pad) / step)) + 1
    mesh = Mesh.uniform(v[0] - pad, v[-1] + pad, n)
    dos = model_dos(model, mesh, gap=gap, gamma=gamma, gap2=gap2, weight1=weight1)
    kernel = STSKernel(v, mesh, temperature=temperature, lockin_rms=lockin_rms)
    clean = kernel.forward(dos)
    sigma = float(noise * np.max(np.abs(clean)))
    rng = np.random.default_rng(seed)
    didv = clean + sigma * rng.standard_normal(v.size) if sigma > 0 else clean.copy()
    params = dict(model=model, gap_meV=gap, gamma_meV=gamma, gap2_meV=gap2, weight1=weight1,
                  temperature_K=temperature, lockin_rms_mV=lockin_rms, noise=noise, seed=seed,
                  n_bias=int(v.size), bias_range_mV=[float(v[0]), float(v[-1])],
                  truth_mesh_points=int(n))
    return SimulatedSpectrum(v, didv, clean, sigma, mesh, dos, params)
