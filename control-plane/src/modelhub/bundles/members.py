"""Read ZIP and RAR archives through one small interface.

The archive type is told apart by magic bytes, never by the file name:
ZIP (``PK\\x03\\x04``, or ``PK\\x05\\x06`` for an empty ZIP), RAR4 (``Rar!\\x1a\\x07\\x00``)
and RAR5 (``Rar!\\x1a\\x07\\x01\\x00``). RAR headers are parsed by ``rarfile``; compressed
RAR data is decompressed by Debian's ``unar`` (unrar-free and 7z cannot read RAR5 there).
"""

from __future__ import annotations

import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Literal

import rarfile

from modelhub.errors import InvalidInput

ArchiveType = Literal["zip", "rar"]

NOT_AN_ARCHIVE = "not a ZIP or RAR archive: upload a .zip or .rar of your project folder"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_RAR_MAGIC = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")
_WINDOWS_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: a Windows symlink/junction
_ZIP_ENCRYPTED = 0x1
_ZIP_UNIX = 3

_tool_lock = threading.Lock()


class MemberKind(StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    LINK = "link"  # RAR hard link or file copy
    SPECIAL = "special"  # device, FIFO, socket


@dataclass(frozen=True)
class Member:
    """One entry of an archive, as declared by its headers (sizes are not trusted)."""

    index: int
    name: str
    kind: MemberKind
    size: int
    compressed_size: int
    encrypted: bool
    split: bool = False  # continues in another volume of a multi-volume RAR


def detect_archive_type(path: Path) -> ArchiveType:
    """``"zip"`` or ``"rar"`` from the first bytes; InvalidInput for anything else."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_RAR_MAGIC):
        return "rar"
    raise InvalidInput(NOT_AN_ARCHIVE)


def _kind_from_mode(mode: int) -> MemberKind | None:
    fmt = stat.S_IFMT(mode)
    if fmt == stat.S_IFLNK:
        return MemberKind.SYMLINK
    if fmt in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
        return MemberKind.SPECIAL
    return None


class TooManyEntries(Exception):
    """The archive's directory lists more entries than the caller allows."""


class ArchiveReader:
    """An open archive: its members and a way to stream each member's bytes.

    ``max_entries`` bounds the work of merely listing the archive: a ZIP's end record is
    read before its central directory is parsed, and RAR headers are counted while parsed;
    past the bound :class:`TooManyEntries` is raised. RAR volumes are never followed.
    """

    def __init__(self, path: Path, *, max_entries: int) -> None:
        self.type: ArchiveType = detect_archive_type(path)
        self._zip: zipfile.ZipFile | None = None
        self._rar: rarfile.RarFile | None = None
        self._infos: list[Any] = []
        seen = 0

        def count(_info: object) -> None:
            nonlocal seen
            seen += 1
            if seen > max_entries:
                raise TooManyEntries

        try:
            if self.type == "zip":
                if _zip_entry_count(path) > max_entries:
                    raise TooManyEntries
                self._zip = zipfile.ZipFile(path)
                self._infos = self._zip.infolist()
            else:
                _setup_rar_tool()
                self._rar = rarfile.RarFile(str(path), part_only=True, info_callback=count)
                self._infos = self._rar.infolist()
        except TooManyEntries:
            self.close()
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, rarfile.Error, OSError) as exc:
            self.close()
            raise InvalidInput(
                f"the {self.type.upper()} archive cannot be read (damaged, encrypted or "
                "split into volumes): create it again and upload the whole file",
                log_message=f"unreadable {self.type}: {exc!r}",
            ) from exc
        self.members = [self._member(i, info) for i, info in enumerate(self._infos)]

    def _member(self, index: int, info: Any) -> Member:
        if isinstance(info, zipfile.ZipInfo):
            kind = MemberKind.DIR if info.is_dir() else MemberKind.FILE
            mode_kind = _kind_from_mode(info.external_attr >> 16)
            if info.create_system == _ZIP_UNIX and mode_kind is not None:
                kind = mode_kind
            elif info.external_attr & _WINDOWS_REPARSE_POINT:
                kind = MemberKind.SYMLINK
            return Member(
                index=index,
                name=info.filename,
                kind=kind,
                size=info.file_size,
                compressed_size=info.compress_size,
                encrypted=bool(info.flag_bits & _ZIP_ENCRYPTED),
            )
        assert isinstance(info, rarfile.RarInfo)
        if info.is_symlink():
            kind = MemberKind.SYMLINK
        elif info.file_redir:
            kind = MemberKind.LINK
        elif info.is_dir():
            kind = MemberKind.DIR
        else:
            kind = MemberKind.FILE
            if info.host_os == rarfile.RAR_OS_UNIX and info.mode is not None:
                kind = _kind_from_mode(int(info.mode)) or kind
        if isinstance(info, rarfile.Rar5BaseFile):
            split_flags = rarfile.RAR5_BLOCK_FLAG_SPLIT_BEFORE | rarfile.RAR5_BLOCK_FLAG_SPLIT_AFTER
            split = bool((info.block_flags or 0) & split_flags)
        else:
            split = bool(
                info.flags & (rarfile.RAR_FILE_SPLIT_BEFORE | rarfile.RAR_FILE_SPLIT_AFTER)
            )
        return Member(
            index=index,
            name=str(info.filename),
            kind=kind,
            size=int(info.file_size or 0),
            compressed_size=int(info.compress_size or 0),
            encrypted=bool(info.needs_password()),
            split=split,
        )

    @contextmanager
    def open(self, member: Member) -> Iterator[IO[bytes]]:
        """The member's decompressed bytes as a stream."""
        info = self._infos[member.index]
        stream: IO[bytes]
        if self._zip is not None:
            stream = self._zip.open(info)
        else:
            assert self._rar is not None
            stream = self._rar.open(info)
        try:
            yield stream
        finally:
            stream.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._rar is not None:
            self._rar.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Errors a member's stream raises when its data is damaged.
READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    rarfile.Error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)


def _zip_entry_count(path: Path) -> int:
    """Entries a ZIP's end-of-central-directory record declares (ZIP64 aware)."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - CPython has had it since 2.x
        return 0
    with path.open("rb") as f:
        record = end_record(f)
    return int(record[4]) if record else 0


def _setup_rar_tool() -> None:
    """Make rarfile decompress with ``unar`` (the one tool that reads RAR5 on Debian)."""
    with _tool_lock:
        current = rarfile.CURRENT_SETUP
        if current is not None and current.setup is rarfile.UNAR_CONFIG:
            return
        try:
            rarfile.tool_setup(
                unrar=False, unar=True, bsdtar=False, sevenzip=False, sevenzip2=False, force=True
            )
        except rarfile.RarCannotExec as exc:
            raise RuntimeError(
                "RAR support needs the 'unar' tool: install it (apt-get install unar)"
            ) from exc
