"""The solver contract, checked for EVERY registered solver (``SOLVERS`` after ``load_all``).

Each test is parametrized over all registered names; what a solver promises is
read from the tags on its class (``kernels``, ``positive``, ``stochastic``,
``linear``, ``batched``, ``needs_weights``), never from a list kept here. A new solver is
covered by construction; a solver for a kernel family without a test problem
below, or a learned solver without a tiny-weights maker, fails
:func:`test_every_solver_has_a_conformance_problem` until one is added.

Problems are tiny (≤ 61 mesh points) and learned solvers use randomly initialized
networks saved through :mod:`specinv.learning.weights` into ``tmp_path``, so
every case runs in well under a second.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from specinv import Mesh, ParameterError, Problem, STSKernel
from specinv.core.errors import InputError
from specinv.kernels.shulga import ShulgaKernel
from specinv.solvers import SOLVERS, get_solver, load_all
from specinv.solvers.base import COMMON_OPTIONS
from specinv.solvers.learned import FITTED, LearnedSolver

load_all()
METHODS = sorted(SOLVERS)
EPS = np.finfo(float).eps

#: options that keep the stochastic and iterative solvers fast on the tiny problems
FAST = {
    "conductivity-net": {"refine": False},
    "som": {"n_solutions": 8, "n_steps": 400},
    "nnrs": {"n_ensemble": 1, "steps": 60},
    "maxent": {"n_alpha": 10},
}


def _sts_problem(scale: float = 1.0) -> list[Problem]:
    mesh = Mesh.uniform(-6.0, 6.0, 61)
    x = mesh.points
    truth = 1.0 + 0.8 * np.exp(-((x - 1.5) ** 2) / 0.8) + 0.8 * np.exp(-((x + 1.5) ** 2) / 0.8)
    kernel = STSKernel(np.linspace(-5.0, 5.0, 51), mesh, beta=2.0)
    # error bars that vary from point to point, so a solver weighting with the wrong σ shows
    sigma = 1e-3 * (1.0 + 0.5 * np.cos(np.linspace(0.0, 3.0, 51)))
    data = kernel.forward(truth) + sigma * np.random.default_rng(1).standard_normal(51)
    return [Problem(kernel, scale * data, sigma=scale * sigma)]


#: grids of the Shulga test problem; the tiny optics models are built on the same grids
OPTICS_GRID = {"omega_min": 5.0, "omega_max": 400.0, "n_omega": 48, "glue_min": 10.0,
               "glue_max": 400.0, "n_glue": 40, "temperature": 100.0}


def _shulga_problem(scale: float = 1.0) -> list[Problem]:
    g = OPTICS_GRID
    mesh = Mesh.uniform(g["glue_min"], g["glue_max"], g["n_glue"])
    kernel = ShulgaKernel(np.linspace(g["omega_min"], g["omega_max"], g["n_omega"]), mesh,
                          temperature=g["temperature"])
    truth = 0.5 * np.exp(-((mesh.points - 60.0) ** 2) / 200.0)
    clean = kernel.forward(truth)
    sigma = 1e-3 * np.max(np.abs(clean)) * (1.0 + 0.5 * np.cos(np.linspace(0.0, 3.0, g["n_omega"])))
    data = clean + sigma * np.random.default_rng(2).standard_normal(g["n_omega"])
    return [Problem(kernel, scale * data, sigma=scale * sigma)]


def _conductivity_problems(scale: float = 1.0) -> list[Problem]:
    """Λ_T(τ) of one Drude label at the ten temperatures of the conductivity network."""
    from specinv.ac.conductivity.data import TEMPERATURES, lambda_inputs, tau_matrix
    from specinv.ac.conductivity.refine import sigma_mesh
    from specinv.kernels.imaginary_time import ConductivityTauKernel

    label = np.array([[0.2, 0.3, 1.0], [0.5, 1.0, 0.5], [0.3, 3.0, 2.0]])
    x = lambda_inputs(label[None])[0]
    tau, mesh = tau_matrix(), sigma_mesh(n=40)
    return [Problem(ConductivityTauKernel(tau[t], mesh, beta=1.0 / temp), scale * x[t],
                    sigma=scale * 1e-3 * x[t]) for t, temp in enumerate(TEMPERATURES)]


def _matsubara_problem(scale: float = 1.0) -> list[Problem]:
    """G(iω_n) of a two-peak spectrum at β = 10, 30 frequencies, errors ~1e-6."""
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    mesh = Mesh.uniform(-6.0, 6.0, 61)
    x = mesh.points
    truth = np.exp(-((x - 1.5) ** 2) / 0.8) + 0.6 * np.exp(-((x + 2.0) ** 2) / 1.2)
    truth /= truth @ mesh.weights
    kernel = FermionicMatsubaraKernel(np.pi * (2 * np.arange(30) + 1) / 10.0, mesh, beta=10.0)
    sigma = 1e-6 * (1.0 + 0.5 * np.cos(np.linspace(0.0, 3.0, 60)))
    data = kernel.forward(truth) + sigma * np.random.default_rng(4).standard_normal(60)
    return [Problem(kernel, scale * data, sigma=scale * sigma)]


#: kernel class name -> tiny problem(s) on it (``scale`` multiplies data and error bars);
#: batched solvers get a list of several, the others a list of one
PROBLEMS = {"STSKernel": _sts_problem, "ShulgaKernel": _shulga_problem,
            "ConductivityTauKernel": _conductivity_problems,
            "FermionicMatsubaraKernel": _matsubara_problem}


def _optics_weights(cls: type, directory: Path) -> list[Path]:
    import torch

    from specinv.optics.config import ModelConfig, build_model
    from specinv.optics.setup import OpticsSetup
    from specinv.optics.trained import TrainedModel

    setup = OpticsSetup(**OPTICS_GRID)
    cfg = ModelConfig(kind=cls.kind, n_steps=2, h=1e-2, hidden=2)
    paths = []
    for seed in (0, 1):  # an ensemble of two: spectrum_std is exercised too
        torch.manual_seed(seed)
        model = build_model(cfg, setup)
        path = directory / f"{cls.kind}_{seed}.pt"
        paths.append(TrainedModel(cfg, setup, model, (100.0, 100.0)).save(path, recipe="test"))
    return paths


def _conductivity_weights(cls: type, directory: Path) -> list[Path]:
    import torch

    from specinv.ac.conductivity.models import build_model
    from specinv.ac.conductivity.pretrained import WEIGHTS_KIND
    from specinv.learning.weights import save_torch

    torch.manual_seed(0)
    arch = {"width": 8, "heads": 2}
    model = build_model("attention", **arch)
    meta = {"model": "attention", "architecture": arch}
    return [save_torch(directory / "net.pt", model.state_dict(), meta, kind=WEIGHTS_KIND,
                       recipe="test")]


def _weights_maker(cls: type):
    from specinv.ac.conductivity.solver import ConductivityNetSolver
    from specinv.optics.solvers import OpticsLearnedSolver

    makers = {OpticsLearnedSolver: _optics_weights, ConductivityNetSolver: _conductivity_weights}
    return next((make for base, make in makers.items() if issubclass(cls, base)), None)


def _problem_maker(cls: type):
    kernels = ("STSKernel",) if cls.kernels is None else cls.kernels
    return next((PROBLEMS[k] for k in kernels if k in PROBLEMS), None)


@pytest.fixture
def options(request, tmp_path) -> dict:
    """Options of the solver ``request.param``: fast settings, tiny weights if learned."""
    cls = SOLVERS[request.param]
    opts = dict(FAST.get(cls.name, {}))
    if cls.needs_weights:
        opts["weights"] = [str(p) for p in _weights_maker(cls)(cls, tmp_path)]
    return opts


def _solve(method: str, problems: list[Problem], **options):
    """Results of ``problems`` (one batch for batched solvers, else one by one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ill-conditioning and convergence notes are fine here
        return get_solver(method, **options).solve_many(problems)


def _problems(method: str, scale: float = 1.0) -> list[Problem]:
    return _problem_maker(SOLVERS[method])(scale)


@pytest.mark.parametrize("method", METHODS)
def test_every_solver_has_a_conformance_problem(method):
    cls = SOLVERS[method]
    assert _problem_maker(cls) is not None, f"{method}: add a test problem for {cls.kernels}"
    assert cls.needs_weights == issubclass(cls, LearnedSolver)
    if cls.needs_weights:
        assert _weights_maker(cls) is not None, f"{method}: add a tiny-weights maker"
    if cls.stochastic:
        assert "seed" in cls.defaults, f"{method} is tagged stochastic but takes no seed"


@pytest.mark.parametrize("options", METHODS, indirect=True)
def test_result_shapes_units_and_fit(options, request):
    method = request.node.callspec.params["options"]
    problems = _problems(method)
    inputs = [(p.data.copy(), p.kernel.matrix.copy()) for p in problems]
    results = _solve(method, problems, **options)
    assert len(results) == len(problems)
    for problem, r, (data, matrix) in zip(problems, results, inputs, strict=True):
        mesh = problem.kernel.mesh
        assert r.method == method and r.mesh is mesh  # the spectrum lives on the problem's mesh
        assert r.spectrum.shape == (mesh.size,) and np.all(np.isfinite(r.spectrum))
        if r.spectrum_std is not None:
            assert r.spectrum_std.shape == (mesh.size,) and np.all(r.spectrum_std >= 0)
        assert r.fitted.shape == problem.data.shape
        # fitted data are the kernel applied to the answer, to float64 rounding of the product
        ref = problem.kernel.matrix @ r.spectrum
        scale = np.max(np.abs(problem.kernel.matrix) @ np.abs(r.spectrum))
        np.testing.assert_allclose(r.fitted, ref, rtol=0, atol=4 * EPS * mesh.size * scale)
        # χ² is that of the residuals with the given error bars
        resid = (r.fitted - problem.data) / problem.sigma
        np.testing.assert_allclose(r.chi2, resid @ resid, rtol=1e-12)
        np.testing.assert_allclose(r.chi2_reduced, r.chi2 / problem.data.size, rtol=1e-12)
        assert r.noise_level == pytest.approx(float(np.median(problem.sigma)), rel=1e-12)
        assert not r.sigma_estimated
        np.testing.assert_array_equal(problem.data, data)  # the input is never modified
        np.testing.assert_array_equal(problem.kernel.matrix, matrix)
        if SOLVERS[method].positive:
            assert r.spectrum.min() >= 0.0


@pytest.mark.parametrize("options", METHODS, indirect=True)
def test_every_solver_gives_a_bootstrap_band_on_request(options, request):
    method = request.node.callspec.params["options"]
    problems = _problems(method)
    plain = _solve(method, problems, **options)
    banded = _solve(method, problems, **options, band="bootstrap", n_band=2)
    for p, a, b in zip(problems, plain, banded, strict=True):
        np.testing.assert_array_equal(a.spectrum, b.spectrum)  # the answer itself is unchanged
        assert b.spectrum_std.shape == (p.kernel.mesh.size,) and np.all(b.spectrum_std >= 0)
        assert np.any(b.spectrum_std > 0) and "bootstrap" in b.hyperparameters["band"]


@pytest.mark.parametrize("method", METHODS)
def test_single_and_batched_solving_agree_with_the_tag(method):
    problems = _problems(method)
    solver = get_solver(method, **FAST.get(method, {}))
    if SOLVERS[method].batched:
        assert len(problems) > 1
        with pytest.raises(ParameterError, match="solve_many"):
            solver.solve(problems[0])
    else:
        assert len(problems) == 1


@pytest.mark.parametrize("options", METHODS, indirect=True)
def test_deterministic_with_a_fixed_seed(options, request):
    method = request.node.callspec.params["options"]
    problems = _problems(method)
    a = _solve(method, problems, **options)
    b = _solve(method, problems, **options)
    for ra, rb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ra.spectrum, rb.spectrum)
    if SOLVERS[method].stochastic:  # the seed is what fixes it
        c = _solve(method, problems, **{**options, "seed": 1})
        assert not np.array_equal(a[0].spectrum, c[0].spectrum)


