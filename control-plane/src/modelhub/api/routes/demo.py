"""Demo routes: launch, status, stop."""

from __future__ import annotations

from fastapi import APIRouter

from modelhub.api.deps import CurrentUser, ServicesDep
from modelhub.api.schemas_projects import DemoOut

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
