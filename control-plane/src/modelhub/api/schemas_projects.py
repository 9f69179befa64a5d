"""Response bodies of the project, build and demo routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from modelhub.models import Build, Project
from modelhub.services.demos import DemoView


class FilesOut(BaseModel):
    app_file: str
    requirements_file: str | None
    model_files: list[str]
    other_files: list[str]
    total_size: int
    bundle_sha256: str


class BuildOut(BaseModel):
    id: str
    state: str
    reason: str | None
    image: str | None
    warnings: list[str]
    info: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, build: Build) -> BuildOut:
        return cls(
            id=build.id,
            state=build.state.value,
            reason=build.reason,
            image=build.image,
            warnings=build.warnings,
            info=build.info,
            created_at=build.created_at,
            started_at=build.started_at,
            finished_at=build.finished_at,
        )


class DemoOut(BaseModel):
    project_id: str
    status: str
    demo_url: str | None
    reason: str | None
    started_at: str | None
    launch_seconds: float | None = None
    message: str

    @classmethod
    def of(cls, view: DemoView) -> DemoOut:
        messages = {
            "running": "Demo is running",
            "starting": "Demo is starting",
            "stopping": "Demo is stopping",
            "stopped": "Demo is stopped",
            "error": f"Demo failed: {view.reason}",
        }
        return cls(
            project_id=view.project_id,
            status=view.state.value,
            demo_url=view.demo_url,
            reason=view.reason,
            started_at=view.started_at,
            launch_seconds=view.launch_seconds,
            message=messages.get(view.state.value, view.state.value),
        )


class ProjectOut(BaseModel):
    id: str
    name: str
    slug: str
    description: str
    tags: list[str]
    author_name: str
    github_url: str | None
    owner_id: str
    status: str
    files: FilesOut
    build_state: str | None
    build_id: str | None
    demo_state: str
    demo_reason: str | None
    demo_url: str | None
    wants_gpu: bool
    launch_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, project: Project, demo_base_url: str) -> ProjectOut:
        files = project.files
        running = project.status == "running"
        return cls(
            id=project.id,
            name=project.name,
            slug=project.slug,
            description=project.description,
            tags=project.tags,
            author_name=project.author_name,
            github_url=project.github_url,
            owner_id=project.owner_id,
            status=project.status,
            files=FilesOut(
                app_file=files.app_file,
                requirements_file=files.requirements_file,
                model_files=files.model_files,
                other_files=files.other_files,
                total_size=files.total_size,
                bundle_sha256=files.bundle_sha256,
            ),
            build_state=project.build_state.value if project.build_state else None,
            build_id=project.build_id,
            demo_state=project.demo.state.value,
            demo_reason=project.demo.reason,
            demo_url=f"{demo_base_url}/demos/{project.slug}/" if running else None,
            wants_gpu=project.wants_gpu,
            launch_count=project.launch_count,
            created_at=project.created_at,
            updated_at=project.updated_at,
        )


class ProjectDetailOut(ProjectOut):
    build: BuildOut | None = None


class UploadOut(BaseModel):
    message: str
    project_id: str
    project: ProjectOut


class ProjectPageOut(BaseModel):
    projects: list[ProjectOut]
    total: int
    page: int
    pages: int


class FileOut(BaseModel):
    path: str
    size: int
    sha256: str


class FileListOut(BaseModel):
    project_id: str
    files: list[FileOut]
    total_size: int
