"""Known-answer tests of the Eliashberg engine (no regression numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.core.units import KB_MEV_PER_K
from specinv.eliashberg.engine.a2f import A2F, allen_dynes_tc, coupling, moments, pb_like_a2f
from specinv.eliashberg.engine.matsubara import gap_map, solve_matsubara
from specinv.eliashberg.engine.msc import real_axis_iteration
from specinv.eliashberg.engine.pade import Pade
from specinv.eliashberg.engine.pairing import setup
from specinv.eliashberg.engine.realaxis import continue_pade, dos
from specinv.eliashberg.engine.seed import SEED_SETUP
from specinv.eliashberg.engine.tc import critical_temperature

T_SEED, MU_SEED, M_SEED = SEED_SETUP.temperature_K, SEED_SETUP.mu_star, SEED_SETUP.n_matsubara


def test_moments_einstein_exact():
    m = moments(A2F.einstein(12.0, 0.9))
    assert m["lambda"] == pytest.approx(0.9)
    assert m["omega_log_meV"] == pytest.approx(12.0)
    assert m["omega2_meV"] == pytest.approx(12.0)


def test_lambda_of_table_matches_quadrature():
    w = np.linspace(0, 10, 2001)
    f = np.where(w < 5, 0.1 * w, 0.0)  # λ = 2∫0.1 dΩ over [0, 5] = 1
    # trapezoid loses half a cell at the jump and at Ω = 0 (excluded): 2 × 2 · 0.1 · h/2 = 1e-3
    assert coupling(A2F.from_table(w, f)) == pytest.approx(1.0, abs=1.1e-3)


@pytest.mark.parametrize("mixing", ["anderson", "broyden"])
def test_solution_is_fixed_point_and_symmetric(mixing):
    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, 2.0, 0.1, mixing=mixing)
    assert sol.report.converged
    new, z = gap_map(sol.setup, sol.delta)
    assert np.max(np.abs(new - sol.delta)) < 1e-8 * sol.delta.max()
    # far above the phonons Z is the normal-state value 1 + Σ 2w arctan(ω/ν)/ω (T → 0 form)
    wn = sol.omega_n[-1]
    z_normal = 1 + np.sum(2 * a.weight * np.arctan(wn / a.nu)) / wn
    assert sol.z[-1] == pytest.approx(z_normal, rel=0.01)
    assert sol.z[0] == pytest.approx(1 + 1.5, rel=0.1)


def test_anderson_and_broyden_agree():
    a = pb_like_a2f(1.2, n=400)
    d1 = solve_matsubara(a, 2.0, 0.1, mixing="anderson").delta
    d2 = solve_matsubara(a, 2.0, 0.1, mixing="broyden").delta
    assert np.max(np.abs(d1 - d2)) < 1e-7


def test_normal_state_above_tc():
    a = pb_like_a2f(1.5, n=400)
    tc = critical_temperature(a, 0.1).tc_K
    assert not solve_matsubara(a, 1.05 * tc, 0.1).is_superconducting
    assert solve_matsubara(a, 0.9 * tc, 0.1).is_superconducting


def test_mu_star_rescaling_formula():
    s = setup(A2F.einstein(10.0, 1.0), 5.0, 0.1, cutoff=100.0)
    assert s.mu_star_eff == pytest.approx(0.1 / (1 + 0.1 * np.log(10.0 / 100.0)))
    s2 = setup(A2F.einstein(10.0, 1.0), 5.0, 0.1, cutoff=100.0, rescale_mu=False)
    assert s2.mu_star_eff == 0.1


def test_weak_coupling_gap_ratio():
    """2Δ₀/k_BT_c → 3.53 for a weak-coupling Einstein model (target ±0.03)."""
    a = A2F.einstein(10.0, 0.3)
    tc = critical_temperature(a, 0.0, xtol=1e-6).tc_K
    sol = solve_matsubara(a, tc / 6.0, 0.0, cutoff=100.0)
    w = np.linspace(0.0, 3 * sol.delta[0], 400)
    d0 = continue_pade(sol, w, n_points=200).gap_edge()
    assert 2 * d0 / (KB_MEV_PER_K * tc) == pytest.approx(3.53, abs=0.03)


@pytest.mark.parametrize("lam", [0.8, 1.4, 2.0])
def test_tc_close_to_allen_dynes(lam):
    """Allen–Dynes fits Eliashberg T_c to ~10 % over this λ range (Allen & Dynes 1975)."""
    for a in (A2F.einstein(10.0, lam), pb_like_a2f(lam, n=400)):
        r = critical_temperature(a, 0.1)
        assert r.tc_K == pytest.approx(r.allen_dynes_tc_K, rel=0.10)


def test_allen_dynes_zero_when_no_pairing():
    assert allen_dynes_tc(0.1, 10.0, 10.0, 0.2) == 0.0


def test_pade_reproduces_rational_function():
    t = 0.1
    wn = np.pi * t * (2 * np.arange(120) + 1)
    poles = np.array([1 - 0.3j, -1 - 0.3j, 2.5 - 0.1j])
    f = lambda z: (np.array([1, 1, 0.5]) / (z[..., None] - poles)).sum(-1)  # noqa: E731
    x = np.linspace(-4, 4, 17) + 0j
    for prec in ("double", "extended"):
        p = Pade.fit(1j * wn, f(1j * wn), precision=prec)
        assert np.max(np.abs(p(x) - f(x))) < 1e-8


def test_pade_truncation_is_the_fit_through_fewer_points():
    wn = np.pi * (2 * np.arange(40) + 1) / 20.0
    u = 1.0 / (1j * wn + 2.0) + 0.5 / (1j * wn - 1.0 + 0.3j)
    full = Pade.fit(1j * wn, u)
    for m in (1, 25, 40):
        np.testing.assert_array_equal(full.truncated(m).a, Pade.fit(1j * wn[:m], u[:m]).a)


def test_pade_median_of_approximants_with_few_points():
    """Above 4 K only ~40 Matsubara points lie below the cutoff: five approximants are
    spaced closer than 10 points instead of failing. Below the gap edge Δ(ω) is smooth and
    even the 4-point approximant is good to ~1e-4, so the median must match the single fit
    to a tenth of the 1 % accuracy asked of the continuation."""
    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, 2.5, 0.1, n_matsubara=20)
    w = np.linspace(0.05, 1.0, 20)  # below the gap edge (≈ 1.3 meV)
    one = continue_pade(sol, w)
    five = continue_pade(sol, w, n_approximants=5)
    assert five.info["approximant_step"] == 4
    np.testing.assert_allclose(five.delta, one.delta, rtol=1e-3)
    with pytest.raises(ParameterError):
        continue_pade(sol, w, n_approximants=20)


def test_dos_bcs_limits():
    w = np.array([0.5, 2.0, 10.0])
    n = dos(w, np.full(3, 1.0 + 0j))
    assert n[0] == 0.0
    assert n[1] == pytest.approx(2 / np.sqrt(3))
    assert n[2] == pytest.approx(10 / np.sqrt(99))


def test_realaxis_normal_state_scattering_rate():
    """Normal state: Im ω̃(ω) = π∫α²F[2N(ν) + f(ν+ω) + f(ν−ω)] dν exactly."""
    from scipy.special import expit

    a = pb_like_a2f(1.5, n=400)
    t = 8.0
    sol = solve_matsubara(a, t, 0.1)
    assert not sol.is_superconducting
    ra = real_axis_iteration(sol, a, omega_max=15.0, d_omega=0.025)
    kt = KB_MEV_PER_K * t
    for wv in (3.0, 8.0, 12.0):
        j = int(np.argmin(np.abs(ra.omega - wv)))
        w = ra.omega[j]
        exact = np.pi * np.sum(a.weight * (2 / np.expm1(a.nu / kt) + expit(-(a.nu + w) / kt)
                                           + expit(-(a.nu - w) / kt)))
        assert (ra.z[j] * w).imag == pytest.approx(exact, rel=0.02)


def test_realaxis_and_pade_agree_below_first_phonon():
    """Below Δ₀ + Ω_min (≈ 3.5 meV here) Δ(ω) and Z(ω) are smooth and Padé is accurate to
    ~1e-5 (its spread over 100–350 points is 6e-6 meV), so the exact iteration must match it
    to 1e-4 relative. (Missing the ω_m > ω_M part of the Z sum cost 9e-4 in Z.)"""
    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, T_SEED, MU_SEED, n_matsubara=M_SEED)
    ra = real_axis_iteration(sol, a, omega_max=10.0)
    pa = continue_pade(sol, ra.omega)
    assert ra.info["converged"]
    assert ra.gap_edge() == pytest.approx(pa.gap_edge(), rel=1e-4)
    low = ra.omega < 3.0
    assert np.max(np.abs(ra.delta[low] - pa.delta[low])) < 1e-4 * ra.gap_edge()
    assert np.max(np.abs(ra.z[low] - pa.z[low])) < 1e-4 * abs(ra.z[0])


def test_many_digit_gap_is_the_double_solution_refined():
    """The refinement solves the same equations: it moves Δ by no more than the double
    solution's own tolerance, and reaches the requested digits."""
    from specinv.eliashberg.engine.digits import refine

    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, 2.0, 0.1, tol=1e-13)
    dg = refine(sol.setup, a, sol.delta, dps=40)
    assert dg.residual < 1e-35
    assert np.max(np.abs(dg.delta.astype(float) - sol.delta)) < 1e-11 * sol.delta.max()
    assert np.max(np.abs(dg.z.astype(float) - sol.z)) < 1e-11 * sol.z.max()


