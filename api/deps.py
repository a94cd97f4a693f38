"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError

from api.auth import require_role
from runtime.apikeys import ApiKey, Role
from runtime.bounds import OutOfBounds, check_text
from runtime.resources import Resources


async def get_resources(request: Request) -> Resources:
    """Async although it does no I/O: a sync dependency would cost a thread-pool hop."""
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
OperatorKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR))]
ReaderKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR, Role.REVIEWER))]
AdminKey = Annotated[ApiKey, Depends(require_role(Role.ADMIN))]


def declared_params(dependant: Dependant) -> tuple[set[str], set[str]]:
    """The (path, query) parameter names a route declares, its dependencies' included."""
    path = {field.alias for field in dependant.path_params}
    query = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        sub_path, sub_query = declared_params(sub)
        path |= sub_path
        query |= sub_query
    return path, query


async def storable_params(request: Request) -> None:
    """Path and query values end up in SQL: a value PostgreSQL refuses (a NUL character)
    is a 422 here, not a 500 from the database. An app-wide dependency."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if not isinstance(dependant, Dependant):
        return
    _, query = declared_params(dependant)
    values = [("path", name, value) for name, value in request.path_params.items()]
    values += [("query", n, v) for n, v in request.query_params.multi_items() if n in query]
    errors = []
    for where, name, value in values:
        try:
            check_text(str(value), name)
        except OutOfBounds as exc:
            errors.append({"loc": (where, name), "type": "value_error", "msg": str(exc)})
    if errors:
        raise RequestValidationError(errors)
