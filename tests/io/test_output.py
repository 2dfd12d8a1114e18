"""Output paths: refused before work, written together, with the umask's mode."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from specinv.core.errors import ParameterError
from specinv.io.output import check_outputs, table_outputs
from specinv.io.table import write_table


def test_outputs_get_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_table(tmp_path / "a.csv", {"x": np.arange(3.0)}, {"k": 1})
    finally:
        os.umask(old)
    for name in ("a.csv", "a.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def broken_plot(path):
        path.write_text("half a figure")
        raise RuntimeError("plotting failed")

    out = tmp_path / "new" / "deeper" / "a.csv"
    with pytest.raises(RuntimeError):
        write_table(out, {"x": np.arange(3.0)}, {"k": 1},
                    extra=[(tmp_path / "new" / "fig.png", broken_plot)])
    assert list(tmp_path.iterdir()) == []


def test_outputs_that_collide_or_overwrite_an_input_are_refused(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("1,2\n")
    with pytest.raises(ParameterError, match="input"):
        table_outputs(inp, inputs=[inp])
    with pytest.raises(ParameterError, match="metadata"):
        table_outputs(tmp_path / "out.json")
    with pytest.raises(ParameterError, match="same file"):
        check_outputs([("--output", tmp_path / "a.csv"), ("--plot", tmp_path / "." / "a.csv")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
