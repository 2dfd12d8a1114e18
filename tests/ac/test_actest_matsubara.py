"""The ACTest spectra as Matsubara data, and the pole peers' wrapper."""

from __future__ import annotations

import types

import numpy as np
import pytest

from specinv.ac import actest
from specinv.ac.actest_matsubara import N_FREQ, matsubara_case, matsubara_runs
from specinv.ac.bench_pole_peers import import_adapol, pole_peer_run, poles_spectrum


def test_matsubara_case_is_the_exact_transform_plus_the_stated_noise():
    # one Gaussian of ACTest: G(iω_n) from the reference grid agrees with an independent
    # finer quadrature to far below σ, and the noise has the case's σ
    case = actest.make_case(actest.STD_FG[0], 1e-3, seed=1000)
    m = matsubara_case(case)
    assert m["wn"].size == N_FREQ and m["sigma"] == 1e-3
    x = np.linspace(-actest.OMEGA_MAX, actest.OMEGA_MAX, 64001)
    a = actest.spectrum(actest.STD_FG[0], x)
    exact = np.trapezoid(a[None, :] / (1j * m["wn"][:, None] - x[None, :]), x, axis=1)
    noise = np.concatenate([(m["g"] - exact).real, (m["g"] - exact).imag])
    assert np.std(noise) == pytest.approx(1e-3, rel=4 / np.sqrt(noise.size))
    assert m["data"].imag is not None and np.all(m["data"].error == 1e-3)


def test_a_pole_broadened_by_eta_is_a_normalized_lorentzian():
    w = np.linspace(-200.0, 200.0, 400001)
    a = poles_spectrum(w, np.array([0.5 + 0j]), np.array([1.0 + 0j]), 0.1)
    assert np.trapezoid(a, w) == pytest.approx(1.0, abs=1e-3)  # tails beyond ±200: 3e-4
    assert a[np.argmax(a)] == pytest.approx(1 / (0.1 * np.pi), rel=1e-6)


def test_pole_peer_run_records_poles_and_failures():
    case = matsubara_case(actest.make_case(actest.STD_FG[0], 1e-4, seed=1000))
    omega = np.linspace(-8.0, 8.0, 101)
    fake = types.SimpleNamespace(__name__="adapol", approx_freq_aaa=lambda g, z, aaa_tol: (
        np.array([0.0 - 0.5j]), np.array([1.0]), 0.0))
    out = pole_peer_run(fake, case, omega, 0.1)
    assert out["n_poles"] == 1 and np.all(out["spectrum"] > 0)
    broken = types.SimpleNamespace(__name__="adapol", approx_freq_aaa=lambda *a, **k: 1 / 0)
    assert "ZeroDivisionError" in pole_peer_run(broken, case, omega, 0.1)["failed"]


def test_matsubara_runs_name_ours_and_the_installed_peers():
    runs = matsubara_runs(None, import_adapol(None))
    assert {"nevanlinna_matsubara", "aaa_matsubara", "maxent_default_matsubara"} <= set(runs)
    assert ("adapol_aaa_matsubara" in runs) == (import_adapol(None) is not None)
    assert "mini_pole_matsubara" not in runs
