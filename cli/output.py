"""Write rows as a rich table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """A table column: the row key it shows, its heading, and rich column options."""

    key: str
    heading: str
    options: dict[str, Any] = field(default_factory=dict)


# A long sentence takes one line, cut short: the table stays readable at 80 columns.
ONE_LINE = {"no_wrap": True, "overflow": "ellipsis", "max_width": 50}
# A column whose heading and values all fit in this many cells is a key column (an id, a format,
# a count, a state, a date): it keeps its full width on one line. The others are text (titles,
# URLs, sentences): they share the rest of the line, wrapped or cut short.
KEY_WIDTH = 20
MIN_TEXT_WIDTH = 8


def say(console: Console, text: str) -> None:
    """Print a plain message: no markup, no highlighting, no wrapping at the console width."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def write_rows(
    console: Console,
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[Column],
    title: str | None = None,
) -> None:
    """Rows as a table (only the given columns, with headings) or as complete CSV/JSON records."""
    if fmt == "json":
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt == "csv":
        names = list(rows[0]) if rows else [column.key for column in columns]
        writer = csv.DictWriter(sys.stdout, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    cells = [["" if row.get(c.key) is None else str(row[c.key]) for c in columns] for row in rows]
    for column, options in zip(columns, column_layout(console.width, columns, cells), strict=True):
        table.add_column(column.heading, **options)
    for row_cells in cells:
        # Text(), not str: a URL such as ?mark[]=x must not be read as console markup.
        table.add_row(*(Text(cell) for cell in row_cells))
    console.print(table)


def column_layout(
    width: int, columns: Sequence[Column], cells: Sequence[Sequence[str]]
) -> list[dict[str, Any]]:
    """Each column's rich options for a table `width` cells wide.

    Key columns get their full width (rich would otherwise squeeze an id or a count to nothing
    before it touches a long title). Text columns share what is left: the least demanding
    first, each up to what it needs, a column that wraps (a URL) counting twice as much as one
    cut to a line (a sentence), so the address stays readable and the sentence gets a glimpse.
    """
    natural = [
        max([_cells_wide(column.heading), *(_cells_wide(row[i]) for row in cells)])
        for i, column in enumerate(columns)
    ]
    keys = [n <= KEY_WIDTH for n in natural]
    one_line = [c.options.get("overflow") == "ellipsis" for c in columns]
    # A rich table spends one cell per border and two per column on padding.
    space = width - (3 * len(columns) + 1) - sum(n for i, n in enumerate(natural) if keys[i])
    wanted = {
        i: min(natural[i], columns[i].options.get("max_width") or natural[i])
        for i in range(len(columns))
        if not keys[i]
    }
    weight = {i: 1 if one_line[i] else 2 for i in wanted}
    given: dict[int, int] = {}
    left, weights = space, sum(weight.values())
    for i in sorted(wanted, key=lambda i: wanted[i] / weight[i]):
        share = left * weight[i] // weights if weights else 0
        given[i] = max(min(wanted[i], MIN_TEXT_WIDTH), min(wanted[i], share))
        left, weights = left - given[i], weights - weight[i]
    while given and sum(given.values()) > max(space, len(given)):  # floors overshot: trim
        widest = max(given, key=given.__getitem__)
        given[widest] -= 1
    layout = []
    for i, column in enumerate(columns):
        options = {"overflow": "fold", **column.options, "min_width": None, "max_width": None}
        if keys[i]:
            options.update(width=natural[i], no_wrap=True)
        else:
            options.update(width=given[i], no_wrap=one_line[i])  # the rest wraps, not cut
        layout.append(options)
    return layout


def _cells_wide(text: str) -> int:
    """How many terminal cells the widest line of a text takes."""
    return max((cell_len(line) for line in text.splitlines()), default=0)


def list_rows(
    out: Console,
    err: Console,
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[Column],
    empty: str,
    title: str | None = None,
) -> None:
    """A listing command's output: the rows, or for an empty table a hint on standard error
    (CSV and JSON stay machine-readable: a header, or [])."""
    if not rows and fmt == "table":
        say(err, empty)
        return
    write_rows(out, rows, fmt, columns, title=title)


def date_argument(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date (`--since`), or a usage error saying so."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def start_of(day: date) -> datetime:
    """The first moment of a day, in UTC."""
    return datetime.combine(day, datetime.min.time(), UTC)
