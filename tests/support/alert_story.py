"""A story of alerts over simulated nights: a workspace with two reports and two cases, a real
SMTP server (aiosmtpd), and events written as detection writes them, then routed and delivered
by each night's digest step (`citewatch alerts send`, the nightly cycle's last step)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from models import AlertEvent, Case, CaseUpdate, Citation, Database
from models.kinds import EventKind
from models.targets import ensure_targets
from tests.support.smtp import MailServer
from tests.support.workspace import TEST_CONFIG, Workspace

YENSEBEK, OTHER = "Temirlan Yensebek", "Marat Zhylanbaev"
URLS = {  # a link of the briefing (document 1: a, b) or of the other report (document 2: c)
    "a": "https://orda.kz/ru/a-closed-trial",
    "b": "https://vlast.kz/novosti/b-the-sentence",
    "c": "https://kaztag.kz/ru/c-another-report",
}
SETUP_TIME = "2025-02-28T12:00:00+00:00"


@dataclass
class Story:
    workspace: Workspace
    mail: MailServer
    database: Database
    urls: dict[str, str]  # name: a link of the briefing (doc 1: a, b) or the other report (c)

    def send(self, when: str) -> str:
        """The digest step at `when`; its output."""
        run = self.workspace.cli("--now", when, "alerts", "send")
        assert run.code == 0, run.err
        return run.out

    def event(
        self, kind: EventKind, when: str, link: str = "", case: str = "", matched: str = ""
    ) -> int:
        """An event as detection writes it: a link's state change or news on a case."""
        detected = datetime.fromisoformat(when)
        with self.database.session() as session:
            if case:
                url = f"https://vlast.kz/news/{case.split()[0].lower()}-{detected:%d%H%M}"
                target = ensure_targets(session, [url], detected)[url]
                case_id = session.scalar(select(Case.id).where(Case.name == case))
                assert case_id is not None
                update = CaseUpdate(
                    case_id=case_id,
                    target_id=target.id,
                    kind="new",
                    url=url,
                    title=f"News on {case} of {detected:%d %B %H:%M}",
                    matched=matched or case,
                    found_at=detected,
                )
                session.add(update)
                session.flush()
                row = AlertEvent(
                    kind=kind, detected_at=detected, target_id=target.id, case_update_id=update.id
                )
            else:
                target_id = session.scalar(
                    select(Citation.target_id).where(Citation.url == self.urls[link])
                )
                row = AlertEvent(
                    kind=kind, detected_at=detected, target_id=target_id, since=detected
                )
            session.add(row)
            session.flush()
            return row.id

    def inbox(self) -> dict[str, list[EmailMessage]]:
        """The messages received since last asked, per envelope recipient."""
        received: dict[str, list[EmailMessage]] = {}
        for message in self.mail.take():
            received.setdefault(str(message["X-Envelope-To"]), []).append(message)
        return received


@contextmanager
def alert_story(
    root: Path, database_url: str, config: str, steps: Sequence[tuple[str, ...]]
) -> Iterator[Story]:
    """The workspace with both reports and both cases added, then `steps` run (recipients and
    their subscriptions); `config` is added to the test configuration ({smtp_port} filled)."""
    mail = MailServer()
    mail.start()
    smtp = (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
        'sender = "citewatch@example.org"\n'
    )
    workspace = Workspace(root, database_url, TEST_CONFIG + smtp + config)
    briefing = workspace.document([URLS["a"], URLS["b"]], "briefing.txt")
    other = workspace.document([URLS["c"]], "other.txt")
    setup = [("add", str(briefing)), ("add", str(other)), ("case", "add", YENSEBEK)]
    for step in [*setup, ("case", "add", OTHER), *steps]:
        run = workspace.cli("--now", SETUP_TIME, *step)
        assert run.code == 0, run.err
    database = workspace.database()
    try:
        yield Story(workspace, mail, database, dict(URLS))
    finally:
        mail.stop()
        database.dispose()
