"""``specinv optics drude`` and ``optics kk``: from measured spectra to 1/τ(ω).

``drude``: σ₁, σ₂ (or ε₁, ε₂, or n, k) → extended Drude 1/τ(ω) and m*/m(ω)
(:mod:`specinv.optics.drude`). ``kk``: reflectivity R(ω) → phase, ε, σ by
Kramers–Kronig with recorded extrapolations (:mod:`specinv.optics.kk`). Their
outputs (columns ``omega_meV, inv_tau_meV, ...`` and ``omega_meV, sigma1, sigma2,
...``) are read by ``optics invert`` as they are; :func:`scattering_rate_input`
does that and chains ``--from sigma|epsilon|n`` through the Drude analysis.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError, ParameterError
from specinv.core.units import CM1_PER_MEV
from specinv.io.output import table_outputs
from specinv.optics.drude import INPUT_KINDS
from specinv.optics.optical_io import UNITS

SOURCES = ("auto", "rate", *INPUT_KINDS)
#: rms misfit of R above which the Drude–Lorentz extrapolation is warned about
BAD_FIT = 0.005


def add_drude_arguments(p: argparse.ArgumentParser) -> None:
    """The ω_p and ε_∞ options shared by ``drude`` and ``invert --from sigma``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        Parser to extend.
    """
    g = p.add_mutually_exclusive_group()
    g.add_argument("--plasma-frequency", type=float, default=None, metavar="WP",
                   help="plasma frequency ω_p of the carriers, in --unit (default: from the "
                        "f-sum rule)")
    g.add_argument("--sum-rule-cutoff", type=float, default=None, metavar="WC",
                   help="upper end of the f-sum rule ω_p² = (2/π)∫₀^WC ω ε₂ dω, in --unit "
                        "(default: the highest ω of the data)")
    p.add_argument("--eps-inf", type=float, default=1.0, metavar="E",
                   help="background dielectric constant ε_∞ of the interband and core "
                        "excitations, dimensionless (default: 1, all of σ is the carriers')")


def register_frontend(osub: argparse._SubParsersAction) -> None:
    """Add ``optics drude`` and ``optics kk``.

    Parameters
    ----------
    osub : argparse._SubParsersAction
        The ``optics`` subcommands.
    """
    p = osub.add_parser("drude", help="extended Drude analysis: σ(ω) -> 1/τ(ω), m*/m(ω)")
    p.add_argument("input", metavar="INPUT",
                   help="three columns: ω and the real and imaginary parts of --input")
    p.add_argument("--input", dest="kind", choices=tuple(INPUT_KINDS), default="sigma",
                   help="columns 2-3: sigma (σ₁, σ₂ in Ω⁻¹cm⁻¹), epsilon (ε₁, ε₂) or n "
                        "(n, k) (default: sigma)")
    p.add_argument("--unit", choices=tuple(UNITS), default=None,
                   help="unit of ω, --plasma-frequency and --sum-rule-cutoff (default: the "
                        "header's omega_UNIT, else meV)")
    add_drude_arguments(p)
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="ω (meV), 1/τ (meV), m*/m, σ₁, σ₂ (Ω⁻¹cm⁻¹); metadata in OUT.json")
    p.add_argument("--plot", default=None, metavar="FIG.png",
                   help="also draw the input and the result (default: no figure)")
    p.set_defaults(func=_drude)

    p = osub.add_parser("kk", help="Kramers-Kronig of a reflectivity R(ω) -> phase, σ₁, σ₂")
    p.add_argument("input", metavar="INPUT", help="two columns: ω and R (a fraction in (0, 1))")
    p.add_argument("--unit", choices=tuple(UNITS), default=None,
                   help="unit of ω and of --free-electron-onset (default: the header's, "
                        "else meV)")
    p.add_argument("--low", choices=("drude-lorentz", "hagen-rubens"), default="drude-lorentz",
                   help="below the data: a Drude-Lorentz fit to R, or Hagen-Rubens "
                        "R = 1 - A√ω matched at the lowest ω (default: drude-lorentz)")
    p.add_argument("--oscillators", type=int, default=3,
                   help="Lorentz oscillators of the Drude-Lorentz fit, 0-10 (default: 3)")
    p.add_argument("--high-power", type=float, default=None, metavar="S",
                   help="above the data R ∝ ω^-S, dimensionless, 0-6 (default: the log-log "
                        "slope of the top tenth of the data, clipped to 0-4)")
    p.add_argument("--free-electron-onset", type=float, default=None, metavar="W",
                   help="R ∝ ω^-4 above W, in --unit (default: 10× the highest ω)")
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="ω (meV), σ₁, σ₂ (Ω⁻¹cm⁻¹), R, phase (rad), ε₁, ε₂; metadata in "
                        "OUT.json")
    p.add_argument("--plot", default=None, metavar="FIG.png",
                   help="also draw the input and the result (default: no figure)")
    p.set_defaults(func=_kk)


def _energy(name: str, value: float | None, unit: str) -> float | None:
    """A positive finite energy option in meV (None stays None)."""
    if value is None:
        return None
    if not (np.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a positive energy in {unit}, got {value:g}")
    return float(value) * UNITS[unit]


def drude_analysis(path: str, kind: str, unit: str | None, args: argparse.Namespace) -> dict:
    """Read ``path`` and run the extended Drude analysis with the options of ``args``.

    Parameters
    ----------
    path : str
        σ, ε or n table (ω first).
    kind : {"sigma", "epsilon", "n"}
        What the two columns after ω are.
    unit : str or None
        Unit of ω and the ω_p options (None: from the header, else meV).
    args : argparse.Namespace
        With ``plasma_frequency``, ``sum_rule_cutoff``, ``eps_inf``.

    Returns
    -------
    dict
        ``omega``, ``inv_tau`` (meV), ``mass_ratio``, ``sigma`` (complex, Ω⁻¹cm⁻¹) and
        ``meta`` (JSON-ready record of ω_p and ε_∞).
    """
    from specinv.optics import drude
    from specinv.optics.optical_io import read_response

    if not (np.isfinite(args.eps_inf) and 0 < args.eps_inf < 1e4):
        raise ParameterError(f"--eps-inf must lie in (0, 1e4), got {args.eps_inf:g}")
    w, a, b, unit = read_response(path, kind, unit)
    eps = drude.to_epsilon(w, a, b, kind)
    wp = _energy("--plasma-frequency", args.plasma_frequency, unit)
    if wp is None:
        cutoff = _energy("--sum-rule-cutoff", args.sum_rule_cutoff, unit)
        rule = drude.sum_rule_plasma_frequency(w, eps, float(w[-1]) if cutoff is None else cutoff)
        wp, how = rule.plasma_frequency, {"from": "f-sum rule", **rule.to_dict()}
    else:
        how = {"from": "--plasma-frequency", "plasma_frequency_meV": wp}
    inv_tau, mass = drude.extended_drude(w, eps, wp, args.eps_inf)
    for name, v in (("1/τ", inv_tau), ("m*/m", mass)):
        if np.any(v <= 0):
            warnings.warn(f"{name} ≤ 0 at {np.mean(v <= 0):.0%} of the energies "
                          f"(first at ω = {w[np.argmax(v <= 0)]:.4g} meV): check --eps-inf "
                          f"and ω_p = {wp:.4g} meV", stacklevel=2)
    meta = {"input": str(Path(path)), "input_kind": kind, "input_unit": unit,
            "plasma_frequency_meV": wp, "plasma_frequency_cm-1": wp * CM1_PER_MEV,
            "plasma_frequency_source": how, "eps_inf": args.eps_inf,
            "formula": "1/τ = (ω_p²/ω) Im[1/(ε_∞ − ε)], m*/m = (ω_p²/ω²) Re[1/(ε_∞ − ε)]"}
    return {"omega": w, "inv_tau": inv_tau, "mass_ratio": mass, "sigma": drude.to_sigma(w, eps),
            "meta": meta}


def _drude(args: argparse.Namespace) -> int:
    from specinv.io.table import write_table

    table_outputs(args.output, args.plot, inputs=[args.input])
    res = drude_analysis(args.input, args.kind, args.unit, args)
    w = res["omega"]
    cols = {"omega_meV": w, "inv_tau_meV": res["inv_tau"], "mass_ratio": res["mass_ratio"],
            "sigma1_ohm-1cm-1": res["sigma"].real, "sigma2_ohm-1cm-1": res["sigma"].imag}
    extra = []
    if args.plot:
        from specinv.optics.plots_frontend import plot_drude

        extra = [(args.plot, lambda tmp: plot_drude(tmp, res, Path(args.input).name))]
    write_table(args.output, cols, {"command": "optics drude", **res["meta"]}, extra=extra)
    wp = res["meta"]["plasma_frequency_meV"]
    print(f"wrote {args.output}: ω_p = {wp:.4g} meV ({wp * CM1_PER_MEV:.4g} cm-1, "
          f"{res['meta']['plasma_frequency_source']['from']}), 1/τ = "
          f"{np.min(res['inv_tau']):.4g} … {np.max(res['inv_tau']):.4g} meV")
    return 0


def _kk(args: argparse.Namespace) -> int:
    from specinv.io.table import write_table
    from specinv.optics import kk
    from specinv.optics.optical_io import read_reflectivity

    table_outputs(args.output, args.plot, inputs=[args.input])
    if args.high_power is not None and not 0 <= args.high_power <= 6:
        raise ParameterError(f"--high-power must lie in [0, 6], got {args.high_power:g}")
    if not 0 <= args.oscillators <= 10:
        raise ParameterError(f"--oscillators must lie in 0..10, got {args.oscillators}")
    w, r, unit = read_reflectivity(args.input, args.unit)
    if w.size > kk.MAX_POINTS:
        raise InputError(f"{w.size} rows: the Kramers-Kronig integral costs (rows)² "
                         f"operations; resample the spectrum to at most {kk.MAX_POINTS} points",
                         args.input)
    ext = kk.Extrapolation(low=args.low, high_power=args.high_power, oscillators=args.oscillators,
                        onset=_energy("--free-electron-onset", args.free_electron_onset, unit))
    theta = kk.reflectivity_phase(w, r, ext)
    oc = kk.optical_constants(w, r, theta)
    fit = ext.details.get("drude_lorentz", {}).get("rms_R", 0.0)
    if fit > BAD_FIT:
        warnings.warn(f"the Drude-Lorentz fit misses R by {fit:.2g} rms: the extrapolation "
                      "below the data is uncertain (try more --oscillators or --low "
                      "hagen-rubens)", stacklevel=2)
    sig, eps = oc["sigma"], oc["epsilon"]
    if np.any(sig.real < 0):
        warnings.warn(f"σ₁ < 0 at {np.mean(sig.real < 0):.0%} of the energies: the "
                      "extrapolations do not fit these data", stacklevel=2)
    cols = {"omega_meV": w, "sigma1_ohm-1cm-1": sig.real, "sigma2_ohm-1cm-1": sig.imag,
            "R": r, "phase_rad": theta, "epsilon1": eps.real, "epsilon2": eps.imag}
    meta = {"command": "optics kk", "input": str(Path(args.input)), "input_unit": unit,
            "convention": "r = (N-1)/(N+1) = √R exp(iθ), ε = N², σ = ω(ε-1)/(4πi)",
            "extrapolation": ext.to_dict()}
    extra = []
    if args.plot:
        from specinv.optics.plots_frontend import plot_kk

        extra = [(args.plot, lambda tmp: plot_kk(tmp, w, r, theta, sig, ext,
                                                 Path(args.input).name))]
    write_table(args.output, cols, meta, extra=extra)
    print(f"wrote {args.output}: {w.size} points, below the data {args.low}, above "
          f"ω^-{ext.details['high_power_used']:.3g} to {ext.details['onset_used_meV']:.4g} meV "
          "then ω^-4")
    return 0


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """``--from`` and the Drude options of ``optics invert``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``invert`` parser.
    """
    p.add_argument("--from", dest="source", choices=SOURCES, default="auto",
                   help="what INPUT holds: rate (ω, 1/τ), or sigma (ω, σ₁, σ₂ in Ω⁻¹cm⁻¹), "
                        "epsilon or n, turned into 1/τ by the extended Drude analysis "
                        "(default auto: sigma when the header's column 2 is sigma1..., as in "
                        "the output of optics kk, else rate)")
    add_drude_arguments(p)


def scattering_rate_input(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, dict]:
    """ω and 1/τ (meV) for ``optics invert``: read, or derived by the Drude analysis.

    Parameters
    ----------
    args : argparse.Namespace
        ``input``, ``source``, ``unit`` and the Drude options.

    Returns
    -------
    omega : ndarray of shape (n,)
        Photon energies (meV), increasing.
    rate : ndarray of shape (n,)
        1/τ(ω) (meV).
    meta : dict
        ``from`` (what INPUT held), ``input_unit`` and, when it ran, ``drude``.
    """
    from specinv.io.table import read_columns
    from specinv.optics.optical_io import read_scattering_rate, resolve_unit

    _, header = read_columns(args.input, min_columns=2, names=("omega", "1/tau"))
    unit = resolve_unit(args.unit, header, args.input)
    source = args.source
    if source == "auto":
        second = header[1].lower() if header and len(header) > 1 else ""
        source = "sigma" if second.startswith("sigma1") else "rate"
    if source != "rate":
        res = drude_analysis(args.input, source, unit, args)
        return res["omega"], res["inv_tau"], {"from": source, "input_unit": unit,
                                              "drude": res["meta"]}
    drude_given = (args.plasma_frequency, args.sum_rule_cutoff)
    if any(v is not None for v in drude_given) or args.eps_inf != 1.0:
        raise ParameterError("--plasma-frequency, --sum-rule-cutoff and --eps-inf apply to "
                             "--from sigma|epsilon|n; INPUT is read as 1/τ(ω) (--from rate)")
    w, g = read_scattering_rate(args.input, unit)
    return w, g, {"from": "rate", "input_unit": unit}
