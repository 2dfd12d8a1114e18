"""Stitched tails in ../shared/data (ACFlow's iQIST CT-QMC Bethe lattice; skipped when
absent): located where the file's own error column changes, and Σ₁ from the measured
frequencies matches U² n(1 − n)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.ac.cli import AC_DEFAULTS
from specinv.ac.selfenergy import continue_self_energy
from specinv.ac.stitch import locate_stitch

BETA, U = 10.0, 2.0  # solver.ctqmc.in: beta = 10, Uc = 2, half filling


def _block(shared_data, name: str):
    t = np.loadtxt(shared_data / "acflow_ctqmc_bethe" / name)
    t = t[t[:, 0] == 1]
    return t[:, 1], t[:, 2] + 1j * t[:, 3], np.maximum(t[:, 4], t[:, 5])


def test_bethe_g_stitch_where_the_error_column_changes(shared_data):
    wn, g, err = _block(shared_data, "solver.grn.dat")
    s = locate_stitch(wn, g.real, g.imag, err)
    # the writer's error column drops ~9× at one index: the start of its fitted tail
    jump = int(np.argmin(err[1:] / err[:-1])) + 1
    assert err[jump] < 0.2 * err[jump - 1]
    assert s.index == jump and s.n_total == wn.size


@pytest.mark.filterwarnings("ignore::specinv.core.errors.ConvergenceWarning")
def test_bethe_sigma_moment_from_the_measured_frequencies(shared_data):
    wn, sigma, err = _block(shared_data, "solver.sgm.dat")
    r = continue_self_energy(wn, sigma, err, BETA, options=AC_DEFAULTS["maxent"])
    assert r.result.check.details["stitch"]["n_dropped"] > 0.9 * wn.size
    # Σ₁ = U² n(1 − n) = 1 at half filling, within two of its fitted errors (the fitted
    # tail above the stitch implies 2.06)
    assert abs(r.tail.sigma_1 - U**2 / 4) <= 2 * r.tail.sigma_1_err
