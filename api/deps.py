"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import require_role
from runtime.apikeys import ApiKey, Role
from runtime.resources import Resources


async def get_resources(request: Request) -> Resources:
    """Async although it does no I/O: a sync dependency would cost a thread-pool hop."""
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
OperatorKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR))]
ReaderKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR, Role.REVIEWER))]
AdminKey = Annotated[ApiKey, Depends(require_role(Role.ADMIN))]
