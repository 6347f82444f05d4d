"""A stand-in for the registries: an HTTP server on 127.0.0.1, started by the test, that serves
canned bodies (the registries' documented JSON, in tests/fixtures/registries/) and records every
request. No test reaches the internet. It also plays a hostile registry: answers that drip one
byte at a time, redirects elsewhere, bodies of any shape.

Replies are routed by path, and for E-utilities by path and `db` (`/esummary.fcgi?db=pubmed`).
A route holds a list of replies served in turn; the last one repeats. Unknown paths get a 404
with Crossref's plain-text body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "registries"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (to make a client time out)."""
    drip: float = 0.0
    """Seconds between the bytes of the answer, status line and headers included: a server
    that is never silent long enough for a socket timeout, yet never finishes."""

    def encoded(self) -> bytes:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class RegistryServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, key: str, *replies: Reply) -> None:
        self.routes[key] = list(replies)

    def seen(self, key: str) -> list[Seen]:
        return [r for r in self.requests if _key(r.path, r.query) == key]

    def __enter__(self) -> RegistryServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _reply(self, path: str, query: dict[str, list[str]]) -> Reply:
        with self._lock:
            queue = self.routes.get(_key(path, query))
            if not queue:
                return Reply(404, "Resource not found.", {"Content-Type": "text/plain"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with server._lock:
                    server.requests.append(Seen(parts.path, query, dict(self.headers.items())))
                reply = server._reply(parts.path, query)
                if reply.delay and server._stop.wait(reply.delay):
                    return
                body = reply.encoded()
                if reply.drip:
                    self._drip(reply, body)
                    return
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def _drip(self, reply: Reply, body: bytes) -> None:
                headers = {"Content-Type": "application/json", **reply.headers}
                head = f"HTTP/1.1 {reply.status} Dripping\r\n" + "".join(
                    f"{name}: {value}\r\n" for name, value in headers.items()
                )
                raw = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
                for index in range(len(raw)):
                    if server._stop.wait(reply.drip):
                        return
                    try:
                        self.wfile.write(raw[index : index + 1])
                    except OSError:  # the client gave up, as it should
                        return

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _key(path: str, query: dict[str, list[str]]) -> str:
    db = query.get("db")
    return f"{path}?db={db[0]}" if db else path


def serve(**routes: list[Reply]) -> Iterator[RegistryServer]:
    """For fixtures: a started server with the given routes."""
    with RegistryServer() as server:
        for key, replies in routes.items():
            server.route(key, *replies)
        yield server
