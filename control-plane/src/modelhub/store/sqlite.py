"""The embedded store: one SQLite file, reached through aiosqlite.

Each record is kept as its JSON document plus the columns the queries need (lowercased
keys, derived status, created_at in epoch milliseconds, launch_count). ``launch_count`` and
``created_at`` columns are the truth for those fields; the document copy is ignored on read.
A project's document lives in ``project_docs`` so that the ``projects`` table stays small:
catalog queries scan and sort it, then read the documents of one page only.

Writes go through one connection under an asyncio lock (so a transaction never interleaves
with another coroutine's statements); reads use a second connection, which WAL mode lets
run while a write is in progress.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from pydantic import BaseModel

from modelhub.errors import Conflict, NotFound, Unavailable
from modelhub.models import Build, BuildLogLine, Project, ProjectQuery, User, is_valid_id
from modelhub.store.base import Store

M = TypeVar("M", bound=BaseModel)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id           TEXT PRIMARY KEY,
    email_key    TEXT NOT NULL UNIQUE,
    username_key TEXT NOT NULL UNIQUE,
    doc          TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_tokens_expires ON revoked_tokens (expires_at);

CREATE TABLE IF NOT EXISTS projects (
    id                TEXT PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name_lower        TEXT NOT NULL,
    description_lower TEXT NOT NULL,
    author_lower      TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    status            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    launch_count      INTEGER NOT NULL DEFAULT 0
);
-- the documents apart, so catalog scans and lookups read only the small rows above
CREATE TABLE IF NOT EXISTS project_docs (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_newest ON projects (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS projects_popular
    ON projects (launch_count DESC, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS projects_name ON projects (name_lower, id);
CREATE INDEX IF NOT EXISTS projects_status ON projects (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS projects_author ON projects (author_lower, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS projects_owner ON projects (owner_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS project_tags (
    tag        TEXT NOT NULL,
    project_id TEXT NOT NULL,
    PRIMARY KEY (tag, project_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS project_tags_project ON project_tags (project_id);

CREATE TABLE IF NOT EXISTS builds (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS builds_project ON builds (project_id, created_at DESC);
CREATE INDEX IF NOT EXISTS builds_state ON builds (state);

CREATE TABLE IF NOT EXISTS build_logs (
    build_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    line     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (build_id, seq)
) WITHOUT ROWID;
"""

_SORTS = {
    "newest": "p.created_at DESC, p.id DESC",
    "popular": "p.launch_count DESC, p.created_at DESC, p.id DESC",
    "name": "p.name_lower ASC, p.id ASC",
}

_UNIQUE_FIELDS = {
    "users.email_key": "email",
    "users.username_key": "username",
    "projects.slug": "slug",
}


