"""One bad-input harness over every leaf command of ``specinv``.

The commands come from walking the argparse tree of
:func:`specinv.cli.main.build_parser`, so a command added later is collected by
construction and fails :func:`test_every_command_has_a_recipe` until it gets a
recipe here. Every case must end with exit code 2, exactly one stderr line
``specinv: error: ...`` naming the file or parameter, printable text only, and
no file written anywhere under the test's directory.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from specinv.cli.main import build_parser, main


def leaf_commands() -> list[tuple[str, ...]]:
    """Every command path whose parser has no further subcommands."""

    def walk(p: argparse.ArgumentParser, path: tuple[str, ...]):
        subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield path
            return
        for name, sp in subs[0].choices.items():
            yield from walk(sp, (*path, name))

    return list(walk(build_parser("all"), ()))


# -- valid inputs (each case breaks one thing) --------------------------------------
def _sts_curve(d: Path) -> Path:
    b = np.linspace(-3, 3, 61)
    p = d / "curve.csv"
    np.savetxt(p, np.column_stack([b, 1 + 0.5 * np.exp(-b**2)]), delimiter=",")
    return p


def _sts_map(d: Path) -> Path:
    b = np.linspace(-3, 3, 20)
    p = d / "map.npz"
    np.savez(p, bias_mV=b, didv=np.broadcast_to(1 + 0.5 * np.exp(-b**2), (2, 2, 20)).copy())
    return p


def _rate(d: Path) -> Path:
    w = np.linspace(5, 400, 80)
    p = d / "rate.csv"
    np.savetxt(p, np.column_stack([w, 0.5 * w]), delimiter=",")
    return p


def _sigma(d: Path) -> Path:
    w = np.linspace(5, 400, 80)
    s = 1e4 / (1 - 1j * w / 20)  # a Drude metal, Ω⁻¹cm⁻¹
    p = d / "sigma.csv"
    np.savetxt(p, np.column_stack([w, s.real, s.imag]), delimiter=",")
    return p


def _refl(d: Path) -> Path:
    w = np.geomspace(5, 4000, 80)
    n = np.sqrt(1 - 1000.0**2 / (w**2 + 30j * w))
    p = d / "refl.csv"
    np.savetxt(p, np.column_stack([w, np.abs((n - 1) / (n + 1)) ** 2]), delimiter=",")
    return p


def _a2f(d: Path) -> Path:
    w = np.linspace(0.5, 30, 60)
    p = d / "a2f.dat"
    np.savetxt(p, np.column_stack([w, np.exp(-((w - 15) / 4) ** 2)]))
    return p


def _gap(d: Path) -> Path:
    w = np.linspace(0.05, 20, 40)
    p = d / "gap.csv"
    np.savetxt(p, np.column_stack([w, 1 + 0 * w, 0 * w]), delimiter=",",
               header="omega_meV,re_delta_meV,im_delta_meV", comments="")
    return p


def _gtau(d: Path) -> Path:
    tau = np.linspace(0, 10, 41)
    p = d / "gtau.dat"
    np.savetxt(p, np.column_stack([tau, -0.5 * (np.exp(-tau) + np.exp(tau - 10))]))
    return p


def _lam(d: Path) -> Path:
    p = d / "lam.npz"
    np.savez(p, x=np.ones((1, 10, 200)))
    return p


def _stack(d: Path) -> Path:
    p = d / "stack.npz"
    np.savez(p, maps=np.random.default_rng(0).normal(size=(4, 32, 32)),
             bias_mV=np.arange(4.0))
    return p


@dataclass(frozen=True)
class Recipe:
    """How to call one command: input maker, argv given (input, output), output kind."""

    make: Callable[[Path], Path] | None
    argv: Callable[[str, str], list[str]]
    output: str  # "table"/"npz"/"model" (+ .json), "stem" (.pt + .json), "dir", "none"
    plot: bool = False
    text: bool = True  # the input is a text table (else .npz)


def _bench(name: str) -> Recipe:
    return Recipe(None, lambda i, o: ["bench", name, "--quick", "--output", o], "dir")


RECIPES: dict[tuple[str, ...], Recipe] = {
    ("demo",): Recipe(None, lambda i, o: ["demo", "--output", o], "dir"),
    ("sts", "simulate"): Recipe(None, lambda i, o: ["sts", "simulate", "--gap", "1",
                                                    "--temperature", "1", "--output", o],
                                "table"),
    ("sts", "deconvolve"): Recipe(_sts_curve, lambda i, o: [
        "sts", "deconvolve", i, "--temperature", "1", "--output", o], "table", plot=True),
    ("sts", "deconvolve-map"): Recipe(_sts_map, lambda i, o: [
        "sts", "deconvolve-map", i, "--temperature", "1", "--output", o], "npz", plot=True,
        text=False),
    ("eliashberg", "tc"): Recipe(_a2f, lambda i, o: ["eliashberg", "tc", i, "--mu-star",
                                                     "0.1"], "none"),
    ("eliashberg", "solve"): Recipe(_a2f, lambda i, o: [
        "eliashberg", "solve", i, "--mu-star", "0.1", "--temperature", "2", "--output", o],
        "table", plot=True),
    ("eliashberg", "dataset"): Recipe(None, lambda i, o: ["eliashberg", "dataset", "--n", "1",
                                                          "--output", o], "dir"),
    ("eliashberg", "train"): Recipe(None, lambda i, o: ["eliashberg", "train", "--data", "nodata",
                                                        "--output", o], "dir"),
    ("eliashberg", "autoencoder"): Recipe(None, lambda i, o: [
        "eliashberg", "autoencoder", "--data", "nodata", "--output", o], "dir"),
    ("eliashberg", "invert"): Recipe(_gap, lambda i, o: ["eliashberg", "invert", i,
                                                         "--output", o], "table", plot=True),
    ("optics", "invert"): Recipe(_rate, lambda i, o: [
        "optics", "invert", i, "--temperature", "100", "--method", "maxent", "--output", o],
        "table", plot=True),
    ("optics", "simulate"): Recipe(None, lambda i, o: ["optics", "simulate", "--output", o],
                                   "table"),
    ("optics", "drude"): Recipe(_sigma, lambda i, o: ["optics", "drude", i, "--output", o],
                                "table", plot=True),
    ("optics", "kk"): Recipe(_refl, lambda i, o: ["optics", "kk", i, "--low", "hagen-rubens",
                                                  "--output", o], "table", plot=True),
    ("optics", "train"): Recipe(None, lambda i, o: ["optics", "train", "--cache-dir", "cache",
                                                    "--output", o], "model"),
    ("ac", "continue"): Recipe(_gtau, lambda i, o: [
        "ac", "continue", i, "--kernel", "fermionic-tau", "--beta", "10", "--output", o],
        "table", plot=True),
    ("conductivity", "predict"): Recipe(_lam, lambda i, o: ["conductivity", "predict", i,
                                                            "--output", o], "table",
                                        text=False),
    ("conductivity", "train"): Recipe(None, lambda i, o: ["conductivity", "train", "--output",
                                                          o], "dir"),
    ("stm", "simulate"): Recipe(None, lambda i, o: ["stm", "simulate", "--output", o], "npz"),
    ("stm", "train"): Recipe(None, lambda i, o: ["stm", "train", "--output", o], "stem"),
    ("stm", "detect"): Recipe(_stack, lambda i, o: ["stm", "detect", i, "--output", o],
                              "table", plot=True, text=False),
    **{("bench", n): _bench(n) for n in ("sts", "eliashberg", "gap2a2f", "optics",
                                          "optics-verified", "conductivity", "ac", "stm",
                                          "calibration")},
}
# -- stm adapt (issue 26): the user's unlabeled stacks in, an adapted detector out ------
RECIPES[("stm", "adapt")] = Recipe(_stack, lambda i, o: ["stm", "adapt", i, "--output", o],
                                   "stem", text=False)


# -- eliashberg from-didv (issue 28): a normalized SIN conductance --------------------
def _didv(d: Path) -> Path:
    b = np.linspace(-20, 20, 401)
    p = d / "didv.csv"
    g = np.where(np.abs(b) > 1.4, np.abs(b) / np.sqrt(np.maximum(b ** 2 - 1.96, 1e-3)), 0.0)
    np.savetxt(p, np.column_stack([b, np.minimum(g, 3.0)]), delimiter=",")
    return p


RECIPES[("eliashberg", "from-didv")] = Recipe(_didv, lambda i, o: [
    "eliashberg", "from-didv", i, "--temperature", "1.5", "--output", o], "table", plot=True)

OUT_NAME = {"table": "out.csv", "npz": "out.npz", "model": "model.pt", "stem": "model",
            "dir": "outdir", "none": ""}


def test_every_command_has_a_recipe():
    """The 28 leaf commands of today, and any added later, are all in the harness."""
    leaves = leaf_commands()
    assert len(leaves) >= 28
    assert sorted(set(leaves) - set(RECIPES)) == []


def run_case(tmp_path: Path, monkeypatch, capsys, argv: list[str], names: str) -> str:
    """Run ``argv`` in ``tmp_path``; assert the one-line refusal and that nothing was written."""
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse refusals exit from inside parse_args
        rc = exc.code
    err = capsys.readouterr().err
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("specinv: error:"), err
    assert "Traceback" not in err and all(c.isprintable() for c in lines[0]), err
    assert "allow_pickle" not in err, err
    assert names in lines[0], (names, lines[0])
    assert after == before, sorted(set(after) - set(before))
    return lines[0]


# -- case classes ---------------------------------------------------------------------
def _input_cases(recipe: Recipe) -> dict[str, tuple[Callable[[Path, Path], None], str]]:
    """name -> (mutate the valid input file, text expected in the message)."""
    def write(content: bytes) -> Callable[[Path, Path], None]:
        return lambda good, bad: bad.write_bytes(content)

    def table(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path, Path], None]:
        def make(good: Path, bad: Path) -> None:
            t = np.loadtxt(good, delimiter="," if good.suffix == ".csv" else None,
                           skiprows=1 if b"omega_meV" in good.read_bytes() else 0)
            np.savetxt(bad, f(t), delimiter=",", header="omega_meV,re_delta_meV,im_delta_meV"
                       if b"omega_meV" in good.read_bytes() else "", comments="")
        return make

    def arrays(f: Callable[[dict], dict]) -> Callable[[Path, Path], None]:
        def make(good: Path, bad: Path) -> None:
            with np.load(good) as z:
                np.savez(bad, **f(dict(z)))
        return make

    garbage = bytes(range(256)) * 4
    cases = {"missing": (lambda good, bad: None, "file not found"),
             "empty": (write(b""), ""),
             "binary": (write(garbage), "")}
    if recipe.text:
        def nan(t: np.ndarray) -> np.ndarray:
            t = t.copy()
            t[3, 1] = np.nan
            return t

        def zigzag(t: np.ndarray) -> np.ndarray:  # a second sweep pasted on: row 5 twice
            return t[[*range(5, 10), *range(0, 6), *range(10, len(t))]]

        cases.update({"one_column": (table(lambda t: t[:, :1]), ""),
                      "nan": (table(nan), "NaN"),
                      "non_monotonic": (table(zigzag), ""),
                      "huge": (table(lambda t: t * 1e300), "implausible")})
    else:
        def npy(good: Path, bad: Path) -> None:
            with bad.open("wb") as fh:
                np.save(fh, np.ones(3))

        def first_nan(z: dict) -> dict:
            k = next(iter(z))
            z[k] = z[k].astype(float)
            z[k].flat[0] = np.nan
            return z

        cases.update({"npy_renamed": (npy, "not an .npz"),
                      "object_array": (arrays(lambda z: {k: np.array([{"a": 1}] * 2, object)
                                                         for k in z}), "not a readable"),
                      "no_arrays_named": (arrays(lambda z: {"other": np.ones(3)}), ""),
                      "strings": (arrays(lambda z: {k: v.astype(str) for k, v in z.items()}),
                                  "expected real numbers"),
                      "nan": (arrays(first_nan), "NaN"),
                      "huge": (arrays(lambda z: {k: v * 1e300 for k, v in z.items()}),
                               "implausible")})
    return cases


INPUT_PARAMS = [pytest.param(cmd, case, id=f"{'-'.join(cmd)}:{case}")
                for cmd, r in RECIPES.items() if r.make is not None
                for case in _input_cases(r)]


@pytest.mark.parametrize(("cmd", "case"), INPUT_PARAMS)
def test_bad_input_file(cmd, case, tmp_path, monkeypatch, capsys):
    recipe = RECIPES[cmd]
    good = recipe.make(tmp_path)
    bad = tmp_path / f"bad{good.suffix}"
    mutate, expected = _input_cases(recipe)[case]
    mutate(good, bad)
    out = str(tmp_path / "res" / OUT_NAME[recipe.output])
    run_case(tmp_path, monkeypatch, capsys, recipe.argv(str(bad), out), expected or str(bad))


def _output_case_names(recipe: Recipe) -> list[str]:
    if recipe.output == "dir":
        return ["unwritable_proc", "output_is_file"]
    names = ["unwritable_proc", "output_is_directory", "parent_is_file"]
    if recipe.output != "stem":  # a stem gets its suffixes (.pt, .json) from the command
        names.append("output_collides_with_sidecar")
    if recipe.make is not None:
        names.append("output_is_input")
    if recipe.plot:
        names += ["plot_is_directory", "plot_is_output"]
    return names


def _output_case(recipe: Recipe, case: str, tmp: Path, inp: str | None) -> tuple[list, str]:
    """(argv, text expected in the message) of one output case, set up in ``tmp``."""
    (tmp / "adir").mkdir()
    (tmp / "afile").write_text("x")
    name = OUT_NAME[recipe.output]
    if recipe.output == "stem":
        (tmp / "model.pt").mkdir()
    return {
        "unwritable_proc": lambda: (recipe.argv(inp, f"/proc/specinv/{name}"), "/proc"),
        "output_is_file": lambda: (recipe.argv(inp, "afile"), "afile"),
        "output_is_directory": lambda: (recipe.argv(inp, "model" if recipe.output == "stem"
                                                    else "adir"), "model.pt" if
                                        recipe.output == "stem" else "adir"),
        "parent_is_file": lambda: (recipe.argv(inp, f"afile/{name}"), "afile"),
        "output_collides_with_sidecar": lambda: (recipe.argv(inp, "out.json"), "out.json"),
        "output_is_input": lambda: (recipe.argv(inp, inp), "input"),
        "plot_is_directory": lambda: (recipe.argv(inp, name) + ["--plot", "adir"], "adir"),
        "plot_is_output": lambda: (recipe.argv(inp, name) + ["--plot", name], "same file"),
    }[case]()


OUTPUT_PARAMS = [pytest.param(cmd, case, id=f"{'-'.join(cmd)}:{case}")
                 for cmd, r in RECIPES.items() if r.output != "none"
                 for case in _output_case_names(r)]


@pytest.mark.parametrize(("cmd", "case"), OUTPUT_PARAMS)
def test_bad_output_path(cmd, case, tmp_path, monkeypatch, capsys):
    recipe = RECIPES[cmd]
    inp = str(recipe.make(tmp_path)) if recipe.make else None
    argv, expected = _output_case(recipe, case, tmp_path, inp)
    run_case(tmp_path, monkeypatch, capsys, argv, expected)


# -- absurd sizes and implausible parameters (each names the parameter) ----------------
PARAMETER_CASES = {
    "sts-n-energy": (("sts", "deconvolve"), ["--n-energy", "1000000000"], "--n-energy"),
    "sts-option-n-alpha": (("sts", "deconvolve"), ["--option", "n_alpha=1e9"], "n_alpha"),
    "sts-temperature-washout": (("sts", "deconvolve"), ["--temperature", "1e6"],
                                "--temperature"),
    "sts-lockin-washout": (("sts", "deconvolve"), ["--lockin-rms", "1e4"], "--lockin-rms"),
    "sts-sigma-nan": (("sts", "deconvolve"), ["--sigma", "nan"], "--sigma"),
    "sts-channel-on-text": (("sts", "deconvolve"), ["--channel", "X"], "--channel"),
    "sts-unknown-method": (("sts", "deconvolve"), ["--method", "nosuch"], "nosuch"),
    "map-n-energy": (("sts", "deconvolve-map"), ["--n-energy", "1000000000"], "--n-energy"),
    "map-steps-0": (("sts", "deconvolve-map"), ["--steps", "0"], "--steps"),
    "map-channel-on-npz": (("sts", "deconvolve-map"), ["--channel", "X"], "--channel"),
    "map-temperature-washout": (("sts", "deconvolve-map"), ["--temperature", "1e6"],
                                "--temperature"),
    "sim-n-bias": (("sts", "simulate"), ["--n-bias", "1000000000"], "--n-bias"),
    "optics-n-glue": (("optics", "invert"), ["--n-glue", "1000000000"], "--n-glue"),
    "optics-unit": (("optics", "invert"), ["--unit", "cm-1"], "--unit meV"),
    "optics-option-n-alpha": (("optics", "invert"), ["--option", "n_alpha=1e9"], "n_alpha"),
    "optics-drude-on-rate": (("optics", "invert"), ["--plasma-frequency", "1000"],
                             "--plasma-frequency"),
    "optics-omega-max": (("optics", "invert"), ["--omega-max", "6"], "--omega-max"),
    "drude-cutoff-outside": (("optics", "drude"), ["--sum-rule-cutoff", "1e6"],
                             "--sum-rule-cutoff"),
    "drude-plasma-nan": (("optics", "drude"), ["--plasma-frequency", "nan"],
                         "--plasma-frequency"),
    "drude-eps-inf-negative": (("optics", "drude"), ["--eps-inf", "-2"], "--eps-inf"),
    "kk-onset-below-data": (("optics", "kk"), ["--free-electron-onset", "100"],
                            "--free-electron-onset"),
    "kk-high-power": (("optics", "kk"), ["--high-power", "9"], "--high-power"),
    "kk-oscillators": (("optics", "kk"), ["--oscillators", "50"], "--oscillators"),
    "eli-cutoff-below-phonons": (("eliashberg", "tc"), ["--cutoff", "1"], "--cutoff"),
    "eli-n-matsubara": (("eliashberg", "solve"), ["--n-matsubara", "1000000000"],
                        "--n-matsubara"),
    "eli-d-omega": (("eliashberg", "solve"), ["--d-omega", "1e-9"], "--d-omega"),
    "eli-temperature-memory": (("eliashberg", "solve"), ["--temperature", "0.001"],
                               "--temperature"),
    "eli-omega-max": (("eliashberg", "solve"), ["--omega-max", "1e300"], "--omega-max"),
    "dataset-n-matsubara": (("eliashberg", "dataset"), ["--n-matsubara", "1000000000"],
                            "--n-matsubara"),
    "ac-n-omega-0": (("ac", "continue"), ["--n-omega", "0"], "--n-omega"),
    "ac-n-omega-huge": (("ac", "continue"), ["--n-omega", "1000000000"], "--n-omega"),
    "ac-omega-max-huge": (("ac", "continue"), ["--omega-max", "1e300"], "--omega-max"),
    "ac-omega-max-tiny": (("ac", "continue"), ["--omega-max", "1e-6"], "--omega-max"),
    "ac-beta-vs-tau": (("ac", "continue"), ["--beta", "100"], "beta"),
    "ac-option-n-alpha": (("ac", "continue"), ["--option", "n_alpha=1e9"], "n_alpha"),
    "ac-default-model-unknown": (("ac", "continue"), ["--default-model", "lorentz"],
                                 "--default-model"),
    "ac-default-model-non-maxent": (("ac", "continue"),
                                    ["--default-model", "gaussian", "--method", "tikhonov"],
                                    "--default-model"),
    "ac-signed-nnrs": (("ac", "continue"), ["--signed", "--method", "nnrs"], "--signed"),
    "ac-signed-som": (("ac", "continue"), ["--signed", "--method", "som"], "--signed"),
    "ac-signed-gaussian-model": (("ac", "continue"), ["--signed", "--default-model", "gaussian"],
                                 "--signed"),
    "ac-signed-conductivity": (("ac", "continue"), ["--signed", "--kernel", "conductivity-tau"],
                               "--signed"),
    "ac-signed-positive-entropy": (("ac", "continue"),
                                   ["--signed", "--option", "entropy=positive"], "entropy"),
    "stm-threshold-nan": (("stm", "detect"), ["--threshold", "nan"], "--threshold"),
    "stm-threshold-negative": (("stm", "detect"), ["--threshold", "-1"], "--threshold"),
    "stm-threshold-word": (("stm", "detect"), ["--threshold", "high"], "--threshold"),
    "stm-threshold-auto-classical": (("stm", "detect"), ["--classical", "--threshold", "auto"],
                                     "--threshold"),
    "stm-kf-huge": (("stm", "detect"), ["--kf-per-px", "1e9"], "--kf-per-px"),
    "stm-no-confirm-classical": (("stm", "detect"), ["--classical", "--no-confirm"],
                                 "--no-confirm"),
    "stm-channel-on-npz": (("stm", "detect"), ["--channel", "X"], "--channel"),
    "stm-sim-size": (("stm", "simulate"), ["--size", "1000000"], "--size"),
    "stm-sim-bias-step": (("stm", "simulate"), ["--bias-step", "1e-9"], "--bias-step"),
    "stm-train-threads": (("stm", "train"), ["--threads", "0"], "--threads"),
    "invert-temperature": (("eliashberg", "invert"), ["--temperature", "-1"], "--temperature"),
    "ae-latent": (("eliashberg", "autoencoder"), ["--latent", "0"], "--latent"),
    "train-latent": (("eliashberg", "train"), ["--latent", "100000"], "--latent"),
    "no-dataset": (("eliashberg", "train"), [], "nodata"),
    "optics-train-epochs": (("optics", "train"), ["--epochs", "0"], "--epochs"),
    "demo-method": (("demo",), ["--method", "nosuch"], "nosuch"),
    "bench-ac-actest-noise": (("bench", "ac"), ["--suite", "actest", "--noise", "1e-4,abc"],
                              "--noise"),
    "bench-ac-actest-sets": (("bench", "ac"), ["--suite", "actest", "--sets", "std_xx"],
                             "--sets"),
    "int-given-as-float": (("sts", "simulate"), ["--n-bias", "1e9"], "--n-bias"),
}


# -- eliashberg from-didv (issue 28) ----------------------------------------------------
PARAMETER_CASES.update({
    "didv-temperature": (("eliashberg", "from-didv"), ["--temperature", "-1"], "--temperature"),
    "didv-lockin": (("eliashberg", "from-didv"), ["--lockin-rms", "1e4"], "--lockin-rms"),
    "didv-mu-star": (("eliashberg", "from-didv"), ["--mu-star", "2"], "--mu-star"),
    "invert-mu-star": (("eliashberg", "invert"), ["--mu-star", "-1"], "--mu-star"),
    "bench-eliashberg-fit-first": (("bench", "eliashberg"), ["--fit-first", "-3"],
                                   "--fit-first"),
})


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_bad_parameter(case, tmp_path, monkeypatch, capsys):
    cmd, extra, expected = PARAMETER_CASES[case]
    recipe = RECIPES[cmd]
    inp = str(recipe.make(tmp_path)) if recipe.make else None
    argv = recipe.argv(inp, str(tmp_path / "res" / OUT_NAME[recipe.output])) + extra
    run_case(tmp_path, monkeypatch, capsys, argv, expected)


def _plausibility_inputs(tmp: Path) -> dict[str, tuple[tuple[str, ...], Path, str]]:
    b = np.linspace(-3, 3, 61)
    g = 1 + 0.5 * np.exp(-b**2)
    files = {"volts": (b / 1000, g), "negative": (b, -g), "zero": (b, 0 * g)}
    out = {}
    for name, (x, y) in files.items():
        p = tmp / f"{name}.csv"
        np.savetxt(p, np.column_stack([x, y]), delimiter=",")
        out[f"curve-{name}"] = (("sts", "deconvolve"), p, "dI/dV" if name != "volts" else "V")
    m = tmp / "strbias.npz"
    np.savez(m, bias_mV=np.linspace(-3, 3, 20).astype(str), didv=np.ones((2, 2, 20)))
    out["map-string-bias"] = (("sts", "deconvolve-map"), m, "bias_mV")
    v = tmp / "mapvolts.npz"
    np.savez(v, bias_mV=np.linspace(-3e-3, 3e-3, 20), didv=np.ones((2, 2, 20)))
    out["map-volts"] = (("sts", "deconvolve-map"), v, "V")
    s = tmp / "dup.npz"
    np.savez(s, maps=np.ones((4, 32, 32)), bias_mV=np.array([0.0, 1.0, 1.0, 2.0]))
    out["stack-duplicate-bias"] = (("stm", "detect"), s, "more than once")
    r = tmp / "percent.csv"
    np.savetxt(r, np.column_stack([np.linspace(5, 400, 20), np.linspace(99, 60, 20)]),
               delimiter=",")
    out["reflectivity-percent"] = (("optics", "kk"), r, "percent")
    c = tmp / "negative.npz"
    np.savez(c, x=-np.ones((1, 10, 200)))
    out["lambda-negative"] = (("conductivity", "predict"), c, "> 0")
    return out


PLAUSIBILITY = ["curve-volts", "curve-negative", "curve-zero", "map-string-bias", "map-volts",
                "stack-duplicate-bias", "lambda-negative", "reflectivity-percent"]


@pytest.mark.parametrize("case", PLAUSIBILITY)
def test_implausible_input(case, tmp_path, monkeypatch, capsys):
    cmd, path, expected = _plausibility_inputs(tmp_path)[case]
    argv = RECIPES[cmd].argv(str(path), str(tmp_path / "res" / OUT_NAME[RECIPES[cmd].output]))
    run_case(tmp_path, monkeypatch, capsys, argv, expected)


@pytest.mark.parametrize("case", ["conductivity-weights", "stm-model", "invert-model"])
def test_bad_weights(case, tmp_path, monkeypatch, capsys):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(bytes(range(256)))
    cmd, opt = {"conductivity-weights": (("conductivity", "predict"), "--weights"),
                "stm-model": (("stm", "detect"), "--model"),
                "invert-model": (("eliashberg", "invert"), "--model")}[case]
    recipe = RECIPES[cmd]
    argv = recipe.argv(str(recipe.make(tmp_path)), str(tmp_path / "res" / "out.csv"))
    run_case(tmp_path, monkeypatch, capsys, argv + [opt, str(garbage)], "garbage")


# -- ac continue --kind self-energy|matrix, --block, --n-matsubara, HDF5 input ----------
# (a separate block: the options of item 4 of issue 30)
AC_KIND_PARAMETER_CASES = {
    "ac-kind-sigma-on-tau-text": (["--kind", "self-energy"], "omega_n"),
    "ac-block-on-text": (["--block", "up_0"], "--block"),
    "ac-n-matsubara-0": (["--n-matsubara", "0"], "--n-matsubara"),
    "ac-n-matsubara-on-tau-text": (["--n-matsubara", "10"], "--kernel fermionic-matsubara"),
    "ac-error-negative": (["--error", "-1"], "--error"),
    "ac-error-on-tau-text": (["--error", "1e-4"], "--kernel fermionic-matsubara"),
}


@pytest.mark.parametrize("case", sorted(AC_KIND_PARAMETER_CASES))
def test_bad_ac_kind_parameter(case, tmp_path, monkeypatch, capsys):
    extra, expected = AC_KIND_PARAMETER_CASES[case]
    recipe = RECIPES[("ac", "continue")]
    argv = recipe.argv(str(recipe.make(tmp_path)), str(tmp_path / "res" / "out.csv")) + extra
    run_case(tmp_path, monkeypatch, capsys, argv, expected)


def _ac_kind_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """case -> (argv, text expected in the message); the files are written to ``tmp``."""
    h5py = pytest.importorskip("h5py")
    beta = 10.0
    wn = np.pi / beta * (2 * np.arange(40) + 1)
    sigma = 0.5 + 0.3 / (1j * wn - 0.2)
    out = str(tmp / "res" / "out.csv")

    def npz(name: str, **arrays) -> str:
        np.savez(tmp / name, **arrays)
        return str(tmp / name)

    wrong_sign = npz("wrong.npz", siw=np.conj(sigma))
    matrix = npz("matrix.npz", wn=wn, giw=np.ones((2, 3, 40), complex))
    other_beta = npz("beta.npz", siw=sigma, beta=20.0)
    with_err = npz("err.npz", siw=sigma, err=np.full(40, 1e-4))
    g22 = npz("g22.npz", wn=wn, giw=np.broadcast_to(1 / (1j * wn), (2, 2, 40)) * np.eye(2)[
        :, :, None])
    gtau = npz("gtau.npz", tau=np.linspace(0, beta, 41), gtau=-0.5 * np.ones((2, 2, 41)))
    triqs = tmp / "triqs.h5"
    with h5py.File(triqs, "w") as h:
        top = h.create_group("S_iw")
        top.attrs["TRIQS_HDF5_data_scheme"] = np.bytes_("BlockGf")
        top.create_dataset("block_names", data=np.array([b"up"]))
    w2 = tmp / "w2.hdf5"
    with h5py.File(w2, "w") as h:
        h.create_group(".config").attrs["general.beta"] = beta
    tau_text = str(RECIPES[("ac", "continue")].make(tmp))
    base = ["ac", "continue", "--beta", str(beta), "--output", out]
    return {
        "sigma-wrong-sign": (base + [wrong_sign, "--kind", "self-energy"], "Σ₁"),
        "matrix-shape": (base + [matrix, "--kind", "matrix"], "shape"),
        "beta-contradicts-file": (base + [other_beta, "--kind", "self-energy"], "--beta"),
        "matrix-as-g": (base + [g22], "--kind matrix"),
        "kernel-missing": (base + [tau_text], "--kernel"),
        "kernel-contradicts-kind": (base + [wrong_sign, "--kind", "self-energy", "--kernel",
                                            "fermionic-tau"], "--kernel"),
        "n-matsubara-on-tau": (base + [gtau, "--kind", "matrix", "--n-matsubara", "10"],
                               "--n-matsubara"),
        "sigma-on-tau": (base + [gtau, "--kind", "self-energy"], "Matsubara"),
        "triqs-missing-block": (base + [str(triqs), "--kind", "self-energy", "--block",
                                        "nosuch"], "nosuch"),
        "triqs-missing-group": (base + [str(triqs), "--kind", "self-energy"], "S_iw/up"),
        "w2dyn-no-iteration": (base + [str(w2), "--kind", "self-energy"], "iteration group"),
        "error-twice": (base + [with_err, "--kind", "self-energy", "--error", "1e-4"],
                        "--error"),
    }


AC_KIND_INPUT_CASES = ["sigma-wrong-sign", "matrix-shape", "beta-contradicts-file",
                       "matrix-as-g", "kernel-missing", "kernel-contradicts-kind",
                       "n-matsubara-on-tau", "sigma-on-tau", "triqs-missing-block",
                       "triqs-missing-group", "w2dyn-no-iteration", "error-twice"]


@pytest.mark.parametrize("case", AC_KIND_INPUT_CASES)
def test_bad_ac_kind_input(case, tmp_path, monkeypatch, capsys):
    argv, expected = _ac_kind_inputs(tmp_path)[case]
    run_case(tmp_path, monkeypatch, capsys, argv, expected)
