"""The Storage interface: where a project's extracted bundle files live.

One implementation per backend, chosen by ``MODELHUB_STORAGE``: ``local`` (a directory,
the default) and ``s3`` (boto3; AWS or any S3-compatible endpoint). Both pass the same
contract suite, tests/contract/test_storage_contract.py.

Contract, for every implementation:

* Methods are ``async``; blocking I/O runs in worker threads (``asyncio.to_thread``).
* ``project_id`` must be a model id (24 lowercase hex, :func:`modelhub.models.is_valid_id`)
  and a ``path`` a relative ``/``-separated path without ``..``, ``.``, empty parts or a
  leading ``/``; anything else raises ``ValueError`` (a caller's mistake, never user input
  reaching storage).
* ``upload_directory(project_id, src_dir)`` stores every regular file under ``src_dir``
  (recursively; folders are implied by paths) as the project's files, REPLACING whatever the
  project had: afterwards ``list_files`` shows exactly the uploaded files. A symlink or
  special file in ``src_dir`` raises ``ValueError``; a missing ``src_dir``
  ``FileNotFoundError``. Returns the stored files, sorted by path.
* ``download_project(project_id, dest_dir)`` writes the project's files under ``dest_dir``
  (created if missing; must be empty) byte-identical to what was uploaded, and returns them
  sorted. A project with no files raises :class:`modelhub.errors.NotFound`.
* ``list_files(project_id)`` returns ``StoredFile(path, size)`` sorted by path; ``[]`` for
  a project with no files.
* ``exists(project_id)`` is True when the project has at least one stored file.
* ``delete_project(project_id)`` removes every file; deleting a missing project is a no-op.
* ``generate_presigned_url(project_id, path, expires_seconds)`` returns a URL anyone can
  GET the file from until it expires (S3), or ``None`` when the backend cannot hand out
  URLs (local: the API must stream the file itself). A file that is not stored raises
  ``NotFound``.
* ``ping()`` checks the backend answers (directory writable / bucket reachable).
* A backend that does not answer, refuses credentials or has no bucket raises
  :class:`modelhub.errors.Unavailable` (the operator's log message carries the cause).
"""

from __future__ import annotations

import abc
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from modelhub.models import is_valid_id


@dataclass(frozen=True, order=True)
class StoredFile:
    """A stored file: its path inside the project and its size in bytes."""

    path: str
    size: int


class Storage(abc.ABC):
    """Abstract storage; see the module docstring for the contract."""

    backend: str = "abstract"

    @abc.abstractmethod
    async def upload_directory(self, project_id: str, src_dir: Path) -> list[StoredFile]:
        """Store every file of ``src_dir`` as the project's files, replacing older ones."""

    @abc.abstractmethod
    async def download_project(self, project_id: str, dest_dir: Path) -> list[StoredFile]:
        """Write the project's files under ``dest_dir``; NotFound when there are none."""

    @abc.abstractmethod
    async def delete_project(self, project_id: str) -> None:
        """Remove every file of the project (idempotent)."""

    @abc.abstractmethod
    async def list_files(self, project_id: str) -> list[StoredFile]:
        """The project's files sorted by path (``[]`` when none)."""

    @abc.abstractmethod
    async def exists(self, project_id: str) -> bool:
        """True when the project has stored files."""

    @abc.abstractmethod
    async def generate_presigned_url(
        self, project_id: str, path: str, expires_seconds: int = 3600
    ) -> str | None:
        """A temporary GET URL for one file, or None if the backend has none."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise Unavailable when the backend does not answer."""


def check_project_id(project_id: str) -> str:
    if not is_valid_id(project_id):
        raise ValueError(f"not a project id: {project_id!r}")
    return project_id


def check_path(path: str) -> str:
    """A relative, '/'-separated path without '..' or empty parts (ValueError otherwise)."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a safe relative path: {path!r}")
    return path


def walk_files(src_dir: Path) -> list[tuple[str, Path, int]]:
    """``(relative path, absolute path, size)`` of every regular file, sorted by path.

    Raises ValueError on a symlink or special file, FileNotFoundError on a missing dir.
    """
    if not src_dir.is_dir():
        raise FileNotFoundError(f"no such directory: {src_dir}")
    found: list[tuple[str, Path, int]] = []
    for root, dirs, files in os.walk(src_dir):
        for name in dirs + files:
            full = Path(root, name)
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise ValueError(f"refusing to store a symlink: {full}")
            if name in files:
                if not stat.S_ISREG(st.st_mode):
                    raise ValueError(f"refusing to store a special file: {full}")
                rel = PurePosixPath(full.relative_to(src_dir).as_posix()).as_posix()
                found.append((check_path(rel), full, st.st_size))
    return sorted(found)
