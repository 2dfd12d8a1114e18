"""Imports point down only: the import-linter contracts of pyproject.toml hold.

Layers cli → domains (sts, optics, eliashberg, ac, stm; independent) → learning |
solvers → kernels | io → core, and no import cycle among the modules of any package.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                         cwd=ROOT / "src", capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
