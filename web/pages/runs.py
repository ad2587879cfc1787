"""Runs: each nightly cycle step by step, and the crawl runs, newest first."""

from __future__ import annotations

from itertools import groupby

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from nightly.runs import recent_crawl_runs, recent_job_runs
from web.context import render, web

CYCLES = 20  # nightly cycles shown
CRAWL_RUNS = 50


async def run_list(request: Request) -> Response:
    with web(request).session() as session:
        jobs = recent_job_runs(session, CYCLES)
        cycles = [
            (cycle, list(steps))
            for cycle, steps in groupby(reversed(jobs), key=lambda job: job.cycle)
        ]
        for _, steps in cycles:
            steps.reverse()  # steps in the order they ran, cycles newest first
        crawls = recent_crawl_runs(session, CRAWL_RUNS)
        return render(request, "runs.html", cycles=cycles, crawls=crawls)


routes: list[BaseRoute] = [Route("/runs", run_list, name="runs")]
