"""Plus-minus maximum entropy: spectra of either sign (off-diagonal Green's-function elements).

The Hobson–Lasenby entropy (Hobson & Lasenby, MNRAS 298, 905 (1998); TRIQS/maxent's
``PlusMinusEntropy``, ana_cont's ``offdiag=True``) writes ``A = A⁺ − A⁻`` with two positive
images that share the default model m and sums their Shannon–Jaynes entropies. Eliminating
``A⁺ A⁻ = m²`` leaves, per cell,

``S(A) = √(A² + 4m²) − 2m − A asinh(A/2m)``  (≤ 0, zero at A = 0),

``−∂S/∂A = asinh(A/2m)``, ``−∂²S/∂A² = 1/√(A² + 4m²)``. The Newton step of
:class:`~specinv.solvers.maxent_core.MaxEntCore` carries over with the metric ``diag(A)``
replaced by ``diag(√(A² + 4m²))``; Q is strictly convex on the whole real line, so a
backtracking search along the straight Newton line is enough (no positivity to keep).
Small m makes the entropy close to ``−|A| ln|A|`` (few large weights); large m makes it
``−A²/4m`` (Tikhonov's ridge). The α rules read χ², S and the eigenvalues of
``Σ Uᵀ diag(√(A² + 4m²)) U Σ`` (:class:`~specinv.solvers.maxent_core.Point`).
"""

from __future__ import annotations

import numpy as np

from specinv.core.errors import ParameterError
from specinv.core.problem import Problem
from specinv.solvers.maxent_core import MaxEntCore, flat_default
from specinv.solvers.maxent_singular import BryanIterationCore

#: the entropies of the ``maxent`` solver (its option ``entropy``)
ENTROPIES = ("positive", "plus-minus")
#: level of the flat default model as a fraction of the data's scale ``‖g‖ / ‖K 1‖``: on
#: ACTest's std_frd + std_brd (20 spectra, ``continue_data(signed=True)``, chi2curv α)
#: f = 12.49 / 16.76 / 17.75 at σ = 1e-2 / 1e-4 / 1e-6 with 0.03, 12.09 / 16.95 / 17.93
#: with 0.1, 11.50 / 16.88 / 18.08 with 0.3, 16.61 at 1e-4 with 1: a small m lets few
#: cells carry the weight (the entropy ≈ ``−|A| ln|A|``) and keeps the answer at 0 elsewhere
SCALE_FRACTION = 0.1


def plus_minus_entropy(a: np.ndarray, m: np.ndarray) -> float:
    """Hobson–Lasenby entropy ``Σ [√(A² + 4m²) − 2m − A asinh(A/2m)]``.

    Parameters
    ----------
    a : ndarray of shape (n_mesh,)
        Cell weights A, of either sign.
    m : ndarray of shape (n_mesh,)
        Default-model cell weights m > 0.

    Returns
    -------
    float
        S ≤ 0 (0 at A = 0).
    """
    # √(A² + 4m²) − 2m written as A²/(√(A² + 4m²) + 2m): no cancellation for |A| ≪ m
    return float(np.sum(a * a / (np.sqrt(a * a + 4.0 * m * m) + 2.0 * m)
                        - a * np.arcsinh(a / (2.0 * m))))


def scale_default(problem: Problem) -> np.ndarray:
    """Flat default model of a signed spectrum from the data's absolute scale.

    A signed spectrum has no positive zeroth moment to normalize a model to; the level is
    :data:`SCALE_FRACTION` of ``‖g‖ / ‖K 1‖``, the flat spectrum whose data have the norm
    of the given data.

    Parameters
    ----------
    problem : Problem
        Kernel and data.

    Returns
    -------
    ndarray of shape (n_mesh,)
        The level at every mesh point (> 0; the positive flat model when the data
        vanish).
    """
    k1 = problem.kernel.matrix.sum(axis=1)
    c = float(np.linalg.norm(problem.data) / max(float(np.linalg.norm(k1)), 1e-300))
    if not (np.isfinite(c) and c > 0):
        return flat_default(problem)
    return np.full(problem.kernel.mesh.size, SCALE_FRACTION * c)


