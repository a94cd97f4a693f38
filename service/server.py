"""Serving the app with uvicorn inside our own event loop."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI


def build_server(app: FastAPI, *, host: str, port: int, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, log_level=log_level.lower(), access_log=False
    )
    return uvicorn.Server(config)


async def wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Wait until the server listens, or raise if it stopped before it did."""
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped during start-up; see the log above")
        await asyncio.sleep(0.05)
