"""The physics check every result carries: does the answer reproduce the data?

An inverse problem's answer is only as good as its back-transform. The check
compares the fitted data ``K f`` with the measured data at the noise level the
solver used and condenses the evidence into a verdict:

``ok``
    χ²/N within :data:`CHI2_OK` of 1, residuals compatible with white noise, no
    physical constraint violated.
``warn``
    the fit is acceptable but something deserves a look: residuals with
    structure (runs test), χ²/N below the band (over-fitting or σ too large),
    a negative spectrum where the physics forbids it, a feature at the edge of
    the mesh, an estimated (not given) noise level far from what the fit needs.
``fail``
    the answer does not reproduce the data: χ²/N above the band. It is written
    but must not be trusted; the command exits with :data:`EXIT_FAIL`.

Thresholds come from the statistics of the residuals ``r_i = (K f − g)_i / σ_i``
for a correct model and correct σ: ``χ² ~ χ²_N`` (mean N, std √(2N)), the number
of sign runs of ``r`` is ~ normal with mean ``2 n₊ n₋ / N + 1`` (Wald–Wolfowitz).
A regularized answer trades a little χ² for smoothness, so the χ² band is wide
(a factor of two each way), while a runs z-score below −:data:`RUNS_Z` (far
fewer sign changes than noise gives) means a systematic misfit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specinv.core.result import jsonable

#: χ²/N band of an acceptable fit: (lower, upper); above the upper bound the result fails
CHI2_OK = (0.5, 2.0)
#: runs-test z-score below −RUNS_Z flags residuals with structure (4σ: 3e-5 false alarms)
RUNS_Z = 4.0
#: negative weight (as a fraction of the largest |value|) tolerated in a positive spectrum
NEGATIVITY_TOL = 0.05
#: exit code of a command whose result failed its check (2 stays for user mistakes)
EXIT_FAIL = 3
VERDICTS = ("ok", "warn", "fail")


@dataclass
class Check:
    """Verdict on one result, with the evidence behind it.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    verdict : {"ok", "warn", "fail"}
        The worst level among ``reasons``.
    reasons : list of str
        One sentence per finding, prefixed by its level (``"fail: ..."``).
    chi2_reduced : float
        ``χ²/N`` of the fit at the noise level used.
    noise_source : {"given", "estimated", "tolerance"}
        Whether σ came with the data, was estimated from its roughness, or is a
        method's stated tolerance.
    noise_level : float
        Median σ, in the data's unit.
    runs_z : float
        Wald–Wolfowitz z-score of the residual signs (≈ N(0, 1) for white noise).
    lag1 : float
        Lag-1 autocorrelation of the normalized residuals (≈ N(0, 1/N) for white noise).
    residuals : ndarray of shape (n_data,)
        Normalized residuals ``(K f − g)/σ``.
    details : dict
        Domain-specific figures (negativity, edge features, sum rules, ...).
    """

    verdict: str
    reasons: list[str]
    chi2_reduced: float
    noise_source: str
    noise_level: float
    runs_z: float
    lag1: float
    residuals: np.ndarray
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, level: str, reason: str, **details: Any) -> None:
        """Record a finding and raise the verdict to ``level`` if it is worse.

        Parameters
        ----------
        level : {"ok", "warn", "fail"}
            Severity of the finding (``"ok"`` records details only).
        reason : str
            One sentence for the user.
        **details
            Figures stored in :attr:`details`.
        """
        if level not in VERDICTS:
            raise ValueError(f"level must be one of {VERDICTS}, got {level!r}")
        self.details.update(details)
        if level != "ok":
            self.reasons.append(f"{level}: {reason}")
        if VERDICTS.index(level) > VERDICTS.index(self.verdict):
            self.verdict = level

    @property
    def failed(self) -> bool:
        """True when the verdict is ``fail``."""
        return self.verdict == "fail"

    def plot_residuals(self, ax: Any, x: np.ndarray, *, xlabel: str = "") -> None:
        """Draw the normalized residuals on a matplotlib axes, with ±2 bands.

        Parameters
        ----------
        ax : matplotlib.axes.Axes
            Target axes.
        x : ndarray of shape (n_data,)
            Data coordinates (bias, τ, ω) for the horizontal axis.
        xlabel : str
            Label of the horizontal axis.
        """
        ax.axhspan(-2.0, 2.0, color="0.9", lw=0)
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.plot(x, self.residuals, ".", ms=2, color="C3" if self.failed else "C2")
        ax.set_ylabel("(fit − data)/σ")
        ax.set_xlabel(xlabel)
        ax.set_title(f"verdict {self.verdict}, runs z = {self.runs_z:.1f}", fontsize=9)

    def summary(self) -> str:
        """One line for the terminal: the verdict, χ²/N and the first reasons.

        Returns
        -------
        str
            ``verdict LEVEL: chi2/N = ... at the NOISE noise level ...`` followed by up to
            three reasons, or by "residuals consistent with noise".
        """
        head = (f"verdict {self.verdict}: chi2/N = {self.chi2_reduced:.3g} at "
                f"{self._sigma_phrase()}")
        if not self.reasons:
            return head + "; residuals consistent with noise"
        return head + "; " + "; ".join(r.split(": ", 1)[1] for r in self.reasons[:3])

    def _sigma_phrase(self) -> str:
        kind = "the method's tolerance" if self.noise_source == "tolerance" else \
            f"the {self.noise_source} noise level"
        if not np.isfinite(self.noise_level):  # a set of fits: one noise level each
            return f"the {self.noise_source} noise level of each fit (median over the set)"
        refined = self.details.get("noise_refinement") or {}
        if refined.get("reached"):  # specinv.solvers.noise_refine lowered the estimate
            return (f"{kind} {self.noise_level:.3g} (refined from the roughness estimate "
                    f"{refined['sigma_estimate']:.3g} until the residuals passed the runs test)")
        return f"{kind} {self.noise_level:.3g}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (residuals summarized, not listed).

        Returns
        -------
        dict
            Verdict, reasons, χ²/N, noise source and level, residual statistics, details.
        """
        r = self.residuals
        return {"verdict": self.verdict, "reasons": list(self.reasons),
                "chi2_reduced": float(self.chi2_reduced), "noise_source": self.noise_source,
                "noise_level": float(self.noise_level), "runs_z": float(self.runs_z),
                "residual_lag1": float(self.lag1),
                "residual_rms": float(np.sqrt(np.mean(r**2))) if r.size else 0.0,
                "residual_max_abs": float(np.max(np.abs(r))) if r.size else 0.0,
                "details": jsonable(self.details)}


