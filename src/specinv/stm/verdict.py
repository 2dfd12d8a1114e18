"""Verdict on a detection: the network and the matched filter side by side.

The network is trained on simulations; the quadrature matched filter
(:mod:`~specinv.stm.classical`, ``k_F`` from the map's own Fourier ring, threshold
from the map's own peak scores) assumes only that a scatterer's oscillation sits at
the same pixel in every bias map. Where both agree the answer is supported by two
independent arguments; where they disagree beyond their calibrated tolerance the
site is *disputed*:

- a network site is confirmed when the matched filter has a local maximum within
  :data:`CONFIRM_RADIUS_PX` above a loose threshold (median + :data:`CONFIRM_SIGMAS`
  robust standard deviations of its peak scores);
- a strong matched-filter site (above median + :data:`STRONG_SIGMAS` robust standard
  deviations; its detections start at 3, which over-detects on small maps with few
  biases) is confirmed when the network has a local maximum within the same radius
  above its threshold minus :data:`NET_MARGIN` (logits: e² ≈ 7 times less likely than a
  detection).

Verdict: ``fail`` when more than :data:`FAIL_DISPUTED` of the sites found by either
are disputed (and at least :data:`MIN_SITES` sites were found), ``warn`` above
:data:`WARN_DISPUTED` or when the map shows no Fourier ring (its oscillation scale is
unknown, the matched filter then falls back to local power), ``ok`` otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.core.check import Check
from specinv.stm.classical import robust_threshold
from specinv.stm.detector import Detection, Detector
from specinv.stm.tiling import find_peaks

CONFIRM_RADIUS_PX = 1.5
CONFIRM_SIGMAS = 1.5
STRONG_SIGMAS = 4.0
NET_MARGIN = 2.0
WARN_DISPUTED = 0.2
FAIL_DISPUTED = 0.5
MIN_SITES = 5


class DetectionCheck(Check):
    """A :class:`~specinv.core.check.Check` of a detection (no fit, hence no χ²).

    Parameters
    ----------
    verdict : {"ok", "warn", "fail"}
        The worst level among ``reasons``.
    reasons : list of str
        One sentence per finding, prefixed by its level.
    details : dict
        Counts, disputed sites, ring prominence.
    """

    def __init__(self, verdict: str = "ok", reasons: list[str] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(verdict, list(reasons or []), float("nan"), "estimated",
                         float("nan"), 0.0, 0.0, np.zeros(0), dict(details or {}))

    def summary(self) -> str:
        """One line: verdict, number of sites, agreement and the first reasons.

        Returns
        -------
        str
            ``verdict LEVEL: N sites; ...``.
        """
        d = self.details
        head = f"verdict {self.verdict}: {d.get('n_sites', 0)} sites"
        if "n_disputed" in d:
            head += (f"; {d['n_disputed']} of {d['n_union']} disputed between the network and "
                     "the matched filter")
        if not self.reasons:
            return head
        return head + "; " + "; ".join(r.split(": ", 1)[1] for r in self.reasons[:3])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record.

        Returns
        -------
        dict
            Verdict, reasons and details.
        """
        from specinv.core.result import jsonable

        return {"verdict": self.verdict, "reasons": list(self.reasons),
                "details": jsonable(self.details)}


def _near(points: np.ndarray, others: np.ndarray, radius: float) -> np.ndarray:
    """For each point: is one of ``others`` within ``radius``?"""
    if len(points) == 0:
        return np.zeros(0, bool)
    if len(others) == 0:
        return np.zeros(len(points), bool)
    d = np.hypot(*(points[:, None, :] - others[None, :, :]).transpose(2, 0, 1))
    return (d <= radius).any(axis=1)


def _ring_check(check: Check, info: dict) -> None:
    if info.get("kf_per_px") is None:
        check.add("warn", "no Fourier ring above the noise: the oscillation scale is unknown "
                          f"(prominence {info.get('ring_prominence', float('nan')):.2g} < 4)",
                  ring_prominence=info.get("ring_prominence"))


def network_peaks(net: Detection, shape: tuple[int, int], margin: float) -> np.ndarray:
    """Network local maxima above its threshold − ``margin``, in the input grid.

    Parameters
    ----------
    net : Detection
        A network's detection (score map on the possibly resampled grid).
    shape : (int, int)
        ``(H, W)`` of the input map.
    margin : float
        How far below the threshold (logits) a maximum may lie.

    Returns
    -------
    ndarray of shape (n, 2), int
        ``(row, col)`` in the input grid, strongest first.
    """
    pos, _ = find_peaks(net.score_map, net.info["threshold"] - margin, 1.0)
    z = net.info.get("zoom", 1.0)
    if z != 1.0:
        pos = np.clip(np.round((pos + 0.5) / z - 0.5).astype(int), 0, np.asarray(shape) - 1)
    return pos


