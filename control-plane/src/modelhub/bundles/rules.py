"""What a bundle may hold: file-type lists and magic-byte sniffing.

File types are decided twice: by extension (the name a creator chose) and by the first
bytes of the content (what the file really is), so an ELF binary renamed ``notes.txt`` or
a ZIP renamed ``data.csv`` is still caught.

* Executables are refused whatever ``allowed_extensions`` says: the extensions in
  :data:`EXECUTABLE_EXTENSIONS`, and ELF, PE (``MZ`` followed by a binary DOS header),
  Mach-O and Java class (``cafebabe``) magic under any name.
* Archives inside the bundle are refused: the extensions in :data:`ARCHIVE_EXTENSIONS`,
  and ZIP, RAR, gzip, 7z, bzip2, xz, zstd and tar magic under any name, except for files
  whose extension is a model format that is itself a ZIP/gzip container
  (:data:`CONTAINER_MODEL_EXTENSIONS`: ``.pt``/``.pth``/``.ckpt`` from torch, ``.keras``,
  ``.npz``, ``.h5``, ``.joblib``).
* Model files (reported in ``ProjectFiles.model_files``) are told by extension,
  :data:`MODEL_EXTENSIONS`. ``.parquet``, ``.csv`` and ``.json`` are data, not models,
  and go to ``other_files``.
* Files without an extension are refused, except the well-known names in
  :data:`EXTENSIONLESS_NAMES` (LICENSE, README, ...; compared case-insensitively).
  ``Dockerfile`` is deliberately not among them: the platform generates the Dockerfile.
"""

from __future__ import annotations

EXECUTABLE_EXTENSIONS = frozenset(
    {
        ".exe", ".sh", ".bat", ".cmd", ".ps1", ".com", ".dll", ".so", ".dylib",
        ".msi", ".scr", ".vbs", ".jar", ".bash", ".zsh", ".ksh", ".run", ".appimage",
    }
)  # fmt: skip

ARCHIVE_EXTENSIONS = frozenset(
    {
        ".zip", ".rar", ".tar", ".gz", ".tgz", ".7z", ".bz2", ".xz", ".zst", ".tbz2",
        ".txz", ".lz", ".lzma", ".cab",
    }
)  # fmt: skip

MODEL_EXTENSIONS = frozenset(
    {
        ".pkl", ".h5", ".pt", ".pth", ".onnx", ".pb", ".bin", ".keras", ".ckpt",
        ".joblib", ".safetensors", ".npy", ".npz",
    }
)  # fmt: skip

CONTAINER_MODEL_EXTENSIONS = frozenset({".pt", ".pth", ".ckpt", ".keras", ".npz", ".h5", ".joblib"})

EXTENSIONLESS_NAMES = frozenset(
    {"license", "licence", "readme", "notice", "authors", "changelog", "copying", ".gitignore"}
)

#: How many leading bytes :func:`sniff_executable` and :func:`sniff_archive` need.
SNIFF_BYTES = 512

_MACHO_MAGIC = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def sniff_executable(head: bytes) -> str | None:
    """The kind of executable ``head`` (a file's first bytes) starts, or None."""
    if head.startswith(b"\x7fELF"):
        return "an ELF executable"
    # A DOS/PE header always has NUL bytes in its first 64 bytes; a text file never does,
    # so a text that merely starts with "MZ" is not flagged.
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return "a Windows (PE) executable"
    if head[:4] in _MACHO_MAGIC:
        return "a macOS (Mach-O) executable or Java class"
    return None


def sniff_archive(head: bytes) -> str | None:
    """The archive or compressed format ``head`` starts, or None."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "ZIP"
    if head.startswith(b"Rar!\x1a\x07"):
        return "RAR"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def extension_of(name: str) -> str:
    """The lower-case extension of a file name (``""`` for none; ``.gitignore`` has none)."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:
        return ""
    return base[dot:].lower()
