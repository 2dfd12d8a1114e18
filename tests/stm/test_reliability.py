import numpy as np

from specinv.stm.reliability import platt_fit, reliability


def test_platt_fit_recovers_a_logistic_law():
    rng = np.random.default_rng(0)
    s = rng.uniform(-6, 10, 20000)
    y = rng.random(s.size) < 1 / (1 + np.exp(-(0.7 * s - 2.0)))
    a, b = platt_fit(s, y)
    # 20000 samples: the maximum-likelihood error is a few 1e-2 in b and 1e-2 in a
    assert abs(a - 0.7) < 0.05 and abs(b + 2.0) < 0.15


def test_reliability_of_calibrated_and_overconfident_probabilities():
    rng = np.random.default_rng(1)
    p = rng.random(5000)
    y = rng.random(p.size) < p
    good = reliability(p, y)
    # ~500 per bin: binomial std of a bin frequency <= 0.023
    assert good["max_deviation"] < 0.08 and sum(b["n"] for b in good["bins"]) == 5000
    bad = reliability(np.clip(p + 0.3, 0, 1), y)
    assert bad["max_deviation"] > 0.2
    few = reliability(p[:15], y[:15])
    assert np.isnan(few["max_deviation"])
