"""Back up and restore a hub: its database and its bundle storage, into one directory.

Layout of a backup directory::

    manifest.json            format, time, database backend, counts
    database.sqlite3         SQLite: a consistent copy (sqlite3 online-backup API)
    mongodb/<collection>.jsonl  MongoDB: one Extended-JSON document per line (canonical mode,
                             so dates and 64-bit integers come back with their types)
    bundles/<project id>/... every project's stored files, read through the Storage
                             interface (local directory or S3 alike)

A backup can be taken while the hub runs. A restore replaces the database and the bundles
of the target hub and must run while its control plane is stopped (``make restore`` does
that). The backup's database backend must be the target's (SQLite → SQLite, MongoDB →
MongoDB). Demo images are not in the backup: a restored project keeps its record, and a
demo recorded as running is set to stopped; ``RestoreReport.missing_images`` lists the
projects whose image this Docker engine lacks (``modelhub rebuild <id>`` rebuilds one).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
from bson import json_util
from pymongo import AsyncMongoClient

from modelhub.errors import Conflict, InvalidInput
from modelhub.models import DemoInfo, DemoState, utcnow
from modelhub.ops.session import connected_store
from modelhub.settings import Settings
from modelhub.storage import create_storage

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
MONGO_DIR = "mongodb"
BUNDLES_DIR = "bundles"
_JSON_OPTIONS = json_util.CANONICAL_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=UTC)
_LIVE_STATES = (DemoState.RUNNING, DemoState.STARTING, DemoState.STOPPING)


@dataclass
class BackupReport:
    path: str
    database_backend: str
    created_at: str
    users: int = 0
    projects: int = 0
    bundles: int = 0
    files: int = 0
    collections: dict[str, int] = field(default_factory=dict)


@dataclass
class RestoreReport:
    path: str
    database_backend: str
    users: int = 0
    projects: int = 0
    bundles: int = 0
    demos_reset: int = 0
    missing_images: list[str] = field(default_factory=list)


# --- SQLite ----------------------------------------------------------------------------------
def _sqlite_copy(src: Path, dst: Path) -> None:
    """Copy one SQLite database into another with the online-backup API (consistent even
    while another process writes the source)."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst, timeout=30)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        source.close()


