"""Issue 28's two out-of-family gaps through ``invert --refine`` (slow: ~1 min each).

The shipped network (trained on 1-3 Gaussians below 10 meV) answered an acoustic ω²
continuum + optic peak (true λ 0.900, ω_log 2.92 meV) with λ 0.950, ω_log 2.61 meV, and a
random-walk α²F (λ 1.000) with λ 0.948, silently. The physics fit (λ free) must bring both
within the issue's 5 % or say `fail`.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from specinv.cli.main import main
from specinv.core.check import EXIT_FAIL
from specinv.eliashberg.engine.a2f import A2F, moments
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_on_mesh

T, MU = 1.16, 0.1


def _acoustic() -> A2F:
    """ω² continuum to 6 meV + optic peak at 7.5 meV, λ = 0.9."""
    w = np.linspace(0.0, 10.0, 1000)
    f = 0.4 * (w / 6.0) ** 2 * (w <= 6.0) + np.exp(-0.5 * ((w - 7.5) / 0.6) ** 2)
    return A2F.from_table(w, f * (w <= 9.5)).scaled_to_lambda(0.9)


def _random_walk() -> A2F:
    """λ = 1, ω_log 3.4 meV, T_c 2.9 K (seed 4: seeds whose walk piles up below 2 meV have
    T_c below the network's 1.16 K)."""
    w = np.linspace(0.0, 10.0, 1000)
    walk = gaussian_filter1d(np.cumsum(np.random.default_rng(4).normal(0, 0.1, w.size)), 20)
    f = np.exp(walk - walk.max()) * np.clip(w / 3.0, 0.0, 1.0) ** 2 * (w <= 9.0)
    return A2F.from_table(w, f).scaled_to_lambda(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("make", [
    pytest.param(_acoustic, id="acoustic"),
    pytest.param(_random_walk, id="random_walk")])
def test_out_of_family_gap_is_fixed_or_failed(make, tmp_path):
    spec = make()
    omega = np.linspace(0.0, 35.0, 200)
    sol = solve_matsubara(spec, T, MU)
    delta = real_axis_on_mesh(sol, spec, omega[1:], d_omega=0.05)[0].delta
    delta = np.concatenate([[delta[0]], delta])
    gap = tmp_path / "gap.csv"
    gap.write_text("omega_meV,re_delta_meV,im_delta_meV\n" + "\n".join(
        f"{x:.6f},{z.real:.8f},{z.imag:.8f}" for x, z in zip(omega, delta, strict=True)))
    out = tmp_path / "a2f.csv"
    rc = main(["eliashberg", "invert", str(gap), "--output", str(out), "--refine"])
    meta = json.loads(out.with_suffix(".json").read_text())
    true = moments(spec)
    ok = (abs(meta["lambda"] / true["lambda"] - 1) <= 0.05
          and abs(meta["omega_log_meV"] / true["omega_log_meV"] - 1) <= 0.05)
    assert (rc == 0 and ok) or (rc == EXIT_FAIL and meta["check"]["verdict"] == "fail")
    assert ok, (meta["lambda"], true["lambda"], meta["omega_log_meV"], true["omega_log_meV"])
