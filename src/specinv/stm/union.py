"""Strong matched-filter sites where the network is silent, kept when a local fit needs them.

The network misses subsurface scatterers that the quadrature matched filter
(:mod:`~specinv.stm.classical`) sees plainly; adding every strong matched-filter site
the network is silent on recovers them but also adds the filter's side lobes on the
first Friedel ring of strong surface scatterers (measured on 70 labelled training-side
T-matrix maps, seeds 75000+ and 76000+, the formats of
:func:`~specinv.stm.format_threshold.calibration_config`, half of them subsurface: every
site above 3 robust std added 36 true and 20 false sites, and all 12 false ones on
surface maps lay 1.0–1.4 Friedel periods from a true site the network had found). A
side lobe is part of its scatterer's oscillation; a scatterer is not. So a candidate
is kept when it passes three tests (on those maps: 58 true and 8 false sites added,
pooled F1 0.834 → 0.878, surface maps alone 0.961 → 0.959):

1. it is a maximum of the matched filter's score, above median + :data:`MF_SIGMAS`
   robust standard deviations of the map's matched-filter peaks, with no stronger one
   within a Friedel period (the filter's own peak spacing);
2. no network site, and no network maximum above its threshold − :data:`NET_MARGIN`
   logits, lies within :data:`RADIUS_PX` (those are the network's own business,
   :mod:`~specinv.stm.confirm`);
3. its oscillation is significant beside the network's sites: in a window of
   :data:`FIT_RADIUS_PX` pixels, each (background-removed, standardized) bias map is
   fitted by least squares with ``cos(2 k r)/(r + 1)`` and ``sin(2 k r)/(r + 1)`` about
   every network site in reach and a constant, with and without the candidate's pair;
   the mean over biases of the drop in χ² (in units of the residual variance,
   :func:`site_significance`) must reach :data:`MIN_DCHI2`. Under pure noise it is
   2 (two parameters) on average.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from specinv.stm.classical import robust_threshold
from specinv.stm.scale import estimate_kf
from specinv.stm.tiling import find_peaks

if TYPE_CHECKING:  # the detector imports this module when it detects
    from specinv.stm.detector import Detection

#: candidates: matched-filter sites above median + this many robust std of its peaks
MF_SIGMAS = 2.5
#: network maxima this far (logits) below its threshold still count as "not silent"
NET_MARGIN = 2.0
#: a network site or maximum within this distance (input pixels) silences a candidate
RADIUS_PX = 2.0
#: radius (pixels) of the local fit of :func:`site_significance`
FIT_RADIUS_PX = 12.0
#: least mean Δχ² per bias map of a kept candidate (2 expected from noise alone)
MIN_DCHI2 = 24.0
#: the rule in one sentence (recorded in the JSON of every detection)
RULE = (f"matched-filter sites above median + {MF_SIGMAS:g} robust std of its peaks with no "
        f"network site or maximum above threshold - {NET_MARGIN:g} within {RADIUS_PX:g} px "
        f"and a mean delta chi^2 per bias >= {MIN_DCHI2:g} when added to a local "
        f"{FIT_RADIUS_PX:g} px fit of the network's sites")


def _standardized(maps: np.ndarray) -> np.ndarray:
    """Background-removed, standardized bias maps (as the matched filter sees them)."""
    m = np.asarray(maps, float)
    m = m - ndimage.gaussian_filter(m, (0, 4.0, 4.0), mode="reflect")
    return (m - m.mean(axis=(1, 2), keepdims=True)) / (m.std(axis=(1, 2), keepdims=True)
                                                       + 1e-12)


def _rss(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residual sum of squares of the least-squares fits ``y[i] ≈ X[i] b`` (batched)."""
    Xt = X.transpose(0, 2, 1)
    G = Xt @ X
    G += 1e-9 * np.trace(G, axis1=1, axis2=2)[:, None, None] * np.eye(G.shape[1])
    Xy = Xt @ y[..., None]
    b = np.linalg.solve(G, Xy)
    return np.sum(y * y, axis=1) - (b * Xy).sum(axis=(1, 2))


