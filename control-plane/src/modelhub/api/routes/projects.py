"""Project routes: upload, catalog, details, files, build logs, rebuild, delete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from modelhub.api.deps import CurrentUser, ServicesDep
from modelhub.api.schemas_projects import (
    BuildOut,
    FileListOut,
    FileOut,
    ProjectDetailOut,
    ProjectOut,
    ProjectPageOut,
    UploadOut,
)
from modelhub.errors import NotFound
from modelhub.models import ProjectQuery

router = APIRouter(prefix="/projects", tags=["projects"])

UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "author_name", "file"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 100},
                        "description": {"type": "string", "maxLength": 5000},
                        "tags": {"type": "string", "description": "comma-separated"},
                        "author_name": {"type": "string", "maxLength": 100},
                        "github_url": {"type": "string", "format": "uri"},
                        "app_file": {"type": "string", "description": "entry script"},
                        "gpu": {"type": "boolean"},
                        "allow_cpu_fallback": {"type": "boolean"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    openapi_extra=UPLOAD_FORM,
    responses={413: {"description": "bundle over the size cap"}, 422: {"description": "invalid"}},
)
async def upload(request: Request, user: CurrentUser, services: ServicesDep) -> UploadOut:
    """Upload a ZIP or RAR bundle; its build starts at once."""
    services.builds.check_capacity()
    project = await services.projects.create_from_upload(request, user)
    await services.builds.enqueue(project.id)
    project = await services.projects.get(project.id)
    return UploadOut(
        message="Project uploaded; its build has started",
        project_id=project.id,
        project=ProjectOut.of(project, services.settings.demo_base_url),
    )


@router.get("", response_model=ProjectPageOut)
async def list_projects(
    services: ServicesDep,
    search: Annotated[str | None, Query(max_length=100)] = None,
    tags: Annotated[str | None, Query(max_length=400, description="comma-separated")] = None,
    author: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query()] = None,
    sort: Annotated[str, Query(description="newest | popular | name")] = "newest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
) -> ProjectPageOut:
    query = ProjectQuery(
        search=search.strip() or None if search else None,
        tags=[t.strip().lower() for t in (tags or "").split(",") if t.strip()],
        author=author.strip() or None if author else None,
        status=status,
        sort=sort,
        page=page,
        limit=limit,
    )
    return await _page(services, query)


async def _page(services: ServicesDep, query: ProjectQuery) -> ProjectPageOut:
    projects, total, pages = await services.projects.list_projects(query)
    base = services.settings.demo_base_url
    return ProjectPageOut(
        projects=[ProjectOut.of(p, base) for p in projects],
        total=total,
        page=query.page,
        pages=pages,
    )


@router.get("/my-projects", response_model=ProjectPageOut)
async def my_projects(
    user: CurrentUser,
    services: ServicesDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ProjectPageOut:
    return await _page(services, ProjectQuery(owner_id=user.id, page=page, limit=limit))


@router.get("/{project_id}", response_model=ProjectDetailOut)
async def get_project(project_id: str, services: ServicesDep) -> ProjectDetailOut:
    project = await services.projects.get(project_id)
    build = await services.builds.latest(project.id)
    base = ProjectOut.of(project, services.settings.demo_base_url)
    return ProjectDetailOut(**base.model_dump(), build=BuildOut.of(build) if build else None)


@router.get("/{project_id}/files", response_model=FileListOut)
async def list_files(project_id: str, services: ServicesDep) -> FileListOut:
    project = await services.projects.get(project_id)
    entries = await services.projects.files(project)
    return FileListOut(
        project_id=project.id,
        files=[FileOut(path=e.path, size=e.size, sha256=e.sha256) for e in entries],
        total_size=project.files.total_size,
    )


@router.post("/{project_id}/rebuild", status_code=status.HTTP_202_ACCEPTED, response_model=BuildOut)
async def rebuild(
    project_id: str,
    user: CurrentUser,
    services: ServicesDep,
    app_file: Annotated[str | None, Body(embed=True, max_length=255)] = None,
) -> BuildOut:
    """Build again (optionally with another entry file from the bundle)."""
    project = await services.projects.get_owned(project_id, user)
    changed = app_file if app_file is not None and app_file != project.files.app_file else None
    build = await services.builds.enqueue(project.id, app_file=changed)
    return BuildOut.of(build)


@router.get(
    "/{project_id}/build/logs",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def build_logs(
    project_id: str,
    services: ServicesDep,
    build_id: Annotated[str | None, Query()] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The build log as Server-Sent Events: `log` events (id = line number) replayed from
    the start (or after Last-Event-ID), then followed live; one `end` event with the
    build's state and reason closes the stream."""
    project = await services.projects.get(project_id)
    build = (
        await services.store.get_build(build_id)
        if build_id
        else await services.builds.latest(project.id)
    )
    if build is None or build.project_id != project.id:
        raise NotFound("This project has no such build")
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def events() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        async for event in services.builds.follow_log(build.id, after):
            if event.line is not None:
                data = "\ndata: ".join(event.line.line.splitlines() or [""])
                yield f"id: {event.line.seq}\nevent: log\ndata: {data}\n\n"
            elif event.build is not None:
                end = {"build_id": event.build.id, "state": event.build.state.value,
                       "reason": event.build.reason}  # fmt: skip
                yield f"event: end\ndata: {json.dumps(end)}\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project_id: str, user: CurrentUser, services: ServicesDep) -> Response:
    """Owner (or admin) only: the demo, route, images, files and record all go."""
    project = await services.projects.get_owned(project_id, user)
    await services.projects.delete(project)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
