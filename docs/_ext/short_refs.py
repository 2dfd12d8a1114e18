"""Sphinx extension: resolve the short and re-exported names the docstrings use.

The docstrings cite objects the way a reader of the source does: by the name
imported into the module (``:class:`STSKernel```), through a re-export
(``:func:`specinv.solve```) or relative to the class (``:attr:`defaults```).
Sphinx's Python domain resolves only the full path of the documented object. On a
missing reference this hook looks the name up:

1. import it (relative to the citing module, then absolute) and use the documented
   path of the object it is (``specinv.solve`` -> ``specinv.solvers.base.solve``);
   a module-level constant without its own entry links to its module, an instance
   attribute (documented in the class's docstring) to its class;
2. else the documented objects whose dotted name ends with it, the one sharing the
   longest prefix with the citing module and class if that choice is unique.

References that stay unresolved remain nitpicky warnings (errors with ``-W``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode


def _import(path: str) -> Any:
    """The object at a dotted path (longest importable module, then attributes)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _lookup(path: str, objects: dict[str, Any]) -> str | None:
    """The documented entry for a dotted path, or None.

    A constant without its own entry links to its module (or class); an instance
    attribute (not importable, documented in its class's docstring) to its class.
    """
    obj = _import(path)
    parent_path, _, leaf = path.rpartition(".")
    if obj is not None:
        found = _documented_path(obj, objects)
        if found:
            return found
    parent = _import(parent_path) if parent_path else None
    owner = _documented_path(parent, objects) if parent is not None else None
    if owner is None:
        return None
    if f"{owner}.{leaf}" in objects:  # a property or other descriptor of a documented class
        return f"{owner}.{leaf}"
    if obj is None:  # not importable: an instance attribute, if its owner is a class
        return owner if inspect.isclass(parent) and leaf.isidentifier() else None
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
        return None  # an object of a documented kind that has no entry: unresolved
    return owner


def _documented_path(obj: Any, objects: dict[str, Any]) -> str | None:
    """Where ``obj`` is documented: its own entry, else (a constant) its module's."""
    if inspect.ismodule(obj):
        return obj.__name__ if obj.__name__ in objects else None
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname and f"{module}.{qualname}" in objects:
        return f"{module}.{qualname}"
    return None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        n += 1
    return n


def resolve(target: str, context: str, objects: dict[str, Any]) -> str | None:
    """The documented full name a short reference means, or None.

    Parameters
    ----------
    target : str
        The reference as written, without ``~`` or leading dots.
    context : str
        Dotted module (and class) of the citing docstring.
    objects : dict
        The Python domain's documented objects, by full name.

    Returns
    -------
    str or None
        A key of ``objects``.
    """
    module = context
    while module:
        found = _lookup(f"{module}.{target}", objects)
        if found:
            return found
        module = module.rpartition(".")[0]
    found = _lookup(target, objects)
    if found:
        return found
    candidates = [name for name in objects if name.endswith("." + target)]
    if not candidates:
        return None
    best = max(_common_prefix(c, context) for c in candidates)
    top = [c for c in candidates if _common_prefix(c, context) == best]
    return top[0] if len(top) == 1 else None


def _missing_reference(app: Sphinx, env: BuildEnvironment, node: pending_xref,
                       contnode: nodes.Element) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    target = "".join(node["reftarget"].split()).lstrip("~.")
    domain = env.get_domain("py")
    objects = domain.objects
    context = ".".join(p for p in (node.get("py:module"), node.get("py:class")) if p)
    full = resolve(target, context or "specinv", objects)
    if full is None:
        return None
    entry = objects[full]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                        contnode, full)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the missing-reference hook.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The Sphinx application.

    Returns
    -------
    dict
        Extension metadata (parallel-safe).
    """
    app.connect("missing-reference", _missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
