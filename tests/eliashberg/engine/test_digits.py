"""Many-digit arithmetic behind the Padé route: fixed point, λ(k), the refinement, Padé."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from specinv.eliashberg.engine import digits as dg
from specinv.eliashberg.engine import fixedpoint as fx
from specinv.eliashberg.engine.a2f import pb_like_a2f
from specinv.eliashberg.engine.matsubara import solve_matsubara
from specinv.eliashberg.engine.pade import Pade, _coefficients_complex
from specinv.eliashberg.engine.pairing import lambda_kernel

PI_60 = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")


def test_pi_to_200_bits():
    with localcontext() as ctx:
        ctx.prec = 90
        err = abs(Decimal(fx.pi(200)) / Decimal(2 ** 200) - PI_60)
    assert err < Decimal("1e-59")  # the reference's own last digit


def test_exact_matrix_product_is_the_integer_product():
    """Slices of 21 bits and float64 BLAS must give K·x to the last bit (floored), and to
    2^-bits when fewer bits are asked for."""
    rng = np.random.default_rng(3)
    f, m = 230, 64
    k = np.array([[int(v) for v in row] for row in
                  (rng.uniform(-4, 4, (m, m)) * 2.0 ** 50).astype(np.int64)], dtype=object)
    k = k * (1 << (f - 50)) + np.array([[int(rng.integers(0, 2 ** 40)) for _ in range(m)]
                                        for _ in range(m)], dtype=object)
    x = np.array([int(v) for v in (rng.uniform(-1, 1, m) * 2.0 ** 52).astype(np.int64)],
                 dtype=object) * (1 << (f - 52)) + int(rng.integers(0, 2 ** 30))
    exact = np.array([sum(int(a) * int(b) for a, b in zip(row, x, strict=True)) >> f
                      for row in k], dtype=object)
    mat = fx.ExactMatrix.from_fixed(k, f)
    assert max(abs(int(v)) for v in mat.matvec(x, f + 1) - exact) <= 2
    loose = mat.matvec(x, f + 1, bits=80)
    assert max(abs(int(v)) for v in loose - exact) <= 2 ** (f - 80)
    assert max(abs(int(v)) for v in loose - exact) > 2  # the cheaper product did drop bits


def test_lambda_from_moments_equals_the_direct_sum(monkeypatch):
    """λ(k) for ν_k ≥ 3 Ω_max comes from the moment series; with the series switched off
    every k is a direct sum. Both are good to the last bits."""
    a = pb_like_a2f(1.5, n=200)
    f, n = 200, 300
    pit2 = 2 * fx.pi(f) * fx.from_float(8.617333262e-2 * 1.16, f) >> f
    lam = dg.lambda_fixed(a.nu, a.weight, pit2, n, f)
    monkeypatch.setattr(dg, "SERIES_RATIO", 10 ** 9)
    direct = dg.lambda_fixed(a.nu, a.weight, pit2, n, f)
    assert max(abs(int(v)) for v in lam - direct) < 2 ** 12
    np.testing.assert_allclose(fx.to_float(lam, f), lambda_kernel(a, 1.16, n), rtol=1e-12)


def test_refinement_holds_its_digits():
    """100 digits agree with 130 digits to what the 100-digit residual allows (1e-95 of
    max Δ through ‖(1 − ∂G/∂Δ)⁻¹‖): the cheaper early Newton steps lose nothing."""
    a = pb_like_a2f(1.5, n=300)
    sol = solve_matsubara(a, 1.5, 0.1, tol=1e-12)
    d100 = dg.refine(sol.setup, a, sol.delta, dps=100)
    d130 = dg.refine(sol.setup, a, sol.delta, dps=130)
    amp = np.linalg.norm(np.linalg.inv(np.eye(sol.delta.size)
                                       - dg._jacobian(sol.setup, sol.delta)), np.inf)
    tol = Decimal(float(amp * d100.residual * sol.delta.max()))
    assert d100.residual < 1e-95 and d130.residual < 1e-125
    with localcontext() as ctx:
        ctx.prec = 140
        assert max(abs(x - y) for x, y in zip(d100.delta, d130.delta, strict=True)) < tol
        assert max(abs(x - y) for x, y in zip(d100.z, d130.z, strict=True)) < tol


def test_matsubara_recursion_is_the_general_one():
    """Real values at imaginary points: the real-only recursion gives the coefficients of
    the general complex one. The recursion loses ~18 digits over 30 points, so the two
    roundings differ by ~10^(18 − dps), and that difference must fall with dps (a formula
    difference would not). The double-precision fit through 8 points agrees too."""
    wn = np.pi * 0.1 * (2 * np.arange(30) + 1)
    u = 1.0 / (wn ** 2 + 1.3) + 0.4 / (wn ** 2 + 7.0)
    errs = []
    for dps in (60, 100):
        fast = Pade.fit_digits(np.zeros(30), wn, u, np.zeros(30), dps=dps)
        with localcontext() as ctx:
            ctx.prec = dps
            dec = [np.array([Decimal(float(v)) for v in x], dtype=object)
                   for x in (np.zeros(30), wn, u, np.zeros(30))]
            a_re, a_im = _coefficients_complex(*dec)
            errs.append(max((abs(fast.a[0, j] - a_re[j]) + abs(fast.a[1, j] - a_im[j]))
                            / max(abs(a_re[j]), abs(a_im[j])) for j in range(30)))
    assert errs[0] < Decimal("1e-38") and errs[1] < Decimal("1e-78")
    dbl = Pade.fit(1j * wn[:8], u[:8].astype(complex), precision="double")
    np.testing.assert_allclose(fast.truncated(8).rounded("double").a, dbl.a, rtol=1e-9)


@pytest.mark.parametrize("precision", ["double", "extended"])
def test_rounded_fraction_evaluates_as_the_exact_one(precision):
    wn = np.pi * 0.1 * (2 * np.arange(40) + 1)
    u = 1.0 / (wn ** 2 + 1.3) + 0.4 / (wn ** 2 + 7.0)
    p = Pade.fit(1j * wn, u.astype(complex), precision="mp", dps=80)
    w = np.linspace(0.0, 4.0, 9) + 0.01j
    np.testing.assert_allclose(p.rounded(precision)(w), p(w), rtol=1e-12, atol=1e-14)