def runs_z(residuals: np.ndarray) -> float:
    """Wald–Wolfowitz runs test of the residual signs.

    Parameters
    ----------
    residuals : ndarray of shape (n,)
        Normalized residuals.

    Returns
    -------
    float
        ``(runs − μ)/s`` with ``μ = 2 n₊ n₋/n + 1``, ``s² = (μ − 1)(μ − 2)/(n − 1)``;
        0 when fewer than 10 residuals or all of one sign.
    """
    r = np.asarray(residuals, dtype=float)
    r = r[r != 0]
    n_pos, n = int(np.count_nonzero(r > 0)), r.size
    n_neg = n - n_pos
    if n < 10 or n_pos == 0 or n_neg == 0:
        return 0.0
    runs = 1 + int(np.count_nonzero(np.diff(np.sign(r)) != 0))
    mu = 2.0 * n_pos * n_neg / n + 1.0
    var = (mu - 1.0) * (mu - 2.0) / (n - 1.0)
    return float((runs - mu) / np.sqrt(var)) if var > 0 else 0.0


def check_fit(data: np.ndarray, fitted: np.ndarray, sigma: np.ndarray, *,
              sigma_given: bool, spectrum: np.ndarray | None = None,
              positive: bool = False, tolerance: bool = False,
              normalized: np.ndarray | None = None) -> Check:
    """Check a fit against its data at the noise level used.

    Parameters
    ----------
    data : ndarray of shape (n_data,)
        Measured data.
    fitted : ndarray of shape (n_data,)
        Back-transformed answer ``K f``.
    sigma : ndarray of shape (n_data,)
        One-standard-deviation errors the fit is judged with.
    sigma_given : bool
        True when σ came with the data, False when it was estimated.
    spectrum : ndarray of shape (n_mesh,), optional
        The answer itself, for the positivity check.
    positive : bool
        The physics requires ``spectrum >= 0`` (a density of states, a spectral
        function, a glue, α²F).
    tolerance : bool
        ``sigma`` is a stated tolerance of the method (e.g. how well a correct α²F
        reproduces a noise-free gap), not a noise level: a χ²/N below the band is then
        no sign of over-fitting, and the noise source reads ``"tolerance"``.
    normalized : ndarray of shape (n_data,), optional
        Normalized residuals for correlated errors, ``C^(-1/2)(K f − g)``
        (:meth:`specinv.core.covariance.Covariance.whiten`); default ``(fitted − data)/σ``.

    Returns
    -------
    Check
        Verdict ``ok``, ``warn`` or ``fail`` with its reasons, χ²/N, the whiteness
        statistics of the residuals (runs z-score, lag-1 autocorrelation) and the
        normalized residuals.
    """
    r = (np.asarray(fitted, float) - np.asarray(data, float)) / np.asarray(sigma, float) \
        if normalized is None else np.asarray(normalized, float)
    n = max(r.size, 1)
    chi2n = float(r @ r) / n
    lag1 = float(np.sum(r[1:] * r[:-1]) / max(float(r @ r), 1e-300)) if r.size > 1 else 0.0
    source = "tolerance" if tolerance else "given" if sigma_given else "estimated"
    check = Check("ok", [], chi2n, source, float(np.median(sigma)), runs_z(r), lag1, r)
    lo, hi = CHI2_OK
    if chi2n > hi:
        check.add("fail", f"the answer does not reproduce the data (chi2/N > {hi})")
    elif chi2n < lo and not tolerance:
        check.add("warn", f"chi2/N < {lo}: the answer fits the noise, or the "
                          f"{check.noise_source} error bars are too large")
    if check.runs_z < -RUNS_Z and not tolerance:
        check.add("warn", f"residuals have structure (runs test z = {check.runs_z:.1f}): "
                          "a systematic misfit the noise does not explain")
    if positive and spectrum is not None:
        f = np.asarray(spectrum, float)
        neg = float(max(-f.min(), 0.0) / max(float(np.max(np.abs(f))), 1e-300))
        check.details["negativity"] = neg
        if neg > NEGATIVITY_TOL:
            check.add("warn", f"the spectrum goes negative ({neg:.1%} of its maximum) where "
                              "the physics requires it to be >= 0")
    return check


