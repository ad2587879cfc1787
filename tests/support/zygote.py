"""Run `citewatch` commands in forks of a process that has imported citewatch already.

A command started as a new process pays the interpreter's start and every import first: about
a second here, two when the machine is busy, which the multi-night story tests pay hundreds of
times. The zygote (this file, run as a script) imports the CLI once and forks a child per
command; the child takes the command's working directory, environment and standard streams,
runs `cli.main`, and exits with its code. To the command it is a new process like any other:
its own pid, files and signals, and its crawls in processes of their own that die with it.

Protocol, one JSON object per line: the client sends {"argv", "env", "cwd", "in", "out", "err"}
(files for the standard streams); the
zygote answers {"pid": N} when the child runs, then {"code": N} when it has ended (a negative
signal number if a signal ended it, as `subprocess` reports).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

# Variables the interpreter reads as it starts: a command asking for others than the zygote
# started with runs as a plain process instead.
STARTUP_PREFIX = "PYTHON"


def serve(requests: IO[str], replies: IO[str]) -> None:
    """Answer requests until the client closes its end."""
    import cli  # noqa: F401  # the point of the zygote: imported once, before any fork
    import crawler.__main__  # noqa: F401  # and the crawl's modules, which crawls fork with

    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)  # never returns
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


def _child(request: dict[str, Any]) -> None:
    """Become the command: its directory, environment and streams; then run it and exit."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        given = os.open(request["in"], os.O_RDONLY)
        os.dup2(given, 0)
        os.close(given)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.argv = [request["argv0"], *request["argv"]]
        from cli import main

        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a full disk: the exit code still counts
                stream.flush()
        os._exit(code)


class Zygote:
    """The client side: one zygote per test process, started on first use."""

    def __init__(self, executable: str, argv0: str) -> None:
        self.executable = executable
        self.argv0 = argv0
        self.process: subprocess.Popen[str] | None = None
        self.environment: dict[str, str] = {}
        self.busy = threading.Lock()

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        timeout: float,
        stdin: str = "",
    ) -> subprocess.CompletedProcess[str]:
        """Run one command like `subprocess.run(capture_output=True, text=True)` would, with
        `stdin` as its standard input."""
        if not self.busy.acquire(blocking=False):  # a test runs commands side by side
            return _plain([self.argv0, *argv], env, cwd, timeout, stdin)
        try:
            process = self._process(env)
            if process is None:
                return _plain([self.argv0, *argv], env, cwd, timeout, stdin)
            return self._run(process, argv, env, cwd, timeout, stdin)
        finally:
            self.busy.release()

    def _process(self, env: Mapping[str, str]) -> subprocess.Popen[str] | None:
        startup = _startup(env)
        if self.process is not None and self.process.poll() is None:
            return self.process if startup == _startup(self.environment) else None
        self.environment = dict(env)
        self.process = subprocess.Popen(
            [self.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self.environment,
        )
        return self.process

    def _run(
        self,
        process: subprocess.Popen[str],
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        timeout: float,
        stdin: str,
    ) -> subprocess.CompletedProcess[str]:
        assert process.stdin is not None and process.stdout is not None
        with tempfile.TemporaryDirectory(prefix="citewatch-cli-") as streams:
            out, err = Path(streams, "out"), Path(streams, "err")
            given = Path(streams, "in")
            given.write_text(stdin, encoding="utf-8")
            request = {
                "in": str(given),
                "argv0": self.argv0,
                "argv": list(argv),
                "env": dict(env),
                "cwd": str(cwd),
                "out": str(out),
                "err": str(err),
            }
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            pid = json.loads(process.stdout.readline())["pid"]
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

            timer = threading.Timer(timeout, expire)
            timer.start()
            try:
                code = json.loads(process.stdout.readline())["code"]
            finally:
                timer.cancel()
            stdout, stderr = (path.read_text(encoding="utf-8") for path in (out, err))
        if expired.is_set():
            raise subprocess.TimeoutExpired([self.argv0, *argv], timeout, stdout, stderr)
        return subprocess.CompletedProcess([self.argv0, *argv], code, stdout, stderr)

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
            self.process = None


def _startup(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIX)}


def _plain(
    command: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float, stdin: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
    )


if __name__ == "__main__":
    # Run as a script, this folder heads sys.path, and its modules (dns.py, web.py ...) would
    # stand in for the packages of the same names in every command and crawl.
    sys.path.remove(str(Path(__file__).resolve().parent))
    serve(sys.stdin, sys.stdout)
