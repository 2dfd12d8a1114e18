import numpy as np

from specinv.stm.reliability import (
    calibration_law,
    isotonic_apply,
    isotonic_fit,
    platt_fit,
    randomized_maps,
    reliability,
    silent_law,
)


def test_platt_fit_recovers_a_logistic_law():
    rng = np.random.default_rng(0)
    s = rng.uniform(-6, 10, 20000)
    y = rng.random(s.size) < 1 / (1 + np.exp(-(0.7 * s - 2.0)))
    a, b = platt_fit(s, y)
    # 20000 samples: the maximum-likelihood error is a few 1e-2 in b and 1e-2 in a
    assert abs(a - 0.7) < 0.05 and abs(b + 2.0) < 0.15


def test_platt_with_matched_filter_support_recovers_its_offset():
    rng = np.random.default_rng(2)
    s = rng.uniform(-6, 10, 20000)
    m = rng.random(s.size) < 0.3
    y = rng.random(s.size) < 1 / (1 + np.exp(-(0.7 * s - 2.0 + 1.5 * m)))
    a, b, c = platt_fit(s, y, m)
    # as above; c rests on the 6000 supported samples (error below 0.1)
    assert abs(a - 0.7) < 0.05 and abs(b + 2.0) < 0.15 and abs(c - 1.5) < 0.2
    _, prob = calibration_law(s, y, "platt", m)
    assert prob(np.array([0.0]), np.array([True]))[0] > prob(np.array([0.0]))[0]
    law, iso = calibration_law(s, y, "isotonic", m)
    # each group its own step function: at S = 2 the true laws give 0.77 and 0.40
    p_sup, p_not = iso(np.array([2.0, 2.0]), np.array([True, False]))
    assert p_sup - p_not > 0.2 and "supported" in law


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


def test_isotonic_fit_recovers_a_monotone_law_and_stays_in_range():
    rng = np.random.default_rng(2)
    s = rng.uniform(-5, 5, 20000)
    true_p = np.clip(0.5 + 0.1 * s, 0, 1)  # not logistic: Platt cannot follow it
    y = rng.random(s.size) < true_p
    knots = isotonic_fit(s, y)
    assert np.all(np.diff(knots[0]) > 0) and np.all(np.diff(knots[1]) >= 0)
    grid = np.linspace(-4.5, 4.5, 19)
    # ~2000 samples per unit of score: the step function's error is a few 1e-2
    assert np.max(np.abs(isotonic_apply(knots, grid) - np.clip(0.5 + 0.1 * grid, 0, 1))) < 0.08
    p = isotonic_apply(knots, np.array([-100.0, 100.0]))
    assert 0 <= p[0] <= 0.05 and 0.95 <= p[1] <= 1
    assert reliability(isotonic_apply(knots, s), y)["max_deviation"] < 0.05


def test_randomized_calibration_maps_have_their_format_and_labels():
    maps, truths = randomized_maps(2, 40, 6, seed=0)
    assert len(maps) == 2 and maps[0].shape == (6, 40, 40) and maps[0].dtype == np.float32
    for t in truths:
        assert len(t) >= 1 and (t >= 0).all() and (t < 40).all()


def test_sites_added_where_the_network_is_silent_get_their_calibration_frequency():
    rng = np.random.default_rng(3)
    s = rng.uniform(-6, 10, 2000)
    y = rng.random(s.size) < 1 / (1 + np.exp(-(0.7 * s - 2.0)))
    law, prob = calibration_law(s, y, "platt")
    law, prob = silent_law(law, prob, np.array([True] * 7 + [False]))
    # 7 of 8 correct: (7 + 1) / (8 + 2), whatever their network score
    p = prob(np.array([-5.0, -5.0]), None, np.array([True, False]))
    assert p[0] == 0.8 and law["silent_sites"] == {"p": 0.8, "n": 8}
    assert p[1] == prob(np.array([-5.0]))[0] < 0.1
    _, none = silent_law(law, prob, np.zeros(0, bool))
    assert none(np.array([3.0]), None, np.array([True]))[0] == 0.5
