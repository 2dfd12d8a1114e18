"""Tiny data sets built by the engine inside the tests (no cached data needed)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """About 20 kept "simple" samples (40 tried) built with the engine's builder."""
    from specinv.eliashberg.gap2a2f.data import prepare

    root = tmp_path_factory.mktemp("gap2a2f")
    prepare("simple", root, n=40, workers=1)
    return root / "simple"


@pytest.fixture(scope="session")
def tiny_set(tiny_dir):
    from specinv.eliashberg.gap2a2f.data import load

    return load(tiny_dir)
