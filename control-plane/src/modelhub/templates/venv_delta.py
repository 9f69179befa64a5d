"""What ``pip install -r requirements.txt`` changed in a virtualenv, run inside image builds.

``python venv_delta.py snapshot <venv> <manifest>`` records every path of the venv (before
pip). ``python venv_delta.py delta <venv> <manifest> <out>`` copies every file, link and
directory that pip added or changed into ``<out>`` (same relative paths, metadata kept) and
lists what pip removed in ``<out>/.modelhub-removed``, one path per line.

The final image then takes only this delta on top of the base image's venv, instead of a
second full copy of the venv: much smaller images, faster builds, and an upgraded or
downgraded package (e.g. a pinned streamlit) leaves no stale files of the base's version.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

REMOVED_LIST = ".modelhub-removed"


def _manifest(venv: str) -> dict[str, list[int | str]]:
    entries: dict[str, list[int | str]] = {}
    for dirpath, dirnames, filenames in os.walk(venv):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            link = os.readlink(path) if os.path.islink(path) else ""
            rel = os.path.relpath(path, venv)
            entries[rel] = [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, link]
    return entries


def snapshot(venv: str, manifest: str) -> None:
    with open(manifest, "w") as f:
        json.dump(_manifest(venv), f)


def delta(venv: str, manifest: str, out: str) -> None:
    with open(manifest) as f:
        before: dict[str, list[int | str]] = json.load(f)
    after = _manifest(venv)
    os.makedirs(out, exist_ok=True)
    changed = 0
    for rel in sorted(after):
        if before.get(rel) == after[rel]:
            continue
        src, dst = os.path.join(venv, rel), os.path.join(out, rel)
        if os.path.islink(src):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(os.readlink(src), dst)
        elif os.path.isdir(src):
            os.makedirs(dst, exist_ok=True)
            shutil.copystat(src, dst)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        changed += 1
    removed = sorted(rel for rel in before if rel not in after)
    # a removed directory goes with everything under it: list only the top-most paths
    top: list[str] = []
    for rel in removed:
        if not any(rel.startswith(parent + "/") for parent in top[-1:]):
            top.append(rel)
    if top:
        with open(os.path.join(out, REMOVED_LIST), "w") as f:
            f.writelines(os.path.join(venv, rel) + "\n" for rel in top)
    print(f"venv delta: {changed} paths added or changed, {len(removed)} removed", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "snapshot":
        snapshot(argv[2], argv[3])
        return 0
    if len(argv) == 5 and argv[1] == "delta":
        delta(argv[2], argv[3], argv[4])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
