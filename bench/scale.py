"""Fleet scale: one document citing N pages on H hosts, archived by 1 and by 3 crawl workers.

Serves small article pages (each one different) from H loopback hosts of the local test web
(127.0.1.x), with politeness off: no delay, 8 requests at a time per host, no robots.txt, no
sibling probes, no autothrottle. For each target count and each worker count it builds a fresh
database — a private schema of a PostgreSQL database (dropped afterwards), one document citing
every target — starts that many `citewatch worker` processes (each with its own data directory,
one shared WARC directory), runs `citewatch nightly --distributed` (the archive run fetches every
target) and measures:

- the wall time of the nightly cycle and pages per second; the ratio of 3 workers to 1;
- where the time goes: the coordinator's start before the first share, the crawl (first share
  started to last share done), the after-crawl step, and per share the crawl child's start-up
  (share taken to first page fetched) and wind-down (last page to share done);
- the peak resident memory (VmRSS of every descendant, sampled every 0.5 s) of each role: the
  coordinator, each worker, the crawl children the workers start, and the crawls' extraction
  processes (forkserver and pool); and CPU seconds per role, the test web's (this process's),
  the PostgreSQL server's (all its clients) and the rest of the machine's.

The document is inserted with the models (a Document, `models.targets.ensure_targets`, then the
citations in bulk), not with `citewatch add`: on this machine `add` reads a 10,000-note text
document in 8 s but a 100,000-note one in about 2 minutes, close to the 120 s document budget.
Memory is flat when the peaks stay the same as the target count grows: run several counts
(`--targets 10000,30000`) and compare them in the table. Other processes on the machine slow
every figure: the CPU they took while a configuration ran is printed with it.

Targets: 100,000 targets in under 1 hour with 3 workers on a 2-core machine; under 500 MB per
process; memory flat.

    .venv/bin/python bench/scale.py [--targets 100000] [--hosts 100] [--workers 1,3] \\
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citations.canonical import canonical_url  # noqa: E402
from models import Database, Snapshot, Worker  # noqa: E402
from models.base import batches  # noqa: E402
from models.document import Citation, Document, Target  # noqa: E402
from models.targets import ensure_targets  # noqa: E402
from tests.support.databases import POSTGRES_URL, private_schema  # noqa: E402
from tests.support.pages import ARTICLES, article_page  # noqa: E402
from tests.support.web import Reply, Seen, TestWeb  # noqa: E402
from tests.support.workspace import Workspace  # noqa: E402

CITEWATCH = str(Path(sys.executable).with_name("citewatch"))
CONFIG = """
[crawl]
delay = 0
autothrottle = false
timeout = 30
retries = 1
concurrency = 16
concurrency_per_host = 8
probe_siblings = false
obey_robots_txt = false
allow_networks = {networks}
extraction_workers = 2
render = "never"
render_hosts = []

[check]
memento = false

[warc]
directory = "{warcs}"
"""
SAMPLE_SECONDS = 0.5
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = re.compile(r"^/news/(\d+)$")


class Pages:
    """Every host answers /news/N with a small article page of its own (built per request, so
    100,000 pages cost no memory here)."""

    def __init__(self) -> None:
        self.bodies = [article_page(article) for article in ARTICLES]

    def serve(self, seen: Seen) -> Reply:
        found = PAGE.match(seen.path)
        if found is None:
            return Reply.html("<html><body>Not found</body></html>", status=404)
        index = int(found.group(1))
        body = self.bodies[index % len(self.bodies)]
        return Reply.html(body.replace("Qaznews24", f"Qaznews24 ({index})"))


def addresses(count: int) -> list[str]:
    """Loopback addresses 127.0.1.1, 127.0.1.2, ... (250 to a /24)."""
    return [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(count)]


def store_document(url: str, cited: list[str]) -> float:
    """One document citing every URL, written with the models in bulk; seconds taken."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    database = Database(url)
    try:
        database.ensure_schema()
        with database.session() as session:
            urls = [canonical_url(address) for address in cited]
            document = Document(
                title=f"Scale benchmark: {len(urls)} citations",
                source_name="scale.txt",
                content_hash=hashlib.sha256("\n".join(urls).encode()).hexdigest(),
                format="txt",
                size_bytes=sum(len(address) + 12 for address in urls),
                note_count=len(urls),
                added_at=now,
            )
            session.add(document)
            session.flush()
            targets = {
                address: target.id for address, target in ensure_targets(session, urls, now).items()
            }
            rows = [
                {
                    "document_id": document.id,
                    "position": position,
                    "footnote": str(position),
                    "url": address,
                    "canonical_url": address,
                    "target_id": targets[address],
                    "context": f"Claim {position}.",
                }
                for position, address in enumerate(urls, 1)
            ]
            for chunk in batches(rows, 5000):
                session.execute(insert(Citation), list(chunk))
    finally:
        database.dispose()
    return time.perf_counter() - started


