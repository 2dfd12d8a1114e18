"""The one weights module: round trips, every bad file an InputError, shipped weights verified."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from specinv.core.errors import InputError
from specinv.learning import weights
from specinv.learning.blocks import mlp

KIND = "test-net"


def _saved(tmp_path, name="net.pt"):
    torch.manual_seed(0)
    net = mlp(3, 2, (4,))
    path = weights.save_torch(tmp_path / name, net.state_dict(), {"hidden": [4]}, kind=KIND,
                              recipe="tests/learning/test_weights.py")
    return net, path


def test_torch_round_trip_records_checksum_recipe_and_parameters(tmp_path):
    net, path = _saved(tmp_path)
    state, meta = weights.load_torch(path, KIND)
    block = meta["weights"]
    assert meta["hidden"] == [4]
    assert block["sha256"] == weights.sha256(path) and block["kind"] == KIND
    assert block["format"] == weights.FORMAT and block["version"] == weights.FORMAT_VERSION
    assert block["recipe"] == "tests/learning/test_weights.py"
    fresh = mlp(3, 2, (4,))
    weights.load_state(fresh, state, path)
    x = torch.randn(5, 3)
    assert torch.equal(fresh(x), net(x)) and not fresh.training


def test_npz_round_trip(tmp_path):
    arrays = {"w": np.arange(6.0).reshape(2, 3), "b": np.ones(2, np.float16)}
    path = weights.save_npz(tmp_path / "m.npz", arrays, {"n": 2}, kind=KIND, recipe="test")
    got, meta = weights.load_npz(path, KIND)
    assert set(got) == set(arrays) and meta["n"] == 2
    for k, a in arrays.items():
        np.testing.assert_array_equal(got[k], a)


def _fake(tmp_path, name, content: bytes, meta_of=None):
    """A file ``name`` with ``content``; metadata copied from ``meta_of`` with its checksum."""
    p = tmp_path / name
    p.write_bytes(content)
    if meta_of is not None:
        meta = json.loads(weights.metadata_path(meta_of).read_text())
        meta["weights"]["sha256"] = weights.sha256(p)
        weights.metadata_path(p).write_text(json.dumps(meta))
    return p


def _npy_bytes(tmp_path) -> bytes:
    np.save(tmp_path / "a.npy", np.arange(4.0))
    return (tmp_path / "a.npy").read_bytes()


@pytest.mark.parametrize("case, match", [
    ("missing", "not found"),
    ("directory", "is a directory"),
    ("empty", "empty file"),
    ("no metadata", "metadata g.json not found"),
    ("metadata json given", "this is a metadata file"),
    ("metadata not json", "not readable JSON"),
    ("metadata of something else", "not specinv weights metadata"),
    ("other kind", "these are other-net weights, not test-net"),
    ("newer format", "version 99 is not supported"),
    ("checksum mismatch", "checksum mismatch"),
    ("garbage bytes", "not a torch state_dict"),
    ("npy renamed", "not a torch state_dict"),
    ("wrong architecture", "do not fit the network"),
])
def test_every_bad_weights_file_is_an_input_error_naming_it(tmp_path, case, match):
    _, good = _saved(tmp_path)
    target = tmp_path / "g.pt"
    if case == "directory":
        target.mkdir()
    elif case == "empty":
        target.touch()
    elif case == "no metadata":
        target.write_bytes(good.read_bytes())
    elif case == "metadata json given":
        target = weights.metadata_path(good)
    elif case in ("metadata not json", "metadata of something else"):
        target.write_bytes(good.read_bytes())
        text = "\x00\xff{" if case == "metadata not json" else '{"model": "x"}'
        weights.metadata_path(target).write_text(text)
    elif case in ("other kind", "newer format", "checksum mismatch"):
        shutil.copy(good, target)
        meta = json.loads(weights.metadata_path(good).read_text())
        key, value = {"other kind": ("kind", "other-net"), "newer format": ("version", 99),
                      "checksum mismatch": ("sha256", "0" * 64)}[case]
        meta["weights"][key] = value
        weights.metadata_path(target).write_text(json.dumps(meta))
    elif case == "garbage bytes":
        target = _fake(tmp_path, "g.pt", b"\x80\x02garbage\xff\x00", meta_of=good)
    elif case == "npy renamed":
        target = _fake(tmp_path, "g.pt", _npy_bytes(tmp_path), meta_of=good)
    elif case == "wrong architecture":
        target = good
    with pytest.raises(InputError, match=match) as info:
        state, _ = weights.load_torch(target, KIND)
        weights.load_state(mlp(3, 2, (5,)), state, target)  # "wrong architecture"
    message = str(info.value)
    assert target.name in message and message.isprintable()


@pytest.mark.parametrize("content", ["garbage", "npy", "object array"])
def test_bad_npz_is_an_input_error(tmp_path, content):
    good = weights.save_npz(tmp_path / "m.npz", {"a": np.ones(2)}, {}, kind=KIND, recipe="t")
    if content == "object array":
        np.savez(tmp_path / "o.npz", a=np.array([{"x": 1}], dtype=object))
        data = (tmp_path / "o.npz").read_bytes()
    else:
        data = b"PK\x03\x04\xff" if content == "garbage" else _npy_bytes(tmp_path)
    bad = _fake(tmp_path, "bad.npz", data, meta_of=good)
    with pytest.raises(InputError, match="bad.npz: not a numeric .npz archive"):
        weights.load_npz(bad, KIND)


def test_non_printable_file_names_are_escaped(tmp_path):
    name = tmp_path / "w\x01\x7f.pt"
    with pytest.raises(InputError) as info:
        weights.load_torch(name, KIND)
    assert str(info.value).isprintable() and "\\x01" in str(info.value)


@pytest.mark.parametrize("domain, prefix, suffix, kind", [
    ("optics", "rrim_default", ".pt", "optics-model"),
    ("optics", "fcn_default", ".pt", "optics-model"),
    ("optics", "cnn_default", ".pt", "optics-model"),
    ("gap2a2f", "member_", ".npz", "gap2a2f-regressor"),
    ("conductivity", "attention_element_mixed", ".pt", "conductivity-network"),
    ("stm", "default_attention", ".pt", "stm-detector"),
])
def test_shipped_weights_match_their_checksums(domain, prefix, suffix, kind):
    files = weights.shipped_files(domain, prefix, suffix)
    assert files, f"no shipped {prefix}*{suffix} in specinv/data/{domain}"
    for f in files:
        meta = weights.read_metadata(f, kind)
        assert meta["weights"]["file"] == f.name and meta["weights"]["recipe"]
