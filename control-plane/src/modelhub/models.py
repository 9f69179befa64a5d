"""Domain records kept by the store. Plain pydantic models, no database types.

Ids are 24 lowercase hex characters (the shape of a MongoDB ObjectId) in every store, so
an id that does not have that shape is simply "not found" everywhere.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")
# a demo's slug: its path /demos/<slug>/, its route, container and image names
SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def new_id() -> str:
    return secrets.token_hex(12)


def is_valid_id(value: str) -> bool:
    return bool(ID_PATTERN.fullmatch(value))


def utcnow() -> datetime:
    """Now, in UTC, at millisecond precision (what MongoDB keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


class User(BaseModel):
    id: str = Field(default_factory=new_id)
    username: str
    email: str
    full_name: str | None = None
    password_hash: str
    is_active: bool = True
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class BuildState(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class DemoState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    ERROR = "error"


class FileEntry(BaseModel):
    path: str
    size: int
    sha256: str


class ProjectFiles(BaseModel):
    """The seed's ``files`` document, plus size and sha256 of every file (``manifest``)."""

    app_file: str
    requirements_file: str | None = "requirements.txt"
    model_files: list[str] = Field(default_factory=list)
    other_files: list[str] = Field(default_factory=list)
    manifest: list[FileEntry] = Field(default_factory=list)
    total_size: int = 0
    bundle_sha256: str = ""


class DemoInfo(BaseModel):
    state: DemoState = DemoState.STOPPED
    reason: str | None = None
    container_id: str | None = None
    image: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    launch_seconds: float | None = None  # launch call → healthy through the proxy


class Project(BaseModel):
    id: str = Field(default_factory=new_id)
    name: str
    slug: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    author_name: str = ""
    github_url: str | None = None
    owner_id: str
    files: ProjectFiles
    wants_gpu: bool = False
    allow_cpu_fallback: bool = False
    build_state: BuildState | None = None
    build_id: str | None = None
    image: str | None = None
    demo: DemoInfo = Field(default_factory=DemoInfo)
    launch_count: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def status(self) -> str:
        """The seed's project status: pending, building, ready, running or error."""
        if self.demo.state in (DemoState.RUNNING, DemoState.STARTING):
            return "running"
        if self.demo.state == DemoState.ERROR:
            return "error"
        if self.build_state == BuildState.READY:
            return "ready"
        if self.build_state == BuildState.FAILED:
            return "error"
        if self.build_state in (BuildState.QUEUED, BuildState.BUILDING):
            return "building"
        return "pending"


class Build(BaseModel):
    id: str = Field(default_factory=new_id)
    project_id: str
    state: BuildState = BuildState.QUEUED
    reason: str | None = None
    image: str | None = None
    warnings: list[str] = Field(default_factory=list)
    info: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BuildLogLine(BaseModel):
    seq: int
    line: str
    at: datetime = Field(default_factory=utcnow)


class ProjectQuery(BaseModel):
    """A catalog query. ``search`` matches name and description, case-insensitive."""

    search: str | None = None
    tags: list[str] = Field(default_factory=list)
    author: str | None = None
    owner_id: str | None = None
    status: str | None = None
    sort: str = "newest"  # newest | popular | name
    page: int = 1
    limit: int = 12
