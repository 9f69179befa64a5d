"""The MongoDB store, through PyMongo's async API (``AsyncMongoClient``).

Written for what MongoDB and FerretDB v1 (SQLite backend) both support: no ``$text``, no
transactions. Every write is a single-document operation (atomic on its own), so a failed
call leaves no half-written record. Unique keys are enforced by unique indexes on
lowercased copies (``email_key``, ``username_key``) and on ``slug``.

Every value from a caller goes into a filter as a plain ``str`` (or int), never as a
document, so it is matched literally and cannot act as a query operator.

FerretDB v1 applies update operators (``$inc``, ``$set``, findAndModify) by reading the
document and writing it back, so two concurrent updates of one document can lose one of
them. The store therefore serializes its read-modify-write operations on one document
(launch counter, project replace, log sequence, token upsert) with striped asyncio locks:
exact within one control-plane process (the supported deployment on FerretDB); MongoDB
itself is atomic per document regardless.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from modelhub.errors import Conflict, NotFound, Unavailable
from modelhub.models import Build, BuildLogLine, Project, ProjectQuery, User, is_valid_id
from modelhub.store.base import Store

Doc = dict[str, Any]
M = TypeVar("M", bound=BaseModel)

_SORTS: dict[str, list[tuple[str, int]]] = {
    "newest": [("created_at", DESCENDING), ("_id", DESCENDING)],
    "popular": [("launch_count", DESCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
    "name": [("name_lower", ASCENDING), ("_id", ASCENDING)],
}

_LOCK_STRIPES = 64

# Fields of a project that replace_project never writes.
_KEPT_ON_REPLACE = ("launch_count", "created_at")


def _plain(value: Any) -> Any:
    """A BSON-ready copy: enums become their values, tuples lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _to_doc(model: BaseModel) -> Doc:
    data: Doc = _plain(model.model_dump(mode="python"))
    data["_id"] = data.pop("id")
    return data


def _from_doc(cls: type[M], doc: Doc) -> M:
    data = dict(doc)
    data["id"] = data.pop("_id")
    return cls.model_validate(data)


def _user_doc(user: User) -> Doc:
    doc = _to_doc(user)
    doc["email_key"] = user.email.lower()
    doc["username_key"] = user.username.lower()
    return doc


def _project_doc(project: Project) -> Doc:
    doc = _to_doc(project)
    doc["tags"] = [str(t).lower() for t in project.tags]
    doc["name_lower"] = project.name.lower()
    doc["author_lower"] = project.author_name.lower()
    doc["status"] = project.status
    return doc


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable("The database does not answer", log_message=f"mongodb error: {exc!r}")


