"""``specinv optics drude``, ``optics kk`` and their outputs read by ``optics invert``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.core.units import CM1_PER_MEV

WP, GAMMA, EPS_INF = 1500.0, 25.0, 4.0  # meV
SIGMA_PER_EPS = 7.4345  # ε₂ = 7.4345 σ₁[Ω⁻¹cm⁻¹] / ω[meV] (59.958 / 8.0655)


def _drude_sigma(w: np.ndarray) -> np.ndarray:
    """Total σ (Ω⁻¹cm⁻¹) of a Drude metal on the background ε_∞ = 4."""
    eps = EPS_INF - WP**2 / (w * (w + 1j * GAMMA))
    return (eps - 1) * w / (1j * SIGMA_PER_EPS)


def _run(argv: list[str]) -> int:
    return main([str(a) for a in argv])


def test_drude_command_flat_rate_in_cm1(tmp_path: Path):
    w = np.linspace(2.0, 1500.0, 300)
    s = _drude_sigma(w)
    inp = tmp_path / "s.csv"
    np.savetxt(inp, np.column_stack([w * CM1_PER_MEV, s.real, s.imag]), delimiter=",")
    out = tmp_path / "d.csv"
    assert _run(["optics", "drude", inp, "--unit", "cm-1", "--eps-inf", EPS_INF,
                 "--plasma-frequency", WP * CM1_PER_MEV, "--output", out,
                 "--plot", tmp_path / "d.png"]) == 0
    t = np.loadtxt(out, delimiter=",", skiprows=1)
    # SIGMA_PER_EPS is rounded to 5 digits: 1/τ and m*/m inherit a 1e-4 error
    assert np.max(np.abs(t[:, 1] / GAMMA - 1)) < 1e-2
    assert np.max(np.abs(t[:, 2] - 1)) < 1e-2
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["plasma_frequency_meV"] == pytest.approx(WP)
    assert meta["eps_inf"] == EPS_INF and meta["input_unit"] == "cm-1"
    assert (tmp_path / "d.png").stat().st_size > 0


def _reflectivity_file(d: Path) -> Path:
    w = np.geomspace(2.0, 20000.0, 300)
    n = np.sqrt(1 - 1000.0**2 / (w**2 + 30j * w) + 800.0**2 / (400.0**2 - w**2 - 200j * w))
    p = d / "R.dat"
    np.savetxt(p, np.column_stack([w, np.abs((n - 1) / (n + 1)) ** 2]))
    return p


def test_kk_output_feeds_drude_and_invert(tmp_path: Path):
    kk = tmp_path / "kk.csv"
    assert _run(["optics", "kk", _reflectivity_file(tmp_path), "--low", "hagen-rubens",
                 "--output", kk]) == 0
    meta = json.loads(kk.with_suffix(".json").read_text())
    ext = meta["extrapolation"]
    assert ext["low"] == "hagen-rubens" and ext["onset_used_meV"] == pytest.approx(2e5)
    drude = tmp_path / "drude.csv"
    assert _run(["optics", "drude", kk, "--plasma-frequency", 1000, "--output", drude]) == 0
    # 1/τ of the Drude part dominates at low ω: close to its γ = 30 meV (Hagen–Rubens
    # below 2 meV, where ω/γ = 0.07, errs by a few per cent)
    t = np.loadtxt(drude, delimiter=",", skiprows=1)
    assert t[0, 1] == pytest.approx(30.0, rel=0.05)
    common = ["--temperature", 100, "--method", "allen", "--omega-max", 400, "--allow-fail"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _run(["optics", "invert", drude, *common, "--output", a]) == 0
    assert _run(["optics", "invert", kk, "--plasma-frequency", 1000, *common,
                 "--output", b]) == 0
    # the same 1/τ, once through a 10-digit CSV: equal to the rounding the inversion amplifies
    ga, gb = (np.loadtxt(f, delimiter=",", skiprows=1)[:, 1] for f in (a, b))
    np.testing.assert_allclose(ga, gb, atol=1e-4 * np.max(np.abs(ga)))
    source = json.loads(b.with_suffix(".json").read_text())["input_source"]
    assert source["from"] == "sigma" and source["drude"]["plasma_frequency_meV"] == 1000


def test_unit_contradicting_the_header_is_refused(tmp_path: Path, capsys):
    p = tmp_path / "rate.csv"
    w = np.linspace(5, 400, 30)
    np.savetxt(p, np.column_stack([w, 0.5 * w]), delimiter=",",
               header="omega_meV,inv_tau_meV", comments="")
    rc = _run(["optics", "invert", p, "--temperature", 100, "--unit", "cm-1",
               "--output", tmp_path / "o.csv"])
    err = capsys.readouterr().err
    assert rc == 2 and "header names omega in meV but --unit is cm-1" in err
    assert not (tmp_path / "o.csv").exists()
