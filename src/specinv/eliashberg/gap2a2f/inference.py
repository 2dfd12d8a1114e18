"""Inference for users: read Δ(ω), check the model's domain, interpolate, predict.

A gap file is a table with the header ``omega_meV,re_delta_meV,im_delta_meV``
on any increasing ω mesh that covers the model's mesh (0 … 35 meV for the
shipped model). Inputs outside the model's domain are refused with an
:class:`~specinv.core.errors.InputError` / :class:`~specinv.core.errors.ParameterError`
instead of being answered:

- ω range not covering the model's mesh (the first point may be at most
  ``OMEGA_LO_TOL`` meV above its start and the last at most ``OMEGA_HI_TOL``
  meV below its end, e.g. a cell-centred mesh; Δ is held constant beyond);
- a temperature differing from the training temperature by more than 5 %;
- no gap (Re Δ at the lowest ω below 0.01 meV) or a gap edge outside the
  training range (± 25 %);
- more than 5 % of the interpolated features outside the training envelope
  (per-feature min/max widened by 10 % of their range).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.eliashberg.gap2a2f.data import features
from specinv.eliashberg.gap2a2f.model import Regressor
from specinv.io.table import read_columns
from specinv.learning.weights import shipped_files

COLUMNS = ("omega_meV", "re_delta_meV", "im_delta_meV")
OMEGA_LO_TOL = 0.5
OMEGA_HI_TOL = 0.25
T_REL_TOL = 0.05
MIN_GAP_MEV = 0.01


def default_model_paths() -> list[Path]:
    """Shipped model files (``specinv/data/gap2a2f/member_*.npz``), sorted.

    Returns
    -------
    list of Path
        The ensemble members shipped with the package (empty when none is installed).
    """
    return shipped_files("gap2a2f", "member_", ".npz")


def load_models(paths: list[str | Path] | None = None) -> list[Regressor]:
    """Load the given model files (an ensemble) or the shipped default ones.

    Parameters
    ----------
    paths : list of str or Path, optional
        Model files (default: :func:`default_model_paths`).

    Returns
    -------
    list of Regressor
        The members, all taking Δ(ω) on the same mesh.

    Raises
    ------
    InputError
        No model found, or members with different inputs.
    """
    ps = [Path(p) for p in paths] if paths else default_model_paths()
    if not ps:
        raise InputError("no shipped model found; train one with "
                         "'python -m specinv.eliashberg.gap2a2f.train_default'",
                         "specinv/data/gap2a2f")
    models = [Regressor.load(p) for p in ps]
    ref = models[0].meta
    for p, m in zip(ps, models, strict=True):
        if m.meta.get("input") != "gap" or m.meta.get("omega") != ref.get("omega"):
            raise InputError("ensemble members must all take Δ(ω) on the same mesh", str(p))
    return models


def read_gap(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ω (meV) and complex Δ(ω) (meV) from a gap file.

    Parameters
    ----------
    path : str or Path
        Text table ``omega_meV, re_delta_meV, im_delta_meV`` (header optional).

    Returns
    -------
    omega : ndarray of shape (n,)
        Energies (meV), increasing.
    delta : ndarray of shape (n,), complex
        Gap Δ(ω) (meV).

    Raises
    ------
    InputError
        Missing header columns, fewer than 3 columns, unsorted ω.
    """
    table, header = read_columns(path, min_columns=3, names=COLUMNS)
    if header is None:
        cols = [0, 1, 2]
    else:
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InputError(f"header must contain {','.join(COLUMNS)}; missing "
                             f"{','.join(missing)} (found {','.join(header)})", str(path))
        cols = [header.index(c) for c in COLUMNS]
    w = table[:, cols[0]]
    if w.size < 10:
        raise InputError(f"need at least 10 ω points, found {w.size}", str(path))
    if np.any(np.diff(w) <= 0):
        raise InputError("omega_meV must be strictly increasing", str(path))
    return w, table[:, cols[1]] + 1j * table[:, cols[2]]


def interpolate_gap(omega: np.ndarray, delta: np.ndarray, mesh: np.ndarray, *,
                    source: str = "gap") -> np.ndarray:
    """Δ on ``mesh`` by linear interpolation, after checking that ``omega`` covers it.

    Parameters
    ----------
    omega : ndarray of shape (n,)
        Energies of the input (meV), increasing.
    delta : ndarray of shape (n,), complex
        Gap Δ(ω) (meV).
    mesh : ndarray of shape (m,)
        The model's mesh (meV).
    source : str
        File name, for messages.

    Returns
    -------
    ndarray of shape (m,), complex
        Δ on ``mesh`` (meV).

    Raises
    ------
    InputError
        ``omega`` does not cover ``mesh``.
    """
    lo, hi = float(mesh[0]), float(mesh[-1])
    if omega[0] > lo + OMEGA_LO_TOL or omega[-1] < hi - OMEGA_HI_TOL:
        raise InputError(f"ω covers {omega[0]:.4g} … {omega[-1]:.4g} meV, but the model "
                         f"needs Δ(ω) on {lo:.4g} … {hi:.4g} meV (first point at most "
                         f"{lo + OMEGA_LO_TOL:.3g} meV, last at least "
                         f"{hi - OMEGA_HI_TOL:.4g} meV)", source)
    return np.interp(mesh, omega, delta.real) + 1j * np.interp(mesh, omega, delta.imag)


