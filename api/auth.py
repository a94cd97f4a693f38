"""Bearer API keys: who is calling, for which tenant, in which role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from runtime.apikeys import ApiKey, Role, find_key

bearer = HTTPBearer(auto_error=False, description="An opsgraph API key: `opsgraph keys create`.")
api_key_header = APIKeyHeader(
    name="x-api-key",
    auto_error=False,
    description="The same key, as LangGraph's clients (`langgraph-sdk`) send it.",
)


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(api_key_header)],
) -> ApiKey:
    secret = credentials.credentials if credentials is not None else header_key
    if not secret:
        raise unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    key = await find_key(request.app.state.resources.pool, secret)
    if key is None:
        raise unauthorized("invalid or revoked API key")
    return key


def require_role(*roles: Role) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency admitting keys of `roles`; admin keys are admitted everywhere."""
    allowed = {Role.ADMIN, *roles}

    async def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role not in allowed:
            needed = " or ".join(sorted(role.value for role in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this route needs a {needed} key; this key is {key.role.value}",
            )
        return key

    return check
