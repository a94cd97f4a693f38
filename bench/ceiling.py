"""The ceiling for `bench.ingest`: a bare app served exactly as `opsgraph serve` serves.

Its one POST endpoint answers 200 without reading the request, so what it measures is the
cost of uvicorn, FastAPI routing and the load generator alone. It goes through the same
`build_server` (one process, same log settings, `access_log=False`, whatever loop and HTTP
implementations uvicorn picks) and the same logging set-up as `opsgraph serve`.

Run: `python -m bench.ceiling --port P`; `bench.ingest` starts it with `ceiling_serving`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI, Response

from runtime.logging import configure_logging
from service.process import background, free_port, wait_healthy
from service.server import build_server


def build_ceiling_app() -> FastAPI:
    """`POST /webhooks/{source}` -> 200 with an empty body; `GET /healthz` for start-up."""
    app = FastAPI(title="ingest ceiling")

    @app.post("/webhooks/{source}")
    async def receive_anything() -> Response:
        return Response(status_code=200)

    @app.get("/healthz")
    async def read_health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextmanager
def ceiling_serving(log: Path) -> Iterator[str]:
    """`python -m bench.ceiling` in the background, stopped with SIGINT like `serving`."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with background(["bench.ceiling", "--port", str(port)], log=log) as process:
        wait_healthy(process, base_url, log)
        yield base_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    configure_logging(args.log_level)
    build_server(
        build_ceiling_app(), host=args.host, port=args.port, log_level=args.log_level
    ).run()


if __name__ == "__main__":
    main()