@dataclass
class Usage:
    """What the processes of one role used: each one's peak VmRSS (kB) and CPU seconds."""

    peaks: dict[int, int] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)
    seen: dict[int, tuple[float, float]] = field(default_factory=dict)  # first and last sample
    peak_at: dict[int, float] = field(default_factory=dict)  # when each peak was sampled

    @property
    def lifetime(self) -> float:
        """How long its processes lived on average, in seconds (to a sample's precision)."""
        lives = [last - first for first, last in self.seen.values()]
        return sum(lives) / len(lives) if lives else 0.0

    @property
    def peak_mb(self) -> float:
        return max(self.peaks.values(), default=0) / 1024

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


class Sampler(threading.Thread):
    """Every 0.5 s: the VmRSS and CPU time of each descendant of the roles' processes (a crawl
    child is a worker's child, its extraction processes deeper down), the PostgreSQL server's
    CPU time, and the machine's."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.roots: dict[int, str] = {}
        self.roles: dict[str, Usage] = {}
        self.postgres: dict[int, float] = {}
        self.postgres_before = {  # servers' processes already running: only what comes after
            pid: cpu for pid, (command, _, cpu) in _process_stats().items() if command == "postgres"
        }
        self.halt = threading.Event()
        self.machine_start = machine_busy_seconds()
        self.machine_end = self.machine_start
        self.own_start = own_cpu_seconds()
        self.own_end = self.own_start
        self.started = self.ended = time.monotonic()

    def watch(self, pid: int, role: str) -> None:
        self.roots[pid] = role

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.sample()
        self.machine_end, self.own_end = machine_busy_seconds(), own_cpu_seconds()
        self.ended = time.monotonic()

    def sample(self) -> None:
        stats = _process_stats()
        now = time.monotonic()
        children: dict[int, list[int]] = {}
        for pid, (_, parent, _) in stats.items():
            children.setdefault(parent, []).append(pid)
        for pid, (command, _, cpu) in stats.items():
            if command == "postgres":
                self.postgres[pid] = cpu
        for root, role in list(self.roots.items()):
            stack = [(root, 0)]
            while stack:
                pid, depth = stack.pop()
                stack.extend((child, depth + 1) for child in children.get(pid, []))
                if pid not in stats:
                    continue
                usage = self.roles.setdefault(_role(role, depth), Usage())
                usage.cpu[pid] = stats[pid][2]
                usage.seen[pid] = (usage.seen.get(pid, (now, now))[0], now)
                rss = _vm_rss(pid)
                if rss is not None and rss > usage.peaks.get(pid, 0):
                    usage.peaks[pid], usage.peak_at[pid] = rss, now

    @property
    def postgres_cpu(self) -> float:
        """CPU seconds of the PostgreSQL server's processes (every client's) while sampled."""
        return sum(cpu - self.postgres_before.get(pid, 0.0) for pid, cpu in self.postgres.items())

    @property
    def web_cpu(self) -> float:
        return self.own_end - self.own_start

    @property
    def machine_cpu(self) -> float:
        return self.machine_end - self.machine_start

    @property
    def core_seconds(self) -> float:
        """What the machine's cores could have given while sampled."""
        return (os.cpu_count() or 1) * (self.ended - self.started)

    @property
    def others_cpu(self) -> float:
        """CPU seconds the machine spent outside this benchmark's processes and PostgreSQL."""
        ours = sum(usage.cpu_seconds for usage in self.roles.values())
        return self.machine_cpu - ours - self.web_cpu - self.postgres_cpu


def _role(root: str, depth: int) -> str:
    if depth == 0:
        return root
    if root.startswith("worker"):
        return "crawl child" if depth == 1 else "extraction"
    return f"{root} children"


