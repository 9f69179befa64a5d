"""Auth routes: register, login, me, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from modelhub.api.deps import CurrentSession, CurrentUser, ServicesDep, client_ip
from modelhub.api.schemas_auth import (
    LoginRequest,
    MessageOut,
    RegisterRequest,
    TokenOut,
    UserOut,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def register(body: RegisterRequest, services: ServicesDep) -> UserOut:
    user = await services.auth.register(
        username=body.username,
        email=str(body.email),
        password=body.password,
        full_name=body.full_name,
    )
    return UserOut.of(user)


@router.post("/login", response_model=TokenOut)
async def login(
    body: LoginRequest, request: Request, response: Response, services: ServicesDep
) -> TokenOut:
    user, issued = await services.auth.login(
        email=str(body.email), password=body.password, client_ip=client_ip(request)
    )
    settings = services.settings
    response.set_cookie(
        settings.auth_cookie_name,
        issued.token,
        max_age=settings.access_token_expire_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        # only the API sees it: demos on /demos/... run creators' code on this origin
        path="/api",
    )
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, user=UserOut.of(user))


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.post("/logout", response_model=MessageOut)
async def logout(session: CurrentSession, response: Response, services: ServicesDep) -> MessageOut:
    await services.auth.logout(session[1])
    response.delete_cookie(services.settings.auth_cookie_name, path="/api")
    return MessageOut(message="Signed out")
