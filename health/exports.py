"""The report as data files: JSON and CSV, one record per citation (ReportRow.record)."""

from __future__ import annotations

import csv
import io
import json

from health.report import ReportRow


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
