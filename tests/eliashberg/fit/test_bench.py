"""Held-out families and the bench summary of the physics fits."""

from __future__ import annotations

import numpy as np
import pytest

from specinv.eliashberg.bench_fit import _summary
from specinv.eliashberg.engine.a2f import coupling, moments
from specinv.eliashberg.fit.families import FAMILIES, LAMBDA_RANGE, draw
from specinv.eliashberg.fit.offfamily import SHAPES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_draws_are_reproducible_positive_and_in_range(family):
    a, b = draw(family, 3), draw(family, 3)
    assert np.array_equal(a.values, b.values)
    assert np.all(a.values >= 0) and a.values[0] == 0
    lam = moments(a)["lambda"]
    lo, hi = (0.8, 2.5) if family == "simple" else LAMBDA_RANGE
    assert lo - 1e-9 <= lam <= hi + 1e-9
    assert not np.array_equal(draw(family, 4).values, a.values)


def test_summary_counts_silent_failures_and_refusals():
    rows = [{"family": "f", "method": "refined", "lambda_rel_err": 0.01,
             "omega_log_rel_err": 0.02, "verdict": "ok", "wall_s": 10.0},
            {"family": "f", "method": "refined", "lambda_rel_err": 0.2,
             "omega_log_rel_err": 0.01, "verdict": "ok", "wall_s": 20.0},
            {"family": "f", "method": "refined", "lambda_rel_err": 0.01,
             "omega_log_rel_err": 0.3, "verdict": "fail", "wall_s": 30.0},
            {"family": "f", "method": "network", "refused": "outside the domain"}]
    s = _summary(rows)
    assert s["f/refined"]["within_5pct"] == pytest.approx(1 / 3)
    assert s["f/refined"]["silent_failures"] == 1          # the λ miss with verdict ok
    assert s["f/refined"]["median_wall_s"] == 20.0
    assert s["f/refined"]["verdicts"] == {"ok": 2, "warn": 0, "fail": 1}
    assert s["f/network"]["refused"] == 1 and s["f/network"]["within_5pct"] is None


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_out_of_family_shapes_are_fixed_positive_and_have_their_lambda(name):
    one, two = SHAPES[name](), SHAPES[name]()
    assert np.array_equal(one.values, two.values) and np.all(one.values >= 0)
    assert one.values[0] == 0
    assert coupling(one) == pytest.approx({"two_einstein": 1.0, "debye_cut": 0.9}[name],
                                          rel=1e-9)
