"""Correlated errors for ``ac continue``: ``--covariance COV`` or ``--bins BINS``.

The files are read by :func:`specinv.io.matrix_file.read_matrix` (``.npy``/``.npz``,
HDF5 or a text table) in the order of the data rows:

- τ kernels and bosonic Matsubara data: ``n`` points → a covariance ``n × n``, bins
  ``n_bins × n``;
- fermionic Matsubara data (rows ``[Re; Im]``): a covariance ``2n × 2n`` in that order,
  or ``n × n`` used for Re and for Im with no Re–Im correlation; bins ``n_bins × 2n``
  (``Re`` columns, then ``Im``; complex bins in a NumPy or HDF5 file are split so).

The problem is then solved in the eigenbasis of the covariance
(:meth:`specinv.core.problem.Problem.decorrelated`); with bins, the data are the bin
mean, the covariance is the shrunk estimate of
:func:`specinv.core.covariance.covariance_from_bins`, and the band is the jackknife over
bins (``band=jackknife``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from specinv.core.covariance import Covariance
from specinv.core.errors import InputError, ParameterError
from specinv.core.problem import Problem
from specinv.io.qmc import ContinuationInput
from specinv.kernels import Kernel

#: largest |INPUT value − bin mean| in standard errors of the mean accepted as "the same
#: data" (5σ: a false alarm on 200 points with probability ~1e-4)
MEAN_Z = 5.0


@dataclass(frozen=True)
class CorrelatedErrors:
    """A covariance matrix or QMC bins given for the data.

    Parameters
    ----------
    covariance : ndarray of shape (m, m), optional
        As read (``m`` the data points, or twice that for fermionic Matsubara data).
    bins : ndarray of shape (n_bins, m), optional
        As read, one row per bin.
    source : str
        The file, for messages.
    """

    covariance: np.ndarray | None = None
    bins: np.ndarray | None = None
    source: str = ""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--covariance`` and ``--bins`` to ``ac continue``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``ac continue`` parser.
    """
    p.add_argument("--covariance", default=None, metavar="COV",
                   help="covariance matrix of the data (.npy/.npz, HDF5 dataset "
                        "'covariance', or a text table), n x n in the data's order and "
                        "unit squared (2n x 2n in [Re; Im] order, or n x n for both parts, "
                        "for fermionic Matsubara data); replaces the error column "
                        "(default: none, independent errors)")
    p.add_argument("--bins", default=None, metavar="BINS",
                   help="QMC bins of the data (.npy/.npz, HDF5 dataset 'bins', or a text "
                        "table), n_bins x n in the data's order (n_bins x 2n: Re then Im "
                        "columns, for fermionic Matsubara data): the data become the bin "
                        "mean (INPUT's values must agree with it), the errors a shrunk "
                        "covariance, the band a jackknife over bins (default: none)")


def read_correlated(args: argparse.Namespace) -> CorrelatedErrors | None:
    """The file given with ``--covariance`` or ``--bins``, read (None without either).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``ac continue`` arguments.

    Returns
    -------
    CorrelatedErrors or None
        The array as read; its shape is checked against the data in :func:`make_problem`.
    """
    from specinv.io.matrix_file import read_matrix

    if args.covariance is not None and args.bins is not None:
        raise ParameterError("give --covariance or --bins, not both (the covariance is "
                             "estimated from the bins)")
    if args.covariance is not None:
        return CorrelatedErrors(covariance=read_matrix(
            args.covariance, "covariance", "an n x n covariance matrix"), source=args.covariance)
    if args.bins is not None:
        return CorrelatedErrors(bins=read_matrix(
            args.bins, "bins", "QMC bins, n_bins x n_data"), source=args.bins)
    return None


def make_problem(errors: CorrelatedErrors, data: ContinuationInput, kernel: Kernel,
                 g: np.ndarray, default_model: np.ndarray | None,
                 stacked: bool) -> tuple[Problem, list[str]]:
    """The problem with the covariance (or bins) of ``errors``, and notes for the user.

    Parameters
    ----------
    errors : CorrelatedErrors
        What ``--covariance`` / ``--bins`` gave.
    data : ContinuationInput
        The data read from INPUT (sign flip, error column, source).
    kernel : Kernel
        The continuation kernel (rows as ``g``).
    g : ndarray of shape (m,)
        The data vector (``[Re; Im]`` for fermionic Matsubara data).
    default_model : ndarray of shape (n_mesh,) or None
        MaxEnt default model.
    stacked : bool
        ``g`` stacks Re and Im of ``m/2`` Matsubara points.

    Returns
    -------
    problem : Problem
        With ``covariance`` (and ``bins``); ``info["correlated"]`` describes them.
    notes : list of str
        What was done with the file.
    """
    m, src = g.size, errors.source
    notes = ["error column replaced by the covariance"] if data.error is not None else []
    if errors.covariance is not None:
        c = errors.covariance
        if stacked and c.shape == (m // 2, m // 2):
            c = np.kron(np.eye(2), c)
            notes.append("n x n covariance used for Re and Im (no Re-Im correlation)")
        cov = Covariance.from_matrix(c, m, src)
        info: dict[str, Any] = {"file": src, "kind": "covariance", "shape": list(c.shape)}
        return Problem(kernel, g, covariance=cov, default_model=default_model,
                       name=data.source, info={"correlated": info}), notes
    bins = errors.bins
    if bins.shape[1] != m:
        want = f"{m} columns ({m // 2} Re then {m // 2} Im)" if stacked else f"{m} columns"
        raise InputError(f"expected bins with one row per bin and {want}, one per data "
                         f"point of {data.source}; got shape {bins.shape}", src)
    problem = Problem.from_bins(kernel, -bins if data.flipped else bins,
                                default_model=default_model, name=src)
    z = np.abs(g - problem.data) / problem.noise()
    if z.max() > MEAN_Z:
        raise InputError(f"the bin mean differs from the values of {data.source} by "
                         f"{z.max():.1f} standard errors at data row {int(z.argmax())} "
                         f"(expected <= {MEAN_Z:g}): are they from the same run, in the same "
                         "order?", src)
    est = problem.info["bins"]
    notes.append(f"data: mean of {est['n_bins']} bins; covariance shrunk towards its diagonal "
                 f"with intensity {est['shrinkage']:.3g} (Schaefer-Strimmer)")
    info = {"file": src, "kind": "bins", **est}
    return Problem(kernel, problem.data, covariance=problem.covariance, bins=problem.bins,
                   default_model=default_model, name=data.source,
                   info={"correlated": info}), notes