def _sqlite_count(path: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed names
        return int(row[0]) if row else 0
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


# --- MongoDB ---------------------------------------------------------------------------------
def _mongo_client(settings: Settings) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(settings.mongodb_url, serverSelectionTimeoutMS=5000, tz_aware=True)


async def _mongo_export(settings: Settings, dest: Path) -> dict[str, int]:
    out = dest / MONGO_DIR
    out.mkdir()
    counts: dict[str, int] = {}
    client = _mongo_client(settings)
    try:
        db = client[settings.database_name]
        for name in sorted(await db.list_collection_names()):
            if name.startswith("system."):
                continue
            lines = [
                json_util.dumps(doc, json_options=_JSON_OPTIONS) async for doc in db[name].find()
            ]
            text = "".join(f"{line}\n" for line in lines)
            await asyncio.to_thread((out / f"{name}.jsonl").write_text, text, "utf-8")
            counts[name] = len(lines)
    finally:
        await client.close()
    return counts


async def _mongo_count(settings: Settings, collection: str) -> int:
    client = _mongo_client(settings)
    try:
        return int(await client[settings.database_name][collection].count_documents({}))
    finally:
        await client.close()


async def _mongo_import(settings: Settings, src: Path) -> None:
    client = _mongo_client(settings)
    try:
        db = client[settings.database_name]
        for path in sorted((src / MONGO_DIR).glob("*.jsonl")):
            text = await asyncio.to_thread(path.read_text, "utf-8")
            docs = [
                json_util.loads(line, json_options=_JSON_OPTIONS)
                for line in text.splitlines()
                if line.strip()
            ]
            await db[path.stem].drop()
            if docs:
                await db[path.stem].insert_many(docs, ordered=True)
    finally:
        await client.close()


# --- helpers ----------------------------------------------------------------------------------
def _new_directory(dest: Path) -> Path:
    dest = dest.resolve()
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"{dest} is not empty: back up into a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    return dest


# --- backup ----------------------------------------------------------------------------------
async def backup(settings: Settings, dest: Path) -> BackupReport:
    """Write a backup of the hub of ``settings`` into ``dest`` (new or empty directory)."""
    dest = await asyncio.to_thread(_new_directory, dest)
    report = BackupReport(
        path=str(dest),
        database_backend=settings.database_backend,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if settings.database_backend == "sqlite":
        assert settings.sqlite_path is not None
        if not settings.sqlite_path.exists():
            raise InvalidInput(f"There is no database at {settings.sqlite_path} to back up")
        db_copy = dest / SQLITE_FILE
        await asyncio.to_thread(_sqlite_copy, settings.sqlite_path, db_copy)
        for table in ("users", "projects", "builds"):
            report.collections[table] = await asyncio.to_thread(_sqlite_count, db_copy, table)
    else:
        report.collections = await _mongo_export(settings, dest)
    report.users = report.collections.get("users", 0)
    report.projects = report.collections.get("projects", 0)

    storage = create_storage(settings)
    async with connected_store(settings) as store:
        projects = await store.list_all_projects()
    (dest / BUNDLES_DIR).mkdir()
    for project in projects:
        if not await storage.exists(project.id):
            continue
        files = await storage.download_project(project.id, dest / BUNDLES_DIR / project.id)
        report.bundles += 1
        report.files += len(files)
    manifest = {"format": FORMAT, **asdict(report), "database_name": settings.database_name}
    await asyncio.to_thread(
        (dest / MANIFEST).write_text, json.dumps(manifest, indent=2) + "\n", "utf-8"
    )
    return report


# --- restore ---------------------------------------------------------------------------------
def read_manifest(src: Path) -> dict[str, Any]:
    path = src / MANIFEST
    if not path.is_file():
        raise InvalidInput(f"{src} is not a Model Hub backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{src} has backup format {manifest.get('format')!r}; expected {FORMAT}")
    return manifest


async def _target_is_empty(settings: Settings) -> bool:
    if settings.database_backend == "sqlite":
        assert settings.sqlite_path is not None
        path = settings.sqlite_path
        if not path.exists():
            return True
        users = await asyncio.to_thread(_sqlite_count, path, "users")
        projects = await asyncio.to_thread(_sqlite_count, path, "projects")
        return users == 0 and projects == 0
    return (await _mongo_count(settings, "users")) == 0 and (
        await _mongo_count(settings, "projects")
    ) == 0


def _images_present(images: list[str]) -> set[str]:
    client = docker.from_env(timeout=10)
    present = set()
    try:
        for image in images:
            try:
                client.images.get(image)
                present.add(image)
            except docker.errors.ImageNotFound:
                pass
    finally:
        client.close()
    return present


async def restore(settings: Settings, src: Path, *, force: bool = False) -> RestoreReport:
    """Replace the database and bundles of the hub of ``settings`` with the backup in ``src``.

    Refuses (Conflict) when the target already holds users or projects, unless ``force``.
    Run it with the target's control plane stopped.
    """
    src = await asyncio.to_thread(src.resolve)
    manifest = await asyncio.to_thread(read_manifest, src)
    backend = manifest.get("database_backend")
    if backend != settings.database_backend:
        raise InvalidInput(
            f"The backup holds a {backend} database but this hub uses {settings.database_backend}"
            " (set or unset MONGODB_URL to match)"
        )
    if not force and not await _target_is_empty(settings):
        raise Conflict(
            "This hub already has users or projects; restoring replaces them all. "
            "Pass --force to do it anyway"
        )
    report = RestoreReport(path=str(src), database_backend=settings.database_backend)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        assert settings.sqlite_path is not None
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            settings.sqlite_path.with_name(settings.sqlite_path.name + suffix).unlink(True)
        await asyncio.to_thread(_sqlite_copy, src / SQLITE_FILE, settings.sqlite_path)
    else:
        await _mongo_import(settings, src)

    storage = create_storage(settings)
    bundles = src / BUNDLES_DIR
    async with connected_store(settings) as store:
        projects = await store.list_all_projects()
        for project in projects:
            bundle = bundles / project.id
            if bundle.is_dir():
                await storage.delete_project(project.id)
                await storage.upload_directory(project.id, bundle)
                report.bundles += 1
            if project.demo.state in _LIVE_STATES:
                project.demo = DemoInfo(
                    state=DemoState.STOPPED,
                    reason="restored from a backup; launch it again",
                    stopped_at=utcnow(),
                )
                await store.replace_project(project)
                report.demos_reset += 1
        report.projects = len(projects)
        images = sorted({p.image for p in projects if p.image})
    report.users = int(manifest.get("users", 0))
    present = await asyncio.to_thread(_images_present, images) if images else set()
    report.missing_images = [p.id for p in projects if p.image and p.image not in present]
    return report
