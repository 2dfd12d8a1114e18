"""How far λ and ω_log rest on the assumed onset of α²F below E_onset (fit.onset)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from specinv.core.check import check_fit
from specinv.eliashberg.fit.basis import HatBasis
from specinv.eliashberg.fit.blind import TOL
from specinv.eliashberg.fit.forward import EngineForward
from specinv.eliashberg.fit.onset import OnsetRange, onset_check, onset_range

ENERGY = 1.0    # E_onset (meV): the basis's first two knots (0.5, 1.0 meV) lie at or below it


def _setup(low: bool):
    """A 24-hat basis on 12 meV (knots every 0.5 meV): a peak at 6 meV, plus, when ``low``,
    an Ω² onset from 0 (α²F = 0.05 (Ω/meV)² on the first knots; the fit's α²F/Ω² prior
    draws an even steeper Ω³)."""
    basis = HatBasis(24, 12.0)
    k = basis.mesh
    values = np.exp(-0.5 * ((k - 6.0) / 1.0) ** 2) + (0.05 * k ** 2 * (k <= 2.0) if low else 0)
    a = basis.project(k, values)
    forward = EngineForward(basis, 1.16, np.linspace(0.2, 20.0, 100), 0.1)
    return basis, a, forward


def _residual(basis, a, lowest: float, sigma: float):
    """Data = the answer's α²F itself, sampled from ``lowest`` up: a stand-in for a gap that
    sees α²F only above ``lowest`` (no engine solve)."""
    grid = np.linspace(lowest, 12.0, 80)
    target = np.interp(grid, basis.mesh, basis.values(a))

    def residual(forward: EngineForward, x: np.ndarray) -> np.ndarray:
        return (np.interp(grid, *forward.values(x)) - target) / sigma
    return residual


def _run(basis, a, forward, residual) -> OnsetRange:
    rough = basis.roughness(2.0) * basis.spacing ** 2
    return onset_range(forward, forward, a, residual, ENERGY, rough, 1e-3,
                       np.full(a.size, float(a.max())))


def test_no_weight_at_the_onset_costs_nothing_and_moves_nothing():
    basis, a, forward = _setup(low=False)
    o = _run(basis, a, forward, _residual(basis, a, 0.1, 1e-3))
    assert not o.refitted and o.n_evaluations == 1 and not o.equally_good
    assert o.chi2_reduced_alt is None and o.to_dict()["chi2_reduced_alt"] is None
    assert abs(o.lambda_shift) < 1e-3 and abs(o.omega_log_shift) < 1e-3


def test_an_onset_the_data_cannot_see_is_an_equally_good_answer_and_warns():
    """Data blind below 1.5 meV: the linear onset (α²F(E) Ω/E instead of ~Ω²) adds at most
    2∫₀¹(0.05 Ω − 0.05 Ω²)/Ω dΩ = 0.05 to λ ≈ 1.07 (less: the hats lie above Ω² between
    knots), at ~0.5 meV against ω_log ≈ 4 meV; the ~3 % of λ it adds moves ln ω_log by
    ≈ 0.03 ln(0.5/4) ≈ −6 %: beyond the tolerance, which the check must then report."""
    basis, a, forward = _setup(low=True)
    o = _run(basis, a, forward, _residual(basis, a, 1.5, 1e-3))
    assert o.refitted and o.equally_good
    assert o.lambda_shift > 0 and o.omega_log_shift < -TOL
    assert o.chi2_reduced_alt <= o.chi2_reduced_bound
    rng = np.random.default_rng(0)
    data = rng.normal(size=60)
    fit = SimpleNamespace(figures={"lambda": 1.0, "omega_log_meV": 5.0}, info={},
                          occam=SimpleNamespace(n_evaluations=0),
                          check=check_fit(data, np.zeros(60), np.ones(60), sigma_given=True))
    assert fit.check.verdict == "ok"
    onset_check(fit, o)
    assert fit.check.verdict == "warn" and any("E_onset" in r for r in fit.check.reasons)
    assert fit.info["onset"]["equally_good"] and fit.occam.n_evaluations == o.n_evaluations


def test_an_onset_the_data_see_is_not_warned_about():
    """Data down to 0.1 meV with σ = 1e-4 of a peak of 1: the linear onset changes α²F below
    1 meV by up to ~0.01, 100 σ, which the re-fit of the rest cannot undo (the onset is held)."""
    basis, a, forward = _setup(low=True)
    o = _run(basis, a, forward, _residual(basis, a, 0.1, 1e-4))
    assert o.refitted and not o.equally_good
    assert o.chi2_reduced_alt > o.chi2_reduced_bound
    assert max(abs(o.lambda_shift), abs(o.omega_log_shift)) > TOL
