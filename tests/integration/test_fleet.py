"""A fleet of three crawl workers on loopback, coordinated by `citewatch nightly --distributed`
(PostgreSQL; the queue is procrastinate, in the same database).

50 hosts of the local test web, 40 cited pages each: 2,000 targets, in shares of several hosts.
Night 1 archives them, night 2 checks them; on night 2 one worker is killed with SIGKILL in the
middle of a share (it returns to the queue), another is stopped with SIGTERM (it finishes its
request and hands its share back), and the database goes away under the last one while it
crawls (the workers reach PostgreSQL through a relay that cuts every connection and refuses new
ones for a few seconds, as a restart does): it connects again, the run completes, nothing is
lost or doubled. Every host's pages answer slowly and count the requests they are serving at once:
never two at a time to one host, fleet-wide.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from models import Database, Snapshot
from models.snapshot import checked_in
from tests.support.databases import postgres_schema_url
from tests.support.pages import ARTICLES, article_page
from tests.support.relay import Relay
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import Workspace

pytestmark = pytest.mark.postgres

CITEWATCH = str(Path(sys.executable).parent / "citewatch")
WARCIO = str(Path(sys.executable).parent / "warcio")
HOSTS = [f"127.0.0.{n}" for n in range(10, 60)]
PAGES = 40
TARGETS = len(HOSTS) * PAGES
NIGHT1, NIGHT2 = "2025-03-01T02:00:03+00:00", "2025-03-02T01:59:58+00:00"
CONFIG = """
[crawl]
delay = 0.05  # a real per-host delay (1 s by default), longer than a page takes here
autothrottle = false
timeout = 5
retries = 1
concurrency = 16
concurrency_per_host = 1
probe_siblings = false
obey_robots_txt = true  # fetched once per host per run, fleet-wide
allow_networks = ["127.0.0.0/24"]
extraction_workers = 1
render = "never"
render_hosts = []

[check]
memento = false

[warc]
directory = "{warcs}"

