"""Signed continuation (``continue_data(signed=True)``, ``ac continue --signed``).

The test spectra are off-diagonal elements of a two-level system written here, apart from
ACTest's rise-and-decay sets: ``H = [[ε₁, t], [t, ε₂]]`` with eigenvalues ``E_k`` and
eigenvectors ``U``, each level broadened by its own Lorentzian width ``Γ_k``:
``A₁₂(ω) = Σ_k U_1k U_2k Γ_k / (π ((ω − E_k)² + Γ_k²))``, of either sign, ∫A₁₂ = 0.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from specinv.ac.continuation import continue_data
from specinv.ac.signed import signed_omega_max
from specinv.ac.window import auto_omega_max
from specinv.cli.main import main
from specinv.io.qmc import ContinuationInput
from specinv.kernels import Mesh
from specinv.kernels.imaginary_time import FermionicTauKernel

BETA, SIGMA = 10.0, 1e-4


def offdiag_spectrum(w: np.ndarray, e1: float = -1.0, e2: float = 0.8, t: float = 0.5,
                     gammas: tuple[float, float] = (0.25, 0.4)) -> np.ndarray:
    """A₁₂(ω) of the broadened two-level system (see the module)."""
    energies, u = np.linalg.eigh(np.array([[e1, t], [t, e2]]))
    return sum(u[0, k] * u[1, k] * g / np.pi / ((w - e) ** 2 + g * g)
               for k, (e, g) in enumerate(zip(energies, gammas, strict=True)))


def offdiag_data(sign: float = 1.0, seed: int = 5, **model) -> ContinuationInput:
    fine = Mesh.uniform(-60.0, 60.0, 12001)
    tau = np.linspace(0.0, BETA, 81)
    g = FermionicTauKernel(tau, fine, beta=BETA).forward(offdiag_spectrum(fine.points, **model))
    g = g + SIGMA * np.random.default_rng(seed).standard_normal(tau.size)
    return ContinuationInput(tau, sign * g, error=np.full(tau.size, SIGMA), source="G12")


def _continue(data: ContinuationInput, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return continue_data(data, "fermionic-tau", BETA, signed=True, **kw)


def _resolvable_error(problem, exact: np.ndarray) -> float:
    """Relative L1 error of the exact spectrum's projection onto the singular directions of
    K̃ = K/σ that the data resolve (s_i |c_i| above one error bar): the loss of any answer
    that keeps only what the data determine."""
    w = problem.kernel.mesh.weights
    _, s, vt = np.linalg.svd(problem.kernel.matrix / w / SIGMA, full_matrices=False)
    c = vt @ (exact * w)
    kept = s * np.abs(c) > 1.0
    proj = vt[kept].T @ c[kept] / w
    x = problem.kernel.mesh.points
    return float(np.trapezoid(np.abs(proj - exact), x) / np.trapezoid(np.abs(exact), x))


def test_window_reads_each_end_not_the_vanishing_zeroth_moment():
    data = offdiag_data()
    w = signed_omega_max(data, "fermionic-tau", BETA)
    # both levels (|E_k| ≤ 1.3) and a few widths of their tails inside; the positive
    # path's m2/m0 divides by ∫A₁₂ = 0 (up to noise)
    assert 2.0 < w < 15.0
    assert auto_omega_max(data, "fermionic-tau", BETA) > 2 * w


def test_offdiagonal_element_recovered_with_both_signs():
    setup, r = _continue(offdiag_data())
    w, a = r.omega, r.spectrum
    exact = offdiag_spectrum(w)
    assert r.check.verdict != "fail" and "negativity" not in r.check.details
    # the two levels, with their signs, within a broadening width
    assert abs(w[np.argmax(a)] - w[np.argmax(exact)]) < 0.25
    assert abs(w[np.argmin(a)] - w[np.argmin(exact)]) < 0.25
    # ∫A₁₂ = 0: the data's zeroth moment, within the check's tolerance of ∫|A|
    assert r.check.details["sum_rule_deviation"] < 0.05
    err = np.trapezoid(np.abs(a - exact), w) / np.trapezoid(np.abs(exact), w)
    assert err <= _resolvable_error(setup.problem, exact)
    assert any("plus-minus" in n for n in setup.notes)


def test_opposite_data_give_the_opposite_spectrum():
    _, a = _continue(offdiag_data(1.0))
    _, b = _continue(offdiag_data(-1.0))
    np.testing.assert_allclose(b.omega, a.omega)
    np.testing.assert_allclose(b.spectrum, -a.spectrum, atol=1e-6 * np.abs(a.spectrum).max())


def test_positive_only_methods_are_refused():
    from specinv.core.errors import ParameterError

    with pytest.raises(ParameterError, match="--signed"):
        _continue(offdiag_data(), method="nnrs")


def test_cli_signed_keeps_the_sign_and_records_it(tmp_path, capsys):
    data = offdiag_data(-1.0)  # median G₁₂(τ) > 0 here: a diagonal G would be flipped
    assert np.median(data.values) > 0
    path, out = tmp_path / "g12.dat", tmp_path / "a12.csv"
    np.savetxt(path, np.column_stack([data.points, data.values, data.error]))
    assert main(["ac", "continue", str(path), "--kernel", "fermionic-tau", "--beta",
                 str(BETA), "--signed", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "flipped" not in text
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["signed"] is True and meta["options"]["entropy"] == "plus-minus"
    tab = np.loadtxt(out, delimiter=",", skiprows=1)
    exact = -offdiag_spectrum(tab[:, 0])
    assert abs(tab[np.argmax(tab[:, 1]), 0] - tab[np.argmax(exact), 0]) < 0.25


def test_matsubara_offdiagonal_element_from_the_thermal_floor():
    from specinv.kernels.matsubara import FermionicMatsubaraKernel

    wn = (2 * np.arange(60) + 1) * np.pi / BETA
    fine = Mesh.uniform(-60.0, 60.0, 12001)
    g = FermionicMatsubaraKernel(wn, fine, beta=BETA).forward(offdiag_spectrum(fine.points))
    noise = SIGMA * np.random.default_rng(0).standard_normal((2, wn.size))
    data = ContinuationInput(wn, g[:wn.size] + noise[0], g[wn.size:] + noise[1],
                             np.full(wn.size, SIGMA), source="G12(iw)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup, r = continue_data(data, "fermionic-matsubara", BETA, signed=True)
    exact = offdiag_spectrum(r.omega)
    assert r.check.verdict != "fail"
    assert any("widened from 2 " in n for n in setup.notes)  # 20/β, then |A| decides
    assert abs(r.omega[np.argmax(r.spectrum)] - r.omega[np.argmax(exact)]) < 0.25
    assert abs(r.omega[np.argmin(r.spectrum)] - r.omega[np.argmin(exact)]) < 0.25
    err = np.trapezoid(np.abs(r.spectrum - exact), r.omega) / np.trapezoid(np.abs(exact), r.omega)
    assert err <= _resolvable_error(setup.problem, exact)