class PlusMinusCore(MaxEntCore):
    """Newton solver of ``Q(A) = ½ χ² − α S`` with the plus-minus entropy (A of either sign).

    Parameters
    ----------
    svd, gt, m, rtol, atol
        As for :class:`~specinv.solvers.maxent_core.MaxEntCore`; ``m`` > 0 is the default
        model of both images A⁺ and A⁻.
    """

    def entropy(self, a: np.ndarray) -> float:
        """The plus-minus entropy :func:`plus_minus_entropy` of ``a``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A.

        Returns
        -------
        float
            S ≤ 0.
        """
        return plus_minus_entropy(a, self.m)

    def metric(self, a: np.ndarray) -> np.ndarray:
        """``(−∂²S/∂A²)⁻¹ = √(A² + 4m²)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A.

        Returns
        -------
        ndarray of shape (n_mesh,)
            The metric (> 0).
        """
        return np.sqrt(a * a + 4.0 * self.m * self.m)

    def start(self) -> np.ndarray:
        """The α scan starts at the entropy's maximum, A = 0.

        Returns
        -------
        ndarray of shape (n_mesh,)
            Zeros.
        """
        return np.zeros_like(self.m)

    def gradient(self, a: np.ndarray, alpha: float) -> np.ndarray:
        """``∇_A Q = U Σ (Σ Uᵀ A − Wᵀ g̃) + α asinh(A/2m)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A.
        alpha : float
            Entropy weight α > 0.

        Returns
        -------
        ndarray of shape (n_mesh,)
            The gradient of Q.
        """
        r = self.s * (self.u.T @ a) - self.gproj
        return self.us @ r + alpha * np.arcsinh(a / (2.0 * self.m))

    def solve(self, a: np.ndarray, alpha: float, max_iter: int = 400,
              tol: float = 1e-10) -> tuple[np.ndarray, bool]:
        """Minimise Q at fixed α from ``a``; returns (A, converged).

        Newton steps ``δA = −H⁻¹ ∇Q``, ``H = U Σ² Uᵀ + α diag(1/d)`` with
        ``d = √(A² + 4m²)``, by the Woodbury identity in the kept singular space, and
        Armijo backtracking along the straight line. Converged when the Newton decrement
        ``∇Qᵀ H⁻¹ ∇Q`` is below ``tol · max(|Q|, 1)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Starting cell weights.
        alpha : float
            Entropy weight α > 0.
        max_iter : int
            Most Newton steps.
        tol : float
            Relative tolerance of the Newton decrement.

        Returns
        -------
        a : ndarray of shape (n_mesh,)
            The minimiser of Q (the last iterate when not converged).
        converged : bool
            Whether the Newton decrement fell below the tolerance.
        """
        a = np.array(a, dtype=float)
        q = self.objective(a, alpha)
        for _ in range(max_iter):
            g = self.gradient(a, alpha)
            d = self.metric(a)
            core = alpha * np.eye(self.rank) + self.us.T @ (d[:, None] * self.us)
            da = self._newton(d, g, alpha, np.ones(a.size, dtype=bool), core)
            dec = -float(g @ da)
            if dec <= tol * max(abs(q), 1.0):
                return a, True
            step = 1.0
            while step >= 1e-12:
                new = a + step * da
                new_q = self.objective(new, alpha)
                if new_q <= q - 1e-4 * step * dec:
                    break
                step *= 0.5
            else:  # no decrease along the Newton line: Q is flat to rounding here
                return a, dec <= 1e-6 * max(abs(q), 1.0)
            a, q = new, new_q
        return a, False


def core_class(entropy: str, bryan_iteration: bool = False) -> type[MaxEntCore]:
    """The Newton core of the ``maxent`` options ``entropy`` and ``bryan_iteration``.

    Parameters
    ----------
    entropy : {"positive", "plus-minus"}
        Shannon–Jaynes (A > 0) or Hobson–Lasenby (A of either sign).
    bryan_iteration : bool
        Shannon–Jaynes only: go on from a stalled Newton iteration by Bryan's iteration
        in the singular space (:mod:`~specinv.solvers.maxent_singular`).

    Returns
    -------
    type
        :class:`~specinv.solvers.maxent_core.MaxEntCore`,
        :class:`~specinv.solvers.maxent_singular.BryanIterationCore` or
        :class:`PlusMinusCore`.

    Raises
    ------
    ParameterError
        For any other name.
    """
    if entropy not in ENTROPIES:
        raise ParameterError(f"unknown maxent entropy {entropy!r}; valid: "
                             f"{', '.join(ENTROPIES)}")
    if entropy == "plus-minus":
        return PlusMinusCore
    return BryanIterationCore if bryan_iteration else MaxEntCore


def default_model(entropy: str, problem: Problem) -> np.ndarray:
    """The default model used when the problem has none.

    Parameters
    ----------
    entropy : {"positive", "plus-minus"}
        The solver's entropy.
    problem : Problem
        Kernel and data.

    Returns
    -------
    ndarray of shape (n_mesh,)
        :func:`~specinv.solvers.maxent_core.flat_default` or :func:`scale_default`.
    """
    return scale_default(problem) if core_class(entropy) is PlusMinusCore \
        else flat_default(problem)
