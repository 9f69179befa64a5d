"""The one domain error type, and its single mapping to HTTP.

Every 4xx/5xx the API returns has one JSON shape::

    {"error": {"code": "not_found", "message": "Project 'x' does not exist", "details": [...]}}

``code`` is machine-readable and stable; ``message`` is written for a person and says what
to do; ``details`` (optional) lists every problem at once, e.g. one entry per invalid field
or per rejected file in a bundle.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("modelhub.errors")


class ModelHubError(Exception):
    """A failure the user can understand: HTTP status, stable code, a human message.

    ``log_message`` (optional) is for operators and never sent to the client.
    """

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        log_message: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.log_message = log_message
        self.headers = headers
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


class NotFound(ModelHubError):
    status_code = 404
    code = "not_found"


class Conflict(ModelHubError):
    """A unique value is taken. ``field`` names it (email, username, slug)."""

    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.field = field


class Unauthorized(ModelHubError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Sign in to do this", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Forbidden(ModelHubError):
    status_code = 403
    code = "forbidden"


class InvalidInput(ModelHubError):
    status_code = 422
    code = "validation_error"


class PayloadTooLarge(ModelHubError):
    status_code = 413
    code = "payload_too_large"


class RateLimited(ModelHubError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kw: Any) -> None:
        kw["headers"] = {"Retry-After": str(max(1, retry_after))}
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(ModelHubError):
    """A dependency (database, Docker engine, Traefik) does not answer."""

    status_code = 503
    code = "unavailable"


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the app can raise to the one JSON shape."""

    @app.exception_handler(ModelHubError)
    async def _domain(request: Request, exc: ModelHubError) -> JSONResponse:
        if exc.log_message:
            log.warning(exc.log_message, extra={"code": exc.code, "path": request.url.path})
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for err in exc.errors():
            field = _field_of(err.get("loc", ()))
            if err.get("type") == "json_invalid":
                field = "body"
            details.append({"field": field, "problem": err.get("msg", "invalid")})
        fields = ", ".join(sorted({d["field"] for d in details}))
        return JSONResponse(
            error_body("validation_error", f"Invalid request: check {fields}", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"Nothing at {request.url.path}"
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side; it has been logged"),
            status_code=500,
        )
