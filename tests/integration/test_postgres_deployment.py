"""PostgreSQL in production: pool settings, TLS parameters in the URL, an upgrade from the
previous release keeping its data, and the hot queries planned on their indexes.

bench/plans.py shows the same plans on 100,000 targets, with and without the indexes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, inspect, select, text
from sqlalchemy.pool import QueuePool

from alerts.digest import unqueued_events
from alerts.routing import _due_events
from cli import main
from config import ConfigError
from config.loader import load_config
from config.schema import DatabaseConfig
from models import CrawlRun, Database, Recipient, Session, Target
from models.crawls import archive_pending, check_pending, targets_to_check
from models.database import alembic_config
from tests.support.databases import postgres_schema_url

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
PREVIOUS_RELEASE = "0013"
TARGETS = 5000


@pytest.fixture
def database_url() -> Iterator[str]:
    """A private PostgreSQL schema (cli_env's database too)."""
    yield from postgres_schema_url()


def test_pool_settings_reach_the_postgres_engine(tmp_path: Path) -> None:
    config = load_config(
        None,
        tmp_path,
        {
            "CITEWATCH_DATABASE_URL": "postgresql://citewatch@db.example.org/citewatch",
            "CITEWATCH_DATABASE_POOL_SIZE": "3",
            "CITEWATCH_DATABASE_MAX_OVERFLOW": "2",
            "CITEWATCH_DATABASE_POOL_RECYCLE_SECONDS": "600",
        },
    )
    pool = Database(config.database_url, pool=config.database).engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._recycle) == (3, 2, 600)
    # 0 is "never", SQLAlchemy's -1; the defaults are SQLAlchemy's own.
    pool = Database(config.database_url, pool=DatabaseConfig()).engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._recycle) == (5, 10, -1)


def test_sqlite_keeps_its_own_pool(tmp_path: Path) -> None:
    settings = DatabaseConfig(pool_size=3, max_overflow=2)
    pool = Database(f"sqlite:///{tmp_path / 'citewatch.db'}", pool=settings).engine.pool
    assert not isinstance(pool, QueuePool) or pool.size() != 3


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("POOL_SIZE", "0", "pool_size must be at least 1"),
        ("MAX_OVERFLOW", "-1", "must not be negative"),
        ("POOL_SIZE", "five", "expected a whole number"),
    ],
)
def test_wrong_pool_settings_are_refused(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, tmp_path, {f"CITEWATCH_DATABASE_{name}": value})


@pytest.mark.postgres
def test_tls_parameters_go_in_the_url(
    cli_env: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("CITEWATCH_DATABASE_URL", f"{database_url}&sslmode=disable")
    assert main(["db", "current"]) == 0
    assert "schema (empty), behind" in capsys.readouterr().out

    monkeypatch.setenv("CITEWATCH_DATABASE_URL", f"{database_url}&sslmode=nonsense")
    assert main(["db", "current"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("citewatch: error: cannot open database postgresql+psycopg://")
    assert 'invalid sslmode value: "nonsense"' in err
    assert err.count("\n") == 1  # one line


@pytest.mark.postgres
def test_upgrade_from_the_previous_release_keeps_the_data(
    cli_env: Path, database_url: str, capsys: Any
) -> None:
    database = Database(database_url)
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), PREVIOUS_RELEASE)
        fill(connection.execute, 100)
    head = database.head_revision()

    assert main(["db", "upgrade"]) == 0
    assert f"upgraded schema {PREVIOUS_RELEASE} -> {head}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert f"schema {head}, up to date" in capsys.readouterr().out

    with database.session() as session:
        assert session.scalar(select(Target.canonical_url).where(Target.id == 7)) == (
            "https://site7.example/news/7"
        )
        assert archive_pending(session)  # target 100 has no preserved copy
        assert check_pending(session, NOW, timedelta(hours=1))
        assert len(unqueued_events(session)) == 20
    indexes = {
        table: {i["name"]: i for i in inspect(database.engine).get_indexes(table)}
        for table in ("snapshots", "alert_events")
    }
    assert indexes["snapshots"]["ix_snapshots_run_target"]["column_names"] == [
        "crawl_run_id",
        "target_id",
    ]
    preserved = indexes["snapshots"]["ix_snapshots_preserved_target"]
    assert preserved["column_names"] == ["target_id"]
    assert "status >= 200" in preserved["dialect_options"]["postgresql_where"]
    assert "ix_snapshots_crawl_run_id" not in indexes["snapshots"]  # the new one covers it
    assert indexes["alert_events"]["ix_alert_events_detected_at"]["column_names"] == ["detected_at"]
    database.dispose()


@pytest.mark.postgres
def test_hot_queries_are_planned_on_their_indexes(database_url: str) -> None:
    """Without `SET enable_seqscan = off`: the planner's own choice, on a few thousand rows."""
    database = Database(database_url)
    database.upgrade()
    with database.engine.begin() as connection:
        fill(connection.execute, TARGETS)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(TABLES)}"))

    with database.session() as session:
        run = session.get(CrawlRun, 7)  # the last night's run, resumed: some targets are done
        recipient = session.get(Recipient, 1)
        assert run is not None and recipient is not None and recipient.subscriptions
        due = indexes_used(
            database,
            session,
            lambda: targets_to_check(session, run, NOW, False, None, timedelta(hours=1)),
        )
        unqueued = indexes_used(database, session, lambda: unqueued_events(session))
        recent = indexes_used(database, session, lambda: _due_events(session, recipient, NOW))
    assert {"ix_targets_next_check_at", "ix_snapshots_run_target"} <= due
    assert "ix_alert_events_outbox_id" in unqueued
    assert "ix_alert_events_detected_at" in recent
    database.dispose()


