"""`citewatch serve`: the dashboard (web/) under uvicorn."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import signal
import socket
import sys

from cli.app import App
from cli.errors import CommandError
from cli.output import say
from web.app import create_app
from web.auth import count_users
from web.security import dashboard_address, replay_origin
from web.vendor import PACKAGES, is_installed


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    serve = commands.add_parser("serve", help="the dashboard in a web browser")
    serve.add_argument("--host", help="address to listen on (default: [web] host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default: [web] port, 8000)")
    serve.set_defaults(handler=cmd_serve)


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this computer only (local mode is allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or CommandError in one line (e.g. the port is taken)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = " (another program uses it; choose another with --port)" if exc.errno == 98 else ""
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.set_inheritable(True)
    return sock


def cmd_serve(app: App, args: argparse.Namespace) -> int:
    """citewatch serve [--host ADDRESS] [--port PORT]"""
    web_config = app.config.web
    host = args.host or web_config.host
    port = web_config.port if args.port is None else args.port
    if not 0 < port < 65536:
        raise CommandError(f"port {port} is not a TCP port")
    config = dataclasses.replace(
        app.config, web=dataclasses.replace(web_config, host=host, port=port)
    )
    local = is_loopback(host)
    with app.database.session() as session:
        users = count_users(session)
    if not local and users == 0:
        raise CommandError(
            f"refusing to serve on {host} with no users: anyone could open the dashboard; "
            "add one first with `citewatch user add NAME --role admin`"
        )
    if not local and not web_config.replay_origin:
        raise CommandError(
            f"refusing to serve on {host} without [web] replay_origin: archived pages are "
            "replayed from an origin of their own, a subdomain of the dashboard's "
            "(e.g. https://replay.citewatch.example.org beside https://citewatch.example.org)"
        )
    missing = [package.spec for package in PACKAGES if not is_installed(package)]
    if missing:
        say(
            app.err,
            f"citewatch: warning: {', '.join(missing)} missing (fetch with `python -m web.vendor`):"
            " our copies are shown as text, not replayed",
        )
    asgi = create_app(config, app.database, app.clock, local=local)
    sock = listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    say(
        app.out,
        f"citewatch: serving {dashboard_address(config)} "
        f"(listening on {shown}:{port}; replay on {replay_origin(config)})",
    )
    sys.stdout.flush()
    import uvicorn  # only here: every other command starts without it

    server = uvicorn.Server(
        uvicorn.Config(asgi, log_level="warning", access_log=False, lifespan="off")
    )
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found:
    # this one, so that a stop (systemd, a test) ends with exit code 0 instead of death by signal.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    return 0
