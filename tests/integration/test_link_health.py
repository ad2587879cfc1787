"""Link health over several nights on the local test web, the clock injected.

One document cites pages that stay up, die, drift, flap, get rate limited, move, hide behind
soft-404s, or sit on a host name that is a typo. The nights are played with `--now`; one of
them is an outage. The tests read verdicts, states, requests sent and the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator

from models import Snapshot
from tests.support.pages import (
    MUBARAKOV_EN,
    YENSEBEK_KK,
    YENSEBEK_RU,
    ZHYLANBAEV_RU,
    article_page,
    home_page,
    soft_404_page,
)
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
QUOTE = "Правозащитники Казахстанского международного бюро"


@dataclass
class World:
    """The test web as it is on a given night."""

    night: int = 1
    outage: bool = False
    seen_conditional: list[Seen] = field(default_factory=list)


def page(article: Any, **kw: Any) -> Reply:
    return Reply.html(article_page(article), **kw)


def build(web: TestWeb, world: World) -> dict[str, str]:
    vlast, orda, azattyq, archive = web.hosts
    template = (
        soft_404_page("Orda.kz")
        .replace("Страница не найдена", "Orda.kz")
        .replace(
            "К сожалению, запрашиваемая страница не существует или была удалена.",
            "Свежие новости Казахстана каждый день.",
        )
    )
    orda.fallback = Reply.html(template)  # any unknown path: 200 with the same page

    def when(*night_replies: tuple[range | int, Reply], default: Reply) -> Any:
        def serve(seen: Seen) -> Reply:
            if world.outage:
                return Reply(action="reset")
            for nights, reply in night_replies:
                if world.night in (nights if isinstance(nights, range) else [nights]):
                    return reply
            return default

        return serve

    def stable(seen: Seen) -> Reply:
        if world.outage:
            return Reply(action="reset")
        if seen.headers.get("If-None-Match") == '"v1"':
            world.seen_conditional.append(seen)
            return Reply(304, b"", [("ETag", '"v1"')])
        return Reply.html(
            article_page(MUBARAKOV_EN),
            headers=[("ETag", '"v1"'), ("Last-Modified", "Sat, 01 Feb 2025 10:00:00 GMT")],
        )

    without_quote = YENSEBEK_RU.__class__(
        **{
            **YENSEBEK_RU.__dict__,
            "paragraphs": tuple(
                p for p in YENSEBEK_RU.paragraphs if not p.startswith("Правозащитники")
            ),
        }
    )
    counted = YENSEBEK_KK.__class__(**{**YENSEBEK_KK.__dict__})
    urls = {
        "stable": vlast.route("/novosti/1-stable.html", stable),
        "dies_404": vlast.route(
            "/novosti/2-dies.html",
            when((range(2, 99), Reply.html("<h1>404</h1>", status=404)), default=page(YENSEBEK_RU)),
        ),
        "gone_410": vlast.route(
            "/novosti/3-gone.html",
            when((range(2, 99), Reply.html("gone", status=410)), default=page(ZHYLANBAEV_RU)),
        ),
        "to_front": vlast.route(
            "/novosti/4-front.html",
            when((range(2, 99), Reply.redirect("/", 301)), default=page(MUBARAKOV_EN)),
        ),
        "says_404": azattyq.route(
            "/a/5-says.html",
            when((range(2, 99), Reply.html(soft_404_page("Azattyq"))), default=page(YENSEBEK_KK)),
        ),
        "probe_404": orda.route(
            "/news/6-probe.html",
            when((range(2, 99), Reply.html(template)), default=page(MUBARAKOV_EN)),
        ),
        "flapping": azattyq.route(
            "/a/7-flap.html",
            when((range(3, 99, 3), page(YENSEBEK_RU)), default=Reply.html("nf", status=404)),
        ),
        "rate_limited": azattyq.route(
            "/a/8-busy.html",
            when(
                (2, Reply.html("slow down", status=429, headers=[("Retry-After", "3600")])),
                default=page(ZHYLANBAEV_RU),
            ),
        ),
        "server_error": orda.route(
            "/news/9-broken.html",
            when((range(2, 99), Reply.html("oops", status=500)), default=page(YENSEBEK_KK)),
        ),
        "drift": vlast.route(
            "/novosti/10-drift.html",
            when((range(2, 99), page(without_quote)), default=page(YENSEBEK_RU)),
        ),
        "noise": vlast.route(
            "/novosti/11-noise.html",
            lambda seen: Reply.html(
                article_page(counted).replace("4821", str(4821 + world.night * 97))
            ),
        ),
        "blocked": azattyq.route(
            "/a/12-blocked.html",
            when((range(2, 99), Reply.html("Forbidden", status=403)), default=page(MUBARAKOV_EN)),
        ),
        "moved": vlast.route(
            "/novosti/13-moved.html",
            when(
                (range(2, 99), Reply.redirect("/novosti/2025/13-moved.html", 301)),
                default=page(ZHYLANBAEV_RU),
            ),
        ),
        "typo": f"http://last.kz:{vlast.port}/novosti/63501-sud-arestoval.html",
        "dns_dead": "http://nonexistent.invalid/novosti/1.html",
    }
    vlast.route("/novosti/2025/13-moved.html", page(ZHYLANBAEV_RU))
    vlast.route("/", Reply.html(home_page()))
    archive.route(
        "/wayback/available",
        lambda seen: Reply(
            200,
            json.dumps(
                {
                    "archived_snapshots": {
                        "closest": {
                            "available": True,
                            "status": "200",
                            "timestamp": "20250115103000",
                            "url": f"https://web.archive.example/web/20250115103000/{seen.path.split('url=')[1].split('&')[0]}",
                        }
                    }
                }
            ).encode(),
            [("Content-Type", "application/json")],
        ),
    )
    return urls


@dataclass
class Nights:
    workspace: Workspace
    web: TestWeb
    world: World
    urls: dict[str, str]
    states: dict[int, dict[str, str]]
    verdicts: dict[int, dict[str, str | None]]
    hints: dict[str, str | None]
    outputs: dict[int, str]


def night_time(night: int) -> str:
    return (FIRST_NIGHT + timedelta(days=night - 1)).isoformat()


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("health")
    with TestWeb() as web:
        vlast, orda, azattyq, archive = web.hosts
        pins = [
            f"vlast.kz={vlast.address}",
            f"orda.kz={orda.address}",
            f"rus.azattyq.org={azattyq.address}",
        ]
        config = TEST_CONFIG.replace(
            "[crawl]\n", f"[crawl]\npinned_hosts = {json.dumps(pins)}\n"
        ) + (
            f'\n[check]\nmemento_endpoint = "{archive.url("/wayback/available")}"\nmemento_per_minute = 600\n'
        )
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        world = World()
        urls = build(web, world)
        named = {
            name: url.replace(vlast.address, "vlast.kz")
            .replace(orda.address, "orda.kz")
            .replace(azattyq.address, "rus.azattyq.org")
            for name, url in urls.items()
        }
        assert workspace.cli("add", str(workspace.document(named.values()))).code == 0
        result = Nights(workspace, web, world, named, {}, {}, {}, {})
        for night in range(1, 8):
            world.night = night
            world.outage = night == 5
            command = ["archive"] if night == 1 else ["check"]
            run = workspace.cli("--now", night_time(night), *command)
            assert run.code == 0, run.err
            result.outputs[night] = run.out + run.err
            report = workspace.cli("--now", night_time(night), "report", "1", "--format", "json")
            rows = {row["url"]: row for row in json.loads(report.out)}
            result.states[night] = {name: rows[url]["state"] for name, url in named.items()}
            result.verdicts[night] = {name: rows[url]["verdict"] for name, url in named.items()}
            result.hints = {name: rows[url]["hint"] for name, url in named.items()}
        yield result


def column(nights: Nights, name: str) -> list[str]:
    return [nights.states[n][name] for n in sorted(nights.states)]


def verdicts(nights: Nights, name: str) -> list[str | None]:
    return [nights.verdicts[n][name] for n in sorted(nights.verdicts)]


def test_a_link_that_stays_up_stays_alive_and_costs_a_304(nights: Nights) -> None:
    assert column(nights, "stable") == ["alive"] * 7
    assert len(nights.world.seen_conditional) >= 2
    assert (
        nights.world.seen_conditional[0].headers["If-Modified-Since"]
        == "Sat, 01 Feb 2025 10:00:00 GMT"
    )


def test_304s_are_stored_as_revisits(nights: Nights) -> None:
    # Each 304 is a revisit record in the WARC files; in the database, one more sighting of
    # the night-1 snapshot it repeats (health.sightings), not a row of its own.
    [first] = nights.workspace.snapshots_by_url()[nights.urls["stable"]]
    assert first.status == 200 and first.verdict == "ok" and first.times_seen >= 3
    revisits = []
    for path in sorted(nights.workspace.warc_directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                refers_to = record.rec_headers.get_header("WARC-Refers-To")
                if record.rec_type == "revisit" and refers_to == first.warc_record_id:
                    revisits.append(record.http_headers.get_statuscode())
    assert revisits == ["304"] * (first.times_seen - 1)


def test_dead_only_after_three_permanent_failures_over_48_hours(nights: Nights) -> None:
    assert column(nights, "dies_404") == [
        "alive",
        "suspect",
        "suspect",
        "dead",
        "dead",
        "dead",
        "dead",
    ]
    assert column(nights, "gone_410") == [
        "alive",
        "suspect",
        "suspect",
        "dead",
        "dead",
        "dead",
        "dead",
    ]
    assert verdicts(nights, "gone_410")[1] == "gone"
    # a name that does not resolve is permanent-looking from the first night
    assert column(nights, "dns_dead") == [
        "suspect",
        "suspect",
        "dead",
        "dead",
        "dead",
        "dead",
        "dead",
    ]


def test_soft_404s_by_each_technique(nights: Nights) -> None:
    for name in ("to_front", "says_404", "probe_404"):
        assert verdicts(nights, name)[1] == "soft_404", name
        assert column(nights, name)[3] == "dead", name
    assert (
        verdicts(nights, "probe_404")[0] == "ok"
    )  # the article itself differs from the host's 404 page


def test_a_flapping_link_never_dies(nights: Nights) -> None:
    assert "dead" not in column(nights, "flapping")
    assert verdicts(nights, "flapping")[2] == "ok" and column(nights, "flapping")[2] == "alive"


def test_rate_limiting_changes_nothing(nights: Nights) -> None:
    assert verdicts(nights, "rate_limited")[1] == "rate_limited"
    assert column(nights, "rate_limited") == ["alive"] * 7


def test_transient_failures_do_not_kill_in_under_a_week(nights: Nights) -> None:
    assert column(nights, "server_error")[1:] == ["suspect"] * 6


def test_drift_versus_noise(nights: Nights) -> None:
    assert column(nights, "drift")[1:] == ["drifted"] * 6
    snapshot = next(
        s
        for s in nights.workspace.snapshots_by_url()[nights.urls["drift"]]
        if s.verdict == "drifted"
    )
    assert snapshot.similarity is not None and snapshot.similarity < 0.85
    assert column(nights, "noise") == ["alive"] * 7


def test_blocked_and_moved(nights: Nights) -> None:
    assert column(nights, "blocked")[:4] == ["alive", "suspect", "blocked", "blocked"]
    assert verdicts(nights, "moved")[1] == "redirected" and column(nights, "moved") == ["alive"] * 7


def test_an_outage_night_changes_nothing(nights: Nights) -> None:
    assert nights.states[5] == nights.states[4]
    assert "degraded" in nights.outputs[5]
    outage = [
        s
        for snaps in nights.workspace.snapshots_by_url().values()
        for s in snaps
        if s.outcome == "reset"
    ]
    assert outage and not any(s.counted for s in outage)


def test_typo_hint(nights: Nights) -> None:
    hint = nights.hints["typo"] or ""
    assert hint.startswith("did you mean vlast.kz? last.kz does not resolve")
    assert nights.hints["dns_dead"] is None  # no similar host serves its kind of path


def test_public_copies_of_dead_and_drifted_links(nights: Nights) -> None:
    report = nights.workspace.cli("report", "1", "--format", "json")
    rows = {row["url"]: row for row in json.loads(report.out)}
    dead, drifted, alive = (
        rows[nights.urls["dies_404"]],
        rows[nights.urls["drift"]],
        rows[nights.urls["stable"]],
    )
    assert (
        dead["memento_url"]
        == f"https://web.archive.example/web/20250115103000/{nights.urls['dies_404'].replace(':', '%3A').replace('/', '%2F')}"
    )
    assert drifted["memento_url"] and alive["memento_url"] is None
    lookups = nights.web[3].requests_to("/wayback/available")
    asked = [seen.path for seen in lookups]
    assert len(asked) == len(set(asked))  # cached: each link asked once
    for key in (
        "footnote",
        "url",
        "canonical_url",
        "state",
        "verdict",
        "checked_at",
        "last_ok_at",
        "snapshot_id",
        "memento_url",
        "hint",
    ):
        assert key in dead
    assert (
        dead["state"] == "dead"
        and dead["last_ok_at"].startswith("2025-03-01")
        and dead["snapshot_id"]
    )


def test_html_report_with_robust_links(nights: Nights, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    assert (
        nights.workspace.cli("report", "1", "--format", "html", "--output", str(output)).code == 0
    )
    tree = lxml_html.fromstring(output.read_text(encoding="utf-8"))
    assert not tree.xpath("//script") and not tree.xpath("//link[@rel='stylesheet']")
    anchors = {a.get("data-originalurl"): a for a in tree.xpath("//a[@data-originalurl]")}
    dead = anchors[nights.urls["dies_404"]]
    assert dead.get("data-versionurl", "").startswith(
        "https://web.archive.example/web/20250115103000/"
    )
    assert dead.get("data-versiondate") == "2025-01-15"
    assert anchors[nights.urls["stable"]].get("data-versiondate", "").startswith("2025-03-0")
    assert "Медеуский районный суд" in output.read_text(encoding="utf-8")  # our copy of a dead page


def test_operator_override(nights: Nights) -> None:
    workspace = nights.workspace
    marked = workspace.cli("mark", nights.urls["server_error"], "--dead")
    assert marked.code == 0 and "marked dead" in marked.out
    rows = {r["url"]: r for r in json.loads(workspace.cli("report", "1", "--format", "json").out)}
    assert (
        rows[nights.urls["server_error"]]["state"] == "dead"
        and rows[nights.urls["server_error"]]["overridden"]
    )
    cleared = workspace.cli("mark", nights.urls["server_error"], "--clear")
    assert cleared.code == 0 and "state from the checks: suspect" in cleared.out


def test_check_all_forces_everything(nights: Nights) -> None:
    before = len(nights.web[0].requests_to("/novosti/1-stable.html"))
    run = nights.workspace.cli("--now", night_time(7), "check")
    assert "Nothing is due" in run.out
    assert len(nights.web[0].requests_to("/novosti/1-stable.html")) == before
    forced = nights.workspace.cli("--now", night_time(7), "check", "--all")
    assert (
        forced.code == 0 and len(nights.web[0].requests_to("/novosti/1-stable.html")) == before + 1
    )


def test_snapshot_rows_carry_their_verdicts(nights: Nights) -> None:
    rows: list[Snapshot] = [
        s for snaps in nights.workspace.snapshots_by_url().values() for s in snaps
    ]
    assert all(s.verdict is not None for s in rows)


def test_csv_and_table_reports(nights: Nights, tmp_path: Path) -> None:
    import csv

    output = tmp_path / "report.csv"
    assert nights.workspace.cli("report", "--format", "csv", "--output", str(output)).code == 0
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert len(rows) == len(nights.urls)
    assert {"footnote", "url", "state", "verdict", "memento_url", "hint"} <= set(rows[0])
    table = nights.workspace.cli("report", "1")
    assert table.code == 0 and "┃ Note ┃ URL as cited" in table.out and "dead" in table.out
