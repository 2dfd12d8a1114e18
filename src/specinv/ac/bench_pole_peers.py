"""Pole-method peers of ``specinv bench ac --suite actest``: mini_pole and adapol.

Both continue complex fermionic G(iω_n) (the ACTest cases are given to them as Matsubara
data, :mod:`specinv.ac.actest_matsubara`) and return poles and weights; the spectrum is
``A(ω) = −Im Σ_l w_l/(ω + iη − p_l)/π``. Like the other peers
(:mod:`specinv.ac.bench_peers`) they are optional benchmark extras, imported from the
Python path or from folders given on the command line (``pip install --target DIR
mini_pole`` / ``adapol``; mini_pole 0.7 also needs ``kneed``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import warnings
from typing import Any

import numpy as np


def _import_from(path: str | None, module: str) -> Any:
    """``module`` imported after prepending the folders of ``path`` (os.pathsep-separated)
    to ``sys.path``, or None."""
    for folder in reversed((path or "").split(os.pathsep)):
        if folder and folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        return __import__(module)
    except ImportError:
        return None


def import_mini_pole(path: str | None) -> Any:
    """The ``mini_pole`` package (minimal pole method), or None when it is not importable.

    Parameters
    ----------
    path : str or None
        Directories (os.pathsep-separated) prepended to ``sys.path`` first (``pip install
        --target DIR mini_pole``; it needs ``kneed``, which may live in a second folder).

    Returns
    -------
    module or None
        The package.
    """
    return _import_from(path, "mini_pole")


def import_adapol(path: str | None) -> Any:
    """The ``adapol`` package (AAA pole fitting), or None when it is not importable.

    Parameters
    ----------
    path : str or None
        Directory prepended to ``sys.path`` first (``pip install --target DIR adapol``).

    Returns
    -------
    module or None
        The package.
    """
    return _import_from(path, "adapol")


def poles_spectrum(omega: np.ndarray, poles: np.ndarray, weights: np.ndarray,
                   eta: float) -> np.ndarray:
    """``A(ω) = −Im Σ_l w_l/(ω + iη − p_l)/π`` of a pole representation.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Real frequencies (energy unit).
    poles : ndarray of shape (m,)
        Pole positions (real, or complex in the lower half-plane).
    weights : ndarray of shape (m,)
        Their weights (residues).
    eta : float
        Broadening (energy unit).

    Returns
    -------
    ndarray of shape (n,)
        The spectrum, as the peer's poles give it (not clipped).
    """
    z = omega[:, None] + 1j * eta
    return -np.sum(weights[None, :] / (z - poles[None, :]), axis=1).imag / np.pi


def pole_peer_run(package: Any, case: dict[str, Any], omega: np.ndarray,
                  eta: float) -> dict[str, Any]:
    """mini_pole's ``MiniPole`` or adapol's ``approx_freq_aaa`` on a case's G(iω_n).

    Both are given the complex G(iω_n) and the noise level σ as their error tolerance
    (mini_pole ``err``, absolute; adapol ``aaa_tol``); their poles are broadened by ``eta``.

    Parameters
    ----------
    package : module
        ``mini_pole`` or ``adapol``.
    case : dict
        Matsubara case (``wn``, ``g``, ``sigma``) of :mod:`specinv.ac.actest_matsubara`.
    omega : ndarray of shape (n,)
        Real frequencies of the answer (energy unit).
    eta : float
        Broadening of the poles (energy unit).

    Returns
    -------
    dict
        ``omega``, ``spectrum``, ``wall_s`` (s), ``n_poles``; or ``failed`` and ``wall_s``.
    """
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if package.__name__ == "mini_pole":
                mp = package.MiniPole(case["g"], case["wn"], err=case["sigma"], err_type="abs")
                poles, weights = mp.pole_location, mp.pole_weight.reshape(-1)
            else:
                poles, weights, _ = package.approx_freq_aaa(case["g"], 1j * case["wn"],
                                                            aaa_tol=case["sigma"])
                weights = np.asarray(weights).reshape(-1)
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
        return {"failed": f"{type(exc).__name__}: {exc}"[:200],
                "wall_s": time.perf_counter() - t0}
    spec = poles_spectrum(omega, np.asarray(poles, complex), np.asarray(weights, complex), eta)
    return {"omega": omega, "spectrum": spec, "wall_s": time.perf_counter() - t0,
            "n_poles": int(np.size(poles)), "eta": eta}
