"""The service's app: the API with the worker tasks registered, and optionally a worker."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from graph.tools.registry import build_tool_registry
from runtime.settings import Settings
from service.tasks import tasks_for
from service.worker import background_worker


def build_service_app(settings: Settings, *, with_worker: bool = True) -> FastAPI:
    """The API; with `with_worker` an in-process worker runs jobs beside it. This is the
    composition root: it builds the tool registry the API checks edits against."""
    return create_app(
        settings,
        register_tasks=tasks_for(settings),
        service_hook=background_worker if with_worker else None,
        tools=build_tool_registry(),
    )
