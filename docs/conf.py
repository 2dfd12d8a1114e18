"""Sphinx configuration of the specinv documentation.

Build (offline; warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery (``docs/examples``) is executed at build time; examples that need the
third-party data of ``$SPECINV_DATA`` (or ``../shared/data`` beside a checkout) print a
visible note and skip their real-data part when it is absent.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import specinv  # noqa: E402

project = "specinv"
author = "the specinv authors"
copyright = "2026, the specinv authors"
release = version = specinv.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
    "rst_bars",
    "short_refs",
    "bench_tables",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.rst", "**/GALLERY_HEADER.rst"]
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"specinv {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # offline build: no version switcher, no external icon fetch
    "icon_links": [],
}
html_last_updated_fmt = None
# keep "--option" and quotes of the --help texts as typed (no en dashes, no curly quotes)
smartquotes = False

# -- API reference ------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# ``python -m specinv`` runs the CLI on import: mocked, so autosummary skips it
autosummary_mock_imports = ["specinv.__main__"]
autodoc_default_options = {"members": True, "show-inheritance": True,
                           "ignore-module-all": True, "undoc-members": True}
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Cross references ---------------------------------------------------------------
# Offline build: no intersphinx inventories are fetched. References to names outside
# specinv (numpy, torch, scipy, the standard library) are therefore not resolvable and
# are listed here; every reference *inside* specinv must resolve (nitpicky).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(np|numpy|torch|scipy|pathlib|argparse|collections|typing|dask|"
               r"distributed|h5py|matplotlib|concurrent|dataclasses|enum|abc)(\..*)?"),
    (r"py:.*", r"(Path|ndarray|Any|Callable|Iterator|Iterable|Sequence|Mapping|"
               r"ClassVar|Literal|NDArray|Generator|Self|TypeVar|Protocol|Enum|"
               r"Exception|UserWarning|RuntimeWarning|ValueError|TypeError|"
               r"RuntimeError|Warning|object|float|int|str|bool|dict|list|tuple|"
               r"callable)"),
    # private helpers (base classes, hooks) are not part of the reference
    (r"py:.*", r"(.*\.)?_[A-Za-z]\w*(\.\w+)*"),
    (r"py:.*", r"tempfile\..*"),
]

# -- Gallery ------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"specinv": None},
    "matplotlib_animations": False,
    "show_memory": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# numpydoc parses the solvers' ``Options`` section (read by the solver registry) as an
# unknown section and says so through Python warnings, not Sphinx's log; silence it here.
warnings.filterwarnings("ignore", message="Unknown section Options")
