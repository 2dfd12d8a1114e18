"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from specinv.io.datasets import ENV, data_root


@pytest.fixture
def shared_data() -> Path:
    """Folder of third-party data (``$SPECINV_DATA`` or ``../shared/data``); tests using it
    skip with the reason when it is absent."""
    root = data_root()
    if root is None or not root.is_dir():
        pytest.skip(f"third-party data not available: set {ENV} or place it at ../shared/data")
    return root
