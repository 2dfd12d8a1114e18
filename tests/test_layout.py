"""Size limits of the source: one concept per module, functions a reader can hold.

Walks ``src/specinv`` with :mod:`ast`: no module over :data:`MAX_MODULE_LINES`
lines, no function (or method) over :data:`MAX_FUNCTION_LINES` lines, except
the entries of :data:`ALLOWED`, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "specinv"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80

#: "module" or "module::function" (paths relative to src/specinv) → why it may exceed
ALLOWED: dict[str, str] = {
    # pending: a linear script of experiments whose figures only `specinv bench optics`
    # checks (its end-to-end test is marked slow); its split must be confirmed by a
    # before/after run of that bench, which the tidy helper may not run
    "optics/bench.py::run": "pending: split needs a before/after `specinv bench optics` run",
}


def _offenders() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        n = len(text.splitlines())
        if n > MAX_MODULE_LINES and rel not in ALLOWED:
            out.append(f"{rel}: {n} lines > {MAX_MODULE_LINES}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                key = f"{rel}::{node.name}"
                if length > MAX_FUNCTION_LINES and key not in ALLOWED:
                    out.append(f"{key}: {length} lines > {MAX_FUNCTION_LINES}")
    return out


def test_modules_and_functions_stay_small():
    offenders = _offenders()
    assert not offenders, "split by concept:\n" + "\n".join(offenders)


def test_every_exception_is_still_needed():
    """An allow-list entry whose module or function is now small enough must go."""
    stale = []
    for key in ALLOWED:
        rel, _, func = key.partition("::")
        path = SRC / rel
        if not path.exists():
            stale.append(f"{key}: no such module")
            continue
        text = path.read_text(encoding="utf-8")
        if not func:
            if len(text.splitlines()) <= MAX_MODULE_LINES:
                stale.append(f"{key}: now within {MAX_MODULE_LINES} lines")
            continue
        lengths = [n.end_lineno - n.lineno + 1 for n in ast.walk(ast.parse(text))
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == func]
        if not lengths or max(lengths) <= MAX_FUNCTION_LINES:
            stale.append(f"{key}: now within {MAX_FUNCTION_LINES} lines")
    assert not stale, "remove from ALLOWED:\n" + "\n".join(stale)
