"""The shared queue: procrastinate, in the citewatch PostgreSQL database itself.

A unit of work is a share of a crawl run (`crawl_share`): the targets the run still has to
fetch on one host, or on several small hosts together (`shares`: each crawl child costs seconds
to start, worth it for a few hundred pages, not for three). Every host is in one share of a run;
a worker holds a lease on each host of its share while it crawls it (fleet.worker.host_lease),
so two crawls never fetch from one host at once anywhere, and the crawl's per-host politeness
(one request at a time, the delay, robots.txt fetched once) holds for the whole fleet.
procrastinate gives the rest of what the fleet needs from a queue:
- a queueing lock per run and share: enqueueing the same night again adds nothing;
- worker heartbeats: the share of a worker that died (kill -9, a lost machine) is found stalled
  and queued again; the run never fetches a target twice (a target fetched by the run is not
  in its plan any more).
"""

from __future__ import annotations

import hashlib

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

from config import Config

QUEUE = "crawl"
TASK = "citewatch.crawl_share"
SCHEMA_LOCK = 7105202612  # pg_advisory_lock key: the queue's tables are created once
MAX_SHARE_HOSTS = 100  # a lease per host is an advisory lock: PostgreSQL's lock table is finite
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


def shares(hosts: list[tuple[str, int]], size: int) -> list[list[str]]:
    """The run's hosts (and how many targets each has to fetch) in shares: a host with `size`
    targets or more alone, smaller ones together until a share holds `size` targets (or
    MAX_SHARE_HOSTS hosts). Largest first: the long shares start first, the short ones fill
    the gaps at the end of the night."""
    found: list[tuple[int, list[str]]] = []
    gathering: list[str] = []
    gathered = 0
    for host, count in sorted(hosts, key=lambda pair: (-pair[1], pair[0])):
        if count >= size:
            found.append((count, [host]))
            continue
        gathering.append(host)
        gathered += count
        if gathered >= size or len(gathering) == MAX_SHARE_HOSTS:
            found.append((gathered, gathering))
            gathering, gathered = [], 0
    if gathering:
        found.append((gathered, gathering))
    found.sort(key=lambda share: -share[0])
    return [sorted(names) for _, names in found]


def queueing_lock(run_id: int, hosts: list[str]) -> str:
    """At most one waiting share per run and set of hosts."""
    digest = hashlib.sha256(" ".join(sorted(hosts)).encode()).hexdigest()[:16]
    return f"run:{run_id}:share:{digest}"
