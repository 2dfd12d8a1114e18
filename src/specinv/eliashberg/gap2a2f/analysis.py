"""The seed's tables: Table I (Δg, Δf), Table II (coverage portion, loss), moments.

- Table I (Appendix A): for the test gaps g₁ with true α²F f₁, the model
  trained on the d_L-transformed set predicts f₂; the engine re-solves g₂ from
  f₂; Δf = ⟨1 − pcc(f₁, f₂)⟩, Δg = ⟨1 − pcc(g₁, g₂)⟩
  (:func:`specinv.eliashberg.gap2a2f.physics.physics_check` computes both).
- Table II (Appendix D): l_n = max_i min_{j≠i} Σ|g_ni − g_nj| / Σ|g_ni| over the
  transformed gaps {g_n}; the portion is the fraction of original gaps g_o whose
  nearest g_n lies within l_n.
- Appendix E: relative differences (μ_p,o − μ_p,n)/μ_p,o of the moments
  μ_p = ∫ Ω^p α²F dΩ for p = 2, 1, 0, −1 (mean and standard deviation).
"""

from __future__ import annotations

import numpy as np
import torch

from specinv.core.mesh import trapezoid_weights

MOMENT_POWERS = (2, 1, 0, -1)


def _l1_rel_dist(a: np.ndarray, b: np.ndarray, chunk: int = 512) -> np.ndarray:
    """D[i, j] = Σ|a_i − b_j| / Σ|a_i|, shape (len(a), len(b))."""
    ta = torch.from_numpy(np.asarray(a, dtype=np.float32))
    tb = torch.from_numpy(np.asarray(b, dtype=np.float32))
    norm = ta.abs().sum(dim=1).clamp_min(1e-12)
    rows = [torch.cdist(ta[i:i + chunk], tb, p=1) / norm[i:i + chunk, None]
            for i in range(0, ta.shape[0], chunk)]
    return torch.cat(rows).numpy().astype(np.float64)


def coverage(g_orig: np.ndarray, g_new: np.ndarray, *, max_samples: int | None = 3000,
             seed: int = 0) -> dict[str, float]:
    """Table II portion: fraction of original gaps within l_n of the transformed set.

    Parameters
    ----------
    g_orig : ndarray of shape (S, n)
        Original gap features.
    g_new : ndarray of shape (S', n)
        AE-transformed gap features.
    max_samples : int, optional
        Random subsample of each set (pairwise distances are O(S²)).
    seed : int
        Seed of the subsampling.

    Returns
    -------
    dict
        ``portion``, ``l_n`` (characteristic distance), ``median_l_on``,
        ``n_orig``, ``n_new``.
    """
    rng = np.random.default_rng(seed)
    if max_samples is not None and g_new.shape[0] > max_samples:
        g_new = g_new[rng.choice(g_new.shape[0], max_samples, replace=False)]
    if max_samples is not None and g_orig.shape[0] > max_samples:
        g_orig = g_orig[rng.choice(g_orig.shape[0], max_samples, replace=False)]
    d_nn = _l1_rel_dist(g_new, g_new)
    np.fill_diagonal(d_nn, np.inf)
    l_n = float(d_nn.min(axis=1).max())
    l_on = _l1_rel_dist(g_orig, g_new).min(axis=1)
    return {"portion": float(np.mean(l_on <= l_n)), "l_n": l_n,
            "median_l_on": float(np.median(l_on)), "n_orig": int(g_orig.shape[0]),
            "n_new": int(g_new.shape[0])}


def power_moments(a2f: np.ndarray, omega: np.ndarray,
                  powers: tuple[int, ...] = MOMENT_POWERS) -> np.ndarray:
    """μ_p = ∫ Ω^p α²F dΩ (trapezoid on Ω > 0, negative values clipped).

    Parameters
    ----------
    a2f : ndarray of shape (S, n) or (n,)
        α²F samples (dimensionless).
    omega : ndarray of shape (n,)
        Boson energies Ω (meV).
    powers : tuple of int
        The powers p.

    Returns
    -------
    ndarray of shape (S, len(powers))
        μ_p in meV^(p + 1).
    """
    f = np.clip(np.atleast_2d(a2f), 0.0, None)
    w = np.asarray(omega, dtype=float)
    dw = trapezoid_weights(w)
    keep = w > 0
    return np.stack([(f[:, keep] * (w[keep] ** p * dw[keep])).sum(axis=1) for p in powers],
                    axis=1)


def moment_differences(a2f_orig: np.ndarray, a2f_new: np.ndarray, omega: np.ndarray,
                       powers: tuple[int, ...] = MOMENT_POWERS) -> dict[str, dict[str, float]]:
    """Mean and std of (μ_p,o − μ_p,n)/μ_p,o for each p (seed Fig. 11).

    Parameters
    ----------
    a2f_orig, a2f_new : ndarray of shape (S, n)
        Original and transformed α²F samples.
    omega : ndarray of shape (n,)
        Boson energies Ω (meV).
    powers : tuple of int
        The powers p.

    Returns
    -------
    dict
        Per ``"p=<p>"``: ``mean``, ``std`` and ``median_abs`` of the relative difference.
    """
    mo = power_moments(a2f_orig, omega, powers)
    mn = power_moments(a2f_new, omega, powers)
    rel = (mo - mn) / mo
    return {f"p={p}": {"mean": float(rel[:, k].mean()), "std": float(rel[:, k].std()),
                       "median_abs": float(np.median(np.abs(rel[:, k])))}
            for k, p in enumerate(powers)}
