"""The impurity detector: a trained network (or the classical filter) + tiling + peaks.

``Detector.detect(maps)`` runs the whole pipeline on a map of any size:
checks, bias binning, scale check (Fourier ring → resampling if the map's
``k_F`` lies outside the trained range), tiled scoring with overlap, stitching,
local maxima above the threshold chosen on validation data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from specinv.core.check import Check
from specinv.core.errors import InputError
from specinv.learning.weights import display, load_state, load_torch, save_torch, shipped
from specinv.stm.classical import (
    OUTLIER_SIGMAS,
    TEMPLATE_RADIUS,
    matched_filter_scores,
    robust_threshold,
)
from specinv.stm.infer import score_tiles
from specinv.stm.model import build_model
from specinv.stm.scale import map_kf, zoom_factor
from specinv.stm.tiling import (
    bin_biases,
    find_peaks,
    stitched_scores,
    validate_maps,
    zoom_maps,
)

DEFAULT_MODEL = "default_attention"
#: kind recorded in (and required of) the metadata of detector weights
WEIGHTS_KIND = "stm-detector"
#: most bias maps scored at once (more are averaged in consecutive groups)
MAX_BIAS = 256
#: bias groups the stack is averaged into to find the Fourier ring (k_F)
SCALE_GROUPS = 32


@dataclass
class Detection:
    """Result of :meth:`Detector.detect`.

    Every parameter is kept as an attribute of the same name.

    Parameters
    ----------
    positions : ndarray of shape (n, 2), int
        ``(row, col)`` pixel indices in the input map.
    scores : ndarray of shape (n,)
        Score ``S`` at each peak.
    score_map : ndarray of shape (H, W)
        Score ``S`` on the input grid (on the resampled grid if resampled).
    info : dict
        ``kf_per_px``, ring prominence, zoom factor, tiles, timing, threshold.
    check : Check, optional
        Verdict on the detections (set by :func:`~specinv.stm.verdict.detect_checked`).
    companion : Detection, optional
        The matched filter's detection of the same map, when it confirmed the network's
        sites (:mod:`~specinv.stm.confirm`) and added its own (:mod:`~specinv.stm.union`).
    """

    positions: np.ndarray
    scores: np.ndarray
    score_map: np.ndarray
    info: dict = field(default_factory=dict)
    check: Check | None = None
    companion: Detection | None = None


class Detector:
    """Impurity detector.

    Parameters
    ----------
    model : torch.nn.Module or None
        Network mapping (B, N_v, L, L) tiles to (B, L, L) scores (one network or an
        :class:`~specinv.stm.model.EnsembleDetector`); ``None`` selects the
        classical matched filter.
    threshold : float
        Peaks with score below this are discarded.
    tile, overlap : int
        Tile side and minimum overlap (pixels).
    kf_range : (float, float)
        ``k_F`` range (rad/pixel) the network was trained on.
    max_bias : int
        Larger stacks are averaged in consecutive groups to this many maps, a bound
        on the cost (which grows linearly with the number of maps). Averaging keeps the
        signal of a real sweep, whose oscillation changes smoothly with bias, but
        cancels it where each map has its own phase (the Friedel training maps).
    min_bias : int
        Fewest bias maps accepted.
    min_distance : float
        Peaks closer than this (pixels) to a stronger one are dropped.
    metadata : dict
        Training parameters (written next to saved weights).
    auto_threshold : bool
        Choose the threshold at run time on simulated maps of each input's format
        (:func:`~specinv.stm.format_threshold.format_threshold`) instead of ``threshold``
        (then only the fallback); network detectors only.
    confirm : bool
        Also keep sites below the threshold that the matched filter confirms
        (:func:`~specinv.stm.confirm.confirmed_sites`); network detectors only. Off by
        default here; :meth:`load` turns it on.
    """

    def __init__(self, model: torch.nn.Module | None, *, threshold: float = 0.0,
                 tile: int = 20, overlap: int = 8, kf_range: tuple[float, float] = (0.45, 1.15),
                 max_bias: int = MAX_BIAS, min_bias: int = 4, min_distance: float = 2.0,
                 metadata: dict | None = None, auto_threshold: bool = False,
                 confirm: bool = False) -> None:
        self.model = model
        self.auto_threshold = bool(auto_threshold)
        self.confirm = bool(confirm) and model is not None
        self.threshold = float(threshold)
        self.tile, self.overlap = int(tile), int(overlap)
        self.kf_range = (float(kf_range[0]), float(kf_range[1]))
        self.max_bias, self.min_bias = int(max_bias), int(min_bias)
        self.min_distance = float(min_distance)
        self.metadata = dict(metadata or {})

    # -- scoring ---------------------------------------------------------------------
    def _score_tiles(self, x: np.ndarray) -> np.ndarray:
        assert self.model is not None
        return score_tiles(self.model, x)

    def score(self, maps: np.ndarray, *, kf_per_px: float | None = None,
              rescale: bool = True, source: str | None = None) -> tuple[np.ndarray, dict]:
        """Score map of a stack (see :meth:`detect`).

        Parameters
        ----------
        maps : ndarray of shape (n_bias, H, W)
            Conductance maps.
        kf_per_px : float, optional
            Typical ``k_F`` (rad/pixel); estimated from the Fourier ring if omitted.
        rescale : bool
            Resample maps whose ``k_F`` lies outside the trained range.
        source : str, optional
            File name, for messages.

        Returns
        -------
        score : ndarray of shape (H', W')
            Score ``S`` on the (possibly resampled) grid.
        info : dict
            ``n_bias_used``, ``kf_per_px`` (None when not known), ring estimate,
            ``zoom`` and ``seconds``.
        """
        t0 = time.perf_counter()
        a = validate_maps(maps, min_bias=self.min_bias, tile=self.tile, source=source)
        a = bin_biases(a, self.max_bias)
        info: dict = {"n_bias_used": len(a)}
        if kf_per_px is None:
            # the ring is found on a binned stack: averaging neighbouring biases lifts it
            # above the noise (51 Au(111) maps: prominence 3.8 unbinned, 5.1 in 32 groups)
            kf, prom = map_kf(bin_biases(a, SCALE_GROUPS))
            info.update(kf_per_px_estimated=kf, ring_prominence=prom)
            known = prom >= 4.0
        else:
            if not kf_per_px > 0:
                raise InputError(f"--kf-per-px must be positive, got {kf_per_px}")
            kf, known = float(kf_per_px), True
        info["kf_per_px"] = kf if known else None
        z = zoom_factor(kf, self.kf_range) if (known and rescale and self.model) else 1.0
        info["zoom"] = z
        work = zoom_maps(a, z) if z != 1.0 else a
        if min(work.shape[1:]) < self.tile:
            raise InputError(f"after resampling by {z:.3g} to match the trained oscillation "
                             f"scale the map is smaller than one {self.tile} x {self.tile} tile",
                             source)
        if self.model is None:
            s = matched_filter_scores(work, None if kf_per_px is None else kf_per_px)
        else:
            s = stitched_scores(work.astype(np.float32), self._score_tiles, self.tile,
                                self.overlap)
        info["seconds"] = time.perf_counter() - t0
        return s, info

    def _pick_threshold(self, s: np.ndarray, info: dict, threshold: float | str | None
                        ) -> tuple[float, str | dict]:
        """Threshold of :meth:`detect` and how it was chosen."""
        if threshold is None:
            threshold = "auto" if self.auto_threshold else None
        if threshold == "auto":
            if self.model is None:
                raise ValueError("a run-time threshold needs a network detector")
            from specinv.stm.format_threshold import format_threshold

            kf = info["kf_per_px"]
            auto = format_threshold(self, info["n_bias_used"], s.shape,
                                    None if kf is None else kf / info["zoom"])
            return auto["threshold"], auto
        if threshold is not None:
            return float(threshold), "given"
        if np.isnan(self.threshold):  # the matched filter's default: the map's own peaks
            return (robust_threshold(find_peaks(s, -np.inf, self.min_distance)[1]),
                    f"median + {OUTLIER_SIGMAS:g} robust std of the map's own peak scores")
        return self.threshold, "detector"

    def _peak_distance(self, info: dict) -> float:
        """Least distance between reported sites: one Friedel period for the matched filter.

        The quadrature filter's response to one scatterer peaks again on its first ring,
        a Friedel period ``π / k_F`` away (its template ``cos(2 k_F r)`` repeats there), so
        weaker maxima within that distance of a stronger site are its side lobes
        (measured on 12 T-matrix and 8 independent maps before this rule: 48 of the 53
        sites it removes were false). Two scatterers closer than half a Fermi wavelength
        are reported as one; at most the template's radius (a ``k_F`` in a wrong unit must
        not merge a map). The network keeps ``min_distance``.
        """
        kf = info.get("kf_per_px")
        if self.model is not None or kf is None:
            return self.min_distance
        return max(self.min_distance, min(float(np.pi / kf), float(TEMPLATE_RADIUS)))

    def detect(self, maps: np.ndarray, *, kf_per_px: float | None = None,
               threshold: float | str | None = None, rescale: bool = True,
               source: str | None = None, confirm: bool | None = None) -> Detection:
        """Detect impurities in a multi-bias map.

        Parameters
        ----------
        maps : ndarray of shape (n_bias, H, W)
            Conductance maps (any units; each map is standardized).
        kf_per_px : float, optional
            Typical ``k_F`` in rad/pixel (LDOS oscillates as ``cos(2 k_F r)``); estimated
            from the Fourier ring if omitted.
        threshold : float or "auto", optional
            Override of the validated threshold; ``"auto"`` chooses it on simulated maps
            of this input's format (default: ``"auto"`` if ``auto_threshold``, else the
            detector's threshold). ``info["threshold_source"]`` records how.
        rescale : bool
            Resample maps whose ``k_F`` lies outside the trained range.
        source : str, optional
            File name, for messages.
        confirm : bool, optional
            Also keep sites below the threshold that the matched filter confirms
            (:mod:`~specinv.stm.confirm`) and its strong sites a local fit needs where
            the network is silent (:mod:`~specinv.stm.union`); default: ``confirm``.
            ``info["confirmation"]`` and ``info["silent_sites"]`` record the rules.

        Returns
        -------
        Detection
            Peak pixels in the input grid, their scores, the score map and ``info``
            (``companion``: the matched filter's detection when it confirmed sites;
            ``min_distance_px``: least distance between sites, one Friedel period
            ``π / k_F`` for the matched filter, whose side lobes peak there).
        """
        s, info = self.score(maps, kf_per_px=kf_per_px, rescale=rescale, source=source)
        thr, info["threshold_source"] = self._pick_threshold(s, info, threshold)
        z = info["zoom"]
        companion = None
        if self.confirm if confirm is None else confirm:
            if self.model is None:
                raise ValueError("confirmation by the matched filter needs a network detector")
            from specinv.stm.confirm import confirmed_sites
            from specinv.stm.union import add_silent_sites

            companion = Detector.classical(tile=self.tile, min_bias=self.min_bias).detect(
                maps, kf_per_px=kf_per_px, source=source)
            pos, val, info["confirmation"] = confirmed_sites(
                s, thr, self.min_distance, companion.score_map, z)
        else:
            info["min_distance_px"] = self._peak_distance(info)
            pos, val = find_peaks(s, thr, info["min_distance_px"])
        if z != 1.0:
            pos = np.clip(np.round((pos + 0.5) / z - 0.5).astype(int), 0,
                          np.subtract(np.shape(maps)[1:], 1))
        if companion is not None:
            pos, val, info["silent_sites"] = add_silent_sites(pos, val, s, thr, z, companion, maps)
        info["threshold"] = thr
        return Detection(pos, val, s, info, companion=companion)

    # -- persistence -----------------------------------------------------------------
    def _settings(self) -> dict:
        return {"threshold": self.threshold, "tile": self.tile, "overlap": self.overlap,
                "kf_range": list(self.kf_range), "max_bias": self.max_bias,
                "min_bias": self.min_bias, "min_distance": self.min_distance}

    def save(self, path: str | Path, recipe: str = "specinv stm train") -> Path:
        """Write ``PATH.pt`` (weights) and ``PATH.json`` (settings, training metadata, checksum).

        Parameters
        ----------
        path : str or Path
            Path stem (any suffix is replaced).
        recipe : str
            The script or command that trained the detector (recorded in the metadata).

        Returns
        -------
        Path
            The ``.pt`` file.
        """
        if self.model is None:
            raise ValueError("the classical detector has no weights to save")
        meta = {"model": {"kind": self.model.kind, "config": self.model.config},
                "detector": self._settings(), "training": self.metadata}
        return save_torch(Path(path).with_suffix(".pt"), self.model.state_dict(), meta,
                          kind=WEIGHTS_KIND, recipe=recipe)

    @classmethod
    def load(cls, path: str | Path) -> Detector:
        """Load a detector saved by :meth:`save` (``PATH.pt`` + ``PATH.json``).

        Parameters
        ----------
        path : str or Path
            Path stem or the ``.pt`` file.

        Returns
        -------
        Detector
            The network with its stored settings (threshold, tile, overlap, k_F range,
            bias limits, peak distance), training metadata and ``confirm`` on.

        Raises
        ------
        InputError
            Any file that is not a detector's weights with their metadata.
        """
        p = Path(path) if Path(path).suffix == ".pt" else Path(path).with_suffix(".pt")
        state, meta = load_torch(p, WEIGHTS_KIND)
        try:
            # files written before padding_mode was recorded were trained with zero padding
            # (ensembles, introduced later, record it for every member)
            kind, config = meta["model"]["kind"], meta["model"]["config"]
            if kind != "ensemble":
                config = {"padding_mode": "zeros", **config}
            model = build_model(kind, **config)
            d = meta["detector"]
            settings = {k: d[k] for k in ("threshold", "tile", "overlap", "kf_range",
                                          "max_bias", "min_bias", "min_distance")}
            detector = cls(model, metadata=meta.get("training", {}), confirm=True, **settings)
        except (KeyError, TypeError, ValueError, IndexError):
            raise InputError("metadata lacks a valid detector model or settings",
                             display(p)) from None
        load_state(model, state, p)
        return detector

    @classmethod
    def classical(cls, threshold: float | None = None, **settings: object) -> Detector:
        """The matched-filter baseline wrapped in the same pipeline.

        Parameters
        ----------
        threshold : float, optional
            Score threshold of the peaks (log energy); by default chosen on every map
            from its own peak scores (:func:`~specinv.stm.classical.robust_threshold`).
        **settings
            Other keyword options of :class:`Detector` (``tile``, ``overlap``, ...).

        Returns
        -------
        Detector
            A detector without network.
        """
        thr = float("nan") if threshold is None else threshold
        return cls(None, threshold=thr, **settings)  # type: ignore[arg-type]


def default_model_path() -> Path:
    """Path (without suffix) of the pretrained model shipped with the package.

    Returns
    -------
    Path
        ``specinv/data/stm/`` and the model's stem; ``.pt`` and ``.json`` beside it.
    """
    return shipped("stm", DEFAULT_MODEL)


def load_default() -> Detector:
    """The pretrained attention detector shipped in ``specinv/data/stm``.

    Returns
    -------
    Detector
        The shipped detector.

    Raises
    ------
    InputError
        The shipped weights are missing.
    """
    p = default_model_path()
    if not p.with_suffix(".pt").is_file():
        raise InputError("the shipped default model is missing; train one with "
                         "`specinv stm train --default`", str(p))
    return Detector.load(p)