def site_significance(maps: np.ndarray, sites: np.ndarray, candidates: np.ndarray,
                      radius: float = FIT_RADIUS_PX) -> np.ndarray:
    """Mean Δχ² per bias map of adding each candidate to a local fit of ``sites``.

    Parameters
    ----------
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps (any units; each is background-removed and standardized).
    sites : ndarray of shape (n, 2)
        Sites already in the model ``(row, col)``, pixels (the network's).
    candidates : ndarray of shape (m, 2)
        Sites to test ``(row, col)``, pixels.
    radius : float
        Fit window around each candidate (pixels); sites within ``radius`` + 6 px
        enter the model, those within 1.5 px of the candidate are left out.

    Returns
    -------
    ndarray of shape (m,)
        Mean over biases of ``(RSS₀ − RSS₁) / σ̂²`` (``σ̂²``: residual variance with the
        candidate), where RSS₀ and RSS₁ are the residual sums of squares of the fits
        without and with the candidate's pair ``cos, sin(2 k r)/(r + 1)``; ``k`` per
        bias from the Fourier ring.
    """
    m = _standardized(maps)
    k = ndimage.median_filter(estimate_kf(m), size=5, mode="nearest")
    yy, xx = np.mgrid[:m.shape[1], :m.shape[2]]
    sites = np.asarray(sites, float).reshape(-1, 2)
    out = np.zeros(len(candidates))
    for j, (r0, c0) in enumerate(np.asarray(candidates, float).reshape(-1, 2)):
        win = np.hypot(yy - r0, xx - c0) <= radius
        dn = np.hypot(*(sites - (r0, c0)).T) if len(sites) else np.zeros(0)
        model = np.vstack([[r0, c0], sites[(dn <= radius + 6) & (dn > 1.5)]])
        r = np.hypot(yy[win][None] - model[:, :1], xx[win][None] - model[:, 1:])
        phase = 2 * k[:, None, None] * r[None]
        X = np.concatenate([np.cos(phase), np.sin(phase)], axis=1) / np.tile(r + 1.0, (2, 1))
        X = np.concatenate([X, np.ones((len(k), 1, r.shape[1]))], axis=1).transpose(0, 2, 1)
        y = m[:, win]
        rss1 = _rss(X, y)
        rss0 = _rss(np.delete(X, [0, len(model)], axis=2), y)
        dof = max(int(win.sum()) - X.shape[2], 1)
        out[j] = float(np.mean((rss0 - rss1) / (rss1 / dof + 1e-300)))
    return out


def add_silent_sites(positions: np.ndarray, values: np.ndarray, score: np.ndarray,
                     threshold: float, zoom: float, companion: Detection, maps: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, dict]:
    """The network's sites plus the strong matched-filter sites it is silent on that a
    local fit needs (the module's three tests).

    Parameters
    ----------
    positions : ndarray of shape (n, 2), int
        The network's sites ``(row, col)`` in the input grid.
    values : ndarray of shape (n,)
        Their network scores (logits).
    score : ndarray of shape (H', W')
        Network score (logits) on the scored grid.
    threshold : float
        The network's threshold (logits).
    zoom : float
        Scored grid / input grid size ratio.
    companion : Detection
        The matched filter's detection of the same map (its own-map threshold, sites a
        Friedel period apart).
    maps : ndarray of shape (n_bias, H, W)
        The conductance maps.

    Returns
    -------
    positions : ndarray of shape (n + a, 2), int
        The network's sites, then the added ones (input grid).
    values : ndarray of shape (n + a,)
        Network scores; for an added site, the network's score at its pixel of the scored
        grid (the input of the detector's calibration law, as for every site).
    info : dict
        ``rule``, the constants, the candidates (``candidates``, their ``mean_dchi2``)
        and ``n_added``.
    """
    positions = np.asarray(positions).reshape(-1, 2)
    _, mval = find_peaks(companion.score_map, -np.inf, 1.0)
    strong, _ = find_peaks(companion.score_map, robust_threshold(mval, MF_SIGMAS),
                           companion.info.get("min_distance_px", 2.0))
    npos, _ = find_peaks(score, threshold - NET_MARGIN, 1.0)
    npos = np.clip(np.round((npos + 0.5) / zoom - 0.5).astype(int), 0,
                   np.asarray(companion.score_map.shape) - 1)
    near = np.vstack([positions, npos])
    if len(strong) and len(near):
        d = np.hypot(*(strong[:, None, :] - near[None, :, :]).transpose(2, 0, 1))
        strong = strong[d.min(axis=1) > RADIUS_PX]
    dchi = site_significance(maps, positions, strong) if len(strong) else np.zeros(0)
    added = strong[dchi >= MIN_DCHI2].astype(int)
    zp = np.clip(np.round((added + 0.5) * zoom - 0.5).astype(int), 0,
                 np.asarray(score.shape) - 1)
    info = {"rule": RULE, "mf_sigmas": MF_SIGMAS, "net_margin": NET_MARGIN,
            "radius_px": RADIUS_PX, "fit_radius_px": FIT_RADIUS_PX, "min_dchi2": MIN_DCHI2,
            "candidates": strong.tolist(), "mean_dchi2": dchi.tolist(),
            "n_added": len(added)}
    return (np.vstack([positions, added]).astype(int),
            np.concatenate([values, score[zp[:, 0], zp[:, 1]]]), info)
