"""``ac continue --method auto``: the method follows the data's precision and is recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.ac.auto import PRECISE, choose_method
from specinv.cli.main import main
from specinv.io.qmc import ContinuationInput

BETA = 10.0
WN = np.pi * (2 * np.arange(40) + 1) / BETA


def _data(noise: float, error: bool = True) -> ContinuationInput:
    x = np.linspace(-8.0, 8.0, 16001)
    a = np.exp(-((x - 1.0) ** 2) / 0.5) + np.exp(-((x + 1.0) ** 2) / 0.5)
    a /= np.trapezoid(a, x)
    g = np.trapezoid(a[None, :] / (1j * WN[:, None] - x[None, :]), x, axis=1)
    g = g + noise * np.random.default_rng(0).standard_normal(WN.size)
    return ContinuationInput(WN, g.real, imag=g.imag,
                             error=np.full(WN.size, noise) if error else None)


def test_noisy_tau_and_unknown_precision_go_to_maxent():
    assert choose_method(_data(1e-3), "fermionic-matsubara")[0] == "maxent"
    assert choose_method(_data(1e-9, error=False), "fermionic-matsubara")[0] == "maxent"
    method, reason, _ = choose_method(_data(1e-9), "fermionic-tau")
    assert method == "maxent" and "fermionic G(iω_n)" in reason


def test_precise_matsubara_data_try_the_precise_method():
    method, reason, facts = choose_method(_data(1e-9), "fermionic-matsubara")
    assert method != "maxent" and facts["relative_precision"] <= PRECISE
    assert facts["n_pick"] >= 4 and "Pick-consistent" in reason


@pytest.mark.parametrize("noise", [1e-9, 1e-3])
def test_cli_prints_and_records_the_method_used(tmp_path, capsys, noise):
    d = _data(noise)
    path = tmp_path / "giw.dat"
    np.savetxt(path, np.column_stack([d.points, d.values, d.imag, d.error]))
    out = tmp_path / "a.csv"
    code = main(["ac", "continue", str(path), "--kernel", "fermionic-matsubara", "--beta",
                 str(BETA), "--method", "auto", "--omega-max", "6", "--n-omega", "101",
                 "--output", str(out), "--allow-fail"])
    assert code == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    text = capsys.readouterr().out
    assert f"method: {meta['method_used']} (" in text and meta["method_reason"]
    assert meta["method"] == meta["method_used"]
    if meta["method_used"] == "maxent" and noise < PRECISE:  # the fallback says why
        assert "did not reproduce the data" in meta["method_reason"]


def test_auto_refuses_solver_options(tmp_path):
    d = _data(1e-3)
    path = tmp_path / "giw.dat"
    np.savetxt(path, np.column_stack([d.points, d.values, d.imag, d.error]))
    code = main(["ac", "continue", str(path), "--kernel", "fermionic-matsubara", "--beta",
                 str(BETA), "--method", "auto", "--option", "n_alpha=10", "--output",
                 str(tmp_path / "a.csv")])
    assert code == 2 and not (tmp_path / "a.csv").exists()
