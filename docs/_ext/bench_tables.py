"""Sphinx extension: benchmark tables rendered from the JSON the benchmarks write.

Usage in a page::

    .. bench-table:: bench/calibration.json
       :path: results
       :row-header: domain / method
       :command: specinv bench calibration --quick --output DIR

       nominal_68 | nominal 68 % band | {:.0%}
       scale | factor | ×{:.3g}

``:path:`` is a ``/``-separated path into the JSON to a mapping of rows (row name ->
mapping of values) or to a list of row mappings (then ``:row-key:`` names the field
that labels each row). Each content line is ``key | column header | format``. The
table is followed by the file and the command that wrote it.

With ``:scalars:`` the node is one mapping of values, and each content line becomes a
row ``column header | value`` (the table's two headers come from ``:row-header:``,
``quantity`` by default, and ``value``).

A list of records can instead be pivoted: ``:pivot: ROW_FIELD, COLUMN_FIELD`` makes one
row per value of the first field and one column per value of the second (in file
order), and ``:cell:`` formats each cell from the record's fields, e.g.
``{peak_position:.3f}, L2 {l2:.2f}``. A missing file, path or
key is a build error: a table is never shown with numbers that are not in the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _walk(data: Any, path: str) -> Any:
    for part in filter(None, path.split("/")):
        if isinstance(data, list):
            data = data[int(part)]
        else:
            data = data[part]
    return data


def format_value(value: Any, fmt: str) -> str:
    """One table cell.

    Parameters
    ----------
    value : Any
        The JSON value (None and NaN show as "–").
    fmt : str
        A ``str.format`` pattern with one field, e.g. ``{:.3g}``.

    Returns
    -------
    str
        The formatted cell.
    """
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " / ".join(format_value(v, fmt) for v in value)
    return fmt.format(value)


def rows_of(data: Any, row_key: str | None) -> list[tuple[str, dict[str, Any]]]:
    """``(label, values)`` per row of a mapping or a list of mappings.

    Parameters
    ----------
    data : dict or list
        The JSON node that holds the rows.
    row_key : str or None
        For a list: the field (or ``+``-joined fields) that labels each row.

    Returns
    -------
    list of (str, dict)
        The rows in file order.
    """
    if isinstance(data, dict):
        return [(str(k), v) for k, v in data.items()]
    if not row_key:
        raise ValueError("a list of rows needs :row-key:")
    keys = row_key.split("+")
    return [(", ".join(str(r[k]) for k in keys), r) for r in data]


class BenchTable(SphinxDirective):
    """The ``bench-table`` directive (see the module docstring)."""

    required_arguments = 1
    has_content = True
    option_spec = {  # noqa: RUF012 (docutils API)
        "path": directives.unchanged,
        "row-key": directives.unchanged,
        "row-header": directives.unchanged,
        "command": directives.unchanged,
        "caption": directives.unchanged,
        "pivot": directives.unchanged,
        "cell": directives.unchanged,
        "scalars": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        """Build the table node.

        Returns
        -------
        list of docutils.nodes.Node
            The table and its source note.
        """
        rel, abs_path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        data = _walk(json.loads(Path(abs_path).read_text()), self.options.get("path", ""))
        try:
            if "pivot" in self.options:
                header, body = self._pivot(data)
            elif "scalars" in self.options:
                header, body = self._scalars(data)
            else:
                header, body = self._records(data)
        except (KeyError, IndexError, ValueError) as exc:
            raise self.error(f"{rel}: {exc!r}") from exc
        table = self._table(header, body)
        note = nodes.paragraph()
        note += nodes.Text("Rendered at build time from ")
        note += nodes.literal(text=f"docs/{rel}")
        if "command" in self.options:
            note += nodes.Text(", written by ")
            note += nodes.literal(text=self.options["command"])
        note += nodes.Text(".")
        return [table, note]

    def _records(self, data: Any) -> tuple[list[str], list[list[str]]]:
        columns = [tuple(part.strip() for part in line.split("|")) for line in self.content
                   if line.strip()]
        header = [self.options.get("row-header", ""), *(c[1] for c in columns)]
        rows = rows_of(data, self.options.get("row-key"))
        for key, _, _ in columns:  # a key some rows lack shows "–"; one that none has is a typo
            if not any(key in values for _, values in rows):
                raise KeyError(key)
        body = [[label, *(format_value(values.get(key), fmt) for key, _, fmt in columns)]
                for label, values in rows]
        return header, body

    def _scalars(self, data: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
        columns = [tuple(part.strip() for part in line.split("|")) for line in self.content
                   if line.strip()]
        header = [self.options.get("row-header", "quantity"), "value"]
        return header, [[label, format_value(data[key], fmt)] for key, label, fmt in columns]

    def _pivot(self, data: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        row_field, col_field = (f.strip() for f in self.options["pivot"].split(","))
        cell = self.options["cell"]
        row_names = list(dict.fromkeys(str(r[row_field]) for r in data))
        col_names = list(dict.fromkeys(str(r[col_field]) for r in data))
        cells = {(str(r[row_field]), str(r[col_field])): cell.format(**r) for r in data}
        header = [self.options.get("row-header", row_field), *col_names]
        body = [[name, *(cells.get((name, col), "–") for col in col_names)]
                for name in row_names]
        return header, body

    def _table(self, header: list[str], body: list[list[str]]) -> nodes.table:
        table = nodes.table()
        if "caption" in self.options:
            table += nodes.title(text=self.options["caption"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _ in header)
        thead, tbody = nodes.thead(), nodes.tbody()
        for target, rows in ((thead, [header]), (tbody, body)):
            for cells in rows:
                row = nodes.row()
                for text in cells:
                    entry = nodes.entry()
                    entry += nodes.paragraph(text=text)
                    row += entry
                target += row
        group += thead
        group += tbody
        return table


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The Sphinx application.

    Returns
    -------
    dict
        Extension metadata (parallel-safe).
    """
    app.add_directive("bench-table", BenchTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
