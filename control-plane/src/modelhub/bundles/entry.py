"""Which file starts the demo (the entry file), like Hugging Face Spaces' ``app_file``.

* With ``app_file``: it must name a ``.py`` file of the bundle (as a path relative to the
  project; the stripped top folder may be included, ``myapp/app.py`` = ``app.py``).
* Without it: ``app.py``, ``main.py``, ``streamlit_app.py`` at the top level, in that order,
  exact case first and then ignoring case (the file keeps its own case); else the one
  top-level ``.py`` whose source imports streamlit (``import streamlit``,
  ``from streamlit ...``). A file that another such file imports (``import ui_helpers``)
  is a helper module, not a candidate. Several candidates, or none, is a problem for the
  creator: the message lists the candidates and asks to choose one with ``app_file``.
"""

from __future__ import annotations

import ast
import re

ENTRY_NAMES = ("app.py", "main.py", "streamlit_app.py")
NO_ENTRY = "no entry file: add app.py (or main.py / streamlit_app.py) or name it with app_file"

_IMPORT_RE = re.compile(rb"^[ \t]*(?:import|from)[ \t]+streamlit\b", re.MULTILINE)


def imports_streamlit(source: bytes) -> bool:
    """True when a Python source imports streamlit (anywhere in the module)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return bool(_IMPORT_RE.search(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
            return True
    return False


def imported_modules(source: bytes) -> set[str]:
    """Top-level names of the modules a Python source imports (absolute imports only)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _drop_helpers(candidates: list[str], sources: dict[str, bytes]) -> list[str]:
    """Candidates that no other candidate imports (those are helper modules)."""
    imported: set[str] = set()
    for name in candidates:
        stem = name[: -len(".py")]
        imported |= imported_modules(sources.get(name, b"")) - {stem}
    kept = [c for c in candidates if c[: -len(".py")] not in imported]
    return kept or candidates


def find_entry(
    files: list[str],
    top_level_sources: dict[str, bytes],
    app_file: str | None,
    stripped_folder: str | None,
) -> tuple[str | None, str | None]:
    """Return ``(entry, None)`` or ``(None, problem)``.

    ``files`` are the bundle's final paths; ``top_level_sources`` the source of every
    top-level ``.py`` file (enough of it to see its imports).
    """
    if app_file is not None and app_file.strip():
        wanted = app_file.strip().removeprefix("./")
        if stripped_folder and wanted.startswith(stripped_folder + "/"):
            wanted = wanted[len(stripped_folder) + 1 :]
        if not wanted.lower().endswith(".py"):
            return None, f"app_file '{app_file}' must be a Python file ending in .py"
        if wanted not in files:
            return None, f"app_file '{app_file}' is not in the bundle"
        return wanted, None

    top_level = [f for f in files if "/" not in f]
    for name in ENTRY_NAMES:
        if name in top_level:
            return name, None
    for name in ENTRY_NAMES:
        for f in top_level:
            if f.lower() == name:
                return f, None
    candidates = sorted(
        f
        for f in top_level
        if f.lower().endswith(".py") and imports_streamlit(top_level_sources.get(f, b""))
    )
    candidates = _drop_helpers(candidates, top_level_sources)
    if len(candidates) == 1:
        return candidates[0], None
    if candidates:
        listed = ", ".join(candidates)
        return None, (
            f"several files could start the app ({listed}): choose one with app_file "
            "or rename it to app.py"
        )
    return None, NO_ENTRY
