"""dI/dV → α²F: forward model, peak locator, refusals, and the simulated-Pb validation (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.eliashberg.engine.a2f import gaussian_a2f, moments
from specinv.eliashberg.engine.tc import critical_temperature
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.didv import ConductanceModel, peak_position
from specinv.eliashberg.fit.simulate import pb_like, simulate_didv


def test_peak_position_is_the_parabola_vertex():
    b = np.linspace(-3.0, 3.0, 61)
    g = 2.0 - (b - 1.234) ** 2
    # three points of an exact parabola: the vertex is exact up to rounding
    assert peak_position(b, g) == pytest.approx(1.234, abs=1e-9)


def test_conductance_model_matches_the_independent_simulator():
    """μ* = 0 (no cutoff convention involved): the fit's forward (real-axis step 0.1 meV, its
    own kernel assembly) and the simulator (0.05 meV, the engine's tunneling_conductance)
    agree to the real-axis discretization, ~1e-3 of the normal conductance."""
    basis = HatBasis(16, 12.0)
    spec = gaussian_a2f(basis.mesh, (5.0,), (1.5,), (1.0,), lam=1.0)
    a = basis.project(basis.mesh, spec.values)
    t = 1.5
    bias = np.linspace(-15.0, 15.0, 301)
    model = ConductanceModel(basis, bias, t, 0.05, 0.1)
    g = model(np.concatenate([a, [0.0, 0.0]]))
    ref = simulate_didv(basis.spectrum(a), t, 0.0, bias, lockin_rms=0.05, noise=0.0)
    far = np.abs(bias) > 3.0
    assert np.max(np.abs(g - ref)[far]) < 3e-3
    assert np.abs(g[-1] - 1.0) < 0.05          # normalized: → 1 far above the phonons


def test_too_short_bias_range_is_refused(tmp_path):
    """A curve that stops just above the coherence peak cannot show any phonon: exit 2."""
    b = np.linspace(-2.5, 2.5, 201)
    g = np.where(np.abs(b) > 1.4, np.abs(b) / np.sqrt(np.maximum(b ** 2 - 1.96, 1e-3)), 0.0)
    p = tmp_path / "didv.csv"
    np.savetxt(p, np.column_stack([b, np.minimum(g, 3.0)]), delimiter=",")
    assert main(["eliashberg", "from-didv", str(p), "--temperature", "1.3",
                 "--output", str(tmp_path / "a.csv")]) == 2
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.slow
def test_simulated_pb_conductance_gives_lambda_tc_omega_log_within_5_percent(tmp_path):
    """Issue 28 target: Pb-like α²F, T = T_c/5, 0.05 mV lock-in, 1e-3 noise (~1 min)."""
    spec = pb_like()
    tc = critical_temperature(spec, 0.12).tc_K
    bias = np.arange(-20.0, 20.0 + 1e-9, 0.05)
    g = simulate_didv(spec, tc / 5, 0.12, bias, lockin_rms=0.05, noise=1e-3, seed=1)
    p = tmp_path / "didv.csv"
    np.savetxt(p, np.column_stack([bias, g]), delimiter=",")
    out = tmp_path / "a2f.csv"
    assert main(["eliashberg", "from-didv", str(p), "--temperature", str(tc / 5),
                 "--lockin-rms", "0.05", "--output", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    true = moments(spec)
    assert meta["lambda"] == pytest.approx(true["lambda"], rel=0.05)
    assert meta["omega_log_meV"] == pytest.approx(true["omega_log_meV"], rel=0.05)
    assert meta["tc_K"] == pytest.approx(tc, rel=0.05)
    assert meta["check"]["verdict"] != "fail"
