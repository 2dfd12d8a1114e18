"""Physics-informed moment loss: relative errors of α²F moments, in torch.

λ = 2∫α²F(Ω)/Ω dΩ weights low Ω heavily, so a model (or an autoencoder
bottleneck) that only minimises the α²F mean squared error does not keep λ. This
module adds a differentiable term on the moments that carry the physics,

    μ_p = ∫ Ω^p α²F(Ω) dΩ        (seed Appendix E; λ = 2 μ₋₁, ω̄₂² = μ₁/μ₋₁),

computed with *the same quadrature as the physics module*
(:meth:`specinv.eliashberg.engine.a2f.A2F.from_table`: trapezoid weights on the
given mesh, points Ω ≤ 0 carry no weight) from the positive part of the
prediction, which is exactly what the physics check evaluates (it clips
α²F < 0 before solving). The loss is

    L_mom = mean over rows and powers of [(μ_p[f̂] − μ_p[f]) / μ_p[f]]²,

dimensionless and invariant to a common scale of f̂ and f, so it can be
applied to scaled network outputs. It is added to the MSE objective with a
weight (``moment_weight`` of the training configs); weight 0 is the plain MSE
training of the seed.
"""

from __future__ import annotations

import numpy as np
import torch

from specinv.core.errors import ParameterError
from specinv.core.mesh import trapezoid_weights

#: Default moments in the loss: p = −1 (λ).
DEFAULT_POWERS: tuple[float, ...] = (-1.0,)


def quadrature_matrix(omega: np.ndarray, powers: tuple[float, ...] = DEFAULT_POWERS
                      ) -> np.ndarray:
    """Matrix Q with μ_p = Σ_i f_i Q[i, k] for the α²F mesh ``omega``.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        α²F mesh in meV, strictly increasing.
    powers : tuple of float
        The powers p.

    Returns
    -------
    ndarray of shape (n, len(powers))
        ``dw_i Ω_i^p`` (meV^(p+1)) for Ω_i > 0, 0 elsewhere; dw are the trapezoid
        weights of ``A2F.from_table``.
    """
    w = np.asarray(omega, dtype=float)
    if w.ndim != 1 or w.size < 2 or np.any(np.diff(w) <= 0):
        raise ParameterError("moment loss needs a strictly increasing 1-D Ω mesh")
    if len(powers) == 0:
        raise ParameterError("moment loss needs at least one power p")
    dw = trapezoid_weights(w)
    keep = w > 0
    q = np.zeros((w.size, len(powers)))
    for k, p in enumerate(powers):
        q[keep, k] = dw[keep] * w[keep] ** float(p)
    return q


class MomentLoss:
    """Relative squared moment error of predicted α²F rows (differentiable).

    Parameters
    ----------
    omega : ndarray of shape (n,)
        α²F mesh (meV).
    powers : tuple of float
        Moments μ_p in the loss (default: p = −1, i.e. λ).
    positive : bool
        Take the moments of max(f̂, 0), as the physics check does.
    dtype : torch.dtype
        Precision of the quadrature matrix.
    """

    def __init__(self, omega: np.ndarray, powers: tuple[float, ...] = DEFAULT_POWERS, *,
                 positive: bool = True, dtype: torch.dtype = torch.float32) -> None:
        self.powers = tuple(float(p) for p in powers)
        self.positive = positive
        self.matrix = torch.from_numpy(quadrature_matrix(omega, self.powers)).to(dtype)

    def moments(self, f: torch.Tensor) -> torch.Tensor:
        """μ_p of each row of ``f``.

        Parameters
        ----------
        f : Tensor of shape (B, n)
            α²F rows on the mesh.

        Returns
        -------
        Tensor of shape (B, len(powers))
            μ_p (meV^(p + 1) times the scale of ``f``).
        """
        if self.positive:
            f = torch.relu(f)
        return f @ self.matrix.to(f.dtype)

    def lam(self, f: torch.Tensor) -> torch.Tensor:
        """λ = 2 μ₋₁ of each row; needs p = −1 among the powers.

        Parameters
        ----------
        f : Tensor of shape (B, n)
            α²F rows on the mesh.

        Returns
        -------
        Tensor of shape (B,)
            Coupling λ of each row.
        """
        if -1.0 not in self.powers:
            raise ParameterError("λ needs the power p = -1 in the moment loss")
        return 2.0 * self.moments(f)[:, self.powers.index(-1.0)]

    def __call__(self, pred: torch.Tensor, target_moments: torch.Tensor) -> torch.Tensor:
        """Mean squared relative moment error of ``pred`` against ``target_moments``.

        Parameters
        ----------
        pred : Tensor of shape (B, n)
            Predicted α²F rows (any common positive scale, as the targets).
        target_moments : Tensor of shape (B, len(powers))
            ``self.moments(f_true)``.
        """
        ref = target_moments.abs().clamp_min(1e-12)
        return torch.mean(((self.moments(pred) - target_moments) / ref) ** 2)


def lambda_rel_errors(pred: np.ndarray, true: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """|λ[max(f̂,0)] − λ[f]| / λ[f] per row (NumPy; same quadrature).

    Parameters
    ----------
    pred : ndarray of shape (S, n)
        Predicted α²F rows.
    true : ndarray of shape (S, n)
        True α²F rows.
    omega : ndarray of shape (n,)
        Boson energies Ω (meV).

    Returns
    -------
    ndarray of shape (S,)
        Relative λ errors.
    """
    q = quadrature_matrix(omega, (-1.0,))[:, 0]
    lp = np.clip(np.atleast_2d(pred), 0.0, None) @ q
    lt = np.clip(np.atleast_2d(true), 0.0, None) @ q
    return np.abs(lp - lt) / np.maximum(np.abs(lt), 1e-300)
