"""The STS command line end to end, and every bad-input case."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specinv.cli.main import main


@pytest.fixture
def spectrum_csv(tmp_path):
    path = tmp_path / "bcs.csv"
    assert main(["sts", "simulate", "--dos", "dynes", "--gap", "1.0", "--gamma", "0.05",
                 "--temperature", "1.5", "--noise", "1e-3", "--n-bias", "121",
                 "--output", str(path)]) == 0
    return path


def test_simulate_writes_csv_and_metadata(spectrum_csv):
    table = np.loadtxt(spectrum_csv, delimiter=",", skiprows=1)
    assert table.shape == (121, 2)
    meta = json.loads(spectrum_csv.with_suffix(".json").read_text())
    assert meta["temperature_K"] == 1.5 and meta["seed"] == 0


def test_deconvolve_end_to_end(spectrum_csv, tmp_path, capsys):
    out = tmp_path / "dos.csv"
    fig = tmp_path / "dos.png"
    assert main(["sts", "deconvolve", str(spectrum_csv), "--temperature", "1.5",
                 "--method", "tikhonov", "--output", str(out), "--plot", str(fig)]) == 0
    assert out.read_text().splitlines()[0] == "energy_meV,dos"
    meta = json.loads(out.with_suffix(".json").read_text())
    neg, pos = meta["peaks_meV"]
    # resolution of a regularized inverse at T = 1.5 K is a fraction of 3.5 k_B T ≈ 0.45 meV
    assert abs(pos - 1.0) < 0.25 and abs(neg + 1.0) < 0.25
    assert meta["method"] == "tikhonov" and meta["chi2"] > 0 and "runtime_s" in meta
    assert fig.stat().st_size > 10_000
    assert "coherence peaks" in capsys.readouterr().out


def test_temperature_in_mev_is_converted(spectrum_csv, tmp_path):
    out = tmp_path / "o.csv"
    assert main(["sts", "deconvolve", str(spectrum_csv), "--temperature", "0.12926",
                 "--temperature-unit", "meV", "--method", "tikhonov", "--output", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["temperature_K"] == \
        pytest.approx(1.5, rel=1e-4)


BAD = {
    "one_column.csv": ("1\n2\n3\n", "expected at least 2 columns"),
    "text.csv": ("bias,g\n1,2\n2,abc\n", "non-numeric value 'abc'"),
    "nan.csv": ("".join(f"{i},{'nan' if i == 5 else 1}\n" for i in range(20)), "NaN"),
    "dup.csv": ("".join(f"{min(i, 10)},1\n" for i in range(20)), "duplicated bias"),
    "zigzag.csv": ("".join(f"{(i % 7)},{i}\n" for i in range(20)), "not monotonic"),
    "short.csv": ("1,1\n2,1\n3,1\n", "too few points"),
    "empty.csv": ("# nothing\n", "no numeric data"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gives_one_clear_message(name, tmp_path, capsys):
    content, message = BAD[name]
    path = tmp_path / name
    path.write_text(content)
    out = tmp_path / "out.csv"
    code = main(["sts", "deconvolve", str(path), "--temperature", "2", "--method", "tikhonov",
                 "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and name in err
    assert "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


@pytest.mark.parametrize("temperature", ["0", "-3"])
def test_nonpositive_temperature_is_refused(temperature, spectrum_csv, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = main(["sts", "deconvolve", str(spectrum_csv), "--temperature", temperature,
                 "--output", str(out)])
    assert code == 2 and "temperature must be > 0" in capsys.readouterr().err
    assert not out.exists()


def test_missing_file_and_unknown_method(tmp_path, spectrum_csv, capsys):
    assert main(["sts", "deconvolve", str(tmp_path / "nope.csv"), "--temperature", "1",
                 "--output", str(tmp_path / "o.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["sts", "deconvolve", str(spectrum_csv), "--temperature", "1", "--method",
                 "magic", "--output", str(tmp_path / "o.csv")]) == 2
    assert "valid methods: auto, " in capsys.readouterr().err  # the default is listed too


def test_separators_comments_header_and_decreasing_bias(tmp_path):
    bias = np.linspace(3, -3, 40)
    rows = "".join(f"{b:.4f}; {1 + 0.1 * np.exp(-b * b):.6f}  # c\n" for b in bias)
    path = tmp_path / "semi.txt"
    path.write_text("# measured\nV (mV); dI/dV\n" + rows)
    from specinv.io.spectrum import read_spectrum

    spec = read_spectrum(path)
    assert np.all(np.diff(spec.bias_mV) > 0) and spec.bias_mV[0] == pytest.approx(-3)


NANONIS = """Experiment\tbias spectroscopy\t
Date\t01.01.2024\t
[DATA]
Bias calc (V)\tCurrent (A)\tLI Demod 1 X (A)\tLI Demod 1 X [bwd] (A)\tLI Demod 1 X (A) [filt]
"""


def test_nanonis_dat_channels_and_sweep_average(tmp_path):
    v = np.linspace(-0.01, 0.01, 30)
    rows = "".join(f"{x:.6E}\t1E-12\t{2 + x:.6E}\t{4 + x:.6E}\tNaN\n" for x in v)
    path = tmp_path / "spec.dat"
    path.write_text(NANONIS + rows)
    from specinv.io.spectrum import read_spectrum

    spec = read_spectrum(path)
    assert spec.info["channel"] == "LI Demod 1 X (A)" and spec.info["sweeps_averaged"] == 2
    np.testing.assert_allclose(spec.bias_mV, v * 1e3, rtol=1e-6)
    np.testing.assert_allclose(spec.didv, 3 + v, rtol=1e-6)
    with pytest.raises(Exception, match="not found; channels"):
        read_spectrum(path, channel="Nope")


def test_real_nanonis_fixture(shared_data):
    from specinv.io.spectrum import read_spectrum

    path = shared_data / "nanonis_format_fixtures" / \
        "pynxtools-spm_STS_nanonis_generic_5e_1_Au111_4p9K.dat"
    spec = read_spectrum(path)
    assert spec.bias_mV.size == 4096 and spec.bias_mV[0] == pytest.approx(-300, abs=1e-3)


def test_demo_runs(tmp_path):
    assert main(["demo", "--output", str(tmp_path), "--method", "tikhonov"]) == 0
    for name in ("didv.csv", "dos.csv", "dos.json", "demo.png"):
        assert (tmp_path / name).exists()
