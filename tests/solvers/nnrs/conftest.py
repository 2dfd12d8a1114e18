"""Small problems shared by the NNRS tests (fast: ~100-point meshes)."""

import numpy as np
import pytest

from specinv import Mesh, STSKernel
from specinv.sts.dos import dynes_dos


@pytest.fixture(scope="module")
def smooth_case():
    """Dynes DOS (Δ = 1, Γ = 0.3) seen through a β = 5 kernel, 1e-3 noise."""
    mesh = Mesh.uniform(-4.0, 4.0, 121)
    kernel = STSKernel(np.linspace(-3.0, 3.0, 91), mesh, beta=5.0)
    truth = dynes_dos(mesh, 1.0, 0.3)
    sigma = 1e-3
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(91)
    return kernel, truth, data, sigma