[fleet]
heartbeat_seconds = 1
stalled_seconds = 4
poll_seconds = 0.5
"""


@dataclass
class Counting:
    """Pages that take a while and count the requests each host serves at once."""

    delay: float = 0.005
    busy: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    most: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hits: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, host: str, index: int) -> object:
        body = article_page(ARTICLES[index % len(ARTICLES)]).replace(
            "Qaznews24", f"Qaznews24 {host} {index}"
        )

        def serve(seen: Seen) -> Reply:
            with self.lock:
                self.busy[host] += 1
                self.most[host] = max(self.most[host], self.busy[host])
                self.hits[f"{host}{seen.path}"] += 1
            time.sleep(self.delay)
            with self.lock:
                self.busy[host] -= 1
            return Reply.html(body)

        return serve


@dataclass
class Fleet:
    workspace: Workspace
    web: TestWeb
    pages: Counting
    urls: list[str]
    relay: Relay  # between the workers (and their crawls) and PostgreSQL
    workers: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        home = self.workspace.root / name
        url = make_url(self.workspace.database_url).set(host="127.0.0.1", port=self.relay.port)
        self.workers[name] = subprocess.Popen(
            [CITEWATCH, "--home", str(home), "worker", "--name", name],
            env={
                **self.workspace.env,
                "CITEWATCH_HOME": str(home),
                "CITEWATCH_DATABASE_URL": url.render_as_string(hide_password=False),
            },
            cwd=self.workspace.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def stop_all(self) -> dict[str, str]:
        errors = {}
        for name, process in self.workers.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                _, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                _, err = process.communicate()
            errors[name] = err
        return errors

    def nightly(self, when: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [CITEWATCH, "--now", when, "nightly", "--distributed"],
            env={**self.workspace.env, **env},
            cwd=self.workspace.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture
def fleet(tmp_path: Path, postgres_url: str) -> Iterator[Fleet]:
    yield from _fleet(tmp_path, postgres_url, HOSTS, PAGES)


@pytest.fixture
def small_fleet(tmp_path: Path, postgres_url: str) -> Iterator[Fleet]:
    yield from _fleet(tmp_path, postgres_url, ["127.0.0.60", "127.0.0.61"], 3)


def _fleet(tmp_path: Path, database_url: str, hosts: list[str], per_host: int) -> Iterator[Fleet]:
    """A document citing `per_host` pages on each host; no worker started yet. The fleet shares
    one PostgreSQL database: the workers reach it through a relay."""
    pages = Counting()
    database = make_url(database_url)
    with TestWeb(hosts) as web, Relay(database.host or "127.0.0.1", database.port or 5432) as relay:
        urls = []
        for number, host in enumerate(web.hosts):
            for index in range(per_host):
                urls.append(
                    host.route(
                        f"/news/{index}", pages.page(host.address, number * per_host + index)
                    )
                )
        config = CONFIG.replace("{warcs}", str(tmp_path / "warcs"))
        workspace = Workspace(tmp_path, database_url, config)
        added = workspace.cli("add", str(workspace.document(urls)))
        assert added.code == 0, added.err
        built = Fleet(workspace, web, pages, urls, relay)
        try:
            yield built
        finally:
            built.stop_all()


def _workers(fleet: Fleet) -> dict[str, dict[str, object]]:
    listing = fleet.workspace.cli("workers", "--format", "json")
    assert listing.code == 0, listing.err
    return {str(row["name"]): row for row in json.loads(listing.out)}


def _when_crawling(fleet: Fleet, name: str) -> None:
    deadline = time.monotonic() + 60
    while _workers(fleet)[name]["state"] != "crawling":
        assert time.monotonic() < deadline, f"{name} never took a share"
        time.sleep(0.2)


def _fetched_once_per_target(database: Database, run: int) -> None:
    """Each target fetched once by each run so far (run n on night n): its fetches, a row each
    or one more sighting of the row they repeat (health.sightings), add up to `run`, and one
    of its rows holds this run's."""
    with database.session() as session:
        per_target = session.execute(
            select(
                Snapshot.target_id,
                func.sum(Snapshot.times_seen),
                func.count().filter(checked_in(run)),
            ).group_by(Snapshot.target_id)
        ).all()
    assert len(per_target) == TARGETS
    assert {(int(fetches), holding) for _, fetches, holding in per_target} == {(run, 1)}


