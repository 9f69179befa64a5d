"""First-run check of a built demo image, run by modelhub.builder.smoke in a throwaway
container (no network): ``python -c <this file> <entry> <timeout seconds>``, from /app.

Prints one line ``MODELHUB-SMOKE {json}`` with the Python and Streamlit versions, the
output of ``pip check`` when it finds problems, and the exceptions of one simulated run of
the app through ``streamlit.testing.v1.AppTest`` (type, message, stack trace).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from typing import Any


def main(argv: list[str]) -> None:
    entry, timeout = argv[1], float(argv[2])
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
    try:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(os.path.abspath(entry), default_timeout=timeout).run()
        for exc in at.exception:
            proto = exc.proto
            out["exceptions"].append(
                {
                    "type": str(getattr(proto, "type", "") or "Exception"),
                    "message": str(getattr(proto, "message", "")),
                    "stack": [str(s) for s in getattr(proto, "stack_trace", [])],
                }
            )
    except Exception as e:
        out["run_error"] = f"{type(e).__name__}: {e}"
    print("MODELHUB-SMOKE " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)
