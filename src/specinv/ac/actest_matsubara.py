"""The ACTest spectra as Matsubara data, for the methods that need G(iω_n).

Nevanlinna, AAA and the pole peers (mini_pole, adapol) continue complex fermionic
``G(iω_n)``, not ``G(τ)``. Each ACTest case (:func:`specinv.ac.actest.make_case`) is given
to them as the exact ``G(iω_n) = ∫ A(ω)/(iω_n − ω) dω`` of its true spectrum (trapezoid
rule on the 16001-point reference grid) at the :data:`N_FREQ` lowest positive fermionic
frequencies of β = 20, plus independent white noise of the case's σ on Re and Im (seed:
the case's seed + :data:`SEED_OFFSET`), with σ as the error column. The scores are
therefore comparable between these runs, not with the G(τ) runs of the same σ (a G(τ)
error σ is not a G(iω_n) error σ).

The runs (:func:`matsubara_runs`): ours through
:func:`specinv.ac.continuation.continue_data` as ``specinv ac continue --kernel
fermionic-matsubara`` runs them (``nevanlinna``, ``aaa``, and ``maxent`` with the
command's defaults); the peers on a uniform 401-point mesh on ACTest's ±8 with their
poles broadened by η = π/β (:data:`PEER_ETA`, half the Matsubara spacing: the resolution
of the data).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from specinv.ac import actest
from specinv.io.qmc import ContinuationInput

#: positive fermionic Matsubara frequencies given (ω_max = 99π/β ≈ 15.6 at β = 20)
N_FREQ = 50
#: added to a case's seed for its Matsubara noise
SEED_OFFSET = 500_000
#: broadening of the peers' poles: π/β
PEER_ETA = np.pi / actest.BETA


def matsubara_case(case: dict[str, Any], n_freq: int = N_FREQ) -> dict[str, Any]:
    """The Matsubara version of an ACTest case.

    Parameters
    ----------
    case : dict
        From :func:`specinv.ac.actest.make_case` (``ref_omega``, ``ref``, ``sigma``,
        ``seed``).
    n_freq : int
        Positive Matsubara frequencies.

    Returns
    -------
    dict
        ``wn`` (n_freq,), ``g`` (n_freq,) complex noisy G(iω_n), ``sigma``, ``data``
        (:class:`~specinv.io.qmc.ContinuationInput`), ``kernel`` ("fermionic-matsubara"),
        ``beta``, ``ref_omega``, ``ref``, ``window``.
    """
    wn = (2 * np.arange(n_freq) + 1) * np.pi / actest.BETA
    x, a = case["ref_omega"], case["ref"]
    exact = np.trapezoid(a[None, :] / (1j * wn[:, None] - x[None, :]), x, axis=1)
    rng = np.random.default_rng(case["seed"] + SEED_OFFSET)
    sigma = float(case["sigma"])
    g = exact + sigma * (rng.standard_normal(n_freq) + 1j * rng.standard_normal(n_freq))
    data = ContinuationInput(wn, g.real, imag=g.imag, error=np.full(n_freq, sigma),
                             source=f"actest matsubara sigma={sigma:g} seed={case['seed']}")
    return {"wn": wn, "g": g, "sigma": sigma, "data": data, "kernel": "fermionic-matsubara",
            "beta": actest.BETA, "ref_omega": x, "ref": a, "window": actest.OMEGA_MAX}


def _cached(case: dict[str, Any]) -> dict[str, Any]:
    if "_matsubara" not in case:
        case["_matsubara"] = matsubara_case(case)
    return case["_matsubara"]


def _ours(method: str, model: str = "flat") -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specinv.ac.cli import AC_DEFAULTS
    from specinv.ac.continuation import continue_data

    def run(case: dict[str, Any]) -> dict[str, Any]:
        m = _cached(case)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, r = continue_data(m["data"], m["kernel"], m["beta"], method=method,
                                 options=dict(AC_DEFAULTS.get(method, {})), default_model=model)
        return {"omega": r.omega, "spectrum": r.spectrum, "wall_s": time.perf_counter() - t0,
                "alpha": r.hyperparameters.get("alpha"), "verdict": r.check.verdict,
                "chi2_reduced": r.chi2_reduced}
    return run


def matsubara_runs(mini_pole: Any = None, adapol: Any = None) -> dict[str, Callable]:
    """The Matsubara runs of the suite: name -> function of one ACTest case.

    Parameters
    ----------
    mini_pole : module or None
        The ``mini_pole`` package (see :func:`specinv.ac.bench_pole_peers.import_mini_pole`).
    adapol : module or None
        The ``adapol`` package.

    Returns
    -------
    dict of str to callable
        Each takes a case of :func:`specinv.ac.actest.make_case` and returns ``omega``,
        ``spectrum``, ``wall_s`` (s) and what it chose.
    """
    from specinv.ac.bench_pole_peers import pole_peer_run
    from specinv.ac.cli import AC_DEFAULT_MODEL

    runs: dict[str, Callable] = {
        "nevanlinna_matsubara": _ours("nevanlinna"), "aaa_matsubara": _ours("aaa"),
        "maxent_default_matsubara": _ours("maxent", AC_DEFAULT_MODEL)}
    omega = np.linspace(-actest.OMEGA_MAX, actest.OMEGA_MAX, 401)
    for name, package in (("mini_pole", mini_pole), ("adapol_aaa", adapol)):
        if package is not None:
            runs[f"{name}_matsubara"] = lambda case, p=package: pole_peer_run(
                p, _cached(case), omega, PEER_ETA)
    return runs


def add_peer_arguments(parser: Any) -> None:
    """``--mini-pole-path`` and ``--adapol-path`` of ``specinv bench ac``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``bench ac`` parser.
    """
    parser.add_argument("--mini-pole-path", default=None, metavar="DIRS",
                        help="actest suite: folder(s), os.pathsep-separated, to put on sys.path "
                             "for a mini_pole (and its dependency kneed) installed elsewhere "
                             "(default: none)")
    parser.add_argument("--adapol-path", default=None, metavar="DIR",
                        help="actest suite: folder to put on sys.path for an adapol installed "
                             "elsewhere (default: none)")


def peer_modules(args: Any) -> tuple[Any, Any]:
    """``(mini_pole, adapol)`` as importable (None each when absent or with ``--no-peers``).

    Parameters
    ----------
    args : argparse.Namespace
        Bench options (``no_peers``, ``mini_pole_path``, ``adapol_path``).

    Returns
    -------
    tuple
        The two packages or None.
    """
    from specinv.ac.bench_pole_peers import import_adapol, import_mini_pole

    if getattr(args, "no_peers", False):
        return None, None
    return (import_mini_pole(getattr(args, "mini_pole_path", None)),
            import_adapol(getattr(args, "adapol_path", None)))
