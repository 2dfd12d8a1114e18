"""Default meshes and scales of the optics inversion (seed 001 setting).

- glue I²χ(Ω) on ``Ω = 4, 8, …, 400`` meV (100 cells of 4 meV tiling [2, 402] meV;
  the Shulga kernel diverges like 1/Ω, so the mesh starts above 0);
- optical scattering rate 1/τ(ω) on 100 points ``ω = 5 … 400`` meV;
- T = 100 K (seed 001); 1/τ is divided by ``Y_SCALE = 300`` meV inside the
  networks (seed 001, "to ensure training stability");
- rRIM: N_t = 15 steps; Landweber regularization h = max(σ, 1e-8) for training
  noise σ (scaled units; :func:`specinv.optics.config.auto_h`; seed 001: 0.01 in its
  own, unstated, discretization); noise-conditioned rRIMs: h = max(σ, h_min) per
  spectrum, from its own relative noise σ (:func:`specinv.optics.config.noise_h`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from specinv.core.mesh import Mesh
from specinv.kernels.shulga import ShulgaKernel

Y_SCALE = 300.0
#: MaxEnt options for the Shulga kernel: the classic α rule over-fits it (chi2kink does not);
#: used by ``optics invert --method maxent`` and as the learned solvers' fallback
MAXENT_OPTIONS = {"alpha_rule": "chi2kink"}
DEFAULT_TEMPERATURE = 100.0


@dataclass(frozen=True)
class OpticsSetup:
    """Grids of one optics problem (energies in meV, temperature in K).

    Parameters
    ----------
    omega_min, omega_max : float
        Ends of the uniform data grid ω (meV).
    n_omega : int
        Points of the data grid.
    glue_min, glue_max : float
        First and last point of the uniform glue mesh Ω (meV).
    n_glue : int
        Cells of the glue mesh.
    temperature : float
        Default temperature of the kernel (K).
    """

    omega_min: float = 5.0
    omega_max: float = 400.0
    n_omega: int = 100
    glue_min: float = 4.0
    glue_max: float = 400.0
    n_glue: int = 100
    temperature: float = DEFAULT_TEMPERATURE

    def omega(self) -> np.ndarray:
        """Data grid ω.

        Returns
        -------
        ndarray of shape (n_omega,)
            Photon energies (meV).
        """
        return np.linspace(self.omega_min, self.omega_max, self.n_omega)

    def mesh(self) -> Mesh:
        """Glue mesh Ω.

        Returns
        -------
        Mesh
            Uniform mesh of ``n_glue`` cells (meV).
        """
        return Mesh.uniform(self.glue_min, self.glue_max, self.n_glue)

    def kernel(self, temperature: float | None = None) -> ShulgaKernel:
        """Shulga kernel on these grids at ``temperature`` K (default: the setup's).

        Parameters
        ----------
        temperature : float, optional
            Temperature (K).

        Returns
        -------
        ShulgaKernel
            Kernel of shape (n_omega, n_glue).
        """
        t = self.temperature if temperature is None else temperature
        return ShulgaKernel(self.omega(), self.mesh(), temperature=t)

    def to_dict(self) -> dict:
        """JSON-ready copy of the fields.

        Returns
        -------
        dict
            Field name to value.
        """
        return asdict(self)


def landweber_preconditioner(matrix: np.ndarray, h: float) -> np.ndarray:
    """``(AᵀA + h I)⁻¹ Aᵀ`` for a (scaled) kernel matrix A.

    Parameters
    ----------
    matrix : ndarray of shape (m, n)
        Kernel matrix A (scaled as the network sees it).
    h : float
        Tikhonov shift, > 0.

    Returns
    -------
    ndarray of shape (n, m)
        The preconditioned Landweber gradient operator.
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[1]
    return np.linalg.solve(a.T @ a + h * np.eye(n), a.T)