class MongoStore(Store):
    """The Store on a MongoDB-compatible server (MongoDB, FerretDB)."""

    backend = "mongodb"

    def __init__(
        self, url: str, database_name: str, *, server_selection_timeout_ms: int = 5000
    ) -> None:
        self.url = url
        self.database_name = database_name
        self.server_selection_timeout_ms = server_selection_timeout_ms
        self._client: AsyncMongoClient[Doc] | None = None
        self._db: AsyncDatabase[Doc] | None = None
        self._locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]

    def _doc_lock(self, collection: str, key: str) -> asyncio.Lock:
        """The lock serializing read-modify-write operations on one document."""
        return self._locks[zlib.crc32(f"{collection}/{key}".encode()) % _LOCK_STRIPES]

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def db(self) -> AsyncDatabase[Doc]:
        if self._db is None:
            raise Unavailable("The database is not connected")
        return self._db

    def _col(self, name: str) -> AsyncCollection[Doc]:
        return self.db[name]

    async def connect(self) -> None:
        if self._client is None:
            self._client = AsyncMongoClient(
                self.url,
                tz_aware=True,
                tzinfo=UTC,
                serverSelectionTimeoutMS=self.server_selection_timeout_ms,
                appname="modelhub",
            )
            self._db = self._client[self.database_name]
        try:
            await self._create_indexes()
        except PyMongoError as exc:
            raise _unavailable(exc) from exc

    async def _create_indexes(self) -> None:
        users = self._col("users")
        await users.create_index([("email_key", ASCENDING)], unique=True, name="email_unique")
        await users.create_index([("username_key", ASCENDING)], unique=True, name="username_unique")
        await self._col("revoked_tokens").create_index(
            [("expires_at", ASCENDING)], name="expires_at"
        )
        projects = self._col("projects")
        await projects.create_index([("slug", ASCENDING)], unique=True, name="slug_unique")
        await projects.create_index([("tags", ASCENDING)], name="tags")
        await projects.create_index([("created_at", DESCENDING)], name="created_at")
        await projects.create_index([("launch_count", DESCENDING)], name="launch_count")
        await projects.create_index([("name_lower", ASCENDING)], name="name_lower")
        await projects.create_index([("author_lower", ASCENDING)], name="author_lower")
        await projects.create_index([("status", ASCENDING)], name="status")
        await projects.create_index([("owner_id", ASCENDING)], name="owner_id")
        builds = self._col("builds")
        await builds.create_index(
            [("project_id", ASCENDING), ("created_at", DESCENDING)], name="project_created"
        )
        await builds.create_index([("state", ASCENDING)], name="state")
        await self._col("build_logs").create_index(
            [("build_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="build_seq"
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = None
        self._db = None

    async def ping(self) -> None:
        try:
            await self.db.command("ping")
        except PyMongoError as exc:
            raise _unavailable(exc) from exc

    # --- users ---------------------------------------------------------------------------
    async def create_user(self, user: User) -> User:
        doc = _user_doc(user)
        try:
            await self._col("users").insert_one(doc)
        except DuplicateKeyError as exc:
            field = await self._duplicate_user_field(exc, doc)
            raise Conflict(f"That {field} is already taken", field=field) from exc
        return _from_doc(User, doc)

    async def _duplicate_user_field(self, exc: DuplicateKeyError, doc: Doc) -> str:
        """Which unique key clashed: MongoDB says so in keyPattern, FerretDB does not."""
        key_pattern = (exc.details or {}).get("keyPattern") or {}
        for key, field in (("email_key", "email"), ("username_key", "username")):
            if key in key_pattern:
                return field
        if await self._col("users").find_one({"email_key": doc["email_key"]}, {"_id": 1}):
            return "email"
        if await self._col("users").find_one({"username_key": doc["username_key"]}, {"_id": 1}):
            return "username"
        return "id"

    async def _find_user(self, filter_: Doc) -> User | None:
        doc = await self._col("users").find_one(filter_)
        return _from_doc(User, doc) if doc else None

    async def get_user(self, user_id: str) -> User | None:
        if not is_valid_id(str(user_id)):
            return None
        return await self._find_user({"_id": str(user_id)})

    async def get_user_by_email(self, email: str) -> User | None:
        return await self._find_user({"email_key": str(email).lower()})

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._find_user({"username_key": str(username).lower()})

    # --- revoked tokens --------------------------------------------------------------------
    async def revoke_token(self, jti: str, expires_at: datetime) -> None:
        async with self._doc_lock("revoked_tokens", str(jti)):
            await self._col("revoked_tokens").update_one(
                {"_id": str(jti)}, {"$set": {"expires_at": expires_at}}, upsert=True
            )

    async def is_token_revoked(self, jti: str) -> bool:
        doc = await self._col("revoked_tokens").find_one({"_id": str(jti)}, {"_id": 1})
        return doc is not None

    async def purge_expired_revocations(self, now: datetime) -> int:
        result = await self._col("revoked_tokens").delete_many({"expires_at": {"$lte": now}})
        return int(result.deleted_count)

    # --- projects ------------------------------------------------------------------------
    async def _slug_conflict(self, exc: DuplicateKeyError, slug: str, project_id: str) -> Conflict:
        key_pattern = (exc.details or {}).get("keyPattern") or {}
        taken = await self._col("projects").find_one(
            {"slug": slug, "_id": {"$ne": project_id}}, {"_id": 1}
        )
        if "slug" in key_pattern or taken:
            return Conflict(f"The slug {slug!r} is already taken", field="slug")
        return Conflict(f"Project {project_id!r} already exists", field="id")

    async def create_project(self, project: Project) -> Project:
        doc = _project_doc(project)
        try:
            await self._col("projects").insert_one(doc)
        except DuplicateKeyError as exc:
            raise await self._slug_conflict(exc, project.slug, project.id) from exc
        return _from_doc(Project, doc)

    async def _find_project(self, filter_: Doc) -> Project | None:
        doc = await self._col("projects").find_one(filter_)
        return _from_doc(Project, doc) if doc else None

    async def get_project(self, project_id: str) -> Project | None:
        if not is_valid_id(str(project_id)):
            return None
        return await self._find_project({"_id": str(project_id)})

    async def get_project_by_slug(self, slug: str) -> Project | None:
        return await self._find_project({"slug": str(slug)})

    async def slug_exists(self, slug: str) -> bool:
        doc = await self._col("projects").find_one({"slug": str(slug)}, {"_id": 1})
        return doc is not None

    async def replace_project(self, project: Project) -> None:
        doc = _project_doc(project)
        del doc["_id"]
        for name in _KEPT_ON_REPLACE:
            doc.pop(name, None)
        try:
            async with self._doc_lock("projects", str(project.id)):
                result = await self._col("projects").update_one(
                    {"_id": str(project.id)}, {"$set": doc}
                )
        except DuplicateKeyError as exc:
            raise await self._slug_conflict(exc, project.slug, project.id) from exc
        if result.matched_count == 0:
            raise NotFound(f"Project {project.id!r} does not exist")

    async def increment_launch_count(self, project_id: str) -> int:
        doc = None
        if is_valid_id(str(project_id)):
            async with self._doc_lock("projects", str(project_id)):
                doc = await self._col("projects").find_one_and_update(
                    {"_id": str(project_id)},
                    {"$inc": {"launch_count": 1}},
                    return_document=ReturnDocument.AFTER,
                )
        if doc is None:
            raise NotFound(f"Project {project_id!r} does not exist")
        return int(doc["launch_count"])

    async def delete_project(self, project_id: str) -> bool:
        if not is_valid_id(str(project_id)):
            return False
        pid = str(project_id)
        # children first: a failure part-way leaves the project, so the delete can be retried
        build_ids = [
            b["_id"] async for b in self._col("builds").find({"project_id": pid}, {"_id": 1})
        ]
        if build_ids:
            await self._col("build_logs").delete_many({"build_id": {"$in": build_ids}})
            await self._col("build_log_seq").delete_many({"_id": {"$in": build_ids}})
            await self._col("builds").delete_many({"project_id": pid})
        result = await self._col("projects").delete_one({"_id": pid})
        return int(result.deleted_count) > 0

    @staticmethod
    def _project_filter(query: ProjectQuery) -> Doc:
        filter_: Doc = {}
        if query.search:
            pattern = {"$regex": re.escape(str(query.search)), "$options": "i"}
            filter_["$or"] = [{"name": pattern}, {"description": pattern}]
        tags = list(dict.fromkeys(str(t).lower() for t in query.tags))
        if tags:
            filter_["tags"] = {"$all": tags}
        if query.author is not None:
            filter_["author_lower"] = str(query.author).lower()
        if query.owner_id is not None:
            filter_["owner_id"] = str(query.owner_id)
        if query.status is not None:
            filter_["status"] = str(query.status)
        return filter_

    async def list_projects(self, query: ProjectQuery) -> tuple[list[Project], int]:
        filter_ = self._project_filter(query)
        limit = max(1, int(query.limit))
        skip = (max(1, int(query.page)) - 1) * limit
        projects = self._col("projects")
        total = int(await projects.count_documents(filter_))
        if total <= skip:
            return [], total
        cursor = (
            projects.find(filter_)
            .sort(_SORTS.get(query.sort, _SORTS["newest"]))
            .skip(skip)
            .limit(limit)
        )
        return [_from_doc(Project, doc) async for doc in cursor], total

    async def list_all_projects(self) -> list[Project]:
        cursor = (
            self._col("projects").find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        )
        return [_from_doc(Project, doc) async for doc in cursor]

    # --- builds --------------------------------------------------------------------------
    async def create_build(self, build: Build) -> Build:
        doc = _to_doc(build)
        try:
            await self._col("builds").insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"Build {build.id!r} already exists", field="id") from exc
        return _from_doc(Build, doc)

    async def get_build(self, build_id: str) -> Build | None:
        if not is_valid_id(str(build_id)):
            return None
        doc = await self._col("builds").find_one({"_id": str(build_id)})
        return _from_doc(Build, doc) if doc else None

    async def replace_build(self, build: Build) -> None:
        doc = _to_doc(build)
        result = await self._col("builds").replace_one({"_id": str(build.id)}, doc)
        if result.matched_count == 0:
            raise NotFound(f"Build {build.id!r} does not exist")

    async def latest_build(self, project_id: str) -> Build | None:
        if not is_valid_id(str(project_id)):
            return None
        cursor = (
            self._col("builds")
            .find({"project_id": str(project_id)})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(1)
        )
        docs = [doc async for doc in cursor]
        return _from_doc(Build, docs[0]) if docs else None

    async def list_builds_in_states(self, states: list[str]) -> list[Build]:
        wanted = [str(s) for s in states]
        if not wanted:
            return []
        cursor = (
            self._col("builds")
            .find({"state": {"$in": wanted}})
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        )
        return [_from_doc(Build, doc) async for doc in cursor]

    async def append_build_log(self, build_id: str, lines: list[str]) -> list[BuildLogLine]:
        """Reserve ``len(lines)`` sequence numbers with one ``$inc``, then insert the lines.

        Both happen under the build's lock, so a reader never sees a later line before an
        earlier one (an SSE client resuming from ``after_seq`` would otherwise skip it).
        """
        if not lines:
            return []
        bid = str(build_id)
        now = datetime.now(UTC)
        now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
        async with self._doc_lock("build_log_seq", bid):
            counter = await self._col("build_log_seq").find_one_and_update(
                {"_id": bid},
                {"$inc": {"last": len(lines)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            assert counter is not None  # upsert with AFTER always returns the document
            first = int(counter["last"]) - len(lines) + 1
            out = [
                BuildLogLine(seq=first + i, line=str(line), at=now) for i, line in enumerate(lines)
            ]
            await self._col("build_logs").insert_many(
                [{"build_id": bid, "seq": e.seq, "line": e.line, "at": e.at} for e in out],
                ordered=True,
            )
        return out

    async def get_build_log(self, build_id: str, after_seq: int = 0) -> list[BuildLogLine]:
        cursor = (
            self._col("build_logs")
            .find({"build_id": str(build_id), "seq": {"$gt": int(after_seq)}}, {"_id": 0})
            .sort([("seq", ASCENDING)])
        )
        return [
            BuildLogLine(seq=doc["seq"], line=doc["line"], at=doc["at"]) async for doc in cursor
        ]
