"""Names that never resolve die on the third night, however their lookups fail.

Five nights of the real CLI, each a few seconds earlier than a day after the last (as cron
starts), with crawl.nameservers pointing at a local DNS server. Four hosts resolve to the test
web; a typo host gets NXDOMAIN, another SERVFAIL, a third no answer at all. Every night must
end the same way for all three: a DNS failure, never a transient one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.dns import TestDns
from tests.support.pages import ARTICLES, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

FIRST_NIGHT = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
NIGHTS = range(1, 6)
RESOLVING = ("vlast.kz", "orda.kz", "rus.azattyq.org", "kaztag.kz")
# name -> what its lookup says, in the snapshot's error
FAILING = {
    "last.kz": "no such name (NXDOMAIN)",
    "zakon.kz": "the name server failed (SERVFAIL)",
    "tengrinews.kz": "no answer within 1 s (timeout)",
}


def night_time(night: int) -> str:
    """Each night a few seconds earlier than 24 hours after the last."""
    return (FIRST_NIGHT + timedelta(days=night - 1, seconds=-7 * night)).isoformat()


@dataclass
class Nights:
    workspace: Workspace
    dns: TestDns
    urls: dict[str, list[str]]  # host -> the URLs cited on it
    states: dict[int, dict[str, str]]  # night -> URL -> state
    rows: dict[str, dict[str, Any]]  # URL -> its report row after the last night
    outputs: dict[int, str]


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("lookups")
    with (
        TestWeb() as web,
        TestDns(
            addresses={name: host.address for name, host in zip(RESOLVING, web.hosts, strict=True)},
            nxdomain=["last.kz"],
            servfail=["zakon.kz"],
            silent=["tengrinews.kz"],
        ) as dns,
    ):
        urls: dict[str, list[str]] = {}
        for index, (name, host) in enumerate(zip(RESOLVING, web.hosts, strict=True)):
            for article in range(2):
                path = f"/novosti/{index}{article}-statya.html"
                host.route(path, Reply.html(article_page(ARTICLES[(index + article) % 4])))
                urls.setdefault(name, []).append(f"http://{name}:{host.port}{path}")
        port = web.hosts[0].port  # the typo host is cited with vlast.kz's port and paths
        for name in FAILING:
            count = 4 if name == "last.kz" else 2
            urls[name] = [f"http://{name}:{port}/novosti/6350{i}-sud.html" for i in range(count)]
        # Default intervals: the live links back off (checked nights 1, 2, then 4), so night 3
        # checks only the failing hosts. They failed last night too, so they are no sign of a
        # local network outage, and their failures count.
        config = TEST_CONFIG.replace(
            "[crawl]\n", f'[crawl]\nnameservers = ["{dns.nameserver}"]\n'
        ).replace("timeout = 1.5\n", "timeout = 1\n") + ("\n[check]\nmemento = false\n")
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        cited = [url for host_urls in urls.values() for url in host_urls]
        assert workspace.cli("add", str(workspace.document(cited))).code == 0
        result = Nights(workspace, dns, urls, {}, {}, {})
        for night in NIGHTS:
            command = "archive" if night == 1 else "check"
            run = workspace.cli("--now", night_time(night), command)
            assert run.code == 0, run.err
            result.outputs[night] = run.out + run.err
            report = workspace.cli("--now", night_time(night), "report", "1", "--format", "json")
            result.rows = {row["url"]: row for row in json.loads(report.out)}
            result.states[night] = {url: row["state"] for url, row in result.rows.items()}
        yield result


def states(nights: Nights, host: str) -> set[tuple[str, ...]]:
    """The states night after night of each URL cited on a host."""
    return {tuple(nights.states[night][url] for night in NIGHTS) for url in nights.urls[host]}


@pytest.mark.parametrize("host", list(FAILING))
def test_a_name_that_never_resolves_is_dead_on_the_third_night(nights: Nights, host: str) -> None:
    assert states(nights, host) == {("suspect", "suspect", "dead", "dead", "dead")}
    assert {nights.rows[url]["verdict"] for url in nights.urls[host]} == {"unreachable"}


def test_hosts_that_resolve_stay_alive_and_the_nights_are_not_an_outage(nights: Nights) -> None:
    for host in RESOLVING:
        assert states(nights, host) == {("alive",) * 5}, host
    assert not any("degraded" in output for output in nights.outputs.values())


@pytest.mark.parametrize("host", list(FAILING))
def test_each_check_says_how_the_lookup_failed(nights: Nights, host: str) -> None:
    url = nights.urls[host][0]
    shown = nights.workspace.cli("show", url, "--format", "json")
    assert shown.code == 0, shown.err
    snapshots = json.loads(shown.out)
    assert [s["outcome"] for s in snapshots] == ["dns_failure"] * 3  # nights 1-3; dead waits
    for snapshot in snapshots:
        assert f"DNS lookup failed for {host}: {FAILING[host]}" in snapshot["error"]


def test_each_name_is_asked_once_a_night(nights: Nights) -> None:
    # Nights 1-3 check the failing names (four citations and a probe each, one question);
    # dead links wait a week. The live links back off: checked on nights 1, 2 and 4 only, so
    # night 3 checks nothing but the failing names, and is no outage for that.
    assert {host: nights.dns.asked(host) for host in FAILING} == dict.fromkeys(FAILING, 3)
    assert {host: nights.dns.asked(host) for host in RESOLVING} == dict.fromkeys(RESOLVING, 3)


def test_the_typo_gets_its_hint(nights: Nights) -> None:
    hint = nights.rows[nights.urls["last.kz"][0]]["hint"] or ""
    assert hint.startswith("did you mean vlast.kz? last.kz does not resolve")
