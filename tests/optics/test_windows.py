"""The learned optics path on any measured window and temperature, and its scale equivariance.

Windows from 3–350 to 10–500 meV and temperatures 10–300 K go to the shipped rRIM
without refusal: the data are resampled onto the model's grid (the uncovered part
continued linearly) and the verified answer is refined through the exact Shulga
kernel on the data's own grid. Models trained with ``scale_input`` divide the input
by max 1/τ / Y_SCALE and multiply the answer back: exactly scale-equivariant.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specinv import Problem
from specinv.cli.main import main
from specinv.core.mesh import Mesh
from specinv.core.threads import compute_threads
from specinv.kernels.shulga import ShulgaKernel
from specinv.optics.config import ModelConfig
from specinv.optics.dataset import build_dataset
from specinv.optics.inputs import resample_data
from specinv.optics.solvers import default_weight_files
from specinv.solvers.base import get_solver

needs_weights = pytest.mark.skipif(not default_weight_files("rrim"),
                                   reason="default weights not built")
MESH = Mesh.uniform(4.0, 400.0, 100)


def mmp_glue(omega: np.ndarray, height: float = 1.0) -> np.ndarray:
    """A spin-fluctuation continuum A Ωω_sf/(Ω² + ω_sf²) cut off at 300 meV."""
    g = 2 * omega * 30.0 / (omega**2 + 30.0**2)
    return height * g / g.max() * (omega <= 300.0)


def test_resample_interpolates_inside_and_continues_lines_outside():
    w = np.linspace(10.0, 350.0, 120)
    y, info = resample_data(w, 3.0 + 0.5 * w, np.linspace(5.0, 400.0, 100))
    np.testing.assert_allclose(y, 3.0 + 0.5 * np.linspace(5.0, 400.0, 100), rtol=1e-10)
    assert info["data_window_meV"] == [10.0, 350.0]
    below, above = info["extrapolated_meV"]  # grid step 3.99 meV: 5 and 8.99 < 10
    assert below == pytest.approx([5.0, 5.0 + 395 / 99])
    assert above[1] == 400.0 and 350.0 < above[0] < 350.0 + 395 / 99
    y, info = resample_data(w, np.full(w.size, 2.0), np.linspace(20.0, 300.0, 50))
    assert info["extrapolated_meV"] == [] and np.all(y == 2.0)


@needs_weights
@pytest.mark.parametrize(("lo", "hi", "temperature"),
                         [(3.0, 350.0, 10.0), (10.0, 500.0, 300.0), (3.0, 500.0, 30.0)])
def test_shipped_rrim_accepts_any_window_and_temperature(lo, hi, temperature):
    w = np.linspace(lo, hi, 120)
    k = ShulgaKernel(w, MESH, temperature=temperature)
    problem = Problem(k, k.forward(mmp_glue(MESH.points)), sigma=1e-3 * 300)
    r = get_solver("rrim", verify=False).solve(problem)
    assert r.spectrum.shape == (100,) and np.all(np.isfinite(r.spectrum))
    assert r.hyperparameters["model_input"]["data_window_meV"] == [lo, hi]


@pytest.fixture(scope="module")
def equivariant_rrim():
    """A tiny rRIM trained with ``scale_input`` (equivariance holds for any weights)."""
    with compute_threads(1):
        ds = build_dataset(40, noise=1e-3, seed=3)
        cfg = ModelConfig(kind="rrim", epochs=1, min_steps_per_epoch=2, n_steps=3,
                          scale_input=True)
        return get_solver("rrim", verify=False).fit(ds, cfg)


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(c=st.floats(1e-3, 1e3), height=st.floats(0.3, 3.0))
def test_network_is_exactly_scale_equivariant(equivariant_rrim, c, height):
    w = np.linspace(5.0, 400.0, 100)
    k = ShulgaKernel(w, MESH, temperature=100.0)
    y = k.forward(mmp_glue(MESH.points, height))
    base = equivariant_rrim.solve(Problem(k, y, sigma=1e-3 * y.max()))
    scaled = equivariant_rrim.solve(Problem(k, c * y, sigma=1e-3 * c * y.max())).spectrum
    assert base.hyperparameters["scale_equivariant"]
    # float32 networks: y/c agrees to ~1e-7 relative, the glue to ~1e-5 of its max
    np.testing.assert_allclose(scaled, c * base.spectrum,
                               atol=1e-4 * c * np.abs(base.spectrum).max())


@needs_weights
def test_cli_verified_answer_on_a_narrow_window_at_30_kelvin(tmp_path, capsys):
    w = np.linspace(3.0, 350.0, 150)
    k = ShulgaKernel(w, MESH, temperature=30.0)
    rate = k.forward(mmp_glue(MESH.points)) + np.random.default_rng(0).normal(0, 0.05, w.size)
    src = tmp_path / "rate.csv"
    np.savetxt(src, np.column_stack([w, rate]), delimiter=",")
    out = tmp_path / "o.csv"
    rc = main(["optics", "invert", str(src), "--temperature", "30", "--method", "rrim",
               "--sigma", "0.05", "--output", str(out)])
    assert rc == 0, capsys.readouterr().err
    meta = json.loads(out.with_suffix(".json").read_text())
    hyper = meta["hyperparameters"]
    (above,) = hyper["model_input"]["extrapolated_meV"]  # 3 meV < 5 meV: only above
    assert above[1] == 400.0 and 350.0 < above[0] < 355.0
    assert hyper["method_used"] in ("network+maxent", "maxent")
    assert meta["check"]["verdict"] in ("ok", "warn")
