"""A loopback receiver for the service's outbound notices (Standard Webhooks POSTs): it
answers 204 and keeps what arrived, for the test to verify."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass(frozen=True)
class NoticeReceiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    """Each notice's headers and body, in the order they arrived."""


@contextmanager
def serve_notice_receiver() -> Iterator[NoticeReceiver]:
    """Receive notices at `url` on 127.0.0.1 until the block ends."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            del args  # quiet: the test reads what arrived, not the access log

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield NoticeReceiver(f"http://127.0.0.1:{server.server_address[1]}/notices", received)
    finally:
        server.shutdown()
        server.server_close()