def test_pade_of_many_digits_resolves_phonon_structure():
    """Issue target: Padé and the exact real-axis iteration agree within 1 % of max|Re Δ|
    below 35 meV. With double-precision Matsubara input Padé smooths the structure at
    Δ₀ + Ω of the sharp Pb-like peaks (median 1.5 % off); solved and continued with 100
    digits (median of 5 approximants) it is within 0.5 %. The real axis itself is
    converged to 0.3 % at dω = 0.05 meV, so 1 % is the bound the test can hold."""
    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, 1.16, 0.1, dps=100)
    ra = real_axis_iteration(sol, a, omega_max=35.0, d_omega=0.05)
    scale = np.max(np.abs(ra.delta.real))
    mp = continue_pade(sol, ra.omega, precision="mp", n_approximants=5)
    dbl = continue_pade(sol, ra.omega)
    assert np.max(np.abs(mp.delta.real - ra.delta.real)) < 0.01 * scale
    assert np.median(np.abs(dbl.delta.real - ra.delta.real)) > 0.01 * scale


def test_realaxis_kramers_kronig_back_to_matsubara():
    """The real-axis Z, φ must continue back to the Matsubara solution they came from:

    Z_n = 1 + (2/π)∫₀^∞ Im ω̃(x)/(x² + ω_n²) dx,  φ_n = φ_C + (2/π)∫₀^∞ x Im φ(x)/(x² + ω_n²) dx,

    φ_C = −πT Σ_m 2μ*_c Δ_m/R_m (the constant Coulomb part), with the tails beyond X from
    Im ω̃ → const and Im φ ∝ 1/x. Point-sampling the gap-edge 1/√ singularity (the old
    iteration) violated this by 0.2 % in Z and 2.4 % of φ₀; the tolerances (0.1 %, 0.5 %)
    are a tenth and a half of the 1 % real-axis accuracy asked for."""
    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, T_SEED, MU_SEED, n_matsubara=M_SEED)
    ra = real_axis_iteration(sol, a, omega_max=120.0, d_omega=0.05)
    x, h = ra.omega, ra.info["d_omega_meV"]
    wn = sol.omega_n[:30, None]
    im_w, im_phi = (x * ra.z).imag, (ra.z * ra.delta).imag
    big_x = x[-1]
    tail = (np.pi / 2 - np.arctan(big_x / wn[:, 0])) / wn[:, 0]
    z_kk = 1 + 2 / np.pi * (h * (im_w / (x ** 2 + wn ** 2)).sum(1) + im_w[-1] * tail)
    s = sol.setup
    phi_c = -s.pit * np.dot(s.coulomb, sol.delta / np.hypot(sol.omega_n, sol.delta))
    phi_kk = phi_c + 2 / np.pi * (h * (x * im_phi / (x ** 2 + wn ** 2)).sum(1)
                                  + big_x * im_phi[-1] * tail)
    assert np.max(np.abs(z_kk / sol.z[:30] - 1)) < 1e-3
    assert np.max(np.abs(phi_kk - sol.phi[:30])) < 5e-3 * sol.phi[0]


