"""Local-directory storage: ``<storage_dir>/<project_id>/<path>``.

An upload is copied into a temp sibling directory and renamed into place (the previous
version is renamed aside first and removed after), so readers see the old or the new
bundle, never half of one. Local storage has no URLs: :meth:`generate_presigned_url`
returns ``None`` and the API streams the file itself.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from modelhub.errors import NotFound, Unavailable
from modelhub.storage.base import Storage, StoredFile, check_path, check_project_id, walk_files


class LocalStorage(Storage):
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, project_id: str) -> Path:
        return self.root / check_project_id(project_id)

    # --- interface ---------------------------------------------------------------------
    async def upload_directory(self, project_id: str, src_dir: Path) -> list[StoredFile]:
        return await asyncio.to_thread(self._upload, project_id, Path(src_dir))

    async def download_project(self, project_id: str, dest_dir: Path) -> list[StoredFile]:
        return await asyncio.to_thread(self._download, project_id, Path(dest_dir))

    async def delete_project(self, project_id: str) -> None:
        await asyncio.to_thread(self._delete, project_id)

    async def list_files(self, project_id: str) -> list[StoredFile]:
        return await asyncio.to_thread(self._list, project_id)

    async def exists(self, project_id: str) -> bool:
        return bool(await self.list_files(project_id))

    async def generate_presigned_url(
        self, project_id: str, path: str, expires_seconds: int = 3600
    ) -> str | None:
        target = self._dir(project_id).joinpath(*check_path(path).split("/"))
        if not await asyncio.to_thread(target.is_file):
            raise NotFound(f"File '{path}' is not stored for this project")
        return None

    async def ping(self) -> None:
        await asyncio.to_thread(self._ping)

    # --- blocking helpers --------------------------------------------------------------
    def _upload(self, project_id: str, src_dir: Path) -> list[StoredFile]:
        final = self._dir(project_id)
        files = walk_files(src_dir)
        old: Path | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{project_id}.new-", dir=self.root))
            try:
                tmp.chmod(0o755)
                for rel, full, _ in files:
                    target = tmp.joinpath(*rel.split("/"))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(full, target)
                if final.exists():
                    old = self.root / f".{project_id}.old-{secrets.token_hex(4)}"
                    os.replace(final, old)
                os.replace(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                if old is not None and not final.exists():
                    os.replace(old, final)
                    old = None
                raise
        except OSError as exc:
            raise _unavailable(exc) from exc
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        return [StoredFile(rel, size) for rel, _, size in files]

    def _list(self, project_id: str) -> list[StoredFile]:
        directory = self._dir(project_id)
        if not directory.is_dir():
            return []
        return [StoredFile(rel, size) for rel, _, size in walk_files(directory)]

    def _download(self, project_id: str, dest_dir: Path) -> list[StoredFile]:
        directory = self._dir(project_id)
        files = walk_files(directory) if directory.is_dir() else []
        if not files:
            raise NotFound(f"No files are stored for project {project_id}")
        dest_dir.mkdir(parents=True, exist_ok=True)
        if any(dest_dir.iterdir()):
            raise ValueError(f"download target {dest_dir} is not empty")
        for rel, full, _ in files:
            target = dest_dir.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(full, target)
        return [StoredFile(rel, size) for rel, _, size in files]

    def _delete(self, project_id: str) -> None:
        directory = self._dir(project_id)
        if not directory.exists():
            return
        trash = self.root / f".{project_id}.deleted-{secrets.token_hex(4)}"
        try:
            os.replace(directory, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def _ping(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".ping-{secrets.token_hex(4)}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: OSError) -> Unavailable:
    return Unavailable(
        "File storage is not writable right now; try again later",
        log_message=f"local storage error: {exc!r}",
    )
