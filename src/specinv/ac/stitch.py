"""Where a fitted tail is stitched to measured Matsubara data, and the noise of the rest.

QMC codes often write G(iω_n) or Σ(iω_n) as measured values up to some frequency and a
fitted moment expansion above it, with an error column all the way. Above the stitch the
data scatter far less than their error column (ACFlow's Bethe-lattice CT-QMC G(iω_n):
0.6 × the error column on the first 128 frequencies, 0.003 × above, over 8065 of its 8193
frequencies), so every answer fits them: χ²/N over the whole file is meaningless and the
tail gives no noise measurement (:func:`specinv.ac.tail_noise.measure` refuses it).

:func:`locate_stitch` finds the lowest frequency above which the scatter, relative to
the error column, drops by orders of magnitude: the running RMS of the normalized third
differences of Re and Im (``Δ³g / (√20 σ)``: unit variance for independent noise of
error ``σ``, and blind to the smooth curve far from ω = 0). Below the stitch that
scatter must look like noise: as large as the second differences' (a smooth curve makes
the third differences smaller or larger than the second ones; noise does not).
:func:`cut_at_stitch` keeps the measured frequencies and :func:`measured_noise` measures
the noise model there (one code path for G(iω_n) and Σ(iω_n)), or says why no frequency
measures the error column.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from specinv.ac.tail_noise import STITCH, TailNoise, measure
from specinv.io.qmc import ContinuationInput

#: frequencies per window of the running scatter
WINDOW = 16
#: a stitch: every window above scatters by less than this fraction of the windows below
DROP = 0.02
#: below the stitch the data scatter by at least this fraction of the error column
NOISE_LEVEL = 0.1
#: range of the ratio of third- to second-difference scatter that looks like noise
NOISE_SHAPE = (0.5, 2.0)
#: what to supply when the error column overstates the noise (no covariance option)
ADVICE = "give error bars measured between independent QMC bins"


@dataclass
class Stitch:
    """A located stitch: frequencies ``index`` and above are dropped.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    index : int
        First dropped frequency (0-based; also the number kept).
    omega : float
        Its Matsubara frequency (energy unit).
    n_total : int
        Frequencies in the file.
    measured_scatter : float
        Median scatter just below the stitch, in units of the error column.
    stitched_scatter : float
        Largest scatter of any window above it, in the same unit.
    """

    index: int
    omega: float
    n_total: int
    measured_scatter: float
    stitched_scatter: float

    def metadata(self) -> dict[str, Any]:
        """JSON-ready record (``kind = "stitched tail"`` and every attribute).

        Returns
        -------
        dict
            The record.
        """
        return {"kind": "stitched tail", "index": self.index, "omega": self.omega,
                "n_total": self.n_total, "n_dropped": self.n_total - self.index,
                "measured_scatter": self.measured_scatter,
                "stitched_scatter": self.stitched_scatter}

    def note(self) -> str:
        """One sentence for the user: where, what was measured, what was dropped.

        Returns
        -------
        str
            The note.
        """
        return (f"fitted tail stitched at ω_n = {self.omega:.4g} (index {self.index}): below "
                f"it the data scatter by {self.measured_scatter:.2g} × the error column, "
                f"above it by at most {self.stitched_scatter:.2g} ×; only the {self.index} "
                f"measured frequencies are fitted and judged ({self.n_total - self.index} "
                "dropped)")


def roughness(re: np.ndarray, im: np.ndarray, error: np.ndarray, order: int) -> np.ndarray:
    """Running scatter of the ``order``-th differences in units of the error column.

    Parameters
    ----------
    re, im : ndarray of shape (n,)
        Real and imaginary parts.
    error : ndarray of shape (n,)
        Error column (> 0).
    order : {2, 3}
        Order of the differences (normalized to unit variance for independent noise).

    Returns
    -------
    ndarray of shape (n - 3 - WINDOW + 1,)
        Element ``j``: RMS over differences ``j … j + WINDOW − 1`` of Re and Im together
        (the same length for both orders).
    """
    norm = {2: 6.0, 3: 20.0}[order] * error[:re.size - order] ** 2
    z2 = 0.5 * (np.diff(re, order) ** 2 + np.diff(im, order) ** 2) / norm
    return np.sqrt(np.convolve(z2[:re.size - 3], np.ones(WINDOW) / WINDOW, mode="valid"))


def locate_stitch(wn: np.ndarray, re: np.ndarray, im: np.ndarray,
                  error: np.ndarray | None) -> Stitch | None:
    """The lowest frequency above which the data scatter orders of magnitude less.

    Parameters
    ----------
    wn : ndarray of shape (n,)
        Matsubara frequencies, increasing (energy unit).
    re, im : ndarray of shape (n,)
        Real and imaginary parts.
    error : ndarray of shape (n,) or None
        Error column (None: nothing to compare with, no stitch).

    Returns
    -------
    Stitch or None
        The first index ``s ≥ 2·WINDOW`` where every window from ``s`` on scatters by
        less than :data:`DROP` of the median of the windows ``s − 2·WINDOW … s − WINDOW``,
        which scatter like noise (at least :data:`NOISE_LEVEL`, third to second
        differences within :data:`NOISE_SHAPE`); None when there is none.
    """
    if error is None or wn.size < 4 * WINDOW or np.any(np.asarray(error) <= 0):
        return None
    err = np.asarray(error, dtype=float)
    r2, r3 = roughness(re, im, err, 2), roughness(re, im, err, 3)
    above = np.maximum.accumulate(r3[::-1])[::-1]
    for s in range(2 * WINDOW, r3.size - WINDOW):
        below3 = float(np.median(r3[s - 2 * WINDOW:s - WINDOW]))
        below2 = float(np.median(r2[s - 2 * WINDOW:s - WINDOW]))
        if above[s] < DROP * below3 and below3 >= NOISE_LEVEL \
                and NOISE_SHAPE[0] <= below3 / below2 <= NOISE_SHAPE[1]:
            return Stitch(s, float(wn[s]), int(wn.size), below3, float(above[s]))
    return None


@dataclass
class MeasuredNoise:
    """What :func:`measured_noise` found.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    data : ContinuationInput
        The measured frequencies (all of them without a stitch).
    model : TailNoise or None
        The noise model measured on their tail (:func:`~specinv.ac.tail_noise.measure`).
    reason : str or None
        Why no noise model: first reason of the check.
    stitch : Stitch or None
        The located stitch.
    """

    data: ContinuationInput
    model: TailNoise | None
    reason: str | None
    stitch: Stitch | None

    def report(self, check: Any, notes: list[str], advice: str = ADVICE) -> None:
        """Put the findings into the continuation's check and notes (in place).

        Parameters
        ----------
        check : Check
            The answer's check: the stitch record goes into its details, a refused
            noise measurement becomes its first reason; without a noise model a χ²/N far
            below 1 is explained by the data's own scatter
            (:func:`~specinv.ac.scatter.report_overstated`).
        notes : list of str
            Notes printed for the user (the stitch note is appended).
        advice : str
            What the user can supply when the error column overstates the noise.
        """
        from specinv.ac.scatter import report_overstated
        from specinv.ac.tail_noise import report_stitch

        if self.stitch is not None:
            check.add("ok", self.stitch.note(), stitch=self.stitch.metadata())
            notes.append(self.stitch.note())
        if self.reason is None and self.model is None:
            d = self.data
            report_overstated(check, d.points, [d.values, d.imag], d.error, advice)
        report_stitch(check, self.reason)


def cut_at_stitch(data: ContinuationInput) -> tuple[ContinuationInput, Stitch | None]:
    """The measured frequencies of Matsubara data: those below a located stitch.

    Parameters
    ----------
    data : ContinuationInput
        Positive Matsubara frequencies with Re, Im and the optional error column.

    Returns
    -------
    data : ContinuationInput
        ``data`` cut at the stitch (``data`` itself when there is none).
    stitch : Stitch or None
        :func:`locate_stitch`.
    """
    stitch = locate_stitch(data.points, data.values, data.imag, data.error)
    if stitch is None:
        return data, None
    keep = slice(0, stitch.index)
    return replace(data, points=data.points[keep], values=data.values[keep],
                   imag=data.imag[keep], error=data.error[keep],
                   info={**data.info, "n_points": stitch.index}), stitch


def measured_noise(data: ContinuationInput, stitch: Stitch | None, beta: float,
                   method: str = "maxent") -> MeasuredNoise:
    """The noise model of the measured frequencies of fermionic Matsubara data.

    Parameters
    ----------
    data : ContinuationInput
        Positive Matsubara frequencies with Re, Im and the optional error column, already
        cut by :func:`cut_at_stitch`.
    stitch : Stitch or None
        Where :func:`cut_at_stitch` cut them (recorded in the result).
    beta : float
        Inverse temperature (1/energy unit).
    method : str
        The solver (see :func:`~specinv.ac.tail_noise.measure`).

    Returns
    -------
    MeasuredNoise
        The data, the noise model measured on their tail, and the reason when the tail is
        refused; when no frequency scatters at the level of the error column the reason
        says so and what to do.
    """
    model, reason = measure(data, beta, method)
    if reason is not None and stitch is None and data.error is not None \
            and data.points.size >= 4 * WINDOW:
        low = float(np.median(roughness(data.values, data.imag, data.error, 3)
                              [:data.points.size // 2]))
        if low < STITCH:
            reason = (f"no frequency scatters at the level of the error column: the upper "
                      f"half by {_tail_ratio(data, beta):.2g} × it, the lower half by "
                      f"{low:.2g} × (third differences, an upper bound: the curve adds to "
                      "them): the error column overstates the noise (or the data are "
                      "noise-free), so χ²/N and the residual test cannot judge the answer, "
                      "which is smoother than the data allow; give the real error bars (for "
                      "noise-free data the column only sets the resolution, and no error "
                      "level makes this verdict ok)")
    return MeasuredNoise(data, model, reason, stitch)


def _tail_ratio(data: ContinuationInput, beta: float) -> float:
    """``tail_ratio`` of :func:`~specinv.ac.tail_noise.tail_noise` (NaN: not measurable)."""
    from specinv.ac.tail_noise import tail_noise

    model = tail_noise(data.points, data.values, data.imag, data.error, beta)
    return float("nan") if model is None else model.tail_ratio
