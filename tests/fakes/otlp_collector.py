"""A loopback OTLP/HTTP collector that accepts spans and counts them.

`serve_otlp_collector()` runs it in a background thread on 127.0.0.1 at a free port;
`python -m tests.fakes.otlp_collector` runs it as its own process (bench.overhead), printing
its URL on the first line and the span count when stopped. It decodes each
`ExportTraceServiceRequest` (protobuf, as the exporter sends it) and answers 200 with an
empty response, as a collector that took everything would.
"""

from __future__ import annotations

import gzip
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACES_PATH = "/v1/traces"


class OtlpCollector(ThreadingHTTPServer):
    """Counts the spans (and trace ids, and span names) it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.lock = threading.Lock()
        self.spans = 0
        self.requests = 0
        self.trace_ids: set[str] = set()
        self.names: set[str] = set()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            self.requests += 1
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans += 1
                        self.trace_ids.add(span.trace_id.hex())
                        self.names.add(span.name)


class CollectorHandler(BaseHTTPRequestHandler):
    server: OtlpCollector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != TRACES_PATH:
            self.send_error(404)
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.record(request)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per export would drown the test output."""


@contextmanager
def serve_otlp_collector() -> Iterator[OtlpCollector]:
    collector = OtlpCollector()
    thread = threading.Thread(target=collector.serve_forever, name="otlp-collector", daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        collector.shutdown()
        collector.server_close()
        thread.join(timeout=5)


def main() -> None:
    """Serve until SIGTERM/SIGINT; print the URL first and the counts last."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with serve_otlp_collector() as collector:
        print(collector.url, flush=True)
        stop.wait()
        print(f"spans={collector.spans} requests={collector.requests}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
