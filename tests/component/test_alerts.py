"""Alert events from link state changes, and the digest message itself."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from alerts.digest import Copy, Digest, LinkNotice, NewsItem, render
from alerts.events import record_link_events
from config import AlertsConfig, SmtpConfig
from health.evaluate import RunHealth, Transition
from models import AlertEvent, CrawlRun, Database
from models.kinds import LinkState
from models.targets import ensure_targets

NOW = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)


def test_link_events_are_deaths_drifts_and_recoveries_never_from_an_outage(
    database: Database,
) -> None:
    with database.session() as session:
        targets = ensure_targets(session, [f"https://vlast.kz/{i}" for i in range(5)], NOW)
        ids = [t.id for t in targets.values()]
        run = CrawlRun(kind="check", scope="all", status="finished", started_at=NOW)
        session.add(run)
        session.flush()

        def health(degraded: bool) -> RunHealth:
            moves = [
                (LinkState.SUSPECT, LinkState.DEAD),
                (LinkState.ALIVE, LinkState.DRIFTED),
                (LinkState.DEAD, LinkState.ALIVE),
                (LinkState.ALIVE, LinkState.SUSPECT),  # not confirmed: no alert
                (LinkState.SUSPECT, LinkState.ALIVE),  # never alerted: no recovery either
            ]
            transitions = [
                Transition(i, f"https://vlast.kz/{i}", before, after, NOW)
                for i, (before, after) in zip(ids, moves, strict=True)
            ]
            return RunHealth(run.id, degraded, {}, transitions)

        assert record_link_events(session, health(degraded=True), NOW) == 0
        assert record_link_events(session, health(degraded=False), NOW) == 3
        kinds = session.scalars(select(AlertEvent.kind).order_by(AlertEvent.id)).all()
    assert kinds == ["link_dead", "link_drifted", "link_recovered"]


def test_the_digest_is_text_and_html_with_everything_escaped() -> None:
    copy = Copy(7, NOW, "citewatch-20250304-00001.warc.gz at offset 1234")
    digest = Digest(
        cases={
            "Temirlan <Yensebek>": [
                NewsItem(
                    "Суд & «приговор»",
                    "vlast.kz",
                    "2025-03-03",
                    "<script>x()</script>",
                    "https://vlast.kz/a?x=1&y=2",
                    copy,
                )
            ]
        },
        documents=[
            (
                "Briefing",
                [LinkNotice("dead (confirmed)", "12", "https://orda.kz/b", NOW, copy, None)],
            )
        ],
        event_ids=[1, 2],
    )
    message = render(
        digest, SmtpConfig(sender="cw@example.org"), AlertsConfig(("a@example.org",)), NOW
    )
    assert message["Subject"] == "[citewatch] 1 case update, 1 link alert"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    text, markup = plain.get_content(), html.get_content()
    assert "<script>x()</script>" in text  # plain text is plain
    assert "<script>" not in markup and "&lt;script&gt;x()&lt;/script&gt;" in markup
    assert "Temirlan &lt;Yensebek&gt;" in markup
    assert 'href="https://vlast.kz/a?x=1&amp;y=2"' in markup
    assert "Note 12: dead (confirmed) since 2025-03-04" in text
    assert "citewatch warc 7" in text and "citewatch-20250304-00001.warc.gz" in text
