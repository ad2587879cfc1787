"""The shared queue: procrastinate, in the citewatch PostgreSQL database itself.

A unit of work is one host's share of a crawl run (`crawl_share`): the targets of that host the
run still has to fetch. procrastinate gives what the fleet needs from a queue:
- a job lock per host (`host:NAME`): two shares of one host never run at once, anywhere, so
  the per-host politeness of the crawl (one request at a time, the delay, robots.txt fetched
  once) holds for the whole fleet;
- a queueing lock per run and host: enqueueing the same night again adds nothing;
- worker heartbeats: the share of a worker that died (kill -9, a lost machine) is found stalled
  and queued again; the run never fetches a target twice (a target fetched by the run is not
  in its plan any more).
"""

from __future__ import annotations

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

from config import Config

QUEUE = "crawl"
TASK = "citewatch.crawl_share"
SCHEMA_LOCK = 7105202612  # pg_advisory_lock key: the queue's tables are created once
blueprint = procrastinate.Blueprint()


class FleetError(Exception):
    """Distributed crawls cannot run here (no PostgreSQL, no queue)."""


def conninfo(config: Config, application: str = "citewatch") -> str:
    """libpq's connection string for the configured PostgreSQL database, naming the process in
    pg_stat_activity (`citewatch-worker-NAME`, `citewatch-coordinator`)."""
    url = make_url(config.database_url)
    if url.get_backend_name() != "postgresql":
        raise FleetError(
            "distributed crawls need PostgreSQL: set [database] url (or CITEWATCH_DATABASE_URL)"
        )
    url = url.set(drivername="postgresql").update_query_dict({"application_name": application})
    return url.render_as_string(hide_password=False)


def make_app(config: Config, application: str = "citewatch") -> procrastinate.App:
    """The queue's app (fleet.worker adds the crawl task's body when a worker imports it)."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(config, application)),
        import_paths=["fleet.worker"],
    )
    app.add_tasks_from(blueprint, namespace="")
    return app


def ensure_schema(config: Config) -> None:
    """Create the queue's tables in the database on first use, one process at a time."""
    with psycopg.connect(conninfo(config), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        found = connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if found is None or found[0] is None:
            connection.execute(SchemaManager.get_schema())


def share_lock(host: str) -> str:
    """The job lock of every share of this host: one at a time across the fleet."""
    return f"host:{host}"


def queueing_lock(run_id: int, host: str) -> str:
    """At most one waiting share per run and host."""
    return f"run:{run_id}:host:{host}"
