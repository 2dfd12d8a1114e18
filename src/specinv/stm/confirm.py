"""A second, lower threshold for network sites that the matched filter confirms.

The network's score separates surface scatterers (sharp core) from the background
with a wide gap, but subsurface ("buried") scatterers, whose core is a flat disc,
score in between: on labelled T-matrix maps (seeds 70000+, every format of the bench)
the shipped threshold 11.26 recalls 23–30 % of them, while a threshold low enough to
recall them admits the upper tail of the background peaks and costs a tenth of the F1
on maps of surface scatterers (issue 26). No single threshold serves both.

:func:`confirmed_sites` keeps every network maximum above the threshold and, below
it, a maximum that passes three tests, all measured on the map itself (no labels, no
format-specific constant):

1. it is an outlier of the map's own network peaks: above their median +
   :data:`NET_SIGMAS` robust standard deviations
   (:func:`~specinv.stm.classical.robust_threshold`);
2. the quadrature matched filter (:mod:`~specinv.stm.classical`: ``k_F`` from the
   map's Fourier ring, no training) has a local maximum within :data:`RADIUS_PX` above
   median + :data:`MF_SIGMAS` robust standard deviations of its own peaks: a scatterer
   changes the LDOS coherently at every bias, so its ring adds up over the biases,
   while a noise peak of the network does not;
3. it lies at least :data:`EXCLUSION_PX` from every site kept before it (strongest
   first): a scatterer's first Friedel ring (half a wavelength, ~2–3 px at the
   trained ``k_F``) gives secondary maxima that the matched filter also sees.

Measured on those T-matrix maps (threshold 11.26 → this rule, F1 within 1 px):
surface scatterers 0.92–0.96 → 0.94–0.98; buried 0.36–0.46 → 0.58–0.82. Without
test 3 (and a lower tier fixed at 0 logits) the surface F1 fell to 0.79–0.83.
"""

from __future__ import annotations

import numpy as np

from specinv.stm.classical import robust_threshold
from specinv.stm.tiling import find_peaks

#: lower tier: network peaks above median + this many robust std of the map's own peaks
NET_SIGMAS = 4.5
#: matched-filter peaks that confirm: above median + this many robust std of its peaks
MF_SIGMAS = 2.0
#: largest distance (pixels of the scored grid) of a confirming matched-filter peak
RADIUS_PX = 1.5
#: least distance (pixels of the scored grid) of a confirmed site to a stronger kept one
EXCLUSION_PX = 3.5
#: the rule in one sentence (recorded in the JSON of every detection that uses it)
RULE = (f"score >= threshold, or score >= median + {NET_SIGMAS:g} robust std of the map's "
        f"network peaks and a matched-filter peak above median + {MF_SIGMAS:g} robust std "
        f"of its peaks within {RADIUS_PX:g} px and no stronger site within {EXCLUSION_PX:g} px")


def matched_filter_support(positions: np.ndarray, mf_score: np.ndarray, zoom: float = 1.0
                           ) -> tuple[np.ndarray, float]:
    """Whether the matched filter has an outlier peak near each position (test 2).

    Parameters
    ----------
    positions : ndarray of shape (n, 2)
        Sites ``(row, col)`` on the scored grid.
    mf_score : ndarray of shape (H, W)
        Matched-filter score (log energy) on the input grid.
    zoom : float
        Scored grid / input grid size ratio.

    Returns
    -------
    supported : ndarray of shape (n,), bool
        A matched-filter local maximum above median + :data:`MF_SIGMAS` robust std of
        its peaks lies within :data:`RADIUS_PX` (scored-grid pixels).
    threshold : float
        That matched-filter threshold (log energy).
    """
    mpos, mval = find_peaks(mf_score, -np.inf, 1.0)
    mthr = robust_threshold(mval, MF_SIGMAS)
    mf = (mpos[mval > mthr] + 0.5) * zoom - 0.5
    p = np.asarray(positions, float).reshape(-1, 2)
    if not len(mf):
        return np.zeros(len(p), bool), mthr
    d = np.hypot(p[:, None, 0] - mf[None, :, 0], p[:, None, 1] - mf[None, :, 1])
    return d.min(axis=1) <= RADIUS_PX, mthr


def confirmed_sites(score: np.ndarray, threshold: float, min_distance: float,
                    mf_score: np.ndarray, zoom: float = 1.0
                    ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Network peaks above ``threshold`` plus the lower ones the matched filter confirms.

    Parameters
    ----------
    score : ndarray of shape (H', W')
        Network score map (logits) on the scored grid.
    threshold : float
        Upper tier: peaks at or above it are kept without confirmation.
    min_distance : float
        Least distance (pixels) between two network peaks.
    mf_score : ndarray of shape (H, W)
        Matched-filter score (log energy) on the input grid.
    zoom : float
        Scored grid / input grid size ratio (1 when the map was not resampled).

    Returns
    -------
    positions : ndarray of shape (n, 2), int
        Kept peaks ``(row, col)`` on the scored grid, strongest first.
    values : ndarray of shape (n,)
        Their network scores.
    info : dict
        ``rule``, ``lower_threshold`` (logits), ``matched_filter_threshold`` (log
        energy), ``n_confirmed`` (sites below ``threshold``) and the constants.
    """
    pos, val = find_peaks(score, -np.inf, min_distance)
    lower = robust_threshold(val, NET_SIGMAS)
    supported, mthr = matched_filter_support(pos, mf_score, zoom)
    keep = val >= threshold
    for i in np.flatnonzero((val < threshold) & (val > lower) & supported):
        if keep.any() and np.hypot(*(pos[keep] - pos[i]).T).min() < EXCLUSION_PX:
            continue
        keep[i] = True
    info = {"rule": RULE, "lower_threshold": lower, "matched_filter_threshold": mthr,
            "n_confirmed": int(np.sum(keep & (val < threshold))), "net_sigmas": NET_SIGMAS,
            "mf_sigmas": MF_SIGMAS, "radius_px": RADIUS_PX, "exclusion_px": EXCLUSION_PX}
    return pos[keep], val[keep], info
