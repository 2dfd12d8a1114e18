"""Property test: every reader given random tables returns data or raises InputError.

Tables mix finite numbers, NaN, ±inf, huge values, duplicates, words, ragged
rows, blank lines and comments with every accepted separator; NPZ archives
mix shapes, dtypes (strings, complex, objects) and names. No other exception
type may escape a reader.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specinv.ac.conductivity.cli import read_lambda
from specinv.core.errors import SpecinvError
from specinv.eliashberg.engine.io import read_a2f
from specinv.eliashberg.gap2a2f.inference import read_gap
from specinv.io.arrays import load_arrays
from specinv.io.qmc import read_matsubara_input, read_tau_input
from specinv.io.spectrum import read_spectrum
from specinv.io.table import read_columns
from specinv.optics.cli import read_scattering_rate
from specinv.stm.cli import load_maps
from specinv.sts.cli_map import load_map

TOKENS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 50).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e-320", "abc", "1,5", "0x10", "--", "é"]),
)
ROWS = st.lists(st.lists(TOKENS, min_size=0, max_size=5), min_size=0, max_size=30)
SEPARATORS = st.sampled_from([",", ";", "\t", " ", ", "])

TEXT_READERS: dict[str, Callable[[Path], object]] = {
    "read_columns": lambda p: read_columns(p, min_columns=2),
    "read_spectrum": read_spectrum,
    "read_scattering_rate": lambda p: read_scattering_rate(str(p), "meV"),
    "read_a2f": lambda p: read_a2f(p, unit="meV"),
    "read_gap": read_gap,
    "read_tau_input": lambda p: read_tau_input(p, beta=10.0),
    "read_matsubara_input": read_matsubara_input,
}
NPZ_READERS: dict[str, Callable[[Path], object]] = {
    "load_arrays": lambda p: load_arrays(p, "anything"),
    "load_map": lambda p: load_map(str(p)),
    "load_maps": lambda p: load_maps(str(p)),
    "read_lambda": lambda p: read_lambda(str(p)),
}


def _call(reader: Callable[[Path], object], path: Path) -> None:
    try:
        reader(path)
    except SpecinvError:
        pass


@pytest.mark.parametrize("name", sorted(TEXT_READERS))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, sep=SEPARATORS, header=st.booleans(), scale=st.sampled_from([1.0, 1e300]))
def test_text_readers_raise_only_input_errors(name, rows, sep, header, scale):
    lines = (["x y z"] if header else []) + [sep.join(r) for r in rows] + ["# comment", ""]
    if scale != 1.0 and rows:
        lines.append(sep.join(repr(scale * (i + 1)) for i in range(len(rows[0]) or 2)))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "table.dat"
        path.write_text("\n".join(lines), encoding="utf-8")
        _call(TEXT_READERS[name], path)


ARRAYS = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=40)
    .map(np.array),
    st.tuples(st.integers(0, 4), st.integers(0, 12), st.integers(0, 40))
    .map(lambda s: np.ones(s)),
    st.just(np.ones((1, 10, 200))), st.just(np.ones((3, 32, 32))), st.just(np.arange(3.0)),
    st.just(np.array(["1", "2", "3"])), st.just(np.ones(3) * (1 + 1j)),
    st.just(np.full((2, 2, 12), 1e300)),
)
NAMES = st.sampled_from(["x", "lambda", "maps", "bias_mV", "didv", "other", "\x01"])


@pytest.mark.parametrize("name", sorted(NPZ_READERS))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(arrays=st.dictionaries(NAMES, ARRAYS, max_size=3), raw=st.binary(max_size=64),
       kind=st.sampled_from(["npz", "npy", "bytes"]))
def test_npz_readers_raise_only_input_errors(name, arrays, raw, kind):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.npz"
        if kind == "npz":
            np.savez(path, **arrays)
        elif kind == "npy":
            with path.open("wb") as fh:
                np.save(fh, next(iter(arrays.values()), np.ones(2)))
        else:
            path.write_bytes(raw)
        _call(NPZ_READERS[name], path)


NANONIS_READERS: dict[str, tuple[str, bytes, Callable[[Path], object]]] = {
    "3ds-map": (".3ds", b'Grid dim="2 x 2"\r\n:HEADER_END:\r\n', lambda p: load_map(str(p))),
    "3ds-stack": (".3ds", b'Sweep Signal="Bias (V)"\r\n:HEADER_END:\r\n',
                  lambda p: load_maps(str(p))),
    "dat-spectrum": (".dat", b"Experiment\tbias spectroscopy\n\n[DATA]\n", read_spectrum),
}


@pytest.mark.parametrize("name", sorted(NANONIS_READERS))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200), with_header=st.booleans())
def test_nanonis_readers_raise_only_input_errors(name, raw, with_header):
    suffix, header, reader = NANONIS_READERS[name]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"data{suffix}"
        path.write_bytes((header if with_header else b"") + raw)
        _call(reader, path)
