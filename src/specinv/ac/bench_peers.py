"""The peers of ``specinv bench ac``: ana_cont and TRIQS/maxent, run as their users do.

Both are optional benchmark extras, never runtime dependencies. Each is imported
from the Python path or from a folder given on the command line
(``pip install --target DIR ana_cont`` / ``triqs_maxent``).

TRIQS/maxent 4.0.1 is pure Python, but ``triqs_maxent.maxent_util`` and
``tau_maxent`` import ``triqs.gfs`` and ``triqs.utility.mpi`` at module level for
their TRIQS Green-function conveniences. The TRIQS library itself is a C++ build
that pip cannot install. When it is absent, :func:`import_triqs_maxent` registers
empty stand-in modules under those names so that the import succeeds. The runs
here use only ``TauMaxEnt.set_G_tau_data`` and ``set_error`` with NumPy arrays, the
kernel, the meshes, the minimizer and the analyzers, none of which touches TRIQS
objects: the stand-ins are never called.

Every peer run returns a record with ``omega``, ``spectrum``, ``wall_s`` (its whole
``solve``/``run`` call, kernel set-up included), the α it chose and its options;
a run that raises returns ``{"failed": message, "wall_s": ...}``.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import types
import warnings
from typing import Any

import numpy as np

from specinv.kernels.imaginary_time import bosonic_tau_kernel

#: points of TRIQS/maxent's SrVO3 guide run (``doc/guide/srvo3/srvo3_run.py``)
TRIQS_GUIDE_N_OMEGA = 400
#: its α mesh, for its data's constant error 1e-3: ``LogAlphaMesh(1e-4, 100, 50)``
TRIQS_GUIDE_ALPHA = (1e-4, 100.0, 50)
TRIQS_GUIDE_ERROR = 1e-3
#: modules of the TRIQS library that triqs_maxent imports at module level
_TRIQS_STAND_INS = ("triqs", "triqs.gfs", "triqs.utility", "triqs.utility.mpi")


# -- ana_cont ---------------------------------------------------------------------------

def import_ana_cont(path: str | None) -> Any:
    """``ana_cont.continuation``, or None when it is not importable.

    Parameters
    ----------
    path : str or None
        Directory prepended to ``sys.path`` first (a source checkout), or None.

    Returns
    -------
    module or None
        The module.
    """
    if path:
        sys.path.insert(0, path)
    try:
        import ana_cont.continuation as cont
    except ImportError:
        return None
    return cont


@contextlib.contextmanager
def _numpy2_shim() -> Any:
    """ana_cont 1.1 calls ``np.trapz`` (removed in NumPy 2.4); alias it during its run."""
    name = "trap" + "z"  # the removed alias, spelled so linters do not flag it
    added = not hasattr(np, name)
    if added:
        setattr(np, name, np.trapezoid)
    try:
        yield
    finally:
        if added:
            delattr(np, name)


def ana_cont_run(cont: Any, case: dict[str, Any], rule: str, window: float,
                 n: int = 401, model_over_beta: bool = False) -> dict[str, Any]:
    """ana_cont's ``maxent_svd`` with α rule ``rule`` on a uniform mesh over ``window``.

    Parameters
    ----------
    cont : module
        ``ana_cont.continuation``.
    case : dict
        Loaded bench case (``data``, ``kernel``, ``beta``; ``signed``: a spectrum of
        either sign, continued with ``offdiag=True``).
    rule : str
        ana_cont's ``alpha_determination`` (e.g. ``"chi2kink"``, ``"classic"``).
    window : float
        Frequency window W: mesh on [−W, W], or [0, W] for bosonic data.
    n : int
        Mesh points.
    model_over_beta : bool
        Divide the flat default model by β (fermionic data).

    Returns
    -------
    dict
        ``omega``, ``spectrum``, ``wall_s`` (s), ``alpha``, ``chi2_reduced``, ...;
        or ``failed`` (the errors of every try) and ``wall_s``.
    """
    data = case["data"]
    if case["kernel"] == "fermionic-tau":
        w = np.linspace(-window, window, n)
        mode, im_data, err = "time_fermionic", -data.values, data.error
        model = np.full(n, 1.0 / (2 * window))
        if model_over_beta:
            model = model / case["beta"]
    else:  # bosonic Matsubara, real part, even spectrum on [0, W]
        w = np.linspace(0.0, window, n)
        mode, im_data, err = "freq_bosonic", data.values, data.error
        model = np.full(n, data.values[0] / window)
    # its own α range first; chi2kink's sigmoid fit fails on some data (U = 0), then the
    # scan is widened as its documentation suggests
    tries = [{}, {"alpha_start": 1e14, "alpha_end": 1e-2}] if rule == "chi2kink" else [{}]
    if case.get("signed"):  # a spectrum of either sign: its positive-negative entropy
        tries = [{**kw, "offdiag": True} for kw in tries]
    t0 = time.perf_counter()
    errors = []
    for kw in tries:
        try:
            with _numpy2_shim(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                p = cont.AnalyticContinuationProblem(im_axis=data.points, re_axis=w,
                                                     im_data=im_data, kernel_mode=mode,
                                                     beta=case["beta"])
                sol, _ = p.solve(method="maxent_svd", optimizer="newton",
                                 alpha_determination=rule, model=model, stdev=err,
                                 interactive=False, **kw)
            break
        except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
            errors.append(f"{kw or 'default'}: {type(exc).__name__}: {exc}"[:200])
    else:
        return {"failed": "; ".join(errors), "wall_s": time.perf_counter() - t0}
    spec = np.asarray(sol.A_opt, float)
    if mode == "freq_bosonic":
        spec = spec / 2.0  # its A on [0, W] carries both halves of the even spectrum
    return {"omega": w, "spectrum": spec, "wall_s": time.perf_counter() - t0,
            "alpha": float(sol.alpha), "chi2_reduced": float(sol.chi2) / im_data.size,
            "n_omega": n, "options": kw, "failed_tries": errors}


# -- TRIQS/maxent -----------------------------------------------------------------------

def import_triqs_maxent(path: str | None) -> tuple[Any, str | None]:
    """``(triqs_maxent, note)``, or ``(None, reason)`` when it cannot be imported.

    ``note`` says whether the empty stand-ins for the TRIQS library were needed.

    Parameters
    ----------
    path : str or None
        Directory prepended to ``sys.path`` first (a source checkout), or None.

    Returns
    -------
    (module or None, str or None)
        The package and its note, or None and the reason.
    """
    if path:
        sys.path.insert(0, path)
    note = None
    try:
        import triqs  # noqa: F401
    except ImportError:
        for name in _TRIQS_STAND_INS:
            module = sys.modules.setdefault(name, types.ModuleType(name))
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, module)
        note = ("TRIQS library absent: empty stand-ins for triqs.gfs and triqs.utility.mpi "
                "(imported at module level, never called on the array path used here)")
    try:
        import triqs_maxent as tm
    except ImportError as exc:
        if note is not None:
            for name in _TRIQS_STAND_INS:
                sys.modules.pop(name, None)
        return None, f"not importable ({exc})"
    label = f"{tm.__file__} (version {getattr(tm, 'version', '?')})"
    return tm, label if note is None else f"{label}; {note}"


def _triqs_tau(tm: Any, case: dict[str, Any], **kw: Any) -> Any:
    data = case["data"]
    t = tm.TauMaxEnt(**kw)
    t.set_G_tau_data(np.asarray(data.points, float), np.asarray(data.values, float))
    t.set_error(np.asarray(data.error, float))
    return t


def triqs_guide_runs(tm: Any, case: dict[str, Any], window: float) -> dict[str, Any]:
    """TRIQS/maxent as its SrVO3 guide runs it; one record per analyzer.

    ``TauMaxEnt(probability="normal")`` on a 400-point ``HyperbolicOmegaMesh`` over
    ``±window`` and the guide's ``LogAlphaMesh(1e-4, 100, 50)``, whose range the guide
    says to scale as 1/error² (its data carry 1e-3): here the range is widened by that
    factor at the guide's 50 points per 6 decades. Its default analyzers (line fit,
    χ² curvature, entropy) and, with the probability, Bryan's average and the
    classic α all come from the one run, whose time every record carries.

    Parameters
    ----------
    tm : module
        The ``triqs_maxent`` package.
    case : dict
        Loaded bench case: fermionic τ data, or bosonic (``kernel`` ``bosonic-tau``),
        given to its ``DataKernel`` as the matrix ``ω e^{−τω}/(1 − e^{−βω})`` on its mesh.
    window : float
        Frequency window (energy unit of the data).

    Returns
    -------
    dict
        One record per analyzer (``omega``, ``spectrum``, ``wall_s``, ``alpha``, ...),
        or ``{"triqs_maxent_guide": {"failed": ...}}``.
    """
    data = case["data"]
    scale = (TRIQS_GUIDE_ERROR / float(np.median(data.error))) ** 2
    lo, hi, n_alpha = TRIQS_GUIDE_ALPHA
    # widened (never narrowed) by that factor, at the guide's density of points: the
    # 1/error² rule alone leaves U = 0 (data exact, error bars 1e-5) with its classic α at
    # the lower end of the mesh
    lo, hi = lo * min(1.0, scale), hi * max(1.0, scale)
    n_alpha = int(round(n_alpha * np.log10(hi / lo) / np.log10(TRIQS_GUIDE_ALPHA[1]
                                                                 / TRIQS_GUIDE_ALPHA[0])))
    options = {"probability": "normal", "omega_mesh": "hyperbolic", "window": window,
               "n_omega": TRIQS_GUIDE_N_OMEGA, "alpha_mesh": [lo, hi, n_alpha]}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            t = _triqs_tau(tm, case, probability="normal")
            t.omega = tm.HyperbolicOmegaMesh(omega_min=-window, omega_max=window,
                                             n_points=TRIQS_GUIDE_N_OMEGA)
            if case["kernel"] == "bosonic-tau":  # no bosonic τ kernel: its DataKernel
                t.K = tm.DataKernel(data.points, t.omega, bosonic_tau_kernel(
                    np.asarray(data.points, float), np.asarray(t.omega, float), case["beta"]))
            t.alpha_mesh = tm.LogAlphaMesh(alpha_min=lo, alpha_max=hi, n_points=n_alpha)
            r = t.run()
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
        return {"triqs_maxent_guide": {"failed": f"{type(exc).__name__}: {exc}"[:200],
                                       "wall_s": time.perf_counter() - t0}}
    wall = time.perf_counter() - t0
    alpha = np.asarray(r.alpha, float)  # in its printed normalization (× number of data)
    chi2 = np.asarray(r.chi2, float)
    runs = {}
    for name, res in r.analyzer_results.items():
        idx = res.get("alpha_index")
        key = "triqs_maxent_guide_" + name.removesuffix("Analyzer").lower()
        runs[key] = {"omega": np.asarray(r.omega, float),
                     "spectrum": np.asarray(res["A_out"], float), "wall_s": wall,
                     "alpha": None if idx is None else float(alpha[idx]),
                     "alpha_at_mesh_end": None if idx is None else bool(
                         idx in (0, alpha.size - 1)),
                     "chi2_reduced": None if idx is None else float(chi2[idx]) / data.points.size,
                     "n_omega": TRIQS_GUIDE_N_OMEGA, "options": options}
    return runs


def triqs_fixed_alpha_run(tm: Any, case: dict[str, Any], mesh: str, omega_max: float,
                          alpha: float, n: int = 500) -> dict[str, Any]:
    """TRIQS/maxent's SrVO3 test run: Bryan's cost function at one given α.

    ``mesh`` is ``"lin"``, ``"hyp"`` or ``"lor"`` (its Linear, Hyperbolic and
    Lorentzian ``OmegaMesh`` over ``±omega_max``). Its test gives
    ``LogAlphaMesh(α/N, 100, 2)`` with N the number of data, which it scales back by N;
    the spectrum is the one at the second (smaller) α.

    Parameters
    ----------
    tm : module
        The ``triqs_maxent`` package.
    case : dict
        Loaded bench case (fermionic τ data).
    mesh : {"lin", "hyp", "lor"}
        Frequency mesh type.
    omega_max : float
        Half-width of the mesh (energy unit of the data).
    alpha : float
        The α of the run.
    n : int
        Mesh points.

    Returns
    -------
    dict
        ``omega``, ``spectrum``, ``wall_s`` (s), ``alpha`` and options; or ``failed``.
    """
    classes = {"lin": "LinearOmegaMesh", "hyp": "HyperbolicOmegaMesh",
               "lor": "LorentzianOmegaMesh"}
    n_data = case["data"].points.size
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            t = _triqs_tau(tm, case, cost_function=tm.BryanCostFunction())
            t.omega = getattr(tm, classes[mesh])(omega_min=-omega_max, omega_max=omega_max,
                                                 n_points=n)
            t.alpha_mesh = tm.LogAlphaMesh(alpha_min=alpha / n_data, alpha_max=100, n_points=2)
            r = t.run()
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
        return {"failed": f"{type(exc).__name__}: {exc}"[:200],
                "wall_s": time.perf_counter() - t0}
    return {"omega": np.asarray(r.omega, float), "spectrum": np.asarray(r.A[1], float),
            "wall_s": time.perf_counter() - t0, "alpha": float(np.asarray(r.alpha)[1]),
            "n_omega": n, "options": {"cost_function": "Bryan", "mesh": classes[mesh]}}
