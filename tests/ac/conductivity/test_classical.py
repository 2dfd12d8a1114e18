"""Classical per-temperature continuation of Λ(τ): the high-frequency tail of the mesh."""

from __future__ import annotations

import numpy as np
import pytest

from specinv import solve
from specinv.ac.conductivity.data import (
    EVAL_OMEGA,
    TEMPERATURES,
    lambda_inputs,
    sample_labels,
    sigma_on_mesh,
    tau_matrix,
)
from specinv.ac.conductivity.refine import TAIL_DECAY, refine_maxent, sigma_mesh
from specinv.core.errors import ConvergenceWarning, ParameterError
from specinv.core.problem import Problem
from specinv.kernels.imaginary_time import ConductivityTauKernel


@pytest.fixture(scope="module")
def example():
    y = sample_labels(np.random.default_rng([0, 2, 2]), "element_mixed_data", 1)
    return lambda_inputs(y)[0], sigma_on_mesh(y)[0], y[0]


def test_truncated_mesh_cannot_fit_the_small_tau_data(example):
    """Without the tail the data are not representable: the solver says so."""
    x, _, _ = example
    t = TEMPERATURES.size - 1
    k = ConductivityTauKernel(tau_matrix()[t], sigma_mesh(), beta=1 / TEMPERATURES[t])
    with pytest.warns(ConvergenceWarning) as rec:
        solve(Problem(k, x[t], sigma=1e-3 * x[t]), "maxent")
    assert any("no spectrum on this mesh fits" in str(w.message) for w in rec)


def test_tail_mesh_reaches_the_kernel_decay():
    beta = 1.0
    tau_min = tau_matrix()[-1][0]
    m = sigma_mesh(tail_max=TAIL_DECAY / tau_min)
    assert m.edges[0] == 0 and m.points[-1] == pytest.approx(TAIL_DECAY / tau_min)
    # weight of the kernel beyond the mesh at the first τ: ~ e^{-12}
    assert np.exp(-tau_min * m.edges[-1]) < 1e-5 and beta > tau_min


def test_maxent_per_temperature_no_longer_collapses(example):
    x, truth, _ = example
    s = refine_maxent(x, None)
    assert s.shape == (TEMPERATURES.size, EVAL_OMEGA.size)
    ratio = truth / s
    # before the tail the estimate fell to ~1e-88 at large ω; flat-default maxent of a
    # Drude sum is within a factor e of the truth everywhere on [0, 5] (measured worst
    # |ln ratio| 0.5–1.0 on the first test examples)
    assert np.all(np.isfinite(ratio)) and np.max(np.abs(np.log(ratio))) < 1.0 + 0.5


def test_maxent_with_a_close_default_is_usable(example):
    x, truth, label = example
    near = label.copy()
    near[:, 1] *= 1.15  # a network-like answer: every γ_0 15 % off
    s = refine_maxent(x, None, default_label=near)
    assert np.all((truth / s >= 0.8) & (truth / s <= 1.2))


def test_default_sigma_needs_its_mesh(example):
    x, _, _ = example
    with pytest.raises(ParameterError, match="mesh"):
        refine_maxent(x, np.ones((10, 5)))
