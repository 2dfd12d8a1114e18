"""The lazy solver registry: one module per method, all of them on demand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from specinv import ParameterError
from specinv.solvers import SOLVER_MODULES, SOLVERS, get_solver, load_all


def test_every_registered_solver_is_named_with_its_module():
    load_all()
    assert set(SOLVERS) == set(SOLVER_MODULES)
    for name, cls in SOLVERS.items():
        assert cls.name == name and cls.__module__ == SOLVER_MODULES[name]


def test_unknown_method_lists_every_valid_one():
    with pytest.raises(ParameterError, match="valid methods: ") as info:
        get_solver("magic")
    for name in SOLVER_MODULES:
        assert name in str(info.value)


def test_a_classical_method_imports_neither_torch_nor_other_solvers():
    code = ("import sys; from specinv.solvers import get_solver; get_solver('maxent'); "
            "print(' '.join(sorted(m for m in sys.modules if m == 'torch' or "
            "m.startswith(('specinv.solvers.', 'specinv.optics')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert "torch" not in out
    assert "specinv.solvers.maxent" in out
    others = {m for k, m in SOLVER_MODULES.items() if k != "maxent"}
    assert not others & set(out)
