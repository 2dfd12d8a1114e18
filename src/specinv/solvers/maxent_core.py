"""Newton core of the maximum-entropy solver: Q(A) at one α, in the cell weights A.

Minimises ``Q(A) = ½ χ²(A) − α S(A)`` with the Shannon–Jaynes entropy
``S = Σ_j (A_j − m_j − A_j ln(A_j/m_j))`` (:func:`entropy`) by Newton's method in A
itself: the Hessian ``U Σ² Uᵀ + α diag(1/A)`` is inverted by the Woodbury identity in
the kept singular space of ``K̃``, and a backtracking search along up to three trial
paths keeps A positive (:meth:`MaxEntCore.solve`). The α scan and the rules that choose
α are in :mod:`specinv.solvers.maxent`.
"""

from __future__ import annotations

import numpy as np

from specinv.core.problem import Problem

#: a weight whose Newton step exceeds FREEZE times its value leaves the Newton system
FREEZE = 5.0
#: floor of the cell weights A (keeps ln A finite where the data push A to zero)
TINY = 1e-300


def flat_default(problem: Problem) -> np.ndarray:
    """Flat default model ``D = c`` with ``c`` the least-squares constant fit to the data.

    Parameters
    ----------
    problem : Problem
        Kernel and data.

    Returns
    -------
    ndarray of shape (n_mesh,)
        Strictly positive (falls back to ``mean|g| / Σ_j K_ij`` scale if the fit is ≤ 0).
    """
    k1 = problem.kernel.matrix.sum(axis=1)
    c = float(k1 @ problem.data / (k1 @ k1))
    if not c > 0:  # no positive constant fits: the data's scale, never a fixed floor
        c = float(np.mean(np.abs(problem.data)) / max(np.mean(np.abs(k1)), 1e-300))
    return np.full(problem.kernel.mesh.size, max(c, 1e-300))


def entropy(a: np.ndarray, m: np.ndarray) -> float:
    """Shannon–Jaynes entropy ``Σ (A − m − A ln(A/m))`` (≤ 0, = 0 at A = m).

    Parameters
    ----------
    a : ndarray of shape (n_mesh,)
        Cell weights A > 0.
    m : ndarray of shape (n_mesh,)
        Default model cell weights m > 0.

    Returns
    -------
    float
        The entropy.
    """
    return float(np.sum(a - m - a * np.log(a / m)))