@pytest.mark.parametrize("options", [m for m in METHODS if SOLVERS[m].linear], indirect=True)
def test_linear_solvers_are_scale_equivariant(options, request):
    method = request.node.callspec.params["options"]
    c = 37.5
    a = _solve(method, _problems(method), **options)
    b = _solve(method, _problems(method, scale=c), **options)
    # scaling data and σ by c changes nothing but the answer's scale; the residual
    # difference is rounding, amplified by at most the inverse's effective condition,
    # bounded by 1/√eps (every rule discards singular values below √eps·s_max)
    for ra, rb in zip(a, b, strict=True):
        tol = 100 * np.sqrt(EPS) * np.max(np.abs(ra.spectrum))
        np.testing.assert_allclose(rb.spectrum, c * ra.spectrum, rtol=0, atol=c * tol)


@pytest.mark.parametrize("method", METHODS)
def test_bad_options_are_rejected_with_the_valid_ones(method):
    with pytest.raises(ParameterError, match="valid options") as info:
        get_solver(method, no_such_option=1)
    for name in SOLVERS[method].defaults:
        assert name in str(info.value)


@pytest.mark.parametrize("method", METHODS)
def test_flags_take_only_true_or_false(method):
    """A flag given as text (``--option band_window=maybe`` parses to "maybe") is refused;
    true/false are accepted."""
    flags = [k for k, v in {**COMMON_OPTIONS, **SOLVERS[method].defaults}.items()
             if isinstance(v, bool)]
    for flag in flags:
        with pytest.raises(ParameterError, match=f"option {flag} must be true or false"):
            get_solver(method, **{flag: "maybe"})
        get_solver(method, **{flag: True})


