"""First-run smoke test of a freshly built demo image.

A throwaway container of the image (no network, memory-capped, removed afterwards) runs
templates/smoke_check.py: it reports the effective Python and Streamlit versions, runs
``pip check``, and executes the app once through ``streamlit.testing.v1.AppTest``.

* An exception raised by the app's script fails the build with its type, message, file
  and line (:class:`SmokeReport.failure`).
* Problems the creator may not be able to avoid in a sandbox become warnings instead: an
  exception that looks like a network access (the check runs with no network, the demo
  will have one), a first run slower than the limit, ``pip check`` complaints.

Blocking Docker calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import docker
import requests
from docker.errors import APIError, NotFound

SMOKE_MARK = "MODELHUB-SMOKE "
SMOKE_LABEL = "modelhub.smoke"

_NETWORK_HINTS = (
    "urlerror",
    "connectionerror",
    "connecterror",
    "gaierror",
    "name or service not known",
    "temporary failure in name resolution",
    "network is unreachable",
    "max retries exceeded",
    "httperror",
    "localentrynotfounderror",
    "offlinemodeisenabled",
)
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def smoke_script() -> str:
    return (resources.files("modelhub") / "templates" / "smoke_check.py").read_text()


@dataclass
class SmokeReport:
    """What the smoke test found. ``failure`` set means the build must fail."""

    info: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None
    output: list[str] = field(default_factory=list)


def _where(stack: list[str], workdir: str) -> str | None:
    """``file:line`` of the innermost frame inside the app's directory."""
    found: str | None = None
    for chunk in stack:
        for m in _FRAME.finditer(chunk):
            path = m.group("file")
            if path.startswith(workdir + "/"):
                found = f"{path[len(workdir) + 1 :]} line {m.group('line')}"
    return found


def interpret(payload: dict[str, Any], *, entry: str, workdir: str = "/app") -> SmokeReport:
    """Turn the smoke script's JSON into a report (pure; unit-testable)."""
    report = SmokeReport()
    for key in ("python_version", "streamlit_version"):
        if isinstance(payload.get(key), str):
            report.info[key] = payload[key]
    pip_check = payload.get("pip_check")
    if isinstance(pip_check, str) and pip_check:
        for line in pip_check.splitlines()[:20]:
            report.warnings.append(f"pip check: {line.strip()}")
    run_error = payload.get("run_error")
    if isinstance(run_error, str) and run_error:
        if "timed out" in run_error.lower():
            report.warnings.append(
                f"the first run of {entry} did not finish within the smoke-test limit "
                f"({run_error}); the demo may be slow to start"
            )
        elif "streamlit_version" not in report.info:
            report.failure = f"Streamlit cannot be imported in the image: {run_error}"
        else:
            report.warnings.append(f"the smoke test could not run {entry}: {run_error}")
    for exc in payload.get("exceptions") or []:
        if not isinstance(exc, dict):
            continue
        kind = str(exc.get("type") or "Exception")
        message = str(exc.get("message") or "").strip()
        stack = [str(s) for s in exc.get("stack") or []]
        where = _where(stack, workdir)
        described = f"{kind}: {message}" if message else kind
        if any(h in (kind + " " + message).lower() for h in _NETWORK_HINTS):
            report.warnings.append(
                f"on its first run (with no network) the app raised {described[:300]}; "
                "it may need network access at start-up"
            )
            continue
        if report.failure is None:
            at = f" at {where}" if where else f" in {entry}"
            report.failure = (
                f"The app raised {described[:500]}{at} on its first run. Fix the code (or "
                "add the missing package to requirements.txt) and upload again."
            )
    return report


def _parse(lines: list[str]) -> dict[str, Any] | None:
    for line in reversed(lines):
        if line.startswith(SMOKE_MARK):
            try:
                value = json.loads(line[len(SMOKE_MARK) :])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _run_blocking(
    client_factory: Callable[[], docker.DockerClient],
    image: str,
    entry: str,
    timeout_seconds: float,
    memory_limit: str,
) -> tuple[list[str], bool, int | None]:
    """(output lines, timed out?, exit code) of the smoke container."""
    client = client_factory()
    container = None
    try:
        container = client.containers.create(
            image,
            command=["python", "-c", smoke_script(), entry, str(max(1.0, timeout_seconds - 15))],
            network_mode="none",
            working_dir="/app",
            labels={SMOKE_LABEL: "1"},
            mem_limit=memory_limit,
            environment={"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
        )
        container.start()
        timed_out = False
        code: int | None = None
        try:
            status = container.wait(timeout=timeout_seconds)
            code = int(status.get("StatusCode", -1))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            with contextlib.suppress(APIError):
                container.kill()
        raw = container.logs(stdout=True, stderr=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return text.splitlines(), timed_out, code
    finally:
        if container is not None:
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)
        client.close()


async def run_smoke_test(
    client_factory: Callable[[], docker.DockerClient],
    image: str,
    entry: str,
    *,
    timeout_seconds: float,
    memory_limit: str = "2g",
) -> SmokeReport:
    """Run the image's app once in a sandbox and report versions, warnings and failure."""
    lines, timed_out, code = await asyncio.to_thread(
        _run_blocking, client_factory, image, entry, timeout_seconds, memory_limit
    )
    payload = _parse(lines)
    if payload is None:
        report = SmokeReport()
        tail = " / ".join(line.strip() for line in lines[-5:] if line.strip())[:500]
        if timed_out:
            report.warnings.append(
                f"the smoke test of {entry} did not finish within {timeout_seconds:.0f} s"
            )
        elif code == 137:
            report.warnings.append(
                f"the smoke test of {entry} ran out of memory ({memory_limit}) and was killed"
            )
        else:
            report.failure = (
                f"The image could not start Python for the smoke test (exit code {code}): "
                f"{tail or 'no output'}"
            )
    else:
        report = interpret(payload, entry=entry)
    report.output = [line for line in lines if not line.startswith(SMOKE_MARK)]
    return report
