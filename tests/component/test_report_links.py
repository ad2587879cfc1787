"""Reports and digests point into the dashboard: with [web] base_url, every "our copy" links to
the link's page there; without it, the wording is as before. The HTML report opens with the
sources in trouble and shows each citing sentence and the title of our copy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from alerts.digest import Copy, Digest, LinkNotice, NewsItem, render
from config import AlertsConfig, SmtpConfig
from health.report import ReportRow, render_html

NOW = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
BASE = "https://citewatch.example.org"
ROW = ReportRow(
    document_id=1,
    document="Briefing",
    footnote="1",
    url="https://vlast.kz/a",
    canonical_url="https://vlast.kz/a",
    context="Temirlan Yensebek was arrested <on 17 January>.",
    state="alive",
    verdict="ok",
    since=NOW,
    checked_at=NOW,
    last_ok_at=NOW,
    snapshot_id=11,
    snapshot_at=NOW,
    current_snapshot_id=None,
    current_at=None,
    memento_url=None,
    memento_at=None,
    hint=None,
    overridden=False,
    target_id=5,
    title="Суд арестовал автора паблика & co",
)


def row(note: str, url: str, state: str, target_id: int, snapshot_id: int | None) -> ReportRow:
    """Another citation of the briefing."""
    return replace(
        ROW,
        footnote=note,
        url=url,
        canonical_url=url,
        state=state,
        target_id=target_id,
        snapshot_id=snapshot_id,
    )


ROWS = [
    ROW,
    row("2", "https://orda.kz/b", "dead", 6, 12),
    row("3", "https://x.kz/c", "unknown", 7, None),
    row("4", "https://y.kz/d", "drifted", 8, 14),
]


def test_the_html_report_links_our_copies_to_the_dashboard() -> None:
    page = render_html(ROWS, NOW, base_url=BASE + "/")
    assert f'<a href="{BASE}/links/5">our copy: snapshot 11 (2025-03-04)</a>' in page
    assert f'<a href="{BASE}/links/6">' in page and f'<a href="{BASE}/links/8">' in page
    assert f"{BASE}/links/7" not in page  # no copy, no link
    assert "Суд арестовал автора паблика &amp; co" in page
    assert "Temirlan Yensebek was arrested &lt;on 17 January&gt;." in page


def test_the_html_report_opens_with_the_problems_in_note_order() -> None:
    page = render_html(ROWS, NOW)
    order = [page.index(url) for url in ("orda.kz/b", "y.kz/d", "vlast.kz/a", "x.kz/c")]
    assert order == sorted(order)
    assert page.index("Problems") < page.index("orda.kz/b") < page.index("Other sources")


def test_without_a_base_url_the_report_keeps_its_wording() -> None:
    page = render_html(ROWS, NOW)
    assert "our copy: snapshot 11 (2025-03-04)<br>" in page
    assert "/links/" not in page


def test_report_records_keep_their_keys_and_add_the_new_ones() -> None:
    record = ROW.record()
    assert list(record)[:19] == [
        "document_id", "document", "footnote", "url", "canonical_url", "context", "state",
        "verdict", "since", "checked_at", "last_ok_at", "snapshot_id", "snapshot_at",
        "current_snapshot_id", "current_at", "memento_url", "memento_at", "hint", "overridden",
    ]  # fmt: skip
    assert record["target_id"] == 5 and record["title"] == ROW.title
    assert "archived_text" not in record


def digest() -> Digest:
    copy = Copy(7, NOW, "citewatch-20250304-00001.warc.gz at offset 1234", 5, "Приговор <сатирику>")
    return Digest(
        cases={
            "Temirlan Yensebek": [
                NewsItem("Приговор", "vlast.kz", None, "Енсебеку", "https://vlast.kz/a", copy)
            ]
        },
        documents=[
            (
                "Briefing",
                [
                    LinkNotice(
                        "dead (confirmed)", "12", "https://orda.kz/b", NOW, replace(copy, target_id=9),
                        None, context="The court <sentenced> him.",
                    )
                ],
            )
        ],
        event_ids=[1, 2],
    )  # fmt: skip


def parts(base_url: str) -> tuple[str, str]:
    message = render(
        digest(),
        SmtpConfig(sender="cw@example.org"),
        AlertsConfig(("a@example.org",)),
        NOW,
        base_url=base_url,
    )
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_the_digest_links_our_copies_to_the_dashboard() -> None:
    plain, html = parts(BASE)
    assert f"Our copy: {BASE}/links/5 (snapshot 7 of 2025-03-04 02:00 UTC)" in plain
    assert f"Our copy: {BASE}/links/9 (snapshot 7 of 2025-03-04 02:00 UTC)" in plain
    assert "Title: Приговор <сатирику>" in plain
    assert 'Cited for: "The court <sentenced> him."' in plain
    assert f'<a href="{BASE}/links/5">Our copy</a>' in html
    assert f'<a href="{BASE}/links/9">Our copy</a>' in html
    assert "Приговор &lt;сатирику&gt;" in html and "The court &lt;sentenced&gt; him." in html


def test_without_a_base_url_the_digest_keeps_its_wording() -> None:
    plain, html = parts("")
    assert "Our copy: snapshot 7 of 2025-03-04 02:00 UTC (citewatch text 7;" in plain
    assert "Our copy: snapshot 7 of 2025-03-04 02:00 UTC (citewatch warc 7;" in plain
    assert "/links/" not in plain and "/links/" not in html
