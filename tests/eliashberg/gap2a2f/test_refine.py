"""Physics refinement: a distorted α²F is pulled back to the one behind the gap."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.eliashberg.engine.a2f import A2F, gaussian_a2f, moments
from specinv.eliashberg.engine.seed import SEED_SETUP
from specinv.eliashberg.gap2a2f.refine import _Forward, legendre_basis, refine_a2f

T, MU = SEED_SETUP.temperature_K, SEED_SETUP.mu_star


@pytest.fixture(scope="module")
def truth():
    """A two-peak α²F (λ = 1.2) and its gap on a 0-35 meV mesh by the real-axis forward."""
    w = np.linspace(0.0, 10.0, 400)
    spec = gaussian_a2f(w, (3.5, 7.0), (0.8, 0.6), (1.0, 0.7), cutoff=9.5, lam=1.2)
    omega = np.linspace(0.0, 35.0, 120)
    gap = _Forward(omega, T, MU, 200, 0.1)(spec)
    return w, spec.values, omega, gap


def test_legendre_basis_shape_and_orthogonality():
    b = legendre_basis(np.linspace(0.0, 10.0, 2001), 5)
    assert b.shape == (4, 2001)
    gram = b @ b.T / b.shape[1]
    # ∫P_j P_k dx / 2 = δ_jk / (2k + 1) on [-1, 1]; trapezoid-free sum: O(1/n) error
    assert np.allclose(gram, np.diag(1.0 / (2 * np.arange(1, 5) + 1)), atol=2e-3)


def test_refinement_recovers_a_smooth_distortion(truth):
    """The true α²F lies in the family: the fit removes the distortion (λ held fixed)."""
    w, f, omega, gap = truth
    b = legendre_basis(w, 3)
    distorted = f * np.exp(0.4 * b[0] - 0.3 * b[1])
    distorted = A2F.from_table(w, distorted).scaled_to_lambda(1.2).values
    r = refine_a2f(distorted, w, omega, gap, T, MU, n_basis=3, n_matsubara=200)
    assert r.info["improved"] and r.residual_before > 0.05
    # the target comes from the same forward model: the misfit drops to the solver
    # tolerances (Matsubara 1e-10, real axis 1e-9 relative), with margin for conditioning
    assert r.residual_after < 1e-6
    assert np.allclose(r.coefficients, [-0.4, 0.3], atol=1e-4)
    assert np.max(np.abs(r.a2f - f)) < 1e-4 * f.max()
    assert r.lam == pytest.approx(1.2, rel=1e-9)


def test_refined_spectrum_keeps_lambda_sign_and_zeros(truth):
    w, f, omega, gap = truth
    start = A2F.from_table(w, f * np.exp(0.5 * legendre_basis(w, 2)[0])).values
    r = refine_a2f(start, w, omega, gap, T, MU, n_basis=4, n_matsubara=200)
    assert np.all(r.a2f >= 0)
    assert np.all(r.a2f[(w == 0) | (w > 9.5)] == 0)     # zeros of the prediction kept
    lam_start = moments(A2F.from_table(w, start))["lambda"]
    assert r.lam == pytest.approx(lam_start, rel=1e-9)
    # the P_1 distortion is removable; what remains is the start's λ, which is kept
    assert r.info["improved"] and r.residual_after < 0.5 * r.residual_before
    free = refine_a2f(start, w, omega, gap, T, MU, n_basis=4, keep_lambda=False,
                      n_matsubara=200)
    assert free.coefficients.shape == (4,) and r.coefficients.shape == (3,)


def test_normal_prediction_is_returned_unfitted(truth):
    """A prediction with no gap at T cannot be compared with the gap: no fit, said so."""
    w, f, omega, gap = truth
    weak = A2F.from_table(w, f).scaled_to_lambda(0.2).values   # T_c far below 1.16 K
    r = refine_a2f(weak, w, omega, gap, T, MU, n_basis=3, n_matsubara=200)
    assert not r.info["superconducting_start"] and not r.info["improved"]
    assert r.n_evaluations == 1 and np.array_equal(r.a2f, weak)
    assert "not superconducting" in r.info["message"]


def test_bad_arguments(truth):
    w, f, omega, gap = truth
    with pytest.raises(ParameterError, match="n_basis"):
        refine_a2f(f, w, omega, gap, T, MU, n_basis=1)
    with pytest.raises(ParameterError, match="shapes"):
        refine_a2f(f[:-1], w, omega, gap, T, MU)
    with pytest.raises(ParameterError, match="nonzero gap"):
        refine_a2f(np.zeros_like(f), w, omega, gap, T, MU)


@pytest.mark.slow
def test_invert_refine_through_the_cli(tiny_dir, truth, tmp_path):
    """``invert --refine`` fits α²F through the engine with λ free and reaches the gap (~30 s)."""
    from specinv.cli.main import main

    model = tmp_path / "m"
    assert main(["eliashberg", "train", "--data", str(tiny_dir), "--output", str(model),
                 "--epochs", "40", "--finetune-epochs", "0", "--check", "2", "--refine", "1",
                 "--no-progress"]) == 0
    rep = json.loads((model / "train.json").read_text())
    assert rep["physics_check_refined"]["n"] == 1
    assert rep["physics_check_unrefined"]["n"] == 1
    w, f, omega, d = truth
    gap = tmp_path / "gap.csv"
    gap.write_text("omega_meV,re_delta_meV,im_delta_meV\n" + "\n".join(
        f"{x:.6f},{z.real:.8f},{z.imag:.8f}" for x, z in zip(omega, d, strict=True)))
    out = tmp_path / "a2f.csv"
    assert main(["eliashberg", "invert", str(gap), "--output", str(out), "--refine",
                 "--model", str(model / "member_00.npz")]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    # a 40-epoch network on ~20 samples is far from this α²F: the fit (λ free) must reach the
    # gap at its tolerance and the truth's λ = 1.2 within the 5 %
    assert meta["refine"]["chi2_reduced"] <= 2.0 and meta["check"]["verdict"] != "fail"
    assert meta["lambda"] == pytest.approx(1.2, rel=0.05)
    assert np.all(np.loadtxt(out, delimiter=",", skiprows=1)[:, 1] >= 0)
