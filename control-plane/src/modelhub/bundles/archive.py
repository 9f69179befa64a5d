"""Validate a ZIP/RAR project bundle and extract it safely.

:func:`validate_and_extract` (blocking) and :func:`extract_bundle` (the same, run in a
worker thread) are the whole public surface.

Contract:

* The archive type comes from magic bytes (see :mod:`modelhub.bundles.members`);
  anything else raises ``InvalidInput("not a ZIP or RAR archive ...")`` and an unreadable
  archive raises ``InvalidInput`` saying so.
* Every problem is collected and reported at once in ONE
  ``InvalidInput(message, details=[{"file": name, "problem": text}, ...])``. ``file`` is
  the member name as stored in the archive, or ``"(bundle)"`` for a problem of the bundle
  as a whole (too many files, too big, empty, no entry file). At most 100 details are
  listed; a last detail counts the rest.
* Checks: member names (:mod:`modelhub.bundles.names`), links / devices / FIFOs /
  password-protected members, names that differ only in case (or a name that is both a
  file and a folder), file types and content sniffing (:mod:`modelhub.bundles.rules`),
  zip-bomb limits (``max_bundle_files``, and an archive listing more than
  ``2 * max_bundle_files + 1000`` entries is refused before its directory is parsed in
  full; ``max_uncompressed_bytes`` over all files;
  ``max_compression_ratio`` for files above 1 MiB), ``requirements.txt`` at the top and an
  entry file (:mod:`modelhub.bundles.entry`). Sizes declared in headers are checked first
  and then again against the bytes actually decompressed, which are what count.
* Junk (``__MACOSX/``, ``.DS_Store``, ``*.pyc``, ...) is skipped silently; a single top
  folder holding every file (``myapp/app.py``) is stripped (``app.py``).
* ``dest`` must be an empty (or missing) directory. Files are first decompressed into a
  private staging directory next to ``dest`` and moved into ``dest`` only when every check
  passed, so after any failure ``dest`` is still empty. Extracted files get mode 0644 and
  folders 0755, whatever the archive says.
* The result is a :class:`~modelhub.models.ProjectFiles`: the manifest lists every file
  with size and sha256 (sorted by path), and ``bundle_sha256`` is the sha256 of the lines
  ``"<path>\\0<sha256>\\n"`` in path order, so it does not depend on archive order, tool or
  timestamps.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelhub.bundles.entry import find_entry
from modelhub.bundles.members import (
    READ_ERRORS,
    ArchiveReader,
    Member,
    MemberKind,
    TooManyEntries,
)
from modelhub.bundles.names import UnsafeName, common_top_folder, is_junk, normalise
from modelhub.bundles.rules import (
    ARCHIVE_EXTENSIONS,
    CONTAINER_MODEL_EXTENSIONS,
    EXECUTABLE_EXTENSIONS,
    EXTENSIONLESS_NAMES,
    MODEL_EXTENSIONS,
    SNIFF_BYTES,
    extension_of,
    sniff_archive,
    sniff_executable,
)
from modelhub.errors import InvalidInput
from modelhub.models import FileEntry, ProjectFiles
from modelhub.settings import Settings

BUNDLE = "(bundle)"
CHUNK_BYTES = 1024 * 1024
RATIO_FLOOR_BYTES = 1024 * 1024  # smaller files never trip the compression-ratio cap
MAX_SOURCE_BYTES = 1024 * 1024  # how much of a top-level .py is kept to look for imports
MAX_DETAILS = 100
REQUIREMENTS = "requirements.txt"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, file: str, problem: str) -> None:
        if (file, problem) not in self._seen:
            self._seen.add((file, problem))
            self.items.append({"file": file, "problem": problem})

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> InvalidInput:
        n = len(self.items)
        details: list[dict[str, Any]] = list(self.items[:MAX_DETAILS])
        if n > MAX_DETAILS:
            details.append({"file": BUNDLE, "problem": f"... and {n - MAX_DETAILS} more problems"})
        first = self.items[0]
        where = "" if first["file"] == BUNDLE else f"{first['file']}: "
        more = f" (and {n - 1} more; see details)" if n > 1 else ""
        return InvalidInput(
            f"The bundle was rejected: {where}{first['problem']}{more}", details=details
        )


@dataclass
class _File:
    member: Member
    path: str  # final path inside the project, '/'-separated
    skip_read: bool = False


@dataclass
class _Extraction:
    reader: ArchiveReader
    dest: Path
    settings: Settings
    app_file: str | None
    problems: _Problems = field(default_factory=_Problems)
    manifest: list[FileEntry] = field(default_factory=list)
    sources: dict[str, bytes] = field(default_factory=dict)
    stripped: str | None = None

    def run(self) -> ProjectFiles:
        files = self._plan()
        skip_content = self._check_limits(files)
        self._check_paths(files)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.staging-", dir=self.dest.parent))
        try:
            if not skip_content:
                self._read_all(files, staging)
            result = self._result(files, check_entry=not skip_content) if files else None
            if self.problems or result is None:
                raise self.problems.error()
            for child in staging.iterdir():
                os.replace(child, self.dest / child.name)
            return result
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # --- names and kinds -------------------------------------------------------------
    def _plan(self) -> list[_File]:
        kept: list[tuple[Member, tuple[str, ...]]] = []
        for m in self.reader.members:
            try:
                parts = normalise(m.name)
            except UnsafeName as exc:
                self.problems.add(m.name, str(exc))
                continue
            if not parts or m.kind == MemberKind.DIR or is_junk(parts):
                continue
            problem = {
                MemberKind.SYMLINK: "is a symbolic link: links are not allowed, "
                "put the file itself in the archive",
                MemberKind.LINK: "is a hard link or a copy of another entry: "
                "put the file itself in the archive",
                MemberKind.SPECIAL: "is a device file, FIFO or socket: only regular files "
                "are allowed",
            }.get(m.kind)
            if problem is None and m.encrypted:
                problem = "is password-protected: upload an archive without a password"
            if problem is None and m.split:
                problem = "is split across volumes: upload a single-volume archive"
            if problem:
                self.problems.add(m.name, problem)
                continue
            kept.append((m, parts))
        if not kept:
            if not self.problems:
                self.problems.add(
                    BUNDLE,
                    "the archive is empty: it must hold your project files "
                    "(app.py, requirements.txt, models, ...)",
                )
            return []
        self.stripped = common_top_folder([p for _, p in kept])
        cut = 1 if self.stripped else 0
        return [_File(m, "/".join(p[cut:])) for m, p in kept]

    def _check_limits(self, files: list[_File]) -> bool:
        """Declared sizes and counts; True when decompressing would be pointless or unsafe."""
        s = self.settings
        skip = False
        if len(files) > s.max_bundle_files:
            self.problems.add(
                BUNDLE,
                f"the archive holds {len(files)} files; at most {s.max_bundle_files} are allowed",
            )
            skip = True
        declared = sum(f.member.size for f in files)
        if declared > s.max_uncompressed_bytes:
            self.problems.add(BUNDLE, self._too_big_message(declared))
            skip = True
        for f in files:
            if self._ratio_exceeded(f.member, f.member.size):
                self.problems.add(f.member.name, self._ratio_message(f.member, f.member.size))
                f.skip_read = True
        return skip

    def _too_big_message(self, size: int, at_least: bool = False) -> str:
        limit = human_size(self.settings.max_uncompressed_bytes)
        amount = f"more than {limit}" if at_least else human_size(size)
        return f"the files unpack to {amount}; at most {limit} is allowed"

    def _ratio_exceeded(self, m: Member, size: int) -> bool:
        cap = self.settings.max_compression_ratio
        return size > RATIO_FLOOR_BYTES and size > cap * max(m.compressed_size, 1)

    def _ratio_message(self, m: Member, size: int) -> str:
        ratio = size // max(m.compressed_size, 1)
        return (
            f"is compressed {ratio}:1, more than the {self.settings.max_compression_ratio}:1 "
            "allowed (this looks like a zip bomb)"
        )

    def _check_paths(self, files: list[_File]) -> None:
        counts = Counter(f.path for f in files)
        seen: dict[str, str] = {}  # casefolded path -> first spelling
        folders: dict[str, str] = {}
        reported: set[str] = set()
        for f in files:
            name = f.member.name
            parts = f.path.split("/")
            for i in range(1, len(parts)):
                folder = "/".join(parts[:i])
                first = folders.setdefault(folder.casefold(), folder)
                if first != folder:
                    self.problems.add(
                        name, f"folder '{folder}' differs from '{first}' only in letter case"
                    )
                if folder in counts:
                    self.problems.add(name, f"'{folder}' is both a file and a folder")
            first = seen.setdefault(f.path.casefold(), f.path)
            if counts[f.path] > 1 and f.path not in reported:
                reported.add(f.path)
                self.problems.add(name, "appears more than once in the archive")
            elif first != f.path:
                self.problems.add(
                    name,
                    f"differs from '{first}' only in letter case; names must differ "
                    "in more than case",
                )
            self._check_type(f)

    def _check_type(self, f: _File) -> None:
        base = f.path.rsplit("/", 1)[-1]
        if base.lower() in EXTENSIONLESS_NAMES:
            return
        ext = extension_of(base)
        name = f.member.name
        if ext in EXECUTABLE_EXTENSIONS:
            self.problems.add(name, f"executable files are not allowed ({ext})")
        elif ext in ARCHIVE_EXTENSIONS:
            self.problems.add(
                name,
                f"archives inside the bundle are not allowed ({ext}): add the files themselves",
            )
        elif not ext:
            known = ", ".join(sorted(n.upper() if n[0] != "." else n for n in EXTENSIONLESS_NAMES))
            self.problems.add(name, f"files without an extension are not allowed (except {known})")
        elif ext not in self.settings.allowed_extensions:
            allowed = " ".join(self.settings.allowed_extensions)
            self.problems.add(name, f"file type {ext} is not allowed; allowed types: {allowed}")

    # --- content -----------------------------------------------------------------------
    def _read_all(self, files: list[_File], staging: Path) -> None:
        total = 0
        for f in files:
            if f.skip_read:
                continue
            size = self._read_one(f, staging, total)
            if size is None:  # the total cap was passed: stop decompressing anything
                return
            total += size

    def _read_one(self, f: _File, staging: Path, total_before: int) -> int | None:
        m = f.member
        digest = hashlib.sha256()
        head = b""
        keep_source = "/" not in f.path and f.path.lower().endswith(".py")
        source = bytearray()
        size = 0
        out = None
        if not self.problems:
            target = staging.joinpath(*f.path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            out = target.open("xb")
            target.chmod(0o644)
        try:
            with self.reader.open(m) as stream:
                while True:
                    try:
                        chunk = stream.read(CHUNK_BYTES)
                    except READ_ERRORS:
                        self.problems.add(m.name, "cannot be unpacked: the archive is damaged")
                        return size
                    if not chunk:
                        break
                    size += len(chunk)
                    if total_before + size > self.settings.max_uncompressed_bytes:
                        self.problems.add(BUNDLE, self._too_big_message(0, at_least=True))
                        return None
                    if size > m.size:
                        self.problems.add(
                            m.name,
                            "holds more data than its header declares "
                            "(a damaged or crafted archive)",
                        )
                        return size
                    if self._ratio_exceeded(m, size):
                        self.problems.add(m.name, self._ratio_message(m, size))
                        return size
                    digest.update(chunk)
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    if keep_source and len(source) < MAX_SOURCE_BYTES:
                        source += chunk[: MAX_SOURCE_BYTES - len(source)]
                    if out is not None and not self.problems:
                        out.write(chunk)
        except READ_ERRORS:
            self.problems.add(m.name, "cannot be unpacked: the archive is damaged")
            return size
        finally:
            if out is not None:
                out.close()
        self._sniff(f, head)
        if keep_source:
            self.sources[f.path] = bytes(source)
        self.manifest.append(FileEntry(path=f.path, size=size, sha256=digest.hexdigest()))
        return size

    def _sniff(self, f: _File, head: bytes) -> None:
        name = f.member.name
        ext = extension_of(f.path)
        exe = sniff_executable(head)
        if exe and ext not in EXECUTABLE_EXTENSIONS:
            self.problems.add(name, f"is {exe}; executables are not allowed")
        nested = sniff_archive(head)
        if nested and ext not in CONTAINER_MODEL_EXTENSIONS and ext not in ARCHIVE_EXTENSIONS:
            self.problems.add(
                name, f"is a {nested} archive; archives inside the bundle are not allowed"
            )

    # --- result ------------------------------------------------------------------------
    def _result(self, files: list[_File], *, check_entry: bool) -> ProjectFiles | None:
        paths = sorted(f.path for f in files)
        top = [p for p in paths if "/" not in p]
        requirements = (
            REQUIREMENTS
            if REQUIREMENTS in top
            else next((p for p in top if p.lower() == REQUIREMENTS), None)
        )
        if requirements is None:
            self.problems.add(
                REQUIREMENTS,
                "is missing: add a requirements.txt at the top of the bundle "
                "listing the packages your app needs (it may be empty)",
            )
        if not check_entry:  # nothing was decompressed: the limits above are the problems
            return None
        entry, problem = find_entry(paths, self.sources, self.app_file, self.stripped)
        if problem:
            self.problems.add("app_file" if self.app_file else BUNDLE, problem)
        if self.problems or entry is None:
            return None
        manifest = sorted(self.manifest, key=lambda e: e.path)
        lines = "".join(f"{e.path}\0{e.sha256}\n" for e in manifest)
        return ProjectFiles(
            app_file=entry,
            requirements_file=requirements,
            model_files=[p for p in paths if extension_of(p) in MODEL_EXTENSIONS],
            other_files=[
                p
                for p in paths
                if extension_of(p) not in MODEL_EXTENSIONS and p not in (entry, requirements)
            ],
            manifest=manifest,
            total_size=sum(e.size for e in manifest),
            bundle_sha256=hashlib.sha256(lines.encode()).hexdigest(),
        )


def validate_and_extract(
    archive: Path, dest: Path, settings: Settings, *, app_file: str | None = None
) -> ProjectFiles:
    """Validate ``archive`` and extract it into the empty directory ``dest`` (blocking).

    See the module docstring for the contract. Raises InvalidInput with every problem;
    ValueError when ``dest`` is not empty (a caller's mistake).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"extraction target {dest} is not empty")
    max_entries = entry_limit(settings)
    try:
        reader = ArchiveReader(Path(archive), max_entries=max_entries)
    except TooManyEntries:
        problem = (
            f"the archive lists more than {max_entries} entries; at most "
            f"{settings.max_bundle_files} files are allowed"
        )
        raise InvalidInput(
            f"The bundle was rejected: {problem}", details=[{"file": BUNDLE, "problem": problem}]
        ) from None
    with reader:
        return _Extraction(reader, dest, settings, app_file).run()


def entry_limit(settings: Settings) -> int:
    """How many archive entries (files, folders, junk) are listed before giving up."""
    return 2 * settings.max_bundle_files + 1000


async def extract_bundle(
    archive: Path, dest: Path, settings: Settings, *, app_file: str | None = None
) -> ProjectFiles:
    """:func:`validate_and_extract` in a worker thread, for the event loop."""
    return await asyncio.to_thread(validate_and_extract, archive, dest, settings, app_file=app_file)