# --- value conversion ---------------------------------------------------------------------
def to_utc_ms(value: datetime) -> datetime:
    """``value`` in UTC at millisecond precision; a naive datetime is taken to be UTC."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)


def to_epoch_ms(value: datetime) -> int:
    value = to_utc_ms(value)
    return int(value.timestamp()) * 1000 + value.microsecond // 1000


def from_epoch_ms(value: int) -> datetime:
    seconds, millis = divmod(value, 1000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_utc_ms(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_doc(model: BaseModel) -> str:
    """The model as a JSON document, datetimes in UTC ISO form at millisecond precision."""
    return json.dumps(_plain(model.model_dump(mode="python")), separators=(",", ":"))


def _utc_fields(model: BaseModel) -> None:
    """Give every datetime in ``model`` (nested models included) the ``UTC`` tzinfo."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, datetime):
            object.__setattr__(model, name, to_utc_ms(value))
        elif isinstance(value, BaseModel):
            _utc_fields(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    _utc_fields(item)


def load_doc(cls: type[M], doc: str, **overrides: Any) -> M:
    data = json.loads(doc)
    data.update(overrides)
    model = cls.model_validate(data)
    _utc_fields(model)
    return model


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` literally anywhere (escape character ``\\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conflict(exc: sqlite3.IntegrityError) -> Conflict | None:
    message = str(exc)
    for column, field in _UNIQUE_FIELDS.items():
        if column in message:
            return Conflict(f"That {field} is already taken", field=field)
    return None


def _project_row(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "slug": project.slug,
        "name_lower": project.name.lower(),
        "description_lower": project.description.lower(),
        "author_lower": project.author_name.lower(),
        "owner_id": project.owner_id,
        "status": project.status,
        "created_at": to_epoch_ms(project.created_at),
        "launch_count": project.launch_count,
        "doc": dump_doc(project),
    }


INSERT_PROJECT = (
    "INSERT INTO projects (id, slug, name_lower, description_lower, author_lower, owner_id, "
    "status, created_at, launch_count) VALUES (:id, :slug, :name_lower, :description_lower, "
    ":author_lower, :owner_id, :status, :created_at, :launch_count)"
)
INSERT_PROJECT_DOC = "INSERT INTO project_docs (id, doc) VALUES (:id, :doc)"


def _project_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Project:
    doc, created_at, launch_count = row[0], row[1], row[2]
    return load_doc(
        Project,
        doc,
        created_at=from_epoch_ms(created_at),
        launch_count=launch_count,
    )


_PROJECT_COLUMNS = "d.doc, p.created_at, p.launch_count"
_PROJECTS_WITH_DOCS = "projects p JOIN project_docs d ON d.id = p.id"

# Scanning a sort index and probing the tags costs about this many times less per row than
# looking a tagged project up by id and sorting (measured on 100k projects).
_SCAN_VS_LOOKUP = 6


class SQLiteStore(Store):
    """The Store on one SQLite database file (WAL mode)."""

    backend = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    # --- lifecycle -----------------------------------------------------------------------
    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    async def connect(self) -> None:
        if self._writer is not None:
            return
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        try:
            self._writer = await self._open()
            await self._writer.executescript(SCHEMA)
            await self._migrate(self._writer)
            self._reader = await self._open()
            await self._reader.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            await self.close()
            raise Unavailable(
                f"Cannot open the SQLite database at {self.path}: {exc}",
                log_message=f"sqlite open failed: {exc!r}",
            ) from exc

    @staticmethod
    async def _migrate(conn: aiosqlite.Connection) -> None:
        """Bring a database made by an earlier version up to this schema."""
        columns = [row[1] for row in await conn.execute_fetchall("PRAGMA table_info(projects)")]
        if "doc" in columns:  # first schema: the document inside the projects row
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute(
                    "INSERT OR IGNORE INTO project_docs (id, doc) SELECT id, doc FROM projects"
                )
                await conn.execute("ALTER TABLE projects DROP COLUMN doc")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def ping(self) -> None:
        try:
            rows = await self._read_conn().execute_fetchall("SELECT 1")
        except (sqlite3.Error, ValueError, Unavailable) as exc:
            raise Unavailable(
                "The database does not answer", log_message=f"sqlite ping failed: {exc!r}"
            ) from exc
        if list(rows) != [(1,)]:
            raise Unavailable("The database does not answer")

    def _read_conn(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise Unavailable("The database is not connected")
        return self._reader

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer; ROLLBACK on any error."""
        if self._writer is None:
            raise Unavailable("The database is not connected")
        conn = self._writer
        async with self._write_lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        rows = await self._read_conn().execute_fetchall(sql, params)
        return list(rows)

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    # --- users ---------------------------------------------------------------------------
    async def create_user(self, user: User) -> User:
        try:
            async with self._transaction() as conn:
                await conn.execute(
                    "INSERT INTO users (id, email_key, username_key, doc) VALUES (?, ?, ?, ?)",
                    (user.id, user.email.lower(), user.username.lower(), dump_doc(user)),
                )
        except sqlite3.IntegrityError as exc:
            raise (_conflict(exc) or exc) from exc
        return load_doc(User, dump_doc(user))

    async def _user_where(self, column: str, value: str) -> User | None:
        row = await self._fetchone(f"SELECT doc FROM users WHERE {column} = ?", (value,))  # noqa: S608
        return load_doc(User, row[0]) if row else None

    async def get_user(self, user_id: str) -> User | None:
        if not is_valid_id(str(user_id)):
            return None
        return await self._user_where("id", str(user_id))

    async def get_user_by_email(self, email: str) -> User | None:
        return await self._user_where("email_key", str(email).lower())

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._user_where("username_key", str(username).lower())

    # --- revoked tokens --------------------------------------------------------------------
    async def revoke_token(self, jti: str, expires_at: datetime) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) "
                "ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at",
                (str(jti), to_epoch_ms(expires_at)),
            )

    async def is_token_revoked(self, jti: str) -> bool:
        row = await self._fetchone("SELECT 1 FROM revoked_tokens WHERE jti = ?", (str(jti),))
        return row is not None

    async def purge_expired_revocations(self, now: datetime) -> int:
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM revoked_tokens WHERE expires_at <= ?", (to_epoch_ms(now),)
            )
            return cursor.rowcount

    # --- projects ------------------------------------------------------------------------
    async def _write_tags(
        self, conn: aiosqlite.Connection, project_id: str, tags: Iterable[str]
    ) -> None:
        await conn.execute("DELETE FROM project_tags WHERE project_id = ?", (project_id,))
        await conn.executemany(
            "INSERT OR IGNORE INTO project_tags (tag, project_id) VALUES (?, ?)",
            [(tag.lower(), project_id) for tag in tags],
        )

    async def create_project(self, project: Project) -> Project:
        row = _project_row(project)
        try:
            async with self._transaction() as conn:
                await conn.execute(INSERT_PROJECT, row)
                await conn.execute(INSERT_PROJECT_DOC, row)
                await self._write_tags(conn, project.id, project.tags)
        except sqlite3.IntegrityError as exc:
            raise (_conflict(exc) or exc) from exc
        return load_doc(Project, row["doc"])

    async def _project_where(self, column: str, value: str) -> Project | None:
        row = await self._fetchone(
            f"SELECT {_PROJECT_COLUMNS} FROM {_PROJECTS_WITH_DOCS} WHERE p.{column} = ?",  # noqa: S608
            (value,),
        )
        return _project_from_row(row) if row else None

    async def get_project(self, project_id: str) -> Project | None:
        if not is_valid_id(str(project_id)):
            return None
        return await self._project_where("id", str(project_id))

    async def get_project_by_slug(self, slug: str) -> Project | None:
        return await self._project_where("slug", str(slug))

    async def slug_exists(self, slug: str) -> bool:
        row = await self._fetchone("SELECT 1 FROM projects WHERE slug = ?", (str(slug),))
        return row is not None

    async def replace_project(self, project: Project) -> None:
        row = _project_row(project)
        try:
            async with self._transaction() as conn:
                cursor = await conn.execute(
                    "UPDATE projects SET slug = :slug, name_lower = :name_lower, "
                    "description_lower = :description_lower, author_lower = :author_lower, "
                    "owner_id = :owner_id, status = :status WHERE id = :id",
                    row,
                )
                if cursor.rowcount == 0:
                    raise NotFound(f"Project {project.id!r} does not exist")
                await conn.execute("UPDATE project_docs SET doc = :doc WHERE id = :id", row)
                await self._write_tags(conn, project.id, project.tags)
        except sqlite3.IntegrityError as exc:
            raise (_conflict(exc) or exc) from exc

    async def increment_launch_count(self, project_id: str) -> int:
        missing = NotFound(f"Project {project_id!r} does not exist")
        if not is_valid_id(str(project_id)):
            raise missing
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "UPDATE projects SET launch_count = launch_count + 1 WHERE id = ? "
                "RETURNING launch_count",
                (str(project_id),),
            )
            row = await cursor.fetchone()
        if row is None:
            raise missing
        return int(row[0])

    async def delete_project(self, project_id: str) -> bool:
        if not is_valid_id(str(project_id)):
            return False
        pid = str(project_id)
        async with self._transaction() as conn:
            await conn.execute(
                "DELETE FROM build_logs WHERE build_id IN "
                "(SELECT id FROM builds WHERE project_id = ?)",
                (pid,),
            )
            await conn.execute("DELETE FROM builds WHERE project_id = ?", (pid,))
            await conn.execute("DELETE FROM project_tags WHERE project_id = ?", (pid,))
            await conn.execute("DELETE FROM project_docs WHERE id = ?", (pid,))
            cursor = await conn.execute("DELETE FROM projects WHERE id = ?", (pid,))
            return cursor.rowcount > 0

    async def _scan_for_tags(self, tags: list[str], rows_wanted: int) -> bool | None:
        """How to filter by ``tags``: True to walk the sort index and probe each project's
        tags (cheap when the tags are common), False to look the tagged projects up (cheap
        when one is rare); None when some tag is on no project at all."""
        marks = ", ".join("?" for _ in tags)
        counts = await self._fetchall(
            f"SELECT COUNT(*) FROM project_tags WHERE tag IN ({marks}) GROUP BY tag",  # noqa: S608
            tags,
        )
        if len(counts) < len(tags):
            return None
        rarest = min(int(r[0]) for r in counts)
        everything = await self._fetchone("SELECT COUNT(*) FROM projects")
        # rows walked ≈ rows_wanted * all / rarest; rows looked up ≈ rarest
        return rarest * rarest * _SCAN_VS_LOOKUP > rows_wanted * int(everything[0])

    async def list_projects(self, query: ProjectQuery) -> tuple[list[Project], int]:
        limit = max(1, int(query.limit))
        offset = (max(1, int(query.page)) - 1) * limit
        tags = list(dict.fromkeys(str(t).lower() for t in query.tags))
        scan_for_tags = False
        if tags:
            decision = await self._scan_for_tags(tags, offset + limit)
            if decision is None:
                return [], 0
            scan_for_tags = decision

        where: list[str] = []
        params: list[Any] = []
        if query.search:
            where.append(
                "(p.name_lower LIKE ? ESCAPE '\\' OR p.description_lower LIKE ? ESCAPE '\\')"
            )
            pattern = like_pattern(str(query.search).lower())
            params += [pattern, pattern]
        if query.author is not None:
            where.append("p.author_lower = ?")
            params.append(str(query.author).lower())
        if query.owner_id is not None:
            where.append("p.owner_id = ?")
            params.append(str(query.owner_id))
        if query.status is not None:
            where.append("p.status = ?")
            params.append(str(query.status))
        lookup_tags = ["p.id IN (SELECT project_id FROM project_tags WHERE tag = ?)"] * len(tags)
        scan_tags = [
            "EXISTS (SELECT 1 FROM project_tags t WHERE t.project_id = p.id AND t.tag = ?)"
        ] * len(tags)
        params += tags

        def where_sql(tag_terms: list[str]) -> str:
            terms = where + tag_terms
            return f"WHERE {' AND '.join(terms)}" if terms else ""

        if tags and not where:
            # tags alone: count in the small tags table (its key is (tag, project_id))
            joins = "".join(
                f" JOIN project_tags t{i} ON t{i}.project_id = t0.project_id AND t{i}.tag = ?"
                for i in range(1, len(tags))
            )
            count_row = await self._fetchone(
                f"SELECT COUNT(*) FROM project_tags t0{joins} WHERE t0.tag = ?",  # noqa: S608
                [*tags[1:], tags[0]],
            )
        else:
            count_row = await self._fetchone(
                f"SELECT COUNT(*) FROM projects p {where_sql(lookup_tags)}",  # noqa: S608
                params,
            )
        total = int(count_row[0]) if count_row else 0
        if total <= offset:
            return [], total
        order_sql = _SORTS.get(query.sort, _SORTS["newest"])
        # sort the small rows, then read the documents of this page only
        page_where = where_sql(scan_tags if scan_for_tags else lookup_tags)
        rows = await self._fetchall(
            "WITH page AS ("  # noqa: S608
            "SELECT p.id, p.created_at, p.launch_count, p.name_lower FROM projects p "
            f"{page_where} ORDER BY {order_sql} LIMIT ? OFFSET ?) "
            "SELECT d.doc, p.created_at, p.launch_count FROM page p "
            f"JOIN project_docs d ON d.id = p.id ORDER BY {order_sql}",
            [*params, limit, offset],
        )
        return [_project_from_row(r) for r in rows], total

    async def list_all_projects(self) -> list[Project]:
        rows = await self._fetchall(
            f"SELECT {_PROJECT_COLUMNS} FROM {_PROJECTS_WITH_DOCS} "  # noqa: S608
            "ORDER BY p.created_at, p.id"
        )
        return [_project_from_row(r) for r in rows]

    # --- builds --------------------------------------------------------------------------
    async def create_build(self, build: Build) -> Build:
        doc = dump_doc(build)
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO builds (id, project_id, state, created_at, doc) "
                "VALUES (?, ?, ?, ?, ?)",
                (build.id, build.project_id, build.state.value, to_epoch_ms(build.created_at), doc),
            )
        return load_doc(Build, doc)

    async def get_build(self, build_id: str) -> Build | None:
        if not is_valid_id(str(build_id)):
            return None
        row = await self._fetchone("SELECT doc FROM builds WHERE id = ?", (str(build_id),))
        return load_doc(Build, row[0]) if row else None

    async def replace_build(self, build: Build) -> None:
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "UPDATE builds SET project_id = ?, state = ?, created_at = ?, doc = ? WHERE id = ?",
                (
                    build.project_id,
                    build.state.value,
                    to_epoch_ms(build.created_at),
                    dump_doc(build),
                    build.id,
                ),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"Build {build.id!r} does not exist")

    async def latest_build(self, project_id: str) -> Build | None:
        if not is_valid_id(str(project_id)):
            return None
        row = await self._fetchone(
            "SELECT doc FROM builds WHERE project_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (str(project_id),),
        )
        return load_doc(Build, row[0]) if row else None

    async def list_builds_in_states(self, states: list[str]) -> list[Build]:
        wanted = [str(s) for s in states]
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        rows = await self._fetchall(
            f"SELECT doc FROM builds WHERE state IN ({marks}) ORDER BY created_at, rowid",  # noqa: S608
            wanted,
        )
        return [load_doc(Build, r[0]) for r in rows]

    async def append_build_log(self, build_id: str, lines: list[str]) -> list[BuildLogLine]:
        if not lines:
            return []
        bid = str(build_id)
        now = to_utc_ms(datetime.now(UTC))
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM build_logs WHERE build_id = ?", (bid,)
            )
            row = await cursor.fetchone()
            last = int(row[0]) if row else 0
            out = [
                BuildLogLine(seq=last + i, line=str(line), at=now)
                for i, line in enumerate(lines, 1)
            ]
            await conn.executemany(
                "INSERT INTO build_logs (build_id, seq, line, at) VALUES (?, ?, ?, ?)",
                [(bid, entry.seq, entry.line, to_epoch_ms(now)) for entry in out],
            )
        return out

    async def get_build_log(self, build_id: str, after_seq: int = 0) -> list[BuildLogLine]:
        rows = await self._fetchall(
            "SELECT seq, line, at FROM build_logs WHERE build_id = ? AND seq > ? ORDER BY seq",
            (str(build_id), int(after_seq)),
        )
        return [BuildLogLine(seq=r[0], line=r[1], at=from_epoch_ms(r[2])) for r in rows]
