"""Bad weights files given to every command that reads them: exit 2, one line, nothing written.

The four commands (``optics invert --option weights=``, ``conductivity predict
--weights``, ``eliashberg invert --model``, ``stm detect --model``) each read
their weights through :mod:`specinv.learning.weights` (issue 25).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main
from specinv.learning.weights import shipped


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from specinv.ac.conductivity.data import lambda_inputs

    d = tmp_path_factory.mktemp("inputs")
    assert main(["optics", "simulate", "--temperature", "100", "--output",
                 str(d / "tau.csv")]) == 0
    assert main(["stm", "simulate", "--output", str(d / "maps.npz"), "--size", "24",
                 "--n-impurities", "2", "--bias-min", "-100", "--bias-max", "0",
                 "--bias-step", "20", "--seed", "1"]) == 0
    label = np.array([[0.2, 0.3, 1.0], [0.5, 1.0, 0.5], [0.3, 3.0, 2.0]])
    np.savez(d / "lam.npz", x=lambda_inputs(label[None]))
    omega = np.linspace(0.0, 40.0, 100)
    (d / "gap.csv").write_text("omega_meV,re_delta_meV,im_delta_meV\n"
                               + "".join(f"{w},1.4,0.0\n" for w in omega))
    return d


COMMANDS = {
    "optics": lambda d, w, out: ["optics", "invert", str(d / "tau.csv"), "--temperature", "100",
                                 "--option", f"weights={w}", "--output", out],
    "conductivity": lambda d, w, out: ["conductivity", "predict", str(d / "lam.npz"),
                                       "--weights", str(w), "--output", out],
    "eliashberg": lambda d, w, out: ["eliashberg", "invert", str(d / "gap.csv"), "--model",
                                     str(w), "--output", out],
    "stm": lambda d, w, out: ["stm", "detect", str(d / "maps.npz"), "--model", str(w),
                              "--output", out],
}


def _bad(tmp_path, case: str):
    w = tmp_path / "w.pt"
    if case == "garbage":
        w.write_bytes(b"\x00\x01garbage\xff\xfe")
        w.with_suffix(".json").write_bytes(b"\xff\xfe{not json")
    elif case == "json without metadata":
        w.write_bytes(b"\x00\x01garbage\xff\xfe")
        w.with_suffix(".json").write_text(json.dumps({"model": {}}))
    elif case == "other network's weights":  # the shipped conductivity network, for all but it
        src = shipped("conductivity", "attention_element_mixed.pt")
        w.write_bytes(src.read_bytes())
        w.with_suffix(".json").write_text(src.with_suffix(".json").read_text())
    return w  # "missing": never written


@pytest.mark.parametrize("case", ["missing", "garbage", "json without metadata",
                                  "other network's weights"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_weights_exit_2_with_one_line_and_write_nothing(inputs, tmp_path, capsys,
                                                            command, case):
    if command == "conductivity" and case == "other network's weights":
        src = shipped("optics", "fcn_default_0.pt")
        w = tmp_path / "w.pt"
        w.write_bytes(src.read_bytes())
        w.with_suffix(".json").write_text(src.with_suffix(".json").read_text())
    else:
        w = _bad(tmp_path, case)
    out = tmp_path / "out" / "result.csv"
    capsys.readouterr()
    assert main(COMMANDS[command](inputs, w, str(out))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("specinv: error: ") and "w.pt" in err[0]
    assert err[0].isprintable() and "Traceback" not in err[0]
    assert not out.parent.exists() or not any(out.parent.iterdir())
