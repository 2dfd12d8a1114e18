"""Default models of a fermionic continuation: flat, Gaussian of the data's moments, file.

``--default-model`` of ``specinv ac continue`` (:func:`resolve`):

``flat``      constant, normalized to the data's zeroth moment (TRIQS/maxent's and
              ALPS's choice);
``gaussian``  (the command's default for MaxEnt on fermionic kernels) a Gaussian with
              the zeroth, first and second moments ``m0, m1, m2`` read
              off the data (:func:`data_moments`): mean ``m1/m0``, variance
              ``m2/m0 − (m1/m0)²``; falls back to flat, with a note, where the moments
              are not usable (noisy ends, variance ≤ 0 or beyond the window);
``two-pass``  a Gaussian with the moments of a first, flat-model answer (the data's
              moments as the solver resolves them; robust where the ends are noisy);
``smoothed-answer``  the ``gaussian`` answer blurred by a Gaussian of standard deviation
              2π/β (the spacing of the fermionic Matsubara frequencies, the scale on
              which the data resolve the spectrum), for a second solve at the first
              answer's α (:func:`smoothed_pass`);
FILE          two columns ω, D(ω) (CSV or whitespace), linearly interpolated onto the
              mesh, positive and finite inside the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specinv.ac.window import is_fermionic, is_tau, matsubara_moments, spectral_norm
from specinv.core.errors import InputError
from specinv.io.qmc import ContinuationInput
from specinv.kernels import Mesh

if TYPE_CHECKING:
    from specinv.ac.continuation import ContinuationSetup
    from specinv.core.result import InversionResult

MODELS = ("flat", "gaussian", "two-pass", "smoothed-answer")
#: narrowest Gaussian default, as a fraction of the window half-width
MIN_WIDTH = 0.02
#: floor of the smoothed-answer model, as a fraction of its maximum: MaxEnt creates weight
#: only where the model has some, so the gaps of the first answer stay open to the second
SMOOTHED_FLOOR = 1e-4


def data_moments(data: ContinuationInput, kernel: str, beta: float
                 ) -> tuple[float, float, float] | None:
    """Moments ``m0 = ∫A``, ``m1 = ∫ωA``, ``m2 = ∫ω²A`` of a fermionic spectrum from the data.

    τ data: cubic fits to the first and last eight points give
    ``m0 = −G(0) − G(β)``, ``m1 = G'(0) + G'(β)``, ``m2 = −G''(0) − G''(β)``; Matsubara
    data: the tail ``G ≈ −i m0/ω_n − m1/ω_n² + i m2/ω_n³``.

    Parameters
    ----------
    data : ContinuationInput
        Fermionic τ or Matsubara data.
    kernel : str
        ``"fermionic-tau"`` or ``"fermionic-matsubara"``.
    beta : float
        Inverse temperature (1/energy unit of the data).

    Returns
    -------
    (float, float, float) or None
        The moments (energy unit of the data), None when they cannot be read.
    """
    m0 = spectral_norm(data, kernel, beta)
    if m0 is None:
        return None
    if is_tau(kernel):
        tau, g = data.points, data.values
        k = min(8, tau.size // 4)
        if k < 4:
            return None
        p0 = np.polyfit(tau[:k] - tau[0], g[:k], 3)
        p1 = np.polyfit(tau[-k:] - tau[-1], g[-k:], 3)
        m1 = float(p0[-2] + p1[-2])
        m2 = float(-2.0 * (p0[-3] + p1[-3]))
    else:
        wn, re, im = data.points, data.values, data.imag
        sel = wn > 0
        tail = slice(-max(3, int(sel.sum()) // 5), None)
        _, m2 = matsubara_moments(wn[sel], im[sel])
        m1 = float(np.median(-re[sel][tail] * wn[sel][tail] ** 2))
    return (float(m0), m1, float(m2)) if np.isfinite([m1, m2]).all() else None


def gaussian(mesh: Mesh, m0: float, m1: float, m2: float) -> np.ndarray | None:
    """Gaussian default model of moments ``m0, m1, m2`` on ``mesh``, or None if unusable.

    Parameters
    ----------
    mesh : Mesh
        Real-frequency mesh (full axis).
    m0, m1, m2 : float
        Zeroth, first and second moments of the spectrum.

    Returns
    -------
    ndarray of shape (n_mesh,) or None
        ``m0 N(ω; m1/m0, var)`` with the width floored at :data:`MIN_WIDTH` of the window
        (and the values at 1e-8 of the peak, keeping MaxEnt's logarithm finite); None when
        the variance is not positive or the Gaussian lies outside the window.
    """
    w = float(max(abs(mesh.edges[0]), abs(mesh.edges[-1])))
    mean = m1 / m0
    var = m2 / m0 - mean**2
    if not (m0 > 0 and np.isfinite(var) and 0 < var < w**2 and abs(mean) < w):
        return None
    var = max(var, (MIN_WIDTH * w) ** 2)
    d = np.exp(-((mesh.points - mean) ** 2) / (2.0 * var))
    d = np.maximum(d, 1e-8 * d.max())
    return m0 * d / float(d @ mesh.weights)


def from_file(path: str | Path, mesh: Mesh) -> np.ndarray:
    """Default model read from a two-column file, interpolated onto ``mesh``.

    Parameters
    ----------
    path : str or Path
        File with columns ω, D(ω) (comma- or whitespace-separated; ``#`` comments).
    mesh : Mesh
        Real-frequency mesh.

    Returns
    -------
    ndarray of shape (n_mesh,)
        D on the mesh points, > 0.

    Raises
    ------
    InputError
        Unreadable file, fewer than two rows or columns, ω not increasing, the window not
        covered, or D not positive and finite.
    """
    src = str(path)
    try:
        text = Path(path).read_text().replace(",", " ")
        t = np.loadtxt(text.splitlines(), ndmin=2, comments="#")
    except (OSError, ValueError) as exc:
        raise InputError(f"--default-model: cannot read two numeric columns ω, D(ω) "
                         f"({type(exc).__name__})", src) from None
    if t.shape[0] < 2 or t.shape[1] < 2:
        raise InputError("--default-model: expected two columns ω, D(ω) and at least two "
                         f"rows, got shape {t.shape}", src)
    w, d = t[:, 0], t[:, 1]
    if not np.all(np.diff(w) > 0):
        raise InputError("--default-model: ω (column 1) must be strictly increasing", src)
    if w[0] > mesh.points[0] or w[-1] < mesh.points[-1]:
        raise InputError(f"--default-model: ω covers [{w[0]:.4g}, {w[-1]:.4g}], the window "
                         f"needs [{mesh.points[0]:.4g}, {mesh.points[-1]:.4g}]; give "
                         "--omega-max inside the file's range", src)
    out = np.interp(mesh.points, w, d)
    if not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise InputError("--default-model: D(ω) (column 2) must be positive and finite "
                         "inside the window", src)
    return out


def resolve(spec: str, setup: ContinuationSetup, data: ContinuationInput, kernel: str,
            beta: float, first_pass: InversionResult | None = None) -> None:
    """Put the default model ``spec`` into ``setup.problem`` (in place), noting what was used.

    Parameters
    ----------
    spec : str
        ``"flat"``, ``"gaussian"``, ``"two-pass"`` or a file name (see the module).
    setup : ContinuationSetup
        The continuation's set-up; its problem already carries the flat model.
    data : ContinuationInput
        The data.
    kernel : str
        Kernel name (only fermionic kernels take a default model other than flat).
    beta : float
        Inverse temperature.
    first_pass : InversionResult, optional
        The flat-model answer (``two-pass``).
    """
    import dataclasses

    mesh = setup.problem.kernel.mesh
    if spec == "flat":
        return
    if spec not in MODELS:
        model, what = from_file(spec, mesh), f"read from {spec}"
    else:
        if not is_fermionic(kernel):
            setup.notes.append(f"default model {spec!r} applies to fermionic kernels; "
                               "flat used")
            return
        if spec in ("gaussian", "smoothed-answer"):  # the latter's first pass
            moments, origin = data_moments(data, kernel, beta), "the data's moments"
        else:
            a, w, x = first_pass.spectrum, first_pass.mesh.weights, first_pass.mesh.points
            moments = (float(a @ w), float((a * x) @ w), float((a * x**2) @ w))
            origin = "the moments of a first, flat-model answer"
        model = None if moments is None else gaussian(mesh, *moments)
        if model is None:
            setup.notes.append(f"default model {spec}: {origin} are not usable; flat used")
            return
        m0, m1, m2 = moments
        what = (f"Gaussian of {origin}: mean {m1 / m0:.3g}, "
                f"width {np.sqrt(max(m2 / m0 - (m1 / m0) ** 2, 0.0)):.3g}")
    setup.problem = dataclasses.replace(setup.problem, default_model=model)
    setup.notes = [n for n in setup.notes if not n.startswith("default model: flat")]
    setup.notes.append(f"default model: {what}")


def smoothed_answer(first: InversionResult, beta: float) -> np.ndarray:
    """The default model of the ``smoothed-answer`` pass: ``first`` blurred at 2π/β.

    Parameters
    ----------
    first : InversionResult
        The first (Gaussian-model) answer A(ω) on its mesh.
    beta : float
        Inverse temperature (1/energy unit of the data): the blur's standard deviation is
        the fermionic Matsubara spacing 2π/β (energy unit of the data).

    Returns
    -------
    ndarray of shape (n_mesh,)
        ``B A`` (:func:`specinv.solvers.preblur.blur_matrix`, weight kept inside the
        window), floored at :data:`SMOOTHED_FLOOR` of its maximum and normalized to the
        first answer's ``∫A``.
    """
    from specinv.solvers.preblur import blur_matrix

    mesh = first.mesh
    a = blur_matrix(mesh, 2.0 * np.pi / beta) @ np.clip(first.spectrum, 0.0, None)
    a = np.maximum(a, SMOOTHED_FLOOR * float(a.max()))
    return a * float(first.spectrum @ mesh.weights) / float(a @ mesh.weights)


def smoothed_pass(setup: ContinuationSetup, first: InversionResult, caught: list, beta: float,
                  options: dict | None) -> tuple[InversionResult, list]:
    """MaxEnt again at the first answer's α with :func:`smoothed_answer` as default model.

    The second answer is kept only if it fits the data at least as well as the first
    (χ² not larger, a test independent of the error bars' scale): where the first answer
    has peaks much narrower than 2π/β (δ-like states resolved by precise data) the
    smoothed model pulls them apart at that α, and the first answer stays (a note says so).

    Parameters
    ----------
    setup : ContinuationSetup
        The first answer's set-up (window and mesh kept); its problem's default model and
        its notes are updated in place.
    first : InversionResult
        The first, Gaussian-model MaxEnt answer.
    caught : list of warnings.WarningMessage
        The first answer's recorded warnings.
    beta : float
        Inverse temperature (1/energy unit of the data).
    options : dict or None
        MaxEnt options of the first solve (``alpha`` is set to the first answer's α).

    Returns
    -------
    result : InversionResult
        The second answer, or ``first``.
    caught : list of warnings.WarningMessage
        The kept answer's warnings.
    """
    import dataclasses
    import warnings

    from specinv.solvers import solve

    alpha, width = float(first.hyperparameters["alpha"]), 2.0 * np.pi / beta
    problem = dataclasses.replace(setup.problem, default_model=smoothed_answer(first, beta))
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        result = solve(problem, method="maxent", **{**(options or {}), "alpha": alpha})
    if not result.chi2 <= first.chi2:
        setup.notes.append(f"default model smoothed-answer: the second answer fits worse "
                           f"(χ²/N {result.chi2_reduced:.3g} > {first.chi2_reduced:.3g}); "
                           "the first answer is kept")
        return first, caught
    setup.problem = problem
    result.hyperparameters.update(first_alpha_rule=first.hyperparameters.get("alpha_rule"),
                                  model_smoothing_width=width)
    setup.notes = [n for n in setup.notes if not n.startswith("default model: ")]
    setup.notes.append(f"default model: the first answer (α = {alpha:.3g}) smoothed by a "
                       f"Gaussian of width 2π/β = {width:.3g}; solved again at that α")
    return result, again
