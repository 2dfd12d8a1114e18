"""``specinv ac continue`` pays only for what it runs: no torch, no heavy scipy modules."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

#: modules a default (MaxEnt, no figure) continuation must not import: torch (~1.4 s),
#: scipy.optimize (~0.3 s), scipy.signal (~0.9 s), matplotlib
HEAVY = ("torch", "scipy.optimize", "scipy.signal", "matplotlib")


def _gtau(path, beta: float = 10.0) -> None:
    tau = np.linspace(0.0, beta, 41)
    w = np.linspace(-6.0, 6.0, 1201)
    a = np.exp(-((w - 1.0) ** 2) / 2.0)
    a /= np.trapezoid(a, w)
    g = -np.trapezoid(np.exp(-np.outer(tau, w)) / (1.0 + np.exp(-beta * w)) * a, w, axis=1)
    g += 1e-4 * np.random.default_rng(0).standard_normal(tau.size)
    np.savetxt(path, np.c_[tau, g, np.full(tau.size, 1e-4)], delimiter=",",
               header="tau,value,error", comments="")


def test_default_continuation_imports_no_heavy_module(tmp_path):
    _gtau(tmp_path / "g.csv")
    code = (
        "import sys; from specinv.cli.main import main; "
        f"rc = main(['ac', 'continue', {str(tmp_path / 'g.csv')!r}, '--kernel', "
        f"'fermionic-tau', '--beta', '10', '--output', {str(tmp_path / 'a.csv')!r}]); "
        f"print('RC', rc); print('HEAVY', *[m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "RC 0" in out
    heavy = next(line for line in out.splitlines() if line.startswith("HEAVY")).split()[1:]
    assert heavy == []


def test_import_specinv_and_resolving_maxent_import_no_torch():
    code = ("import sys, specinv; specinv.get_solver('maxent'); "
            f"print(*[m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == []
