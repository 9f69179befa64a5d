"""Projects: create from an upload, read the catalog, delete with everything they own.

Upload order, so that a failure at any step leaves nothing behind: the body streams to a
temp file → the archive is validated and extracted into a temp dir → the files go to
storage → the record goes to the store (the storage copy is removed if that fails) → the
build is queued. The temp file and dir are always removed.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from starlette.requests import Request

from modelhub.bundles import extract_bundle, parse_upload
from modelhub.errors import Conflict, Forbidden, InvalidInput, NotFound
from modelhub.models import FileEntry, Project, ProjectQuery, User, is_valid_id
from modelhub.runtime.gpu import requirements_want_gpu
from modelhub.settings import Settings
from modelhub.storage.base import Storage
from modelhub.store.base import Store

MAX_NAME = 100
MAX_DESCRIPTION = 5000
MAX_TAGS = 10
MAX_TAG = 30
MAX_AUTHOR = 100
MAX_SLUG = 48
SORTS = ("newest", "popular", "name")
STATUSES = ("pending", "building", "ready", "running", "error")
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9+#._-]*$")


def slugify(name: str) -> str:
    """Lowercase, URL-safe, at most 48 characters, never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "demo"


def _problem(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}


def parse_tags(raw: str) -> tuple[list[str], list[dict[str, str]]]:
    tags: list[str] = []
    problems = []
    for part in raw.split(","):
        tag = part.strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG or not TAG_PATTERN.match(tag):
            problems.append(
                _problem("tags", f"tag {tag[:40]!r}: use up to {MAX_TAG} letters, digits, -_.+#")
            )
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        problems.append(_problem("tags", f"at most {MAX_TAGS} tags"))
    return tags, problems


def validate_fields(fields: dict[str, str]) -> dict[str, object]:
    """The upload form's text fields, checked all at once (422 listing every problem)."""
    problems = []
    name = fields.get("name", "").strip()
    if not name:
        problems.append(_problem("name", "required"))
    elif len(name) > MAX_NAME:
        problems.append(_problem("name", f"at most {MAX_NAME} characters"))
    description = fields.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(_problem("description", f"at most {MAX_DESCRIPTION} characters"))
    tags, tag_problems = parse_tags(fields.get("tags", ""))
    problems += tag_problems
    author = fields.get("author_name", "").strip()
    if not author:
        problems.append(_problem("author_name", "required"))
    elif len(author) > MAX_AUTHOR:
        problems.append(_problem("author_name", f"at most {MAX_AUTHOR} characters"))
    github_url = fields.get("github_url", "").strip() or None
    if github_url:
        parsed = urlparse(github_url)
        if parsed.scheme != "https" or parsed.hostname not in ("github.com", "www.github.com"):
            problems.append(_problem("github_url", "must be an https://github.com/... URL"))
        elif len(github_url) > 300:
            problems.append(_problem("github_url", "at most 300 characters"))
    gpu = fields.get("gpu", "").strip().lower()
    if gpu not in ("", "true", "false", "1", "0"):
        problems.append(_problem("gpu", "true or false"))
    if problems:
        raise InvalidInput("The upload form has problems: " + _summary(problems), details=problems)
    return {
        "name": name,
        "description": description,
        "tags": tags,
        "author_name": author,
        "github_url": github_url,
        "wants_gpu": gpu in ("true", "1"),
        "allow_cpu_fallback": fields.get("allow_cpu_fallback", "").lower() in ("true", "1"),
    }


def _summary(problems: list[dict[str, str]]) -> str:
    return "; ".join(f"{p.get('field') or p.get('file')}: {p['problem']}" for p in problems[:5])


class ProjectService:
    def __init__(self, settings: Settings, store: Store, storage: Storage) -> None:
        self.settings = settings
        self.store = store
        self.storage = storage
        # called before a project's record and files are deleted (demo, route, images)
        self.before_delete: list[Callable[[Project], Awaitable[None]]] = []

    async def get(self, project_id: str) -> Project:
        project = await self.store.get_project(project_id) if is_valid_id(project_id) else None
        if project is None:
            raise NotFound(f"No project with id {project_id[:40]!r}")
        return project

    async def get_owned(self, project_id: str, user: User) -> Project:
        project = await self.get(project_id)
        if project.owner_id != user.id and not user.is_admin:
            raise Forbidden("Only the project's owner can do this")
        return project

    # --- upload ----------------------------------------------------------------------------
    async def create_from_upload(self, request: Request, owner: User) -> Project:
        tmp_root = self.settings.uploads_tmp_dir / uuid.uuid4().hex
        await asyncio.to_thread(tmp_root.mkdir, parents=True, exist_ok=False)
        try:
            upload = await parse_upload(request, tmp_root, self.settings)
            fields = {name: upload.field(name) or "" for name in upload.fields}
            problems: list[dict[str, str]] = []
            values: dict[str, object] = {}
            files = None
            try:
                values = validate_fields(fields)
            except InvalidInput as exc:
                problems += exc.details or []
            try:
                files = await extract_bundle(
                    upload.file_path, tmp_root / "bundle", self.settings,
                    app_file=fields.get("app_file", "").strip() or None,
                )  # fmt: skip
            except InvalidInput as exc:
                problems += exc.details or [{"file": upload.filename, "problem": exc.message}]
            if problems or files is None:
                raise InvalidInput(
                    f"The upload was rejected ({len(problems)} problem"
                    f"{'s' if len(problems) != 1 else ''}): {_summary(problems)}",
                    details=problems,
                )
            if files.requirements_file:
                requirements = tmp_root / "bundle" / files.requirements_file
                text = await asyncio.to_thread(requirements.read_text, "utf-8", "replace")
                values["wants_gpu"] = bool(values["wants_gpu"]) or requirements_want_gpu(text)
            project = Project(owner_id=owner.id, slug="", files=files, **values)
            try:
                await self.storage.upload_directory(project.id, tmp_root / "bundle")
                return await self._insert_with_unique_slug(project)
            except BaseException:
                await asyncio.shield(self.storage.delete_project(project.id))
                raise
        finally:
            await asyncio.to_thread(shutil.rmtree, tmp_root, True)

    async def _insert_with_unique_slug(self, project: Project) -> Project:
        base = slugify(project.name)
        for attempt in range(1, 1000):
            suffix = "" if attempt == 1 else f"-{attempt}"
            candidate = f"{base[: MAX_SLUG - len(suffix)].rstrip('-')}{suffix}"
            if await self.store.slug_exists(candidate):
                continue
            project.slug = candidate
            try:
                return await self.store.create_project(project)
            except Conflict as exc:
                if getattr(exc, "field", None) != "slug":
                    raise
        raise Conflict(f"Too many projects named like {project.name!r}; choose another name")

    # --- catalog ---------------------------------------------------------------------------
    async def list_projects(self, query: ProjectQuery) -> tuple[list[Project], int, int]:
        problems = []
        if query.sort not in SORTS:
            problems.append(_problem("sort", f"one of {', '.join(SORTS)}"))
        if query.status is not None and query.status not in STATUSES:
            problems.append(_problem("status", f"one of {', '.join(STATUSES)}"))
        if problems:
            raise InvalidInput("Invalid catalog query: " + _summary(problems), details=problems)
        projects, total = await self.store.list_projects(query)
        pages = max(1, math.ceil(total / query.limit)) if total else 0
        return projects, total, pages

    async def files(self, project: Project) -> list[FileEntry]:
        return project.files.manifest

    # --- delete ----------------------------------------------------------------------------
    async def delete(self, project: Project) -> None:
        for hook in self.before_delete:
            await hook(project)
        await self.storage.delete_project(project.id)
        await self.store.delete_project(project.id)