def _process_stats() -> dict[int, tuple[str, int, float]]:
    """Every process's command name, parent and CPU seconds, from /proc/PID/stat."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            line = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        command = line[line.index("(") + 1 : line.rindex(")")]
        fields = line[line.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        found[int(entry.name)] = (command, int(fields[1]), cpu)
    return found


def _vm_rss(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None  # a zombie: no memory left


def machine_busy_seconds() -> float:
    """CPU seconds the machine has been busy (every state but idle and iowait)."""
    first = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0]
    fields = [int(value) for value in first.split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def own_cpu_seconds() -> float:
    """This process's CPU seconds: the test web's threads (and the sampler)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Share:
    """A share (one host, or several small ones): when a worker took it and finished it, when
    its pages were fetched."""

    hosts: list[str]
    attempts: int
    started: datetime
    ended: datetime
    first: datetime
    last: datetime
    fetched: int

    @property
    def start_up(self) -> float:
        """Share taken to first page fetched: the crawl child's start, its plan."""
        return (self.first - self.started).total_seconds()

    @property
    def wind_down(self) -> float:
        """Last page fetched to share done: the crawl child's close and exit."""
        return (self.ended - self.last).total_seconds()

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


@dataclass
class Result:
    """One configuration: its times (seconds from the nightly command's start), its shares and
    what its processes used."""

    targets: int
    hosts: int
    workers: int
    stored: float
    wall: float
    steps: dict[str, tuple[float, str]]
    shares: list[Share]
    first_share: float
    last_share: float
    usage: Sampler
    warc_bytes: int
    progress: str
    coordinator_peak_at: float  # seconds from the nightly command's start

    @property
    def fetched(self) -> int:
        return sum(share.fetched for share in self.shares)

    @property
    def crawl(self) -> float:
        return self.last_share - self.first_share

    @property
    def after_crawl(self) -> float:
        """Last share done to the archive step's line: the coordinator noticing (it polls),
        then the after-crawl step (verdicts, events, seals)."""
        return self.steps.get("archive", (self.wall, ""))[0] - self.last_share

    @property
    def busy(self) -> float:
        """Share of the workers' time in the crawl span spent on a share."""
        return sum(share.seconds for share in self.shares) / (self.workers * self.crawl or 1)


