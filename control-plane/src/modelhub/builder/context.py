"""The Docker build context of a demo: a deterministic tar archive.

Layout of the archive::

    Dockerfile
    bundle/...                  the creator's files, as uploaded
    modelhub/check_syntax.py    the build-time syntax check
    modelhub/venv_delta.py      what pip changed in the venv (only that reaches the image)
    modelhub/ca.crt             the host's CA bundle (only when configured; build stage only)

Entries are sorted by name, with mtime 0, uid/gid 0, no user/group names and fixed modes
(0644 files, 0755 directories), so the same inputs give byte-identical archives and
Docker's cache keys depend on file contents only. Symbolic links and other special files of
the bundle are left out (never followed). The archive is built in memory when the bundle is
small and in an anonymous temporary file when it is large (bundles can be gigabytes).
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO

FILE_MODE = 0o644
DIR_MODE = 0o755
IN_MEMORY_MAX_BYTES = 64 * 1024 * 1024


HELPER_SCRIPTS = ("check_syntax.py", "venv_delta.py")


def helper_script(name: str) -> bytes:
    """The text of templates/<name>, a helper shipped inside the context."""
    return (resources.files("modelhub") / "templates" / name).read_bytes()


def _walk(root: Path) -> Iterator[tuple[str, Path, bool]]:
    """(archive name relative to root, path, is_dir) for every dir and regular file."""
    entries: list[tuple[str, Path, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames:
            path = base / name
            if not path.is_symlink():
                entries.append((path.relative_to(root).as_posix(), path, True))
        for name in filenames:
            path = base / name
            if not path.is_symlink() and path.is_file():
                entries.append((path.relative_to(root).as_posix(), path, False))
    yield from sorted(entries, key=lambda e: e[0])


def _info(name: str, *, is_dir: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if is_dir:
        info.type = tarfile.DIRTYPE
        info.mode = DIR_MODE
    else:
        info.type = tarfile.REGTYPE
        info.mode = FILE_MODE
        info.size = size
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, is_dir=False, size=len(data)), io.BytesIO(data))


def write_context(
    out: IO[bytes],
    *,
    dockerfile: str,
    bundle_dir: Path,
    ca_bundle: bytes | None = None,
) -> None:
    """Write the context archive of ``bundle_dir`` (plus the Dockerfile) to ``out``."""
    helpers = {f"modelhub/{name}": helper_script(name) for name in HELPER_SCRIPTS}
    if ca_bundle is not None:
        helpers["modelhub/ca.crt"] = ca_bundle
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, "Dockerfile", dockerfile.encode())
        tar.addfile(_info("bundle", is_dir=True))
        for rel, path, is_dir in _walk(bundle_dir):
            name = f"bundle/{rel}"
            if is_dir:
                tar.addfile(_info(name, is_dir=True))
                continue
            size = path.stat().st_size
            with path.open("rb") as f:
                tar.addfile(_info(name, is_dir=False, size=size), f)
        tar.addfile(_info("modelhub", is_dir=True))
        for name in sorted(helpers):
            _add_bytes(tar, name, helpers[name])


def build_context(
    *, dockerfile: str, bundle_dir: Path, ca_bundle: bytes | None = None
) -> IO[bytes]:
    """The context archive as a file object positioned at 0 (blocking: run in a thread)."""
    if not bundle_dir.is_dir():
        raise FileNotFoundError(f"bundle directory {bundle_dir} does not exist")
    size = sum(path.stat().st_size for _, path, is_dir in _walk(bundle_dir) if not is_dir)
    out: IO[bytes]
    if size + len(ca_bundle or b"") < IN_MEMORY_MAX_BYTES:
        out = io.BytesIO()
    else:
        out = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, who closes it
    try:
        write_context(out, dockerfile=dockerfile, bundle_dir=bundle_dir, ca_bundle=ca_bundle)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out
