"""Every public function, method and class of specinv documents its parameters and returns.

The check uses numpydoc's own validator (``numpydoc.validate``) and keeps only the error
codes that say a section or a description is missing, or disagrees with the signature:

- GL08: no docstring at all;
- PR01 / PR02: a parameter of the signature is not in ``Parameters`` / a documented
  parameter is not in the signature (for a class, the signature is its constructor's, so
  ``__init__`` parameters are documented in the class docstring);
- PR07: a documented parameter has no description (where shapes and units go);
- RT01: a function that returns a value has no ``Returns`` section;
- RT03: a documented return value has no description;
- YD01: a generator has no ``Yields`` section.

Public means: the name has no leading underscore, it is defined (not imported) in a module
of ``specinv`` whose dotted path has no component with a leading underscore, and for
methods the method is defined in the class body (dunder methods are exempt; ``__init__``
is covered by the class). Properties are attributes, not functions, and are not checked.

Exempt by rule: the argparse hooks of the CLI and bench modules, ``register(sub)``,
``add_arguments(parser)``, ``run(args)`` and their ``register_<group>`` / ``run_<command>``
variants, whose only parameter is the argparse object the dispatcher passes and whose
contract (add sub-parsers or arguments; run a parsed command and return its exit code)
is stated once in ``specinv.cli.main``.

Run ``python tests/test_docstrings.py`` to print the coverage overall and per package.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections import defaultdict
from collections.abc import Iterator
from functools import cache

import numpydoc.validate as numpydoc_validate

import specinv

CHECKED_CODES = frozenset({"GL08", "PR01", "PR02", "PR07", "RT01", "RT03", "YD01"})
CLI_HOOKS = frozenset({"register", "add_arguments", "run"})

# Packages (every module below them) and modules whose docstrings are complete; the test
# fails on any gap inside them. Every package is complete: the whole of specinv is checked.
COMPLETE_PACKAGES: tuple[str, ...] = ("specinv",)

#: Public objects exempt for now, each with its reason; an entry that passes the check
#: must go (:func:`test_every_pending_entry_is_still_needed`).
PENDING: dict[str, str] = {}


def _is_cli_hook(name: str, obj: object) -> bool:
    """Whether ``obj`` is an argparse hook of a CLI or bench module.

    That is a function named ``register``, ``add_arguments`` or ``run`` (or
    ``register_<group>`` / ``run_<command>``) whose one parameter is the argparse
    object the dispatcher passes (annotated with an ``argparse`` type, or named
    ``args`` / ``parser``).
    """
    hook_name = name in CLI_HOOKS or name.startswith(("register_", "run_"))
    if not hook_name or not inspect.isfunction(obj):
        return False
    params = list(inspect.signature(obj).parameters.values())
    if len(params) != 1:
        return False
    return "argparse" in str(params[0].annotation) or params[0].name in ("args", "parser")


def _public_modules() -> Iterator[str]:
    """Dotted names of every public module of specinv, the package itself included."""
    yield specinv.__name__
    for info in pkgutil.walk_packages(specinv.__path__, prefix="specinv."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield info.name


def _public_objects() -> Iterator[tuple[str, object]]:
    """``(qualified name, object)`` for every public function, method and class."""
    for modname in _public_modules():
        module = importlib.import_module(modname)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != modname:
                continue
            if inspect.isclass(obj):
                yield f"{modname}.{name}", obj
                for mname, member in vars(obj).items():
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if not mname.startswith("_") and inspect.isfunction(member):
                        yield f"{modname}.{name}.{mname}", member
            elif inspect.isfunction(obj) and not _is_cli_hook(name, obj):
                yield f"{modname}.{name}", obj


def _problems(obj: object) -> list[str]:
    """The checked numpydoc errors of one object, as ``"CODE message"`` strings.

    Only the checks of :data:`CHECKED_CODES` are run, with numpydoc's own ``Validator``
    and the logic of ``numpydoc.validate.validate`` (which runs every check and reads
    each object's source several times: too slow for the whole package). PR07 is applied
    to every parameter, also those whose type is a set of options, which numpydoc skips.
    """
    with warnings.catch_warnings():
        # The solvers' ``Options`` section (read by the solver registry) is not a numpydoc
        # section name; it is kept and simply not checked here.
        warnings.filterwarnings("ignore", message="Unknown section Options")
        doc = numpydoc_validate.Validator(numpydoc_validate.get_doc_object(obj))
    if not doc.raw_doc:
        errors = [numpydoc_validate.error("GL08")]
    else:
        errors = list(doc.parameter_mismatches)
        errors += [numpydoc_validate.error("PR07", param_name=name)
                   for name, (_, desc) in doc.doc_parameters.items() if not "".join(desc).strip()]
        errors += [numpydoc_validate.error("RT03")
                   for _, _, desc in doc.returns if not "".join(desc).strip()]
        if doc.is_function_or_method:
            if not doc.returns and doc.method_returns_something:
                errors.append(numpydoc_validate.error("RT01"))
            if not doc.yields and doc.is_generator_function:
                errors.append(numpydoc_validate.error("YD01"))
    return [f"{code} {msg}" for code, msg in errors if code in CHECKED_CODES]


@cache
def _report() -> dict[str, list[tuple[str, list[str]]]]:
    """Per package (``specinv.eliashberg.engine``, ...), each public object with its problems."""
    by_package: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for qualname, obj in _public_objects():
        module = inspect.getmodule(obj)
        is_package = hasattr(module, "__path__")
        package = module.__name__ if is_package else module.__name__.rpartition(".")[0]
        by_package[package].append((qualname, _problems(obj)))
    return by_package


def _coverage_lines(report: dict[str, list[tuple[str, list[str]]]]) -> list[str]:
    """Human-readable coverage, documented / total, overall and per package."""
    lines = []
    done_all = total_all = 0
    for package in sorted(report):
        entries = report[package]
        done = sum(not problems for _, problems in entries)
        done_all += done
        total_all += len(entries)
        lines.append(f"  {package:32s} {done:4d} / {len(entries):4d}")
    pct = 100.0 * done_all / max(total_all, 1)
    return [f"docstring coverage: {done_all} / {total_all} ({pct:.0f} %)", *lines]


def _in_complete_package(qualname: str) -> bool:
    """Whether ``qualname`` lies in one of :data:`COMPLETE_PACKAGES`."""
    return any(qualname == p or qualname.startswith(p + ".") for p in COMPLETE_PACKAGES)


def test_public_api_is_documented() -> None:
    report = _report()
    missing = [
        f"{qualname}: {'; '.join(problems)}"
        for entries in report.values()
        for qualname, problems in entries
        if problems and _in_complete_package(qualname) and qualname not in PENDING
    ]
    assert not missing, "\n".join([*_coverage_lines(report), *missing])


def test_every_pending_entry_is_still_needed() -> None:
    """A :data:`PENDING` object that is now documented (or gone) must leave the list."""
    problems = {qualname: problems for entries in _report().values()
                for qualname, problems in entries}
    stale = [name for name in PENDING if not problems.get(name)]
    assert not stale, "remove from PENDING:\n" + "\n".join(stale)


def test_checker_flags_an_undocumented_function() -> None:
    def undocumented(x: float) -> float:
        return 2.0 * x

    def documented(x: float) -> float:
        """Double a number.

        Parameters
        ----------
        x : float
            Any number.

        Returns
        -------
        float
            ``2 x``.
        """
        return 2.0 * x

    assert {p.split()[0] for p in _problems(undocumented)} == {"GL08"}
    undocumented.__doc__ = "Double a number."
    assert {p.split()[0] for p in _problems(undocumented)} == {"PR01", "RT01"}
    undocumented.__doc__ = (documented.__doc__ or "").replace("Any number.", "").replace(
        "``2 x``.", "")
    assert {p.split()[0] for p in _problems(undocumented)} == {"PR07", "RT03"}
    assert _problems(documented) == []


if __name__ == "__main__":
    print("\n".join(_coverage_lines(_report())))