def test_hat_averages_integrate_gap_edge_singularity():
    """BCS-like ω̃ = ω + iγ, φ = Δ: the hat averages of G = ω̃/√(ω̃² − φ²) and D = φ/√(…)
    equal dense quadrature (the edge at Δ sits between nodes), on both sides of ω = 0.
    S = ω̃² − φ² is quadratic in ω and interpolated linearly, which leaves O(h²) errors
    (0.6 % next to the edge at h = 0.05 meV); the tolerance is 1 %."""
    from scipy.integrate import quad

    from specinv.eliashberg.engine.msc import _hat_averages
    from specinv.eliashberg.engine.realaxis import physical_root

    h, gap, gam = 0.05, 1.013, 1e-4
    x = (np.arange(-40, 40) + 0.5) * h
    wt, phi = x + 1j * gam, np.full(x.size, gap + 0j)
    r = np.where(x > 0, physical_root(wt, phi), -np.conj(physical_root(-np.conj(wt), phi)))
    num = np.stack([wt, phi])
    avg = _hat_averages(num, wt ** 2 - phi ** 2, r)

    def exact(j, part, which):
        def f(u):
            w = u + 1j * gam
            root = np.sqrt(complex(w * w - gap * gap))
            root = root if (root.real * np.sign(u) > 0 or (root.real == 0 and root.imag > 0)) \
                else -root
            val = (w if which == 0 else gap) / root
            return (val.real if part == 0 else val.imag) * (1 - abs(u - x[j]) / h) / h
        return quad(f, x[j] - h, x[j] + h, points=[gap, -gap], limit=200)[0]

    worst_point = 0.0
    for j in (58, 59, 60, 61, 19, 20, 40, 70):           # around ±Δ, near 0, far above
        for which in (0, 1):
            ref = exact(j, 0, which) + 1j * exact(j, 1, which)
            err = abs(avg[which, j] - ref) / max(1.0, abs(ref))
            assert err < 1e-2, (j, which, err)
            worst_point = max(worst_point, abs(num[which, j] / r[j] - ref) / max(1.0, abs(ref)))
    assert worst_point > 0.1   # point sampling, as before, is off by 20–60 % there


def test_nb_targets(shared_data):
    from specinv.eliashberg.engine.io import read_a2f

    a = read_a2f(shared_data / "isome_nb_a2f" / "Nb.a2F", unit="THz", column=15)
    r = critical_temperature(a, 0.12)
    assert r.lambda_ == pytest.approx(0.938, abs=0.005)
    assert 9.0 <= r.tc_K <= 9.6


def test_sin_conductance_limits():
    from specinv.eliashberg.engine.realaxis import tunneling_conductance

    a = pb_like_a2f(1.5, n=400)
    sol = solve_matsubara(a, T_SEED, MU_SEED, n_matsubara=M_SEED)
    ra = continue_pade(sol, (np.arange(600) + 0.5) * 0.05)
    v = np.linspace(-20, 20, 81)
    g = tunneling_conductance(ra, v, 1.16, gamma=0.05, lockin_rms=0.05)
    assert np.allclose(g, g[::-1], atol=1e-6)          # DOS is even → symmetric dI/dV
    assert g[40] < 0.05                                  # gap at zero bias (kT ≪ Δ0)
    peak = v[np.argmax(g)]
    assert abs(abs(peak) - ra.gap_edge()) < 0.3          # coherence peak near Δ0
