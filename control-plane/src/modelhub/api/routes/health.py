"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from modelhub.api.deps import ServicesDep
from modelhub.errors import error_body
from modelhub.services.health import readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "a dependency is not ready"}})
async def ready(services: ServicesDep) -> JSONResponse:
    """Readiness: database, Docker engine and Traefik, each with its state."""
    checks = await readiness(services.store, services.runtime, services.settings.traefik_api_url)
    ok = all(check["status"] == "ok" for check in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "error", "checks": checks}
    if not ok:
        failing = [name for name, check in checks.items() if check["status"] != "ok"]
        body |= error_body(
            "not_ready",
            f"Not ready: {', '.join(failing)} not answering",
            [{"field": name, "problem": checks[name]["detail"]} for name in failing],
        )
    return JSONResponse(body, status_code=200 if ok else 503)
