"""Demo routes: launch, status, stop."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from modelhub.api.deps import CurrentUser, ServicesDep
from modelhub.api.schemas_projects import DemoOut
from modelhub.errors import error_body

router = APIRouter(prefix="/demo", tags=["demo"])


@router.post("/{project_id}/launch", response_model=DemoOut)
async def launch(project_id: str, services: ServicesDep) -> DemoOut:
    """Start the demo (anyone may); returns once it answers through the proxy."""
    project = await services.projects.get(project_id)
    return DemoOut.of(await services.demos.launch(project))


@router.get("/{project_id}/status", response_model=DemoOut)
async def demo_status(project_id: str, services: ServicesDep) -> DemoOut:
    project = await services.projects.get(project_id)
    return DemoOut.of(await services.demos.status(project))


@router.post("/{project_id}/stop", response_model=DemoOut)
async def stop(project_id: str, user: CurrentUser, services: ServicesDep) -> DemoOut:
    """Owner (or admin) only."""
    project = await services.projects.get_owned(project_id, user)
    return DemoOut.of(await services.demos.stop(project))


# Traefik sends /demos/... here only when no running demo claims the path.
not_running_router = APIRouter(include_in_schema=False)


@not_running_router.api_route("/demos/{rest:path}", methods=["GET", "HEAD", "POST"])
async def demo_not_running(rest: str, request: Request) -> Response:
    slug = rest.split("/", 1)[0]
    message = f"No demo is running at /demos/{slug}/: launch it from its page in the gallery"
    if "text/html" in request.headers.get("accept", ""):
        page = (
            "<!doctype html><meta charset=utf-8><title>Demo not running</title>"
            f"<p>{html.escape(message)}.</p><p><a href='/gallery'>Open the gallery</a></p>"
        )
        return HTMLResponse(page, status_code=404)
    return JSONResponse(error_body("demo_not_running", message), status_code=404)
