"""List and stop demos from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from modelhub.errors import NotFound, Unavailable
from modelhub.models import DemoState
from modelhub.ops.hub_api import call_as_owner
from modelhub.ops.session import connected_store, find_project
from modelhub.ops.status import managed_containers
from modelhub.proxy.traefik_file import TraefikFileRouteTable
from modelhub.runtime.docker_runtime import DockerRuntime
from modelhub.services.demos import DemoService
from modelhub.services.project_records import ProjectRecords
from modelhub.settings import Settings


@dataclass(frozen=True)
class DemoRow:
    project_id: str
    slug: str
    state: str  # what the store records
    container: str  # what the engine says: running, exited, starting, or "-" (none)
    started_at: str
    url: str
    reason: str


async def list_demos(settings: Settings, *, include_stopped: bool = False) -> list[DemoRow]:
    """Demos the store records as not stopped, or that have a container (plus all others
    with ``include_stopped``), by slug."""
    async with connected_store(settings) as store:
        projects = await store.list_all_projects()
    containers = {c.project_id: c for c in await managed_containers(settings)}
    rows = []
    for p in sorted(projects, key=lambda p: p.slug):
        container = containers.get(p.id)
        if not include_stopped and p.demo.state == DemoState.STOPPED and container is None:
            continue
        rows.append(
            DemoRow(
                project_id=p.id,
                slug=p.slug,
                state=p.demo.state.value,
                container=container.state if container else "-",
                started_at=p.demo.started_at.isoformat(timespec="seconds")
                if p.demo.started_at
                else "-",
                url=f"{settings.demo_base_url}/demos/{p.slug}/",
                reason=p.demo.reason or "",
            )
        )
    return rows


async def stop_demo(settings: Settings, project_ref: str) -> tuple[str, str, str]:
    """Stop a demo through the running hub; when no hub answers, stop it directly (the
    container, the route file and the record). Returns (slug, state, how)."""
    try:
        project, body = await call_as_owner(settings, project_ref, "POST", "/demo/{id}/stop")
        return project.slug, str(body.get("status", "stopped")), "through the hub's API"
    except Unavailable:
        pass
    async with connected_store(settings) as store:
        found = await find_project(store, project_ref)
        if found is None:
            raise NotFound(f"No project with id or slug {project_ref!r}")
        runtime = DockerRuntime(settings)
        routes = TraefikFileRouteTable(settings.routes_dir, settings.traefik_api_url)
        try:
            demos = DemoService(settings, store, runtime, routes, ProjectRecords(store))
            view = await demos.stop(found)
        finally:
            await runtime.close()
    return found.slug, view.state.value, "directly (the hub does not answer)"
