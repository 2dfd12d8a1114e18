"""The broad training prior and the separate test families of glue functions."""

from __future__ import annotations

import numpy as np

from specinv.optics.dataset import build_dataset
from specinv.optics.families import MEMBERS, NAMES, family_glues
from specinv.optics.glue import MIXTURE_RANGES, gaussian_mixtures
from specinv.optics.prior import (
    BROAD_SHARE,
    FAMILIES,
    HEIGHTS,
    TAIL_RANGES,
    TAIL_SHARE,
    broad_glues,
    tail_broad_glues,
    tail_glues,
)

MESH = np.linspace(4.0, 400.0, 100)


def test_broad_prior_draws_every_family_within_the_heights():
    glues, fam = broad_glues(MESH, 300, np.random.default_rng(0))
    assert set(fam) == set(range(len(FAMILIES)))
    assert np.all(np.isfinite(glues)) and np.all(glues >= 0)
    peaks = glues[fam != FAMILIES.index("mixture")].max(axis=1)
    assert np.all((peaks >= HEIGHTS[0] * (1 - 1e-12)) & (peaks <= HEIGHTS[1] * (1 + 1e-12)))
    again, _ = broad_glues(MESH, 300, np.random.default_rng(0))
    np.testing.assert_array_equal(glues, again)


def test_broad_dataset_keeps_the_mixture_cache_names_apart(tmp_path):
    a = build_dataset(20, seed=4, cache_dir=tmp_path, prior="broad")
    b = build_dataset(20, seed=4, cache_dir=tmp_path)
    assert a.params["prior"] == "broad" and "prior" not in b.params
    assert len(list(tmp_path.glob("optics_*.npz"))) == 2
    assert not np.allclose(a.x, b.x)


def test_test_families_are_fixed_and_distinct():
    fams = family_glues(MESH)
    assert tuple(fams) == NAMES
    for g in fams.values():
        assert g.shape == (MEMBERS, MESH.size) and np.all(g >= 0) and np.all(g.max(axis=1) > 0)
        assert np.linalg.matrix_rank(g) == MEMBERS  # five different members
    np.testing.assert_array_equal(family_glues(MESH, 2)["gapped"], fams["gapped"][:2])



def test_tail_prior_is_the_seed_prior_with_a_share_of_tails_to_400_mev():
    n = 600
    glues = tail_glues(MESH, n, np.random.default_rng(3))
    base = gaussian_mixtures(MESH, n, np.random.default_rng(3))  # drawn first, same stream
    np.testing.assert_allclose(glues.max(axis=1), base.max(axis=1), rtol=1e-12)
    assert np.all(glues >= 0)
    tailed = ~np.all(np.isclose(glues, base, rtol=0, atol=1e-12), axis=1)
    # binomial share of the draws, within 4 standard deviations
    assert abs(tailed.mean() - TAIL_SHARE) < 4 * np.sqrt(TAIL_SHARE * (1 - TAIL_SHARE) / n)
    np.testing.assert_array_equal(glues[~tailed], base[~tailed])
    # at 400 meV a tail keeps at least h_min = 0.05 of the mixture's peak before the rescaling,
    # which divides by at most 1 + h_max · e^{(400 − 10 meV)/L_min}
    h_lo, h_hi = TAIL_RANGES["height_at_400_meV"]
    bound = h_lo / (1 + h_hi * np.exp((400.0 - 10.0) / TAIL_RANGES["decay_length_meV"][0]))
    assert np.all(glues[tailed, -1] / glues[tailed].max(axis=1) >= bound)
    assert np.median(glues[tailed, -1] / glues[tailed].max(axis=1)) > 10 * np.median(
        base[tailed, -1] / base[tailed].max(axis=1))


def test_tail_broad_prior_mixes_a_share_of_broad_draws():
    n = 600
    glues = tail_broad_glues(MESH, n, np.random.default_rng(5))
    assert glues.shape == (n, MESH.size) and np.all(np.isfinite(glues)) and np.all(glues >= 0)
    np.testing.assert_array_equal(glues, tail_broad_glues(MESH, n, np.random.default_rng(5)))
    # only broad draws outside its "mixture" family (5 of 6) can peak above the seed's
    # maximum height; their peak is log-uniform in HEIGHTS
    seed_top = MIXTURE_RANGES["max_height"][1]
    p_tall = np.log(HEIGHTS[1] / seed_top) / np.log(HEIGHTS[1] / HEIGHTS[0])
    share = BROAD_SHARE * (len(FAMILIES) - 1) / len(FAMILIES) * p_tall
    tall = np.mean(glues.max(axis=1) > seed_top * (1 + 1e-9))
    assert abs(tall - share) < 4 * np.sqrt(share * (1 - share) / n)
