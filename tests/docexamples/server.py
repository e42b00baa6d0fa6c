"""A loopback HTTP server for one vendor's document examples: a `Routes` object answers each
request (method, path, query, headers) with (status, JSON body, extra headers). It runs in a
thread of the test process; the sources reach it over real HTTP like any vendor."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched case-insensitively (ASP.NET-style APIs)."""
        for key, values in self.query.items():
            if key.lower() == name.lower():
                return values[-1]
        return default

    def args(self, name: str) -> list[str]:
        return [v for key, values in self.query.items() if key.lower() == name.lower() for v in values]


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ExampleServer:
    """Serve `handle` on 127.0.0.1 (a free port) until closed; `now` is what the `Date` header
    says (a vendor's clock the sources read). `calls` counts requests per path."""

    def __init__(self, handle: Callable[[Request], Response], now: datetime | None = None):
        self.handle = handle
        self.now = now
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def date_time_string(self, timestamp=None) -> str:
                return format_datetime(outer.now, usegmt=True) if outer.now else super().date_time_string(timestamp)

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"")
                with outer._lock:
                    outer.calls[url.path] = outer.calls.get(url.path, 0) + 1
                try:
                    response = outer.handle(request)
                except Exception as exc:               # a bug in the example server: say so
                    response = Response(500, {"error": f"{type(exc).__name__}: {exc}"})
                payload = json.dumps(response.body).encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.headers.pop("Content-Type", "application/json"))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ExampleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def page_of(entries: list, offset: int, limit: int) -> list:
    return entries[offset:offset + limit]
