"""Data misfit of NNRS members, evaluated in the kernel's truncated singular basis.

For error bars that are one vector shape ``σ₀`` times a scalar per member
(``σ_b = c_b σ₀`` — a single spectrum, or a map with one noise level per pixel),
whiten once, ``K̃ = diag(1/σ₀) K = Ũ diag(s̃) Ṽᵀ`` and ``g̃ = g/σ₀``; then exactly

    χ²_b = (1/c_b²) [ Σ_{i≤r} (s̃_i ṽ_iᵀρ_b − ũ_iᵀg̃_b)² + Σ_{i>r} (…)² + ‖(1 − ŨŨᵀ) g̃_b‖² ].

Components with ``s̃_i ≤ cut · min_b c_b`` change ``K ρ`` by far less than the
noise, so their terms are frozen at ``(ũ_iᵀ g̃_b)²`` — a constant per member. A
training step then costs one ``(n_mesh × r)`` product with ``r`` of order
100–300 instead of two full ``n_data × n_mesh`` products. The preconditioned
loss weights component ``i`` by ``1/(1 + (s̃_i/c_b)²/μ)`` (Newton-like progress on
well-determined components); ``χ²`` itself is never weighted.

Error bars of any other shape, and the seed's unweighted ``sse`` loss, use the
full matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

#: singular components with s̃_i / c_b below this are frozen (their effect on K ρ is
#: at most ~1e-4 of the noise for spectra of order one)
DEFAULT_CUT = 1e-4


def _common_shape(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(σ₀ (n,), c (B,))`` with ``σ_b = c_b σ₀``, or ``None`` if rows are not proportional."""
    s0 = sigma[0]
    c = sigma[:, 0] / s0[0]
    if np.allclose(sigma, c[:, None] * s0[None, :], rtol=1e-10, atol=0.0):
        return s0, c
    return None


class Misfit:
    """Loss and reduced ``χ²`` of the members currently in the batch.

    Parameters
    ----------
    kernel_matrix : ndarray of shape (n_data, n_mesh)
        Kernel ``K`` (quadrature weights included).
    data, sigma : ndarray of shape (B, n_data)
        Data and their errors, one row per member.
    loss : {"chi2", "precond", "sse"}
        Misfit kind (see :class:`~specinv.solvers.nnrs_core.NetConfig`).
    precond_mu : float
        Preconditioning strength μ of the ``precond`` loss.
    dtype : torch.dtype
        Precision of the stored tensors.
    svd : (U, s, Vt), optional
        Thin SVD of ``kernel_matrix`` (reused when ``σ₀`` is constant).
    reduced : bool
        Use the truncated singular basis when the error bars allow it.
    cut : float
        Truncation threshold (see module docstring).
    """

    def __init__(self, kernel_matrix: np.ndarray, data: np.ndarray, sigma: np.ndarray,
                 loss: str, precond_mu: float, dtype: torch.dtype,
                 svd: tuple[np.ndarray, ...] | None = None, reduced: bool = True,
                 cut: float = DEFAULT_CUT) -> None:
        K = np.asarray(kernel_matrix, float)
        g = np.asarray(data, float)
        s = np.asarray(sigma, float)
        self.n_data = K.shape[0]
        self.dt = dtype
        self.loss_kind = loss
        shape = _common_shape(s) if loss != "sse" and reduced else None
        self.reduced = shape is not None
        if self.reduced:
            s0, c = shape
            self._init_reduced(K, g, s0, c, precond_mu, svd, cut)
        else:
            self._init_full(K, g, s, loss, precond_mu, svd)

    # -- set-up ---------------------------------------------------------------------------
    def _init_reduced(self, K: np.ndarray, g: np.ndarray, s0: np.ndarray, c: np.ndarray,
                      mu: float, svd: Any, cut: float) -> None:
        if svd is not None and len(svd) == 3 and np.all(s0 == s0[0]):
            u, sv, vt = (np.asarray(a, float) for a in svd)
            sv = sv / s0[0]
        else:
            u, sv, vt = np.linalg.svd(K / s0[:, None], full_matrices=False)
        gw = g / s0[None, :]
        proj = gw @ u  # (B, n_sv)
        r = max(1, int(np.sum(sv > cut * float(np.min(c)))))
        tail = (np.sum(gw * gw, axis=1) - np.sum(proj[:, :r] ** 2, axis=1)) / c**2
        t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=self.dt)  # noqa: E731
        self.rank = r
        self.V = t(vt[:r].T)  # (n_mesh, r)
        self.sv = t(sv[:r])  # (r,)
        self.gp = t(proj[:, :r])  # (B, r)
        self.inv_c = t(1.0 / c)[:, None]  # (B, 1)
        self.tail = t(np.maximum(tail, 0.0))  # (B,)
        if self.loss_kind == "precond":
            self.pw = t(1.0 / (1.0 + (sv[None, :r] / c[:, None]) ** 2 / float(mu)))
        else:
            self.pw = None

    def _init_full(self, K: np.ndarray, g: np.ndarray, s: np.ndarray, loss: str, mu: float,
                   svd: Any) -> None:
        t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=self.dt)  # noqa: E731
        self.rank = min(K.shape)
        self.K = t(K)
        self.g = t(g)
        self.w = t(1.0 / s) if loss != "sse" else torch.ones(s.shape, dtype=self.dt)
        self.norm = 1.0 / self.n_data if loss != "sse" else 1.0
        self.pw = None
        if loss == "precond":
            u, sv = (svd[0], svd[1]) if svd is not None else np.linalg.svd(
                K, full_matrices=False)[:2]
            self.U = t(u)
            s_ref = np.sqrt(np.mean(s * s, axis=1, keepdims=True))
            self.pw = t(1.0 / (1.0 + (np.asarray(sv)[None, :] / s_ref) ** 2 / float(mu)))

    # -- evaluation -----------------------------------------------------------------------
    def __call__(self, rho: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(loss to minimise (B,), χ²/N or SSE (B,))`` for spectra ``rho`` (B, n_mesh)."""
        if self.reduced:
            c = (rho @ self.V * self.sv - self.gp) * self.inv_c
            cc = c * c
            chi = (cc.sum(dim=1) + self.tail) / self.n_data
            if self.pw is None:
                return chi, chi
            return ((cc * self.pw).sum(dim=1) + self.tail) / self.n_data, chi
        r = (rho @ self.K.T - self.g) * self.w
        chi = (r * r).sum(dim=1) * self.norm
        if self.pw is None:
            return chi, chi
        c = r @ self.U
        outside = (r * r).sum(dim=1) - (c * c).sum(dim=1)
        return ((c * c * self.pw).sum(dim=1) + outside.clamp(min=0)) * self.norm, chi

    def compact(self, keep: torch.Tensor) -> None:
        """Keep only the members flagged in ``keep``.

        Parameters
        ----------
        keep : torch.Tensor of bool, shape (B,)
            Flag per member of the current batch.
        """
        names = ("gp", "inv_c", "tail", "pw") if self.reduced else ("g", "w", "pw")
        for name in names:
            a = getattr(self, name)
            if a is not None:
                setattr(self, name, a[keep])

    def to(self, dtype: torch.dtype) -> None:
        """Convert every tensor to ``dtype`` (float32 bulk → float64 polish).

        Parameters
        ----------
        dtype : torch.dtype
            New precision.
        """
        self.dt = dtype
        for name, a in list(vars(self).items()):
            if isinstance(a, torch.Tensor) and a.is_floating_point():
                setattr(self, name, a.to(dtype))
