"""FastAPI dependencies: the services, the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelhub.errors import Unauthorized
from modelhub.models import User
from modelhub.services.auth import TokenClaims
from modelhub.services.container import Services
from modelhub.settings import Settings
from modelhub.store.base import Store


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings_dep(services: ServicesDep) -> Settings:
    return services.settings


def get_store(services: ServicesDep) -> Store:
    return services.store


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store)]


def bearer_or_cookie_token(request: Request, services: ServicesDep) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(services.settings.auth_cookie_name) or None


async def current_session(request: Request, services: ServicesDep) -> tuple[User, TokenClaims]:
    token = bearer_or_cookie_token(request, services)
    if not token:
        raise Unauthorized("Sign in to do this")
    return await services.auth.authenticate(token)


async def current_user(
    session: Annotated[tuple[User, TokenClaims], Depends(current_session)],
) -> User:
    return session[0]


async def optional_user(request: Request, services: ServicesDep) -> User | None:
    token = bearer_or_cookie_token(request, services)
    if not token:
        return None
    try:
        user, _ = await services.auth.authenticate(token)
    except Unauthorized:
        return None
    return user


CurrentSession = Annotated[tuple[User, TokenClaims], Depends(current_session)]
CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def client_ip(request: Request) -> str:
    """The client's address (uvicorn resolves X-Forwarded-For from the trusted proxy)."""
    return request.client.host if request.client else "unknown"
