"""Local HTTP servers standing in for the Telegram Bot API and a newsroom's webhook receiver.

Apprise is pointed at `BotApi` through `[alerts] telegram_api` (the setting of a self-hosted
Bot API server); a `[channels]` webhook at `WebhookReceiver.url`. Each keeps what it received,
and can be made to fail: `down` answers 502 to everything, `accept` limits how many messages
are taken before it fails (a channel that breaks in the middle of a split message).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Server:
    """A threaded HTTP server on 127.0.0.1 that records POSTs and answers with `answer`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.down = False
        self.accept: int | None = None  # None: every message
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Received(self.path, dict(self.headers.items()), body)
                status, answer = owner.answer(request)
                if 200 <= status < 300:
                    owner.received.append(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def refuses(self) -> bool:
        return self.down or (self.accept is not None and len(self.received) >= self.accept)

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def take(self) -> list[Received]:
        """What was received since the last call."""
        taken, self.received[:] = list(self.received), []
        return taken

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class BotApi(_Server):
    """The Telegram Bot API's sendMessage, as api.telegram.org answers it."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        if self.refuses():
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if not request.path.endswith("/sendMessage"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": {"message_id": len(self.received) + 1}}

    def texts(self) -> list[str]:
        """The texts of the messages received since the last call, as Telegram shows them."""
        import html

        return [html.unescape(str(r.json()["text"])).replace("\r\n", "\n") for r in self.take()]


class WebhookReceiver(_Server):
    """A newsroom system's endpoint: 204 for every POST it takes."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/citewatch"

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        if self.refuses():
            return 503, {"error": "maintenance"}
        return 202, {}