def check_map(chi2_reduced: np.ndarray, *, sigma_given: bool, item: str = "pixel") -> Check:
    """Verdict on a set of independent fits (one χ²/N per pixel of a map, per example, ...).

    Parameters
    ----------
    chi2_reduced : ndarray of shape (n_items,)
        χ²/N of every fit.
    sigma_given : bool
        True when the error bars came with the data (or were stated by the user).
    item : str
        What one fit is called in the messages.

    Returns
    -------
    Check
        ``fail`` when any fit's χ²/N is above the band (``details`` count them and
        list up to 100 of their flat indices), ``warn`` when more than half are below it;
        ``chi2_reduced`` is the median over the set, ``residuals`` the per-fit
        ``χ²/N − 1``.
    """
    c = np.asarray(chi2_reduced, float).ravel()
    lo, hi = CHI2_OK
    check = Check("ok", [], float(np.median(c)), "given" if sigma_given else "estimated",
                  float("nan"), 0.0, 0.0, c - 1.0)
    bad = np.flatnonzero(~(c <= hi))
    check.details.update({f"n_{item}s": int(c.size), "n_failed": int(bad.size),
                          f"failed_{item}s": bad[:100].tolist()})
    if bad.size:
        check.add("fail", f"{bad.size} of {c.size} {item}s do not reproduce their data "
                          f"(chi2/N > {hi}; worst {float(np.nanmax(c)):.3g})")
    if np.count_nonzero(c < lo) > c.size / 2:
        check.add("warn", f"most {item}s fit below chi2/N = {lo}: the noise level is too "
                          "large, or the answers fit the noise")
    return check


def edge_weight(spectrum: np.ndarray, sides: str = "both") -> float:
    """Largest |value| at the mesh edges as a fraction of the largest |value|.

    Parameters
    ----------
    spectrum : ndarray of shape (n_mesh,)
        The answer.
    sides : {"both", "upper"}
        Which edges count (``"upper"`` for spectra on ω ≥ 0).

    Returns
    -------
    float
        In [0, 1]; 0 for an all-zero spectrum.
    """
    f = np.abs(np.asarray(spectrum, float))
    top = float(np.max(f)) if f.size else 0.0
    if top == 0.0:
        return 0.0
    edge = f[-1] if sides == "upper" else max(f[0], f[-1])
    return float(edge / top)


def check_edges(check: Check, mesh_points: np.ndarray, spectrum: np.ndarray, *,
                features: dict[str, float] | None = None, decays: bool = False,
                sides: str = "both", edge_fraction: float = 0.1) -> None:
    """Flag features at the mesh edge and spectra that do not decay there.

    Parameters
    ----------
    check : Check
        Updated in place.
    mesh_points : ndarray of shape (n_mesh,)
        Increasing mesh.
    spectrum : ndarray of shape (n_mesh,)
        The answer.
    features : dict of str to float, optional
        Reported feature positions (peak, gap edge) in the mesh's unit; NaN means none.
    decays : bool
        The physics requires the spectrum to vanish outside the window (a spectral
        function, a glue): weight at the edge means the window cuts the spectrum.
    sides : {"both", "upper"}
        Edges at which ``decays`` is checked (``"upper"`` for spectra on ω ≥ 0).
    edge_fraction : float
        Edge value, as a fraction of the maximum, above which ``decays`` is violated.
    """
    x = np.asarray(mesh_points, float)
    cell = float(np.max(np.diff(x))) if x.size > 1 else 0.0
    for name, pos in (features or {}).items():
        if np.isfinite(pos) and min(pos - x[0], x[-1] - pos) <= cell:
            check.add("warn", f"the {name} at {pos:.4g} sits at the mesh edge: it is the "
                              "window's edge, not a feature of the data")
    if decays:
        edge = edge_weight(spectrum, sides)
        check.details["edge_weight"] = edge
        if edge > edge_fraction:
            check.add("warn", f"the spectrum does not decay at the window edge ({edge:.0%} of "
                              "its maximum): widen the window")