def domain_stats(x_train: np.ndarray, delta0: np.ndarray) -> dict[str, Any]:
    """Statistics stored with a model for :func:`check_domain`.

    Parameters
    ----------
    x_train : ndarray of shape (S, n_in)
        Training inputs.
    delta0 : ndarray of shape (S,)
        Re Δ at the lowest ω of each training sample (meV).

    Returns
    -------
    dict
        ``x_min``, ``x_max`` (per feature) and the range of ``delta0`` (meV).
    """
    return {"x_min": x_train.min(axis=0).tolist(), "x_max": x_train.max(axis=0).tolist(),
            "delta_low_min_meV": float(np.min(delta0)),
            "delta_low_max_meV": float(np.max(delta0))}


def check_domain(model: Regressor, delta: np.ndarray, temperature_K: float, *,
                 source: str = "gap") -> dict[str, Any]:
    """Refuse inputs the model was not trained for; returns the figures checked.

    Parameters
    ----------
    model : Regressor
        Model whose stored domain is checked against.
    delta : ndarray of shape (n_omega,), complex
        Δ on the model's mesh (meV).
    temperature_K : float
        Temperature of the measurement (K).
    source : str
        File name, for messages.

    Returns
    -------
    dict
        ``delta_low_meV``, ``fraction_outside_envelope``, ``temperature_K`` and
        ``model_temperature_K``.

    Raises
    ------
    ParameterError
        Temperature outside the model's.
    InputError
        No gap, gap outside the training range, or Δ(ω) outside the training envelope.
    """
    meta = model.meta
    t_model = float(meta["temperature_K"])
    if not np.isfinite(temperature_K) or abs(temperature_K / t_model - 1) > T_REL_TOL:
        raise ParameterError(
            f"--temperature {temperature_K:g} K is outside the model's domain: it was trained "
            f"at T = {t_model:g} K (±{100 * T_REL_TOL:.0f} %); Eliashberg scaling maps "
            f"(ω, T) -> (sω, sT), so rescale the energies or train a model at this T")
    d_low = float(delta.real[0])
    if d_low < MIN_GAP_MEV:
        raise InputError(f"no superconducting gap: Re Δ at the lowest ω is {d_low:.3g} meV "
                         f"(< {MIN_GAP_MEV} meV); the model needs a gapped Δ(ω)", source)
    lo, hi = meta["domain"]["delta_low_min_meV"], meta["domain"]["delta_low_max_meV"]
    if not 0.75 * lo <= d_low <= 1.25 * hi:
        raise InputError(f"Re Δ(ω→0) = {d_low:.3g} meV is outside the training range "
                         f"{lo:.3g} … {hi:.3g} meV (±25 %)", source)
    x = features(delta[None, :], None, "gap")[0]
    xmin, xmax = np.asarray(meta["domain"]["x_min"]), np.asarray(meta["domain"]["x_max"])
    pad = 0.1 * (xmax - xmin) + 1e-6
    outside = float(np.mean((x < xmin - pad) | (x > xmax + pad)))
    if outside > 0.05:
        raise InputError(f"{100 * outside:.0f} % of the Δ(ω) values lie outside the training "
                         "envelope (> 5 %); this gap function is not of the kind the model "
                         "was trained on", source)
    return {"delta_low_meV": d_low, "fraction_outside_envelope": outside,
            "temperature_K": float(temperature_K), "model_temperature_K": t_model}


def predict_gap(models: list[Regressor], omega: np.ndarray, delta: np.ndarray,
                temperature_K: float, *, source: str = "gap"
                ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Interpolate, check the domain and predict α²F (mean and std over members).

    The ensemble mean is projected onto α²F ≥ 0 (negative network output set to
    0), which is the spectrum the physics check re-solves and whose λ the moment
    loss trained (the raw output can dip below 0 near Ω → 0, where the 1/Ω weight
    of λ is large).

    Parameters
    ----------
    models : list of Regressor
        Ensemble members.
    omega : ndarray of shape (n,)
        Energies of the input (meV).
    delta : ndarray of shape (n,), complex
        Input gap Δ(ω) (meV).
    temperature_K : float
        Temperature of the measurement (K).
    source : str
        File name, for messages.

    Returns
    -------
    a2f : ndarray of shape (n_a2f,)
        max(mean over members, 0).
    a2f_std : ndarray of shape (n_a2f,) or None
        Ensemble standard deviation (None for one model).
    info : dict
        Domain-check figures and the interpolated Δ (key ``delta_mesh``).
    """
    mesh = np.asarray(models[0].meta["omega"], dtype=float)
    d = interpolate_gap(omega, delta, mesh, source=source)
    info = check_domain(models[0], d, temperature_K, source=source)
    x = features(d[None, :], None, "gap")
    preds = np.stack([m.predict(x)[0] for m in models])
    std = preds.std(axis=0, ddof=1) if len(models) > 1 else None
    info["delta_mesh"] = d
    return np.clip(preds.mean(axis=0), 0.0, None), std, info
