"""The truncated-singular-basis misfit equals the full χ² (to far below the noise)."""

import numpy as np
import pytest
import torch

from specinv import Mesh, STSKernel
from specinv.core.errors import ParameterError
from specinv.solvers.nnrs import resolve_options
from specinv.solvers.nnrs_misfit import Misfit
from specinv.solvers.nnrs_net import BatchedMLP, features


@pytest.mark.parametrize("sigma_kind", ["uniform", "vector"])
def test_reduced_chi2_matches_full(sigma_kind):
    mesh = Mesh.uniform(-4.0, 4.0, 161)
    kernel = STSKernel(np.linspace(-3.0, 3.0, 121), mesh, beta=4.0)
    rng = np.random.default_rng(0)
    rho = np.abs(1.0 + 0.5 * np.sin(3 * mesh.points)[None, :] * rng.random((3, 1)))
    base = 1e-3 * (1.0 + 0.5 * (np.linspace(0, 1, 121) if sigma_kind == "vector" else 0.0))
    base = np.broadcast_to(base, (121,))
    sigma = np.stack([base, 2 * base, 0.5 * base])  # proportional rows: reduced path
    g = kernel.forward(rho) + sigma * rng.standard_normal(sigma.shape)
    rho_t = torch.tensor(rho + 0.01 * rng.standard_normal(rho.shape))
    red = Misfit(kernel.matrix, g, sigma, "chi2", 1.0, torch.float64, svd=kernel.svd)
    full = Misfit(kernel.matrix, g, sigma, "chi2", 1.0, torch.float64, reduced=False)
    assert red.reduced and not full.reduced and red.rank < 121
    chi_r, chi_f = red(rho_t)[1].numpy(), full(rho_t)[1].numpy()
    # frozen components change K ρ by < 1e-4 σ each: relative χ² error far below 1e-6
    np.testing.assert_allclose(chi_r, chi_f, rtol=1e-6)
    # the preconditioned loss never exceeds χ² (weights ≤ 1) and shares its minimum
    pre = Misfit(kernel.matrix, g, sigma, "precond", 10.0, torch.float64, svd=kernel.svd)
    assert np.all(pre(rho_t)[0].numpy() <= chi_r * (1 + 1e-12))


def test_non_proportional_sigma_uses_full_matrix():
    mesh = Mesh.uniform(-4.0, 4.0, 41)
    kernel = STSKernel(np.linspace(-3.0, 3.0, 31), mesh, beta=4.0)
    sigma = np.stack([np.full(31, 1e-3), np.linspace(1e-3, 2e-3, 31)])
    m = Misfit(kernel.matrix, np.zeros((2, 31)), sigma, "chi2", 1.0, torch.float64)
    assert not m.reduced


def test_set_parameters_checks_shapes():
    cfg, _ = resolve_options({"hidden": (8, 8)})
    x = features(np.linspace(-1, 1, 11), cfg)
    net = BatchedMLP(np.array([(0, 0), (0, 1)]), x.shape[1], cfg, np.ones(2))
    params = [p.detach().numpy() for p in net.parameters()]
    net.set_parameters(params)
    with pytest.raises(ParameterError):
        net.set_parameters(params[:-1])
    with pytest.raises(ParameterError):
        net.set_parameters([p[:1] for p in params])
