"""Transfer part of ``specinv bench stm``: detectors on the independent test generator.

Every detector is scored with its own threshold (what a user gets) on maps of
:mod:`~specinv.stm.independent` at each format of :data:`~specinv.stm.independent.
FORMATS`; beside it, the matched filter told the true Green's function (true ``k`` of
every bias, templates with a surface and a subsurface cut-off, the larger response
kept), whose threshold is chosen on separate labelled maps of the same format (an
advantage no real detector has). Seeds: calibration maps 31000+, test maps 32000+.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specinv.stm.independent import (
    FORMATS,
    IndependentConfig,
    oracle_green_scores,
    simulate_independent,
)

#: cut-offs (Å) of the oracle's two template families: surface and subsurface scatterers
ORACLE_CUTS_A = (1.5, 8.5)
CAL_SEED, TEST_SEED = 31000, 32000


def independent_sets(n_maps: dict[int, int]) -> dict[str, dict[str, list[dict]]]:
    """Calibration and test maps per format.

    Parameters
    ----------
    n_maps : dict
        Map side (pixels) → number of calibration maps and, separately, of test maps.

    Returns
    -------
    dict
        ``"SIZExSIZExNBIAS"`` → ``{"calibration": [...], "test": [...]}`` of
        :func:`~specinv.stm.independent.simulate_independent` outputs.
    """
    out = {}
    for size, nb in FORMATS:
        cfg = IndependentConfig(size=size, n_bias=nb)
        n = n_maps[size]
        out[f"{size}x{size}x{nb}"] = {
            "calibration": [simulate_independent(CAL_SEED + i, cfg) for i in range(n)],
            "test": [simulate_independent(TEST_SEED + i, cfg) for i in range(n)]}
    return out


def _oracle_peaks(d: dict, min_distance: float, cuts_A: tuple[float, ...]
                  ) -> tuple[np.ndarray, np.ndarray]:
    from specinv.stm.tiling import find_peaks

    pixel = d["params"]["pixel_A"]
    s = np.max([oracle_green_scores(d["maps"], d["kf_per_px"], c / pixel)
                for c in cuts_A], axis=0)
    # like the map's own matched filter: maxima a Friedel period from a stronger one
    # are the filter's side lobes (here at the true k_F)
    period = float(np.pi / np.median(d["kf_per_px"]))
    return find_peaks(s, -np.inf, max(min_distance, period))


def oracle_scores(sets: dict, min_distance: float = 2.0,
                  cuts_A: tuple[float, ...] = ORACLE_CUTS_A) -> dict[str, dict]:
    """The true-Green's-function matched filter per format (threshold from calibration maps).

    Parameters
    ----------
    sets : dict
        Output of :func:`independent_sets`.
    min_distance : float
        Least distance of two peaks (pixels), as in the detectors; at least one Friedel
        period ``π / k_F`` at the true ``k_F``, as in the map's own matched filter.
    cuts_A : tuple of float
        Cut-offs of the template families (Å); the larger response is kept.

    Returns
    -------
    dict
        Format → pooled recall/precision/F1 on the test maps and the threshold.
    """
    from specinv.stm.evaluate import best_threshold, pooled_at

    out = {}
    for key, s in sets.items():
        peaks = {part: [_oracle_peaks(d, min_distance, cuts_A) for d in s[part]]
                 for part in ("calibration", "test")}
        thr, _ = best_threshold(peaks["calibration"], [d["positions"] for d in s["calibration"]])
        out[key] = {**pooled_at(peaks["test"], [d["positions"] for d in s["test"]], thr),
                    "threshold": thr}
    return out


def detector_scores(detector: Any, sets: dict) -> dict[str, dict]:
    """Pooled scores of ``detector`` with its own threshold, per format and in total.

    Parameters
    ----------
    detector : Detector
        Network or classical detector.
    sets : dict
        Output of :func:`independent_sets`.

    Returns
    -------
    dict
        Format → pooled recall/precision/F1 (within 1 px) on the test maps, with the
        scores on subsurface scatterers alone (``recall_buried``); ``"all"`` pools
        every format.
    """
    from specinv.stm.metrics import detection_scores, match_points, pooled_scores

    out: dict[str, dict] = {}
    every = []
    for key, s in sets.items():
        res, n_bur, hit_bur = [], 0, 0
        for d in s["test"]:
            det = detector.detect(d["maps"])
            res.append(detection_scores(det.positions, d["positions"]))
            _, ti, _ = match_points(det.positions, d["positions"])
            n_bur += int(d["buried"].sum())
            hit_bur += int(d["buried"][ti].sum())
        out[key] = {**pooled_scores(res), "recall_buried": hit_bur / max(n_bur, 1)}
        every += res
    out["all"] = pooled_scores(every)
    return out


def transfer_report(detectors: dict[str, Any], quick: bool) -> dict:
    """Independent-set scores of every detector beside the true-Green's-function filter.

    Parameters
    ----------
    detectors : dict
        Name → detector.
    quick : bool
        Fewer maps (40 × 40: 6, 80 × 80: 2 per part) instead of 12 and 4.

    Returns
    -------
    dict
        ``parameters`` (generator ranges, seeds, map counts, each detector's threshold
        rule), ``oracle_green_filter`` and one entry per detector (see
        :func:`detector_scores`).
    """
    n_maps = {40: 6, 80: 2} if quick else {40: 12, 80: 4}
    sets = independent_sets(n_maps)
    report: dict[str, Any] = {
        "parameters": {"generator": IndependentConfig().to_dict(), "formats": FORMATS,
                       "maps_per_part": n_maps, "seeds": {"calibration": CAL_SEED,
                                                          "test": TEST_SEED},
                       "oracle_cuts_A": ORACLE_CUTS_A, "match_radius_px": 1.0,
                       "n_true_test": {k: int(sum(len(d["positions"]) for d in s["test"]))
                                       for k, s in sets.items()}},
        "oracle_green_filter": oracle_scores(sets)}
    from specinv.stm.confirm import RULE

    report["parameters"]["threshold_rules"] = {
        name: {"threshold": "auto" if det.auto_threshold else det.threshold
               if det.model is not None else "median + 3 robust std of the map's peaks",
               "confirmation": RULE if det.confirm else None}
        for name, det in detectors.items()}
    for name, det in detectors.items():
        report[name] = detector_scores(det, sets)
    report["reliability"] = _reliability(detectors, sets, quick)
    report["deep_buried_family"] = deep_buried_report(detectors, quick)
    return report


#: extra held-out family: deeper subsurface scatterers than any training tile (cut-off
#: 16–22 Å, 2.7–6.3 px at the generator's 3.5–6 Å pixels; the T-matrix training tiles stop
#: at 3.5 px), 70 % of them buried; drawn by the independent generator, never trained on
DEEP_BURIED = {"buried_cut_A": (16.0, 22.0), "p_buried": 0.7}
#: cut-offs (Å) of the oracle's templates on that family
DEEP_ORACLE_CUTS_A = (1.5, 19.0)
DEEP_CAL_SEED, DEEP_TEST_SEED = 35000, 36000


def deep_buried_report(detectors: dict[str, Any], quick: bool) -> dict:
    """Scores on the extra held-out family :data:`DEEP_BURIED` (40 × 40, 26 and 126 biases).

    Parameters
    ----------
    detectors : dict
        Name → detector (each with its own threshold).
    quick : bool
        6 maps per part and format instead of 12.

    Returns
    -------
    dict
        ``parameters``, ``oracle_green_filter`` (templates with
        :data:`DEEP_ORACLE_CUTS_A`, threshold from calibration maps of the family) and
        one entry per detector (see :func:`detector_scores`).
    """
    n = 6 if quick else 12
    sets = {}
    for nb in (26, 126):
        cfg = IndependentConfig(size=40, n_bias=nb, **DEEP_BURIED)
        sets[f"40x40x{nb}"] = {
            "calibration": [simulate_independent(DEEP_CAL_SEED + i, cfg) for i in range(n)],
            "test": [simulate_independent(DEEP_TEST_SEED + i, cfg) for i in range(n)]}
    out: dict[str, Any] = {
        "parameters": {"changes": DEEP_BURIED, "maps_per_part": n,
                       "seeds": {"calibration": DEEP_CAL_SEED, "test": DEEP_TEST_SEED},
                       "oracle_cuts_A": DEEP_ORACLE_CUTS_A,
                       "n_true_test": {k: int(sum(len(d["positions"]) for d in s["test"]))
                                       for k, s in sets.items()}},
        "oracle_green_filter": oracle_scores(sets, cuts_A=DEEP_ORACLE_CUTS_A)}
    for name, det in detectors.items():
        out[name] = detector_scores(det, sets)
    return out


#: seed of the first randomized calibration map (format-free: every format pooled)
RANDOMIZED_CAL_SEED = 34000
#: subsurface core radius (pixels) of every second T-matrix calibration map
BURIED_CORE_PX = (1.0, 3.5)


def tmatrix_calibration_maps(n: int) -> list[dict]:
    """T-matrix calibration maps of the Platt law (seeds 8000+), every second one buried.

    Map ``i`` uses seed ``8000 + i``; odd maps hold subsurface scatterers (core radius
    drawn from :data:`BURIED_CORE_PX`, no central spike), as the run-time threshold's
    calibration maps do (:mod:`~specinv.stm.format_threshold`): a law fitted on surface
    scatterers alone has never seen the mid-score sites a confirmed lower tier adds.

    Parameters
    ----------
    n : int
        Maps.

    Returns
    -------
    list of dict
        :func:`~specinv.stm.tmatrix.simulate_tmatrix` outputs (80 × 80 × 126).
    """
    import dataclasses

    from specinv.stm.tmatrix import TMatrixConfig, simulate_tmatrix

    base, out = TMatrixConfig(), []
    for i in range(n):
        cfg = base
        if i % 2:
            core = float(np.random.default_rng(8000 + i).uniform(*BURIED_CORE_PX))
            cfg = dataclasses.replace(base, r_core_A=core * base.pixel_size_A,
                                      core_amplitude=0.0)
        out.append(simulate_tmatrix(8000 + i, cfg))
    return out


def _reliability(detectors: dict[str, Any], sets: dict, quick: bool) -> dict:
    """Per network: Platt calibration on the project's T-matrix maps (seeds 8000+, every
    second one with subsurface scatterers: :func:`tmatrix_calibration_maps`), and
    Platt and isotonic calibration on randomized maps of every format pooled (seeds
    34000+, subsurface cores included; candidates down to ``WIDE_MARGIN`` below the
    threshold); reliability diagrams on T-matrix test maps
    (9000+) and on the independent set."""
    from specinv.stm.reliability import WIDE_MARGIN, calibrated_reliability, randomized_maps
    from specinv.stm.tmatrix import simulate_tmatrix

    n = 2 if quick else 3
    cal = tmatrix_calibration_maps(2 * n)
    tm = [simulate_tmatrix(9000 + i) for i in range(n)]
    ind = [d for s in sets.values() for d in s["test"]]
    n_rand = {40: 6, 80: 2} if quick else {40: 12, 80: 4}
    rand: tuple[list, list] = ([], [])
    for k, (size, nb) in enumerate(FORMATS):
        m, t = randomized_maps(n_rand[size], size, nb, RANDOMIZED_CAL_SEED + 1000 * k)
        rand[0].extend(m)
        rand[1].extend(t)
    tests = {"tmatrix": ([d["maps"] for d in tm], [d["positions"] for d in tm]),
             "independent": ([d["maps"] for d in ind], [d["positions"] for d in ind])}
    out = {}
    for name, det in detectors.items():
        if det.model is None:
            continue
        c = ([d["maps"] for d in cal], [d["positions"] for d in cal])
        out[name] = {"tmatrix_platt": calibrated_reliability(det, c, tests)["platt"],
                     "randomized": calibrated_reliability(det, rand, tests,
                                                          ("platt", "isotonic"), WIDE_MARGIN),
                     "randomized_margin": WIDE_MARGIN,
                     "tmatrix_calibration": {"maps": 2 * n, "seed": 8000,
                                             "buried_core_px": BURIED_CORE_PX,
                                             "buried": "every second map"},
                     "randomized_maps_per_format": n_rand}
    return out


def print_transfer(report: dict) -> None:
    """One line per detector and format: F1 within 1 px on the independent set.

    Parameters
    ----------
    report : dict
        Output of :func:`transfer_report`.
    """
    for family, rep in (("independent set", report),
                        ("deep-buried family", report.get("deep_buried_family", {}))):
        for name, per in rep.items():
            if name in ("parameters", "reliability", "deep_buried_family"):
                continue
            cells = "  ".join(f"{k} {v['f1']:.3f}" for k, v in per.items())
            print(f"{family}, {name:34s} F1  {cells}")
    for name, r in report.get("reliability", {}).items():
        laws = {"T-matrix Platt": r["tmatrix_platt"], **{
            f"randomized {m}": v for m, v in r["randomized"].items()}}
        for law, v in laws.items():
            t = v["test"]
            print(f"reliability {name}, calibrated on {law}: max |p - frequency| over "
                  f"deciles with >= 20 candidates: T-matrix "
                  f"{t['tmatrix']['max_deviation']:.3f}, independent "
                  f"{t['independent']['max_deviation']:.3f}")


def run_transfer(args: Any, detectors: dict[str, Any], out_dir: Any, t_all: float) -> dict:
    """``bench stm --transfer``: in-distribution figures and the independent sets, no training.

    In-distribution: Friedel maps at η = 0.8 with 126 biases (threshold chosen on the
    first half of the set, F1 on the second, as in the full bench) and the project's
    T-matrix test maps (seeds 9000+) with each detector's own threshold. Then
    :func:`transfer_report` and the detection time of an 80 × 80 × 126 T-matrix map.

    Parameters
    ----------
    args : argparse.Namespace
        ``quick``, ``seed`` and ``friedel_epsilon`` of ``bench stm``.
    detectors : dict
        Name → detector (first one timed).
    out_dir : Path
        Output directory (``stm.json`` is written by the caller).
    t_all : float
        ``time.perf_counter()`` at the start of the bench.

    Returns
    -------
    dict
        The report.
    """
    import time

    from specinv.stm.bench_sets import detection_times, friedel_scores, friedel_sets
    from specinv.stm.evaluate import evaluate
    from specinv.stm.tmatrix import simulate_tmatrix

    n_friedel = 100 if args.quick else 1000
    friedel = friedel_sets(args.friedel_epsilon, n_friedel, keys=("eta0.8_nbias126",))
    tm = [simulate_tmatrix(9000 + i) for i in range(3 if args.quick else 8)]
    indist = {}
    for name, det in detectors.items():
        row = friedel_scores(det, friedel)
        row["tmatrix_threshold_from_model"] = evaluate(
            det, [d["maps"] for d in tm], [d["positions"] for d in tm])
        for v in row.values():
            v.pop("per_map_f1", None)
        indist[name] = row
    first = next(iter(detectors.values()))
    times = detection_times(first, tm[0]["maps"], repeats=3 if args.quick else 5)
    return {"benchmark": "stm", "mode": "transfer", "quick": args.quick, "seed": args.seed,
            "in_distribution": indist, "independent": transfer_report(detectors, args.quick),
            "detection_time_80x80x126_s": {"median": float(np.median(times)), "all": times,
                                           "model": next(iter(detectors))},
            "wall_time_s": time.perf_counter() - t_all}
