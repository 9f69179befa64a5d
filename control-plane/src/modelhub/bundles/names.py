"""Names inside an archive: what is safe to extract, what is junk, and the folder to strip.

A member name is checked as stored, before anything is written:

* no control characters, no backslashes (Windows paths), no absolute paths (``/etc/x``),
  no drive letters (``C:``), no ``..`` component;
* after NFC normalisation, only letters, digits (any script) and ``SAFE_PUNCTUATION``;
* components of at most 255 bytes, whole paths of at most 1024 bytes.

``.`` and empty components (``./app.py``, ``a//b``) are dropped. Junk that tools add is
skipped silently and never extracted: ``__MACOSX/``, ``__pycache__/``, ``.git/``,
``.ipynb_checkpoints/``, ``.DS_Store``, ``Thumbs.db``, ``desktop.ini``, AppleDouble ``._*``
files and ``*.pyc``/``*.pyo``.
"""

from __future__ import annotations

import re
import unicodedata

SAFE_PUNCTUATION = frozenset(" ._-+@,=()~")
MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 1024

_JUNK_DIRS = frozenset({"__macosx", "__pycache__", ".git", ".ipynb_checkpoints"})
_JUNK_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeName(ValueError):
    """A member name that must not be extracted; the message says why, for a person."""


def normalise(raw: str) -> tuple[str, ...]:
    """Split a stored member name into safe, NFC-normalised components.

    Raises :class:`UnsafeName` with the reason when the name is unsafe. May return an
    empty tuple (a name such as ``./``), which the caller ignores.
    """
    bad_controls = sorted({c for c in raw if unicodedata.category(c) == "Cc"})
    if bad_controls:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad_controls)
        raise UnsafeName(f"the name contains control characters ({shown})")
    if "\\" in raw:
        raise UnsafeName("the name uses backslashes (a Windows path); use '/' between folders")
    if raw.startswith("/"):
        raise UnsafeName("absolute paths are not allowed; paths must be relative")
    if _DRIVE.match(raw):
        raise UnsafeName("drive letters (such as C:) are not allowed; paths must be relative")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeName("'..' in a path is not allowed (it points outside the project)")
    name = unicodedata.normalize("NFC", "/".join(parts))
    bad = sorted({c for c in name if c != "/" and not (c.isalnum() or c in SAFE_PUNCTUATION)})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise UnsafeName(
            f"the name contains characters that are not allowed: {shown} "
            "(use letters, digits, spaces and . _ - + @ , = ( ) ~)"
        )
    components = tuple(name.split("/")) if name else ()
    if any(len(c.encode()) > MAX_COMPONENT_BYTES for c in components):
        raise UnsafeName(f"a part of the name is longer than {MAX_COMPONENT_BYTES} bytes")
    if len(name.encode()) > MAX_PATH_BYTES:
        raise UnsafeName(f"the path is longer than {MAX_PATH_BYTES} bytes")
    return components


def is_junk(components: tuple[str, ...]) -> bool:
    """True for files that archiving tools add and a project never needs."""
    if any(c.lower() in _JUNK_DIRS for c in components[:-1]):
        return True
    if not components:
        return True
    base = components[-1]
    lower = base.lower()
    return (
        lower in _JUNK_FILES
        or lower in _JUNK_DIRS
        or base.startswith("._")
        or lower.endswith((".pyc", ".pyo"))
    )


def common_top_folder(paths: list[tuple[str, ...]]) -> str | None:
    """The single folder every file sits in (``myapp/`` of ``myapp/app.py``), or None."""
    if not paths or any(len(p) < 2 for p in paths):
        return None
    tops = {p[0] for p in paths}
    return next(iter(tops)) if len(tops) == 1 else None
