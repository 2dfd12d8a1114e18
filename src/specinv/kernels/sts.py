"""Thermal (and lock-in) broadening kernel of tunneling spectroscopy.

Normalized form (PHYSICS.md §1), with β = 1/(k_B T)::

    g(V) = ∫ dω ρ(ω) (β/4) sech²(β(ω − eV)/2)

It integrates to 1 over ω, so ``g`` normalized to the normal state gives
``ρ/N_F``. A lock-in modulation of rms amplitude ``V_rms`` (peak
``V_p = √2 V_rms``) convolves the measured curve once more with the
semicircle ``L(u) = 2√(V_p² − u²)/(π V_p²)``; that convolution is done with
Gauss–Chebyshev (second kind) quadrature, whose weight is exactly the
semicircle, so it is exact to exponential accuracy and reduces to the
identity as ``V_p → 0``.

The seed's form ``a · cosh⁻²(β(ω + ε)/2)`` is available through
``prefactor=a`` and ``convention="seed"``; ``quadrature="point"`` samples
the kernel at the mesh points times the spacing as the seed does, whereas the
default ``"cell"`` integrates it exactly over each cell (``½ tanh``), which
stays accurate when the thermal width is below the mesh spacing.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.units import KB_MEV_PER_K
from specinv.kernels.base import Kernel


def _sech2_half(x: np.ndarray) -> np.ndarray:
    """``sech²(x/2)`` without overflow: ``4 e^{−|x|} / (1 + e^{−|x|})²``."""
    e = np.exp(-np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def lockin_nodes(beta: float, v_peak: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and weights that integrate against the lock-in semicircle.

    Parameters
    ----------
    beta : float
        Inverse temperature (1/energy), sets how finely the semicircle is sampled.
    v_peak : float
        Peak modulation amplitude (energy units); 0 gives the single node (0, 1).

    Returns
    -------
    offsets : ndarray of shape (n,)
        Energy shifts ``u_i`` in ``(−V_p, V_p)``.
    weights : ndarray of shape (n,)
        Weights summing to 1 with ``Σ w_i h(u_i) ≈ ∫ L(u) h(u) du``.
    """
    if v_peak <= 0:
        return np.zeros(1), np.ones(1)
    n = int(np.clip(np.ceil(6.0 * beta * v_peak) + 8, 8, 400))
    i = np.arange(1, n + 1)
    theta = i * np.pi / (n + 1)
    offsets = v_peak * np.cos(theta)
    weights = (2.0 / (n + 1)) * np.sin(theta) ** 2
    return offsets, weights / weights.sum()


class STSKernel(Kernel):
    """Finite-temperature tunneling kernel, bias (data) × energy (spectrum).

    Parameters
    ----------
    bias : ndarray of shape (n_bias,)
        Sample bias times e, in meV (data points).
    mesh : Mesh
        Energy mesh of the density of states, meV.
    temperature : float, optional
        Temperature in K (give this or ``beta``).
    beta : float, optional
        Inverse temperature in 1/meV (or 1/energy unit of dimensionless problems).
    lockin_rms : float, default 0
        Lock-in modulation rms amplitude in mV (0: none).
    convention : {"physical", "seed"}
        ``"physical"``: argument ``ω − eV``; ``"seed"``: ``ω + ε`` as in seed 000.
    prefactor : float or None
        ``None``: normalized ``(β/4) sech²`` (default). A number ``a`` gives the
        seed's ``a · cosh⁻²``.
    quadrature : {"cell", "point"}
        Exact cell integrals (default) or point sampling times the cell width.
    """

    data_label = "bias (mV)"
    spectrum_label = "energy (meV)"

    def __init__(
        self,
        bias: np.ndarray,
        mesh: Mesh,
        *,
        temperature: float | None = None,
        beta: float | None = None,
        lockin_rms: float = 0.0,
        convention: Literal["physical", "seed"] = "physical",
        prefactor: float | None = None,
        quadrature: Literal["cell", "point"] = "cell",
    ) -> None:
        if (temperature is None) == (beta is None):
            raise ParameterError("give exactly one of temperature (K) or beta (1/meV)")
        if temperature is not None:
            if not np.isfinite(temperature) or temperature <= 0:
                raise ParameterError(f"temperature must be > 0 K, got {temperature}")
            beta = 1.0 / (KB_MEV_PER_K * float(temperature))
        assert beta is not None
        if not np.isfinite(beta) or beta <= 0:
            raise ParameterError(f"beta must be a positive finite number, got {beta}")
        if not np.isfinite(lockin_rms) or lockin_rms < 0:
            raise ParameterError(f"lock-in rms amplitude must be >= 0 mV, got {lockin_rms}")
        if convention not in ("physical", "seed"):
            raise ParameterError(f"convention must be 'physical' or 'seed', got {convention!r}")
        if quadrature not in ("cell", "point"):
            raise ParameterError(f"quadrature must be 'cell' or 'point', got {quadrature!r}")
        if prefactor is not None and not prefactor > 0:
            raise ParameterError(f"prefactor must be positive, got {prefactor}")
        super().__init__(bias, mesh)
        self.temperature = None if temperature is None else float(temperature)
        self.beta = float(beta)
        self.lockin_rms = float(lockin_rms)
        self.convention = convention
        self.prefactor = prefactor
        self.quadrature = quadrature

    def parameters(self) -> dict[str, Any]:
        """Physical parameters, recorded in every result's metadata.

        Returns
        -------
        dict
            ``temperature_K`` (K, None when β was given), ``beta`` (1/meV),
            ``lockin_rms_mV`` (mV), ``convention``, ``prefactor`` and ``quadrature``.
        """
        return {
            "temperature_K": self.temperature,
            "beta": self.beta,
            "lockin_rms_mV": self.lockin_rms,
            "convention": self.convention,
            "prefactor": self.prefactor,
            "quadrature": self.quadrature,
        }

    @property
    def scale(self) -> float:
        """Factor relative to the normalized kernel (``4a/β`` for the seed's ``a``)."""
        return 1.0 if self.prefactor is None else 4.0 * self.prefactor / self.beta

    def _argument(self, x: np.ndarray, omega: np.ndarray) -> np.ndarray:
        sign = 1.0 if self.convention == "seed" else -1.0
        return omega[None, :] + sign * x[:, None]

    def _thermal(self, arg: np.ndarray) -> np.ndarray:
        """Lock-in-averaged normalized kernel ``Σ_u w_u (β/4) sech²(β(arg − u)/2)``."""
        offsets, weights = lockin_nodes(self.beta, np.sqrt(2.0) * self.lockin_rms)
        out = np.zeros(arg.shape)
        for u, w in zip(offsets, weights, strict=True):
            out += w * (0.25 * self.beta) * _sech2_half(self.beta * (arg - u))
        return out

    def _primitive(self, arg: np.ndarray) -> np.ndarray:
        """Antiderivative of :meth:`_thermal` in ω: ``Σ_u w_u ½ tanh(β(arg − u)/2)``."""
        offsets, weights = lockin_nodes(self.beta, np.sqrt(2.0) * self.lockin_rms)
        out = np.zeros(arg.shape)
        for u, w in zip(offsets, weights, strict=True):
            out += w * 0.5 * np.tanh(0.5 * self.beta * (arg - u))
        return out

    def _cell_integrals(self, x: np.ndarray, mesh: Mesh) -> np.ndarray:
        if self.quadrature == "cell":
            out = np.diff(self._primitive(self._argument(x, mesh.edges)), axis=1)
        else:
            out = self._thermal(self._argument(x, mesh.points)) * mesh.weights[None, :]
        return self.scale * out