@pytest.mark.parametrize("method", [m for m in METHODS if SOLVERS[m].kernels is not None])
def test_kernel_tag_is_enforced(method):
    cls = SOLVERS[method]
    other = next(k for k in PROBLEMS if k not in cls.kernels)
    opts = dict(FAST.get(method, {}))
    if cls.needs_weights:
        opts["weights"] = "never-read.pt"  # the kernel is checked first
    with pytest.raises(ParameterError, match=cls.kernels[0]):
        _solve(method, PROBLEMS[other](), **opts)


@pytest.mark.parametrize("options", [m for m in METHODS if SOLVERS[m].needs_weights],
                         indirect=True)
def test_learned_solvers_say_which_weights_they_used(options, request, tmp_path):
    from specinv.learning.weights import sha256

    method = request.node.callspec.params["options"]
    problems = _problems(method)
    for r in _solve(method, problems, **options):
        assert [w["path"] for w in r.extras["weights"]] == options["weights"]
        assert [w["sha256"] for w in r.extras["weights"]] == [sha256(p)
                                                              for p in options["weights"]]
    solver = get_solver(method, **options)
    solver.set_models(solver.load_models())
    assert solver.solve_many(problems)[0].extras["weights"] == FITTED
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00\xffnot weights")
    with pytest.raises(InputError, match="garbage.pt"):
        _solve(method, problems, **{**options, "weights": str(garbage)})
