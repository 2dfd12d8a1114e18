"""The one thread limit restores the caller's torch and BLAS settings."""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_info

from specinv.core.threads import compute_threads


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info()]


def test_compute_threads_limits_inside_and_restores_after():
    torch_before, blas_before = torch.get_num_threads(), _blas_threads()
    with compute_threads(1):
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in _blas_threads())
    assert torch.get_num_threads() == torch_before
    assert _blas_threads() == blas_before


def test_compute_threads_restores_after_an_exception():
    before = torch.get_num_threads()
    try:
        with compute_threads(1):
            raise RuntimeError("inside")
    except RuntimeError:
        pass
    assert torch.get_num_threads() == before


def test_none_leaves_everything_unchanged():
    with compute_threads(2):
        with compute_threads(None):
            assert torch.get_num_threads() == 2
