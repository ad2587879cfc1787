"""Write rows as a rich table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    for column in columns:
        table.add_column(column.heading, **{"overflow": "fold", **column.options})
    for row in rows:
        # Text(), not str: a URL such as ?mark[]=x must not be read as console markup.
        table.add_row(*(Text("" if row.get(c.key) is None else str(row[c.key])) for c in columns))
    console.print(table)


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