class MaxEntCore:
    """Newton solver of Q(A) for fixed α in the cell weights A, with the SVD of K̃.

    Parameters
    ----------
    svd : (ndarray, ndarray, ndarray)
        ``(W, s, Uᵀ)`` of ``K̃ = (K/σ) diag(1/w)``: W of shape (n_data, k), the
        singular values s of shape (k,), decreasing, and Uᵀ of shape (k, n_mesh).
    gt : ndarray of shape (n_data,)
        The data in units of their error bars, ``g/σ``.
    m : ndarray of shape (n_mesh,)
        Default-model cell weights ``D_j w_j`` (> 0, unit of the spectrum × energy).
    rtol : float
        Singular values below ``rtol · s_max`` are dropped.
    atol : float
        Singular values with ``s · Σm`` below ``atol`` are dropped (they change the
        data by less than ``atol`` error bars).
    """

    def __init__(self, svd: tuple[np.ndarray, np.ndarray, np.ndarray], gt: np.ndarray,
                 m: np.ndarray, rtol: float, atol: float) -> None:
        w, s, ut = svd
        # directions that change the data by less than atol·σ when the whole default
        # weight Σm moves along them cannot be resolved (Σm as the unit keeps the cut
        # independent of the data's scale); dropping them keeps the Newton systems small
        keep = max(int(np.count_nonzero((s > rtol * s[0]) & (s * np.sum(m) > atol))), 1)
        self.m = m
        self.w, self.s, self.u = w[:, :keep], s[:keep], ut[:keep].T
        self.us = self.u * self.s
        self.rank = keep
        self.gproj = self.w.T @ gt
        self.n_data = int(gt.size)
        # the data's part outside the kept singular space, formed as a vector: the
        # difference ‖g̃‖² − ‖Wᵀg̃‖² loses everything below ~1e-16 ‖g̃‖² (χ² of precise data)
        gperp = gt - self.w @ self.gproj
        self.gperp2 = float(gperp @ gperp)

    def entropy(self, a: np.ndarray) -> float:
        """The entropy S(A) against the default model (:func:`entropy`).

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A > 0.

        Returns
        -------
        float
            S ≤ 0.
        """
        return entropy(a, self.m)

    def metric(self, a: np.ndarray) -> np.ndarray:
        """Diagonal of the entropy's metric ``(−∂²S/∂A²)⁻¹``: A itself.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A > 0.

        Returns
        -------
        ndarray of shape (n_mesh,)
            The metric; the α rules read the eigenvalues of ``Σ Uᵀ diag(metric) U Σ``.
        """
        return a

    def start(self) -> np.ndarray:
        """Cell weights the α scan starts from: the default model.

        Returns
        -------
        ndarray of shape (n_mesh,)
            A copy of ``m``.
        """
        return self.m.copy()

    def chi2(self, a: np.ndarray) -> float:
        """Misfit ``χ² = ‖K̃ A − g̃‖²`` of the cell weights ``a``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A.

        Returns
        -------
        float
            χ² (the part of the data outside the kept singular space included).
        """
        r = self.s * (self.u.T @ a) - self.gproj
        return float(r @ r) + self.gperp2

    def objective(self, a: np.ndarray, alpha: float) -> float:
        """``Q(A) = ½ χ²(A) − α S(A)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A > 0.
        alpha : float
            Entropy weight α > 0.

        Returns
        -------
        float
            Q.
        """
        return 0.5 * self.chi2(a) - alpha * self.entropy(a)

    def gradient(self, a: np.ndarray, alpha: float) -> np.ndarray:
        """``∇_A Q = U Σ (Σ Uᵀ A − Wᵀ g̃) + α ln(A/m)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Cell weights A > 0.
        alpha : float
            Entropy weight α > 0.

        Returns
        -------
        ndarray of shape (n_mesh,)
            The gradient of Q.
        """
        r = self.s * (self.u.T @ a) - self.gproj
        return self.us @ r + alpha * np.log(a / self.m)

    def solve(self, a: np.ndarray, alpha: float, max_iter: int = 400,
              tol: float = 1e-10) -> tuple[np.ndarray, bool]:
        """Minimise Q at fixed α from ``a`` (cell weights, > 0); returns (A, converged).

        Newton steps ``δA = −H⁻¹ ∇Q`` with ``∇Q = U Σ r + α ln(A/m)`` and
        ``H = U Σ² Uᵀ + α diag(1/A)``, inverted by the Woodbury identity in the
        rank-s singular space. Positivity makes the full step unusable when the
        data drive weights to zero, so up to three trial paths are searched
        (backtracking, Armijo) and the lowest Q is kept:

        - ``log``: δA, with decreasing weights moving as ``A exp(t δA/A)``
          (Gauss–Newton in ln A);
        - ``line``: the straight line, cut at 99 % of the distance to A = 0;
        - ``active``: weights whose step exceeds ``FREEZE · A`` downwards leave
          the Newton system (which is solved again for the others, straight
          line) and shrink as ``A exp(−t ∇Q/α)``, the entropy's own Newton
          step in ln A.

        No one path is fastest on every problem (the first stalls on
        noise-free STS data, the last on the bosonic χ(iΩ_n) example); the
        path with the lowest first trial is searched to the end and, unless
        that trial was accepted, the others for a few halvings. Every path
        starts downhill in the strictly convex Q. Converged when the Newton
        decrement ``∇Qᵀ H⁻¹ ∇Q`` is below ``tol · max(|Q|, 1)``.

        Parameters
        ----------
        a : ndarray of shape (n_mesh,)
            Starting cell weights (floored at a tiny positive value).
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
        a = np.maximum(a, TINY)
        q = self.objective(a, alpha)
        for _ in range(max_iter):
            g = self.gradient(a, alpha)
            # s × s matrix of the Woodbury identity: αI + (UΣ)ᵀ diag(A) (UΣ)
            core = alpha * np.eye(self.rank) + self.us.T @ (a[:, None] * self.us)
            free = np.ones(a.size, dtype=bool)
            da = self._newton(a, g, alpha, free, core)
            dec = -float(g @ da)
            if dec <= tol * max(abs(q), 1.0):
                return a, True
            paths = [_Path(a, da, dec, log=True), _Path(a, da, dec, log=False)]
            going = da < -FREEZE * a
            if going.any():  # freeze them and solve again for the others
                free = ~going
                # remove the frozen weights' part of the matrix (their rows only)
                core = core - self.us[going].T @ (a[going, None] * self.us[going])
                da = np.zeros_like(a)
                da[free] = self._newton(a, g, alpha, free, core)
                paths.append(_Path(a, da, dec, free=free, g=g, alpha=alpha))
            found = self._search(paths, q, alpha)
            if found is None:  # no decrease along any path: Q is flat to rounding here
                return a, dec <= 1e-6 * max(abs(q), 1.0)
            a, q = found
        return a, False

    def _newton(self, a: np.ndarray, g: np.ndarray, alpha: float, free: np.ndarray,
                core: np.ndarray) -> np.ndarray:
        """``−H_FF⁻¹ g_F`` on the free weights F by the Woodbury identity, with
        ``core = αI + (UΣ)_Fᵀ diag(A_F) (UΣ)_F``."""
        us, af = self.us[free], a[free]
        dg = af * g[free]
        try:
            return -(dg - af * (us @ np.linalg.solve(core, us.T @ dg))) / alpha
        except np.linalg.LinAlgError:
            return -dg / alpha

    def _search(self, paths: list[_Path], q: float,
                alpha: float) -> tuple[np.ndarray, float] | None:
        """Armijo backtracking on the paths (the best first trial to the end, the
        others for a few halvings unless it was accepted); the accepted point with
        the lowest Q, or None."""
        trials = sorted(((self.objective(pth.at(pth.start), alpha), i, pth.start)
                         for i, pth in enumerate(paths)))
        best = None
        for rank, (new_q, i, step) in enumerate(trials):
            pth, min_step = paths[i], 1e-12 if rank == 0 else 1e-2
            while new_q > q - 1e-4 * step * pth.dec and step >= min_step:
                step *= 0.5
                new_q = self.objective(pth.at(step), alpha)
            if new_q <= q - 1e-4 * step * pth.dec and (best is None or new_q < best[1]):
                best = (pth.at(step), new_q)
            if rank == 0 and step == pth.start:  # its first trial was accepted
                break
        return best


class _Path:
    """Trial weights ``A(t)`` along one Newton direction (see :meth:`MaxEntCore.solve`)."""

    def __init__(self, a: np.ndarray, da: np.ndarray, dec: float, *, log: bool = False,
                 free: np.ndarray | None = None, g: np.ndarray | None = None,
                 alpha: float = 1.0) -> None:
        self.a, self.da = a, da
        if free is not None:  # active set: frozen weights shrink as A exp(−t ∇Q/α)
            self.rate = np.where(free, 0.0, np.minimum(-g / alpha, 0.0))
            self.linear = free
            self.dec = -float(g[free] @ da[free]) - float(np.sum((g * a * self.rate)[~free]))
        elif log:
            self.rate = np.where(da < 0, da / a, 0.0)
            self.linear = da >= 0
            self.dec = dec
        else:
            self.rate, self.linear, self.dec = np.zeros_like(a), np.ones(a.size, bool), dec
        hits = self.linear & (a + da <= 0)
        self.start = min(1.0, 0.99 * float(np.min(-a[hits] / da[hits]))) if hits.any() else 1.0

    def at(self, t: float) -> np.ndarray:
        new = np.where(self.linear, self.a + t * self.da,
                       self.a * np.exp(np.maximum(t * self.rate, -700.0)))
        return np.maximum(new, TINY)


class Point:
    """Everything the α rules need at one α: spectrum A, χ², S, eigenvalues.

    Parameters
    ----------
    core : MaxEntCore
        The solver the weights were found with.
    alpha : float
        Entropy weight α.
    a : ndarray of shape (n_mesh,)
        Cell weights A minimising Q at ``alpha``.
    converged : bool
        Whether the Newton iteration converged.
    """

    __slots__ = ("alpha", "a", "chi2", "ent", "lam", "converged", "n_data")

    def __init__(self, core: MaxEntCore, alpha: float, a: np.ndarray, converged: bool) -> None:
        self.alpha, self.a, self.converged = float(alpha), a, converged
        self.n_data = core.n_data
        self.chi2, self.ent = core.chi2(self.a), core.entropy(self.a)
        t = (core.u.T * core.metric(self.a)) @ core.u
        self.lam = np.clip(np.linalg.eigvalsh((core.s[:, None] * t) * core.s[None, :]), 0, None)

    @property
    def ngood(self) -> float:
        """Number of good measurements ``Σ λ/(α + λ)``."""
        return float(np.sum(self.lam / (self.alpha + self.lam)))

    def logpost(self, prior: str = "flat") -> float:
        """Log posterior of α (up to a constant).

        Parameters
        ----------
        prior : {"flat", "jeffreys"}
            Prior ``P(α)``.

        Returns
        -------
        float
            ``½ Σ ln(α/(α+λ)) + αS − χ²/2 + ln P(α)``.
        """
        lp = 0.5 * np.sum(np.log(self.alpha / (self.alpha + self.lam))) \
            + self.alpha * self.ent - 0.5 * self.chi2
        return float(lp - np.log(self.alpha) if prior == "jeffreys" else lp)

    def historic_ratio(self) -> float:
        """The historic rule's function of α.

        Returns
        -------
        float
            ``ln(χ²/N)``: zero at the historic (discrepancy) α.
        """
        return float(np.log(max(self.chi2, 1e-300) / self.n_data))

    def ratio(self, rule: str) -> float:
        """The function whose root is the ``classic`` or ``historic`` α.

        Parameters
        ----------
        rule : {"classic", "historic"}
            The rule.

        Returns
        -------
        float
            :meth:`classic_ratio` or :meth:`historic_ratio`.
        """
        return self.classic_ratio() if rule == "classic" else self.historic_ratio()

    def classic_ratio(self) -> float:
        """The classic rule's function of α.

        Returns
        -------
        float
            ``ln(−2αS / N_good)``: zero at the classic α.
        """
        return float(np.log(max(-2.0 * self.alpha * self.ent, 1e-300) / max(self.ngood, 1e-300)))