def companion_check(net: Detection, classical: Detection, shape: tuple[int, int]
                    ) -> DetectionCheck:
    """Compare the network's sites with the matched filter's (see the module docstring).

    Parameters
    ----------
    net : Detection
        The network's detection.
    classical : Detection
        The matched filter's detection of the same map (its own-map threshold).
    shape : (int, int)
        ``(H, W)`` of the input map.

    Returns
    -------
    DetectionCheck
        Verdict with ``details``: counts, the disputed sites ``(row, col)`` found by one
        method only and the ring's prominence.
    """
    _, cval = find_peaks(classical.score_map, -np.inf, 1.0)
    loose_cl, _ = find_peaks(classical.score_map, robust_threshold(cval, CONFIRM_SIGMAS), 1.0)
    loose_net = network_peaks(net, shape, NET_MARGIN)
    net_only = net.positions[~_near(net.positions, loose_cl, CONFIRM_RADIUS_PX)]
    strong = classical.positions[classical.scores >= robust_threshold(cval, STRONG_SIGMAS)]
    cl_only = strong[~_near(strong, loose_net, CONFIRM_RADIUS_PX)]
    # a strong site the detector added where the network is silent (stm/union.py) stays
    # disputed, since the network did not find it, but it is counted once
    n_union = len(net.positions) + int(np.sum(~_near(cl_only, net.positions, 0.0)))
    n_disp = len(net_only) + len(cl_only)
    frac = n_disp / n_union if n_union else 0.0
    check = DetectionCheck(details={
        "n_sites": len(net.positions), "n_matched_filter": len(classical.positions),
        "n_union": n_union, "n_disputed": n_disp, "disputed_fraction": frac,
        "disputed_network_only": net_only.tolist(),
        "disputed_matched_filter_only": cl_only.tolist(),
        "matched_filter_threshold": classical.info["threshold"],
        "rules": {"confirm_radius_px": CONFIRM_RADIUS_PX, "confirm_sigmas": CONFIRM_SIGMAS,
                  "strong_sigmas": STRONG_SIGMAS,
                  "network_margin": NET_MARGIN, "warn_above": WARN_DISPUTED,
                  "fail_above": FAIL_DISPUTED, "min_sites": MIN_SITES}})
    msg = (f"{n_disp} of {n_union} sites are found by one method only "
           f"({len(net_only)} network, {len(cl_only)} matched filter; listed in the JSON)")
    if frac > FAIL_DISPUTED and n_union >= MIN_SITES:
        check.add("fail", msg + ": the map is unlike the network's training data")
    elif frac > WARN_DISPUTED:
        check.add("warn", msg)
    _ring_check(check, net.info)
    return check


def detect_checked(detector: Detector, maps: np.ndarray, *, kf_per_px: float | None = None,
                   threshold: float | str | None = None, source: str | None = None
                   ) -> Detection:
    """Detect and attach a verdict; a network runs beside the matched filter.

    Parameters
    ----------
    detector : Detector
        Network or classical detector.
    maps : ndarray of shape (n_bias, H, W)
        Conductance maps.
    kf_per_px : float, optional
        ``k_F`` (rad/pixel); from the Fourier ring if omitted.
    threshold : float or "auto", optional
        Override of the detector's threshold (``"auto"``: chosen on simulated maps of
        the input's format, see :meth:`Detector.detect`).
    source : str, optional
        File name, for messages.

    Returns
    -------
    Detection
        The detector's detection with ``check`` set (the matched filter's sites in
        ``info["matched_filter"]`` when a network ran).
    """
    res = detector.detect(maps, kf_per_px=kf_per_px, threshold=threshold, source=source)
    if detector.model is None:
        check = DetectionCheck(details={"n_sites": len(res.positions)})
        _ring_check(check, res.info)
    else:
        cl = res.companion or Detector.classical().detect(maps, kf_per_px=kf_per_px,
                                                          source=source)
        check = companion_check(res, cl, np.asarray(maps).shape[1:])
        res.info["matched_filter"] = {"positions": cl.positions.tolist(),
                                      "scores": cl.scores.tolist(),
                                      "threshold": cl.info["threshold"]}
    res.check = check
    return res