TABLES = (
    "documents",
    "targets",
    "citations",
    "crawl_runs",
    "snapshots",
    "outbox",
    "alert_events",
    "recipients",
    "subscriptions",
    "recipient_events",
)


def fill(execute: Callable[..., Any], targets: int) -> None:
    """`targets` cited targets, a seventh due tonight, each fetched on three of the last seven
    nights (every hundredth never preserved); 2,000 alert events over the past year, the last 20
    not yet in a message, the others in a recipient's ledger. Columns of release 0013 only."""
    statements = [
        """INSERT INTO documents (id, title, source_name, content_hash, format, size_bytes,
               note_count, revision, added_at)
           VALUES (1, 'Report', 'report.pdf', repeat('0', 64), 'pdf', 1, :n, 1, :now)""",
        """INSERT INTO targets (id, canonical_url, url_hash, host, first_cited_at, state,
               last_checked_at, next_check_at)
           SELECT g, 'https://site' || g || '.example/news/' || g, md5(g::text) || md5(g::text),
               'site' || g % 50 || '.example', :now - interval '400 days', 'alive',
               :now - interval '7 days 1 hour' + (g % 7) * interval '1 day',
               :now - interval '1 hour' + (g % 7) * interval '1 day'
           FROM generate_series(1, :n) AS g""",
        """INSERT INTO citations (id, document_id, position, url, canonical_url, target_id,
               context)
           SELECT g, 1, g, 'https://site' || g || '.example/news/' || g,
               'https://site' || g || '.example/news/' || g, g, ''
           FROM generate_series(1, :n) AS g""",
        """INSERT INTO crawl_runs (id, kind, scope, refresh, status, planned, started_at)
           SELECT r, 'check', 'all', false, 'finished', 0, :now - (7 - r) * interval '1 day'
           FROM generate_series(1, 7) AS r""",
        """INSERT INTO snapshots (id, target_id, crawl_run_id, fetched_at, outcome, status,
               redirect_chain, warc_record_id, verdict)
           SELECT 3 * g + k, g, 1 + (g + 2 * k) % 7,
               :now - (6 - (g + 2 * k) % 7) * interval '1 day', 'fetched',
               CASE WHEN g % 100 = 0 THEN 404 ELSE 200 END, '[]',
               '<urn:uuid:' || md5((3 * g + k)::text) || '>', 'ok'
           FROM generate_series(1, :n) AS g, generate_series(0, 2) AS k""",
        """INSERT INTO outbox (id, created_at, subject, recipients, file, sent_at, attempts)
           SELECT m, :now - (21 - m) * interval '17 days', 'digest', 'team@example.org',
               m || '.eml', :now - (21 - m) * interval '17 days', 1
           FROM generate_series(1, 20) AS m""",
        """INSERT INTO alert_events (id, kind, detected_at, target_id, outbox_id, sent_at)
           SELECT e, 'link_dead', :now - (2000 - e) * interval '4 hours', e % :n + 1,
               CASE WHEN e <= 1980 THEN 1 + (e - 1) / 99 END,
               CASE WHEN e <= 1980 THEN :now END
           FROM generate_series(1, 2000) AS e""",
        """INSERT INTO recipients (id, address, language, created_at)
           VALUES (1, 'reader@example.org', 'en', :now - interval '1 year')""",
        """INSERT INTO subscriptions (id, recipient_id, kind, cadence, created_at)
           VALUES (1, 1, 'all', 'immediate', :now - interval '1 year')""",
        """INSERT INTO recipient_events (id, recipient_id, event_id, outbox_id, sent_at)
           SELECT e, 1, e, 1 + (e - 1) / 99, :now FROM generate_series(1, 1980) AS e""",
    ]
    for statement in statements:
        execute(text(statement), {"n": targets, "now": NOW})
    for table in TABLES:
        execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )


def indexes_used(database: Database, session: Session, call: Callable[[], object]) -> set[str]:
    """The indexes in the plans of the SELECT statements a call sends (EXPLAIN, not run)."""
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, sql: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            sent.append((sql, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    cursor = session.connection().connection.cursor()
    names: set[str] = set()
    for sql, parameters in sent:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", parameters)
        row = cursor.fetchone()
        assert row is not None
        names |= index_names(row[0][0]["Plan"])
    return names


def index_names(node: Any) -> set[str]:
    plans = node.get("Plans", [])
    return {name for name in [node.get("Index Name")] if name} | {
        name for child in plans for name in index_names(child)
    }


def test_index_names_walk_the_whole_plan() -> None:
    plan = json.loads(
        '{"Node Type": "Hash Join", "Plans": [{"Node Type": "Seq Scan"},'
        ' {"Node Type": "Hash", "Plans": [{"Index Name": "ix_a"}]}], "Index Name": "ix_b"}'
    )
    assert index_names(plan) == {"ix_a", "ix_b"}