def test_three_workers_fetch_every_target_once_politely_and_survive_a_kill(fleet: Fleet) -> None:
    for name in ("w1", "w2", "w3"):
        fleet.start(name)

    # Night 1: the archive crawl, shared by the three workers.
    night = fleet.nightly(NIGHT1)
    out, err = night.communicate(timeout=240)
    assert night.returncode == 0, err
    assert f"archive: ok run 1, fetched {TARGETS}, good {TARGETS}" in out, err
    assert (
        f"run 1: {TARGETS} of {TARGETS} fetched; hosts {len(HOSTS)} of {len(HOSTS)} done, "
        "0 under way; 3 workers alive"
    ) in err
    assert set(fleet.pages.hits.values()) == {1}  # each page once
    assert len(fleet.pages.hits) == TARGETS
    assert max(fleet.pages.most.values()) == 1  # never two requests at once to one host
    assert {len(host.requests_to("/robots.txt")) for host in fleet.web.hosts} == {1}
    database = fleet.workspace.database()
    try:
        _fetched_once_per_target(database, 1)
        files = sorted((fleet.workspace.root / "warcs").glob("*.warc.gz"))
        prefixes = {path.name.split("-")[1] for path in files}
        assert prefixes <= {"w1", "w2", "w3"} and len(prefixes) >= 2  # the work was shared
        for path in files:
            checked = subprocess.run([WARCIO, "check", str(path)], capture_output=True)
            assert checked.returncode == 0, checked.stdout
        responses = subprocess.run(
            [WARCIO, "index", "-f", "warc-type", *map(str, files)], capture_output=True, text=True
        )
        assert responses.stdout.count('"response"') == TARGETS  # together, every record

        # `citewatch workers`: three live workers, idle now, with what each fetched.
        rows = _workers(fleet)
        assert {name: row["state"] for name, row in rows.items()} == dict.fromkeys(
            ("w1", "w2", "w3"), "idle"
        )
        assert sum(int(str(row["fetched"])) for row in rows.values()) == TARGETS

        # Night 2: the checks, slower pages. The coordinator dies once the shares are queued
        # (SIGKILL) and is started again: it resumes the run and queues nothing twice. w1 is
        # killed (SIGKILL) in the middle of a share, w2 is stopped (SIGTERM) in the middle of
        # another; the queue goes away under w3 (its connections cut, as a PostgreSQL restart
        # would): w3 reconnects and finishes the night.
        fleet.pages.delay = 0.01
        fleet.pages.hits.clear()
        night = fleet.nightly(NIGHT2)
        _when_crawling(fleet, "w1")
        night.kill()
        night.communicate()
        night = fleet.nightly(NIGHT2)
        os.killpg(fleet.workers["w1"].pid, signal.SIGKILL)
        _when_crawling(fleet, "w2")
        fleet.workers["w2"].send_signal(signal.SIGTERM)
        _, stopping = fleet.workers["w2"].communicate(timeout=30)  # after its current request
        assert fleet.workers["w2"].returncode == 0 and "worker w2 stopped" in stopping
        _when_crawling(fleet, "w3")
        fleet.relay.outage(3)
        out, err = night.communicate(timeout=300)
        assert night.returncode == 0, err
        assert f"check: ok run 2, fetched {TARGETS}" in out
        _fetched_once_per_target(database, 2)
        assert max(fleet.pages.most.values()) == 1
        states = {name: row["state"] for name, row in _workers(fleet).items()}
        assert states == {"w1": "gone", "w2": "stopped", "w3": "idle"}
        assert "1 worker alive" in err
    finally:
        database.dispose()
    errors = fleet.stop_all()
    assert "worker w3 stopped" in errors["w3"]
    assert "heartbeat not recorded" in errors["w3"]  # the outage reached it (and it came back)


def test_a_night_whose_share_failed_is_finished_when_it_runs_again(small_fleet: Fleet) -> None:
    fleet = small_fleet
    # Night 1: no worker is up; the coordinator queues a share per host and dies waiting.
    night = fleet.nightly(NIGHT1, CITEWATCH_FLEET_SHARE_TARGETS="3")
    assert night.stderr is not None
    while "run 1: 0 of 6 fetched" not in night.stderr.readline():
        assert night.poll() is None, night.communicate()
    night.kill()
    night.communicate()
    # Meanwhile one share failed for good (its retries spent).
    database = fleet.workspace.database()
    try:
        with database.session() as session:
            failed = session.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'failed' WHERE id = "
                    "(SELECT min(id) FROM procrastinate_jobs) RETURNING args->'hosts'->>0"
                )
            ).scalar_one()
    finally:
        database.dispose()

    # Run again with a worker: the run resumes, the failed host is queued afresh, the night
    # completes and every page is fetched once.
    fleet.start("w1")
    night = fleet.nightly(NIGHT1, CITEWATCH_FLEET_SHARE_TARGETS="3")
    out, err = night.communicate(timeout=120)
    assert night.returncode == 0, err
    assert "archive: ok run 1, fetched 6, good 6" in out, err
    assert "failed" not in err
    assert {key.split("/")[0] for key in fleet.pages.hits} == {"127.0.0.60", "127.0.0.61"}
    assert set(fleet.pages.hits.values()) == {1} and len(fleet.pages.hits) == 6
    assert failed in {"127.0.0.60", "127.0.0.61"}