class Fleet:
    """Workers and the coordinator of one configuration, as subprocesses of this one."""

    def __init__(self, workspace: Workspace, sampler: Sampler) -> None:
        self.workspace = workspace
        self.sampler = sampler
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: list[IO[bytes]] = []
        self.nightly_started = 0.0  # time.monotonic() when the coordinator started

    def start_worker(self, name: str) -> None:
        home = self.workspace.root / name
        log = (self.workspace.root / f"{name}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(
            [CITEWATCH, "--home", str(home), "worker", "--name", name],
            env={**self.workspace.env, "CITEWATCH_HOME": str(home)},
            cwd=self.workspace.root,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        self.workers[name] = process
        self.sampler.watch(process.pid, f"worker {name}")

    def wait_for_workers(self) -> None:
        """Until every worker has registered (its row in the workers table)."""
        database = self.workspace.database()
        deadline = time.monotonic() + 120
        try:
            while True:
                with database.session() as session:
                    alive = session.scalar(
                        select(func.count()).select_from(Worker).where(Worker.stopped_at.is_(None))
                    )
                if alive == len(self.workers):
                    return
                for name, process in self.workers.items():
                    if process.poll() is not None:
                        raise SystemExit(f"worker {name} exited: {self._log(name)}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"{alive} of {len(self.workers)} workers registered")
                time.sleep(0.2)
        finally:
            database.dispose()

    def nightly(self, label: str) -> tuple[float, datetime, dict[str, tuple[float, str]], str]:
        """Run `citewatch nightly --distributed`: its wall time, when it started, each step's
        line (with its time) and its last progress line. Progress goes on to standard error."""
        began = datetime.now(UTC)
        started = self.nightly_started = time.monotonic()
        process = subprocess.Popen(
            [CITEWATCH, "nightly", "--distributed"],
            env=self.workspace.env,
            cwd=self.workspace.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.sampler.watch(process.pid, "coordinator")
        steps: dict[str, tuple[float, str]] = {}
        progress = [""]
        errors: list[str] = []

        def follow_out() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                step = line.split(":", 1)[0]
                steps[step] = (time.monotonic() - started, line.strip())

        def follow_err() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                if line.strip().startswith("run "):
                    progress[0] = line.strip()
                else:
                    errors.append(line.rstrip())
                print(
                    f"  [{label} {time.monotonic() - started:6.0f} s] {line.strip()}",
                    file=sys.stderr,
                    flush=True,
                )

        readers = [
            threading.Thread(target=follow, daemon=True) for follow in (follow_out, follow_err)
        ]
        for reader in readers:
            reader.start()
        try:
            code = process.wait()
        except BaseException:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            raise
        wall = time.monotonic() - started
        for reader in readers:
            reader.join()
        if code != 0:
            raise SystemExit(f"nightly exited with {code}: {' / '.join(errors[-5:])}")
        return wall, began, steps, progress[0]

    def stop(self) -> None:
        """SIGTERM to every worker, then wait (SIGKILL to its process group after a minute)."""
        for process in self.workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.workers.items():
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                code = process.wait()
                print(f"worker {name} did not stop in a minute: killed", file=sys.stderr)
            if code != 0:
                print(f"worker {name} exited with {code}: {self._log(name)}", file=sys.stderr)
        for log in self.logs:
            log.close()

    def _log(self, name: str) -> str:
        lines = (self.workspace.root / f"{name}.log").read_text(errors="replace").splitlines()
        return " / ".join(lines[-5:])


SHARE_EVENTS = """
CREATE TABLE bench_share_events (job_id bigint, type text, at timestamptz, hosts jsonb);
CREATE FUNCTION bench_keep_share_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_share_events
    SELECT NEW.job_id, NEW.type::text, NEW.at, j.args->'hosts'
    FROM procrastinate_jobs j WHERE j.id = NEW.job_id;
    RETURN NEW;
END $$;
CREATE TRIGGER bench_keep_share_event AFTER INSERT ON procrastinate_events
FOR EACH ROW EXECUTE FUNCTION bench_keep_share_event();
CREATE FUNCTION bench_keep_share_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_share_events VALUES (OLD.id, 'deleted', now(), OLD.args->'hosts');
    RETURN OLD;
END $$;
CREATE TRIGGER bench_keep_share_end AFTER DELETE ON procrastinate_jobs
FOR EACH ROW EXECUTE FUNCTION bench_keep_share_end();
"""


def keep_share_events(url: str) -> None:
    """Copy the queue's job events as they happen, and when a job is deleted: workers delete
    the shares they finished (no 'succeeded' event), and their events with them. (In the
    benchmark's private schema only; the workers created the queue's tables when they
    started.)"""
    database = Database(url)
    try:
        with database.session() as session:
            session.execute(text(SHARE_EVENTS))
    finally:
        database.dispose()


def shares(url: str) -> list[Share]:
    """Each share of the crawl: its queue events (kept by keep_share_events) and its
    snapshots."""
    database = Database(url)
    try:
        with database.session() as session:
            jobs = session.execute(
                text(
                    "SELECT min(hosts::text)::jsonb AS hosts, "
                    "count(*) FILTER (WHERE type = 'started') AS attempts, "
                    "min(at) FILTER (WHERE type = 'started') AS started, "
                    "max(at) FILTER (WHERE type IN ('deleted', 'failed')) AS ended "
                    "FROM bench_share_events GROUP BY job_id"
                )
            ).all()
            fetched = {
                host: (first, last, count)
                for host, first, last, count in session.execute(
                    select(
                        Target.host,
                        func.min(Snapshot.fetched_at),
                        func.max(Snapshot.fetched_at),
                        func.count(),
                    )
                    .join(Target, Snapshot.target_id == Target.id)
                    .group_by(Target.host)
                )
            }
    finally:
        database.dispose()
    found = []
    for hosts, attempts, started, ended in jobs:
        pages = [fetched[host] for host in hosts if host in fetched]
        first = min((page[0] for page in pages), default=ended)
        last = max((page[1] for page in pages), default=ended)
        count = sum(page[2] for page in pages)
        found.append(Share(hosts, attempts, started, ended, _utc(first), _utc(last), count))
    return found


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(web: TestWeb, base_url: str, targets: int, workers: int, scratch: Path) -> Result:
    """One configuration, in a fresh schema and fresh data directories."""
    hosts = web.hosts
    cited = [hosts[i % len(hosts)].url(f"/news/{i}") for i in range(targets)]
    networks = sorted({address.rsplit(".", 1)[0] + ".0/24" for address in addresses(len(hosts))})
    root = scratch / f"{targets}-{workers}"
    warcs = root / "warcs"
    config = CONFIG.format(networks=str(networks).replace("'", '"'), warcs=warcs)
    label = f"{targets} targets, {workers} worker{'s' * (workers != 1)}"
    with private_schema(base_url) as url:
        stored = store_document(url, cited)
        print(f"{label}: document stored in {stored:.0f} s", file=sys.stderr, flush=True)
        workspace = Workspace(root, url, config)
        sampler = Sampler()
        sampler.start()
        fleet = Fleet(workspace, sampler)
        try:
            for number in range(1, workers + 1):
                fleet.start_worker(f"w{number}")
            fleet.wait_for_workers()
            keep_share_events(url)
            wall, began, steps, progress = fleet.nightly(label)
        finally:
            fleet.stop()
            sampler.stop()
        done = shares(url)
    for host in hosts:
        host.seen.clear()
    if not done:
        raise SystemExit(f"{label}: no share was crawled")
    result = Result(
        targets,
        len(hosts),
        workers,
        stored,
        wall,
        steps,
        done,
        min((share.started - began).total_seconds() for share in done),
        max((share.ended - began).total_seconds() for share in done),
        sampler,
        directory_size(warcs),
        progress,
        max(sampler.roles.get("coordinator", Usage()).peak_at.values(), default=0.0)
        - fleet.nightly_started,
    )
    shutil.rmtree(root, ignore_errors=True)
    return result


ROLES = ("coordinator", "worker", "crawl child", "extraction")


def role_usage(result: Result, role: str) -> Usage:
    """A role's processes together (the workers' as one role)."""
    merged = Usage()
    for name, usage in result.usage.roles.items():
        if name == role or (role == "worker" and name.startswith("worker ")):
            merged.peaks.update(usage.peaks)
            merged.cpu.update(usage.cpu)
            merged.seen.update(usage.seen)
    return merged


def report(result: Result, single: Result | None) -> None:
    """What one configuration measured, in a few lines."""
    shares = result.shares
    count = len(shares)
    print(
        f"\n{result.targets} targets on {result.hosts} hosts, {result.workers} "
        f"worker{'s' * (result.workers != 1)}: nightly {result.wall:.0f} s, "
        f"{result.targets / result.wall:.1f} pages/s"
        + (f", {single.wall / result.wall:.2f}x the speed of 1 worker" if single else "")
    )
    for at, line in result.steps.values():
        print(f"  {at:7.1f} s  {line}")
    print(f"  last progress: {result.progress}")
    print(
        f"  time: {result.first_share:.1f} s to the first share taken, crawl {result.crawl:.1f} s "
        f"(first share taken to last done), then {result.after_crawl:.1f} s to the archive "
        f"step's end (after-crawl step and the coordinator's polling)"
    )
    attempts = sum(share.attempts for share in shares)
    print(
        f"  shares: {count} ({attempts} attempts), {result.fetched} pages fetched; per share "
        f"{sum(share.seconds for share in shares) / count:.1f} s, of which crawl start-up "
        f"{sum(share.start_up for share in shares) / count:.1f} s (max "
        f"{max(share.start_up for share in shares):.1f}) and wind-down "
        f"{sum(share.wind_down for share in shares) / count:.1f} s; crawl children live "
        f"{role_usage(result, 'crawl child').lifetime:.1f} s; workers busy "
        f"{100 * result.busy:.0f}% of the crawl"
    )
    workers = sorted(
        (name, usage) for name, usage in result.usage.roles.items() if name.startswith("worker")
    )
    print(
        f"  the coordinator's peak came {result.coordinator_peak_at:.0f} s after its start (the "
        f"last share was done at {result.last_share:.0f} s)"
    )
    print(
        "  peak VmRSS: "
        + ", ".join(
            [f"coordinator {role_usage(result, 'coordinator').peak_mb:.0f} MB"]
            + [f"{name} {usage.peak_mb:.0f} MB" for name, usage in workers]
            + [
                f"{role} {role_usage(result, role).peak_mb:.0f} MB "
                f"({len(role_usage(result, role).peaks)} processes)"
                for role in ROLES[2:]
            ]
        )
    )
    usage = result.usage
    print(
        "  CPU s: "
        + ", ".join(f"{role} {role_usage(result, role).cpu_seconds:.0f}" for role in ROLES)
        + f", test web {usage.web_cpu:.0f}, PostgreSQL {usage.postgres_cpu:.0f} (all clients),"
        f" others on the machine {usage.others_cpu:.0f}; machine busy "
        f"{usage.machine_cpu:.0f} of {usage.core_seconds:.0f} core-seconds"
    )
    print(f"  WARC files: {result.warc_bytes / 2**20:.0f} MB", flush=True)


def table(results: list[Result]) -> None:
    """Every configuration in one table."""
    print(
        "\n targets hosts workers  wall s pages/s  speed-up  share start-up s  busy  "
        "peak MB: coord  worker  crawl  extract"
    )
    ones = {r.targets: r for r in results if r.workers == 1}
    for r in results:
        single = ones.get(r.targets)
        speed_up = f"{single.wall / r.wall:7.2f}x" if single else "       -"
        start_up = sum(share.start_up for share in r.shares) / len(r.shares)
        peaks = [role_usage(r, role).peak_mb for role in ROLES]
        print(
            f"{r.targets:8} {r.hosts:5} {r.workers:7} {r.wall:7.0f} {r.targets / r.wall:7.1f} "
            f"{speed_up} {start_up:17.1f} {100 * r.busy:4.0f}% "
            + " ".join(
                f"{peak:{width}.0f}" for peak, width in zip(peaks, (15, 7, 6, 8), strict=True)
            )
        )


def verdicts(results: list[Result]) -> None:
    """The issue's targets: met, or not, or (below 100,000 targets) a linear estimate."""
    met = {True: "met", False: "NOT met"}
    fleet = [r for r in results if r.workers >= 3] or results
    largest = max(fleet, key=lambda r: (r.targets, r.workers))
    if largest.targets >= 100_000:
        minutes = largest.wall / 60 * 100_000 / largest.targets
        print(
            f"target: 100,000 targets in under 1 hour with {largest.workers} workers: "
            f"{met[minutes < 60]} ({minutes:.0f} min)"
        )
    else:
        minutes = largest.wall / 60 * 100_000 / largest.targets
        print(
            f"target: 100,000 targets in under 1 hour with {largest.workers} workers: not "
            f"measured; scaled linearly from {largest.targets}: {minutes:.0f} min (an estimate, "
            "on the high side: the shares' start-up grows with hosts, not targets)"
        )
    peak = max(max(role_usage(r, role).peak_mb for role in ROLES) for r in results)
    print(f"target: under 500 MB per process: {met[peak < 500]} (highest peak {peak:.0f} MB)")
    sizes = sorted({r.targets for r in results})
    if len(sizes) > 1:
        for role in ROLES:
            peaks = ", ".join(
                f"{max(role_usage(r, role).peak_mb for r in results if r.targets == size):.0f} MB"
                f" at {size}"
                for size in sizes
            )
            print(f"memory by target count, {role}: {peaks}")
    else:
        print("memory flat: run several target counts (--targets 10000,30000) to compare")


def numbers(text: str) -> list[int]:
    return [int(value) for value in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--targets", type=numbers, default=[100_000], help="target counts, e.g. 10000,30000"
    )
    parser.add_argument("--hosts", type=int, default=100, help="loopback hosts (up to 1,000)")
    parser.add_argument("--workers", type=numbers, default=[1, 3], help="worker counts")
    parser.add_argument(
        "--url", default=POSTGRES_URL, help="a PostgreSQL database (a private schema of it)"
    )
    args = parser.parse_args()
    if not 1 <= args.hosts <= 1000:
        parser.error("--hosts: 1 to 1,000")
    print(
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start "
        "(other processes may share the machine: see 'others on the machine')"
    )
    pages = Pages()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="citewatch-bench-scale-") as scratch:
        web = TestWeb(addresses(args.hosts))
        for host in web.hosts:
            host.fallback = pages.serve
        with web:
            for targets in sorted(args.targets):
                single = None
                for workers in args.workers:
                    result = run(web, args.url, targets, workers, Path(scratch))
                    report(result, single if workers != 1 else None)
                    single = result if workers == 1 else single
                    results.append(result)
    table(results)
    verdicts(results)


if __name__ == "__main__":
    main()
