"""``specinv conductivity``: Λ(τ) at ten temperatures → σ(ω) (seed 003 format)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from specinv.core.errors import InputError
from specinv.io.options import positive_float
from specinv.io.output import check_output_dir, table_outputs
from specinv.io.report import add_verdict_argument, report_verdict
from specinv.io.table import printable

#: what ``conductivity predict`` reads, for messages
EXPECTED = "an .npz with 'x' (or 'lambda') of shape (n, 10, 200) or (10, 200)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``conductivity predict | train`` to the ``specinv`` subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``specinv`` subcommands.
    """
    parser = sub.add_parser("conductivity", help="imaginary-time currents -> conductivity",
                            description="Seed-003 pipeline: network + Drude least squares.")
    csub = parser.add_subparsers(dest="cond_command", metavar="SUBCOMMAND", required=True)
    p = csub.add_parser("predict", help="σ_T(ω) from Λ_T(τ) arrays (n, 10, 200) in an .npz",
                        description="INPUT.npz holds 'x' (or 'lambda') of shape (n, 10, 200) or "
                                    "(10, 200): T = 0.1..1.0, τ_k = (k + 1/2)/(200 T).")
    p.add_argument("input", metavar="INPUT.npz",
                   help=".npz with 'x' (or 'lambda') of shape (n, 10, 200) or (10, 200)")
    p.add_argument("--output", required=True, metavar="OUT.csv",
                   help="CSV output example,temperature,omega,sigma (+ OUT.json)")
    p.add_argument("--no-refine", action="store_true",
                   help="network answer only (skip the least-squares Drude refinement)")
    p.add_argument("--rel-noise", type=positive_float, default=1e-3,
                   help="relative error of Λ used to weight the refinement (default "
                        "%(default)s)")
    p.add_argument("--weights", default=None, help="model weights (default: shipped)")
    p.add_argument("--fallback", choices=("maxent", "none"), default="maxent",
                   help="examples whose Drude answer misses the data (chi2/N > 2) are "
                        "continued per temperature by MaxEnt with the network's sigma as default "
                        "model; the better fit is kept (default maxent)")
    add_verdict_argument(p)
    p.set_defaults(func=_predict)
    t = csub.add_parser("train", help="retrain the shipped model (writes .pt + .json)")
    t.add_argument("--output", required=True, metavar="DIR",
                   help="directory for the weights (.pt) and their recipe (.json)")
    t.add_argument("--cache", default=None, metavar="DIR",
                   help="data-set cache directory (default: none, data rebuilt)")
    t.set_defaults(func=_train)


def read_lambda(path: str) -> np.ndarray:
    """Λ inputs from an ``.npz`` (key ``x``, ``lambda`` or its only array).

    Parameters
    ----------
    path : str
        ``.npz`` file.

    Returns
    -------
    ndarray of shape (n, 10, 200)
        Λ_T(τ) at T = 0.1 … 1.0 and τ_k = (k + 1/2)/(200 T); finite and > 0.

    Raises
    ------
    InputError
        Not an ``.npz``, no such array, wrong shape, non-finite or non-positive values.
    """
    from specinv.io.arrays import load_arrays

    arrays = load_arrays(path, EXPECTED)
    keys = [k for k in ("x", "lambda") if k in arrays] or list(arrays)
    if len(keys) != 1:
        raise InputError(f"expected one array named 'x' or 'lambda' ({EXPECTED}); found "
                         f"{len(arrays)} arrays", path)
    x = arrays[keys[0]]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (10, 200):
        raise InputError(f"array {printable(keys[0])} must have shape (n, 10, 200) or "
                         "(10, 200): ten temperatures 0.1..1.0 × 200 τ midpoints; "
                         f"got {x.shape}", path)
    if np.any(x <= 0):
        raise InputError(f"array {printable(keys[0])} must be > 0 (Λ(τ) is positive)", path)
    return x


def _predict(args: argparse.Namespace) -> int:
    table_outputs(args.output, inputs=[args.input, args.weights])
    x = read_lambda(args.input)
    from specinv.ac.conductivity.data import EVAL_OMEGA, TEMPERATURES, lambda_inputs
    from specinv.ac.conductivity.pretrained import load_pretrained, predict
    from specinv.ac.conductivity.refine import label_sigma_on
    from specinv.core.check import check_map
    from specinv.io.table import write_table

    model = load_pretrained(args.weights)
    labels, infos = predict(x, refine=not args.no_refine, rel_noise=args.rel_noise, model=model)
    sig = np.stack([label_sigma_on(EVAL_OMEGA, lab) for lab in labels])  # (n, 10, n_w)
    chi2 = _chi2(x, lambda_inputs(labels), args.rel_noise)
    used = np.array(["network" + ("" if args.no_refine else "+drude-fit")] * len(x), dtype=object)
    if args.fallback == "maxent":
        _fallback(x, labels, args.rel_noise, sig, chi2, used)
    check = check_map(chi2, sigma_given=True, item="example")
    n, nt, nw = sig.shape
    cols = {"example": np.repeat(np.arange(n), nt * nw),
            "temperature": np.tile(np.repeat(TEMPERATURES, nw), n),
            "omega": np.tile(EVAL_OMEGA, n * nt), "sigma": sig.ravel()}
    meta = {"command": "conductivity predict", "input": str(Path(args.input)),
            "refined": not args.no_refine, "rel_noise": args.rel_noise,
            "weights": args.weights or "shipped attention_element_mixed.pt",
            "labels_alpha_gamma0_gamma1": labels.tolist(), "refinement": infos,
            "fallback": args.fallback, "method_used": used.tolist(),
            "sigma_normalization": "(1/pi) * integral sigma d omega = 1 per temperature",
            "check": check.to_dict()}
    write_table(args.output, cols, meta)
    print(f"wrote {args.output}: {n} example(s) × 10 temperatures × {nw} frequencies")
    return report_verdict(check, args)


def _chi2(x: np.ndarray, fit: np.ndarray, rel_noise: float) -> np.ndarray:
    """``χ²/N`` of each example: its Λ_T(τ) of the answer against the input, with the
    relative error ``rel_noise`` the user states (the refinement's own weights)."""
    sigma = rel_noise * np.maximum(np.abs(x), 1e-300)
    return np.mean(((fit - x) / sigma) ** 2, axis=(1, 2))


def _fallback(x: np.ndarray, labels: np.ndarray, rel_noise: float, sig: np.ndarray,
              chi2: np.ndarray, used: np.ndarray) -> None:
    """Re-continue the examples whose Drude answer fails its check, in place.

    MaxEnt per temperature with the network's σ_T as default model keeps what of the
    network's answer the data do not contradict; its σ replaces the Drude one when it
    fits better.
    """
    from specinv.ac.conductivity.refine import refine_maxent
    from specinv.core.check import CHI2_OK

    for e in np.flatnonzero(~(chi2 <= CHI2_OK[1])):
        s, c = refine_maxent(x[e], None, rel_noise=rel_noise, default_label=labels[e],
                             return_chi2=True)
        if c.mean() < chi2[e]:
            sig[e], chi2[e], used[e] = s, c.mean(), "network+maxent"


def _train(args: argparse.Namespace) -> int:
    from specinv.ac.conductivity.pretrained import train_shipped

    check_output_dir("--output", args.output)
    if args.cache is not None:
        check_output_dir("--cache", args.cache)
    meta = train_shipped(args.output, cache_dir=args.cache)
    print(f"trained in {meta['train_wall_time_s']:.1f} s; wrote {args.output}")
    return 0
