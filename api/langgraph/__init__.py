"""LangGraph's threads/runs server API (the subset its official clients use), tenant-scoped."""

from __future__ import annotations

from fastapi import APIRouter

from api.langgraph import assistants, runs, threads


def build_router() -> APIRouter:
    router = APIRouter()
    router.include_router(assistants.router)
    router.include_router(threads.router)
    router.include_router(runs.router)
    return router
