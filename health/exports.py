"""The report as files: JSON and CSV, one record per citation (ReportRow.record), or HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from health.report import ReportRow, render_html


def render_json(rows: list[ReportRow]) -> str:
    """The report as a JSON array of records."""
    return json.dumps([row.record() for row in rows], ensure_ascii=False, indent=2) + "\n"


def render_csv(rows: list[ReportRow]) -> str:
    """The report as CSV with a header line."""
    records = [row.record() for row in rows]
    buffer = io.StringIO()
    names = (
        list(records[0])
        if records
        else [n for n in ReportRow.__dataclass_fields__ if n != "archived_text"]
    )
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def render_report(rows: list[ReportRow], fmt: str, generated_at: datetime, base_url: str) -> str:
    """The report as a csv, json or html file (`citewatch report`, the dashboard's exports)."""
    if fmt == "html":
        return render_html(rows, generated_at, base_url)
    if fmt == "json":
        return render_json(rows)
    return render_csv(rows)
