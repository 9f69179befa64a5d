"""Build-time syntax check of a demo bundle, run inside the image build by the Dockerfile.

Usage: ``python check_syntax.py <entry file> [<bundle dir>]``, from the bundle directory.

The entry file must compile: a syntax error prints one ``MODELHUB-SYNTAX-ERROR`` line
(file, line, message, the offending code) and exits 1, failing the build. Every other
``.py`` file of the bundle is compiled too; their errors print ``MODELHUB-SYNTAX-WARNING``
lines and do not fail the build (the app may never import them). Nothing is written: the
check uses ``compile()``, not ``py_compile``, so no ``__pycache__`` lands in the image.
"""

from __future__ import annotations

import os
import sys


def _problem(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            source = f.read()
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        where = f"{e.filename or path}:{e.lineno or '?'}"
        code = (e.text or "").strip()
        return f"{where}: {e.msg}" + (f" | {code}" if code else "")
    except (ValueError, OSError) as e:
        return f"{path}:?: {e}"
    return None


def main(argv: list[str]) -> int:
    entry = argv[1]
    root = argv[2] if len(argv) > 2 else "."
    others: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.relpath(os.path.join(dirpath, name), root)
                if path != os.path.normpath(entry):
                    others.append(path)
    for path in others:
        problem = _problem(path)
        if problem:
            print(f"MODELHUB-SYNTAX-WARNING {problem}", flush=True)
    problem = _problem(entry)
    if problem:
        print(f"MODELHUB-SYNTAX-ERROR {problem}", flush=True)
        return 1
    print(f"syntax check passed: {entry}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
