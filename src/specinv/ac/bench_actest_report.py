"""Figure and JSON of ``specinv bench ac --suite actest`` (:mod:`specinv.ac.bench_actest`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: methods drawn as example spectra (when present)
DRAWN = ("maxent_default", "maxent_posterior_flat_model", "ana_cont_historic",
         "triqs_maxent_guide_chi2curvature")


def json_default(x: Any) -> Any:
    """``json.dumps`` hook: numpy arrays as lists, numpy scalars as Python numbers.

    Parameters
    ----------
    x : Any
        An object ``json`` cannot write.

    Returns
    -------
    Any
        Its plain-Python form.

    Raises
    ------
    TypeError
        For anything else.
    """
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(type(x).__name__)


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Write ``report`` atomically as JSON (arrays as lists, NaN as null).

    Parameters
    ----------
    path : Path
        Output file.
    report : dict
        The suite's report.
    """
    from specinv.io.atomic import atomic_path

    text = json.dumps(report, indent=1, default=json_default).replace("NaN", "null")
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")


def figure(path: Path, report: dict[str, Any]) -> None:
    """Scores per method and noise level (one row per set), and example spectra.

    Parameters
    ----------
    path : Path
        Output PNG.
    report : dict
        The suite's report (``sets`` -> noise level -> ``methods``, ``spectra``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specinv.io.atomic import atomic_path

    sets = report["sets"]
    fig, axes = plt.subplots(len(sets), 2, figsize=(15, 4.8 * len(sets)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.4, 1]})
    for row, (set_name, levels) in zip(axes, sets.items(), strict=True):
        names = sorted({m for lv in levels.values() for m in lv["methods"]})
        width = 0.8 / max(len(levels), 1)
        for k, (sigma, lv) in enumerate(levels.items()):
            f = [lv["methods"].get(n, {}).get("f", 0.0) for n in names]
            row[0].bar(np.arange(len(names)) + k * width, f, width, label=f"σ = {sigma}")
        row[0].set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=70,
                          fontsize=6, ha="right")
        n_spectra = len(next(iter(next(iter(levels.values()))["methods"].values()))["err"])
        row[0].axhline(n_spectra, color="k", lw=0.5)
        row[0].set_ylabel(f"f = Σ max(0, 1 − Err)  (of {n_spectra})")
        row[0].set_title(f"{set_name}", fontsize=9)
        row[0].legend(fontsize=7)
        _examples(row[1], levels)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def _examples(ax: Any, levels: dict[str, Any]) -> None:
    """Kept spectra of the middle noise level, offset vertically."""
    sigma, lv = next(((s, v) for s, v in levels.items() if v["spectra"]), (None, None))
    if lv is None:
        return
    for j, (idx, spectra) in enumerate(lv["spectra"].items()):
        off = 0.8 * j
        w, a = spectra["reference"]
        ax.plot(w, np.asarray(a) + off, "k-", lw=1.8, alpha=0.4,
                label="exact" if j == 0 else None)
        for c, name in enumerate(DRAWN):
            if name in spectra:
                w, a = spectra[name]
                ax.plot(w, np.asarray(a) + off, "-", lw=0.9, color=f"C{c}",
                        label=name if j == 0 else None)
        ax.text(-7.5, off + 0.05, f"#{int(idx) + 1}", fontsize=7)
    ax.set_xlim(-8, 8)
    ax.set_xlabel("ω")
    ax.set_title(f"examples at σ = {sigma} (offset)", fontsize=9)
    ax.legend(fontsize=6)
