"""First-run check of a built demo image, run by modelhub.builder.smoke in a throwaway
container (no network): ``python -c <this file> <entry> <timeout seconds> [run|norun]``,
from /app.

Prints one line ``MODELHUB-SMOKE {json}`` with the Python and Streamlit versions, the
output of ``pip check`` when it finds problems, and (unless ``norun``) the exceptions of
one simulated run of the app through ``streamlit.testing.v1.AppTest`` (type, message,
stack trace), then of each page of a multipage app (``pages/*.py`` beside the entry) as
``page_exceptions``, while time is left.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

MIN_PAGE_SECONDS = 5.0


def _exceptions(at: Any) -> list[dict[str, Any]]:
    found = []
    for exc in at.exception:
        proto = exc.proto
        found.append(
            {
                "type": str(getattr(proto, "type", "") or "Exception"),
                "message": str(getattr(proto, "message", "")),
                "stack": [str(s) for s in getattr(proto, "stack_trace", [])],
            }
        )
    return found


def _pages(entry: str) -> list[str]:
    folder = os.path.join(os.path.dirname(entry), "pages")
    if not os.path.isdir(folder):
        return []
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith(".py") and not name.startswith((".", "_"))
    )


def main(argv: list[str]) -> None:
    entry, timeout = argv[1], float(argv[2])
    run = len(argv) < 4 or argv[3] != "norun"
    deadline = time.monotonic() + timeout
    out: dict[str, Any] = {"python_version": platform.python_version(), "exceptions": []}
    try:
        import streamlit

        out["streamlit_version"] = streamlit.__version__
    except Exception as e:  # the app cannot run at all without streamlit
        out["run_error"] = f"{type(e).__name__}: {e}"
        print("MODELHUB-SMOKE " + json.dumps(out), flush=True)
        return
    check = subprocess.run(
        [sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check.returncode != 0:
        out["pip_check"] = (check.stdout + check.stderr).strip()
    if not run:
        print("MODELHUB-SMOKE " + json.dumps(out), flush=True)
        return
    try:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(os.path.abspath(entry), default_timeout=timeout).run()
        out["exceptions"] = _exceptions(at)
    except Exception as e:
        out["run_error"] = f"{type(e).__name__}: {e}"
        print("MODELHUB-SMOKE " + json.dumps(out), flush=True)
        return
    out["page_exceptions"] = []
    out["pages_checked"] = []
    for page in _pages(entry):
        left = deadline - time.monotonic()
        if left < MIN_PAGE_SECONDS:
            out["pages_skipped"] = out.get("pages_skipped", 0) + 1
            continue
        try:
            at = AppTest.from_file(os.path.abspath(page), default_timeout=left).run()
            errors = _exceptions(at)
        except Exception as e:
            errors = [{"type": type(e).__name__, "message": str(e), "stack": []}]
        out["pages_checked"].append(page)
        for error in errors:
            out["page_exceptions"].append({"page": page, **error})
    print("MODELHUB-SMOKE " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)
