"""The parametric-bootstrap band against its closed form for a linear estimator."""

import numpy as np
import pytest

import specinv
from specinv.core.errors import ParameterError
from specinv.core.mesh import Mesh
from specinv.core.problem import Problem
from specinv.kernels.sts import STSKernel
from specinv.solvers.bands import bootstrap_std


def _problem() -> Problem:
    mesh = Mesh.uniform(-5.0, 5.0, 41)
    x = mesh.points
    truth = 1.0 + 0.7 * np.exp(-((x - 1.2) ** 2) / 0.3) + 0.7 * np.exp(-((x + 1.2) ** 2) / 0.3)
    kernel = STSKernel(np.linspace(-4.0, 4.0, 33), mesh, beta=2.5)
    sigma = 2e-3 * (1.0 + 0.5 * np.sin(np.linspace(0.0, 3.0, 33)))
    data = kernel.forward(truth) + sigma * np.random.default_rng(0).standard_normal(33)
    return Problem(kernel, data, sigma=sigma)


@pytest.mark.filterwarnings("ignore::specinv.core.errors.IllConditionedWarning")
def test_linear_band_matches_variance_plus_bias_of_the_estimator():
    """TSVD at fixed rank is ``f̂ = R g``: variance diag(R Σ Rᵀ), bias at f̂ (R K − I) f̂."""
    problem = _problem()
    opts = {"rank": 8}
    n = 400
    r = specinv.solve(problem, "tsvd", **opts, band="bootstrap", n_band=n, band_seed=3)
    k, sigma = problem.kernel, problem.sigma
    cols = [specinv.solve(Problem(k, e, sigma=sigma), "tsvd", **opts).spectrum
            for e in np.eye(sigma.size)]
    rmat = np.array(cols).T  # (n_mesh, n_data), the estimator's matrix
    var = (rmat ** 2) @ sigma ** 2
    bias = rmat @ k.forward(r.spectrum) - r.spectrum
    exact = np.sqrt(var + bias ** 2)
    # the replica variance has relative error √(2/n) (χ² with n − 1 dof); 4 of those
    np.testing.assert_allclose(r.spectrum_std, exact, rtol=4 * np.sqrt(2.0 / n))


def test_bootstrap_std_adds_the_bias_of_the_replica_mean():
    f = np.array([1.0, 2.0])
    reps = np.array([[1.5, 2.0], [2.5, 2.0]])  # mean 2.0 (bias 1.0), variance 0.5 (ddof 1)
    np.testing.assert_allclose(bootstrap_std(f, reps), [np.sqrt(1.5), 0.0])


@pytest.mark.parametrize("bad", [{"band": "ensemble"}, {"n_band": 1}])
def test_bad_band_options_are_refused(bad):
    with pytest.raises(ParameterError, match="band"):
        specinv.get_solver("maxent", **bad)
