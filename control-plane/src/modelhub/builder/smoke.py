"""First-run smoke test of a freshly built demo image.

A throwaway container of the image (no network, memory-capped, removed afterwards) runs
templates/smoke_check.py: it reports the effective Python and Streamlit versions, runs
``pip check``, and executes the app once through ``streamlit.testing.v1.AppTest`` (then
each page of a multipage app, ``pages/*.py`` beside the entry, while time is left).

* An exception raised by the entry script fails the build with its type, message, file
  and line (:class:`SmokeReport.failure`), its traceback in :attr:`SmokeReport.trace`.
  Only the first run is simulated: code behind a button does not run.
* An exception raised by a page is a warning (a page run alone lacks the state the entry
  page may set up).
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
    """What the smoke test found. ``failure`` set means the build must fail.

    ``trace`` holds the traceback of the failure (for the build log); ``notes`` what was
    checked (log lines); ``output`` what the app printed.
    """

    info: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None
    trace: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)


def _frames(stack: list[str], workdir: str) -> list[tuple[str, str]]:
    """(path relative to the app's directory, line) of each frame inside it, outermost first."""
    found: list[tuple[str, str]] = []
    for chunk in stack:
        for m in _FRAME.finditer(chunk):
            path = m.group("file")
            if path.startswith(workdir + "/"):
                found.append((path[len(workdir) + 1 :], m.group("line")))
    return found


def _where(stack: list[str], workdir: str, script: str | None = None) -> str | None:
    """``file line N`` of the innermost frame inside the app's directory, and the line of
    ``script`` that led there when the innermost frame is in another file."""
    frames = _frames(stack, workdir)
    if not frames:
        return None
    path, line = frames[-1]
    where = f"{path} line {line}"
    if script is not None and path != script:
        calls = [ln for p, ln in frames if p == script]
        if calls:
            where += f" (called from {script} line {calls[-1]})"
    return where


def _traceback(kind: str, message: str, stack: list[str]) -> list[str]:
    lines = ["Traceback (most recent call last):"]
    for chunk in stack:
        first, *code = chunk.rstrip("\n").splitlines() or [""]
        lines.append("  " + first.strip())
        lines.extend(code)
    lines.append(f"{kind}: {message}" if message else kind)
    return lines


def _looks_like_network(kind: str, message: str) -> bool:
    return any(h in (kind + " " + message).lower() for h in _NETWORK_HINTS)


def _advice(kind: str) -> str:
    if kind in ("ModuleNotFoundError", "ImportError"):
        return "Add the missing package to requirements.txt and upload again."
    if kind in ("FileNotFoundError", "IsADirectoryError", "NotADirectoryError"):
        return (
            "Check that the file is in the bundle (paths are relative to the project "
            "folder), fix the code and upload again."
        )
    return "Fix the code and upload again."


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
        where = _where(stack, workdir, entry)
        described = f"{kind}: {message}" if message else kind
        if _looks_like_network(kind, message):
            report.warnings.append(
                f"on its first run (with no network) the app raised {described[:300]}; "
                "it may need network access at start-up"
            )
            continue
        if report.failure is None:
            at = f" at {where}" if where else f" in {entry}"
            report.failure = (
                f"The app raised {described[:500]}{at} on its first run. {_advice(kind)}"
            )
            report.trace = _traceback(kind, message, stack)
    _pages(payload, report, workdir)
    return report


def _pages(payload: dict[str, Any], report: SmokeReport, workdir: str) -> None:
    """Pages of a multipage app: their exceptions are warnings (a page may rely on state
    that the entry page sets, which a run of the page alone does not have)."""
    checked = [str(p) for p in payload.get("pages_checked") or []]
    failed: set[str] = set()
    for exc in payload.get("page_exceptions") or []:
        if not isinstance(exc, dict):
            continue
        page = str(exc.get("page") or "a page")
        kind = str(exc.get("type") or "Exception")
        message = str(exc.get("message") or "").strip()
        stack = [str(s) for s in exc.get("stack") or []]
        described = f"{kind}: {message}" if message else kind
        if "timed out" in message.lower():
            report.warnings.append(f"the first run of page {page} did not finish in time")
            continue
        failed.add(page)
        where = _where(stack, workdir, page)
        at = f" at {where}" if where else ""
        hint = (
            " (with no network; it may need network access)"
            if _looks_like_network(kind, message)
            else ""
        )
        report.warnings.append(
            f"page {page} raised {described[:300]}{at} on its first run{hint}; visitors of "
            "that page will see the error"
        )
    for page in checked:
        if page not in failed:
            report.notes.append(f"smoke test: page {page} ran without errors")
    skipped = payload.get("pages_skipped")
    if isinstance(skipped, int) and skipped:
        report.warnings.append(f"{skipped} page(s) were not run: the smoke test ran out of time")


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
    run_app: bool,
) -> tuple[list[str], bool, int | None]:
    """(output lines, timed out?, exit code) of the smoke container."""
    client = client_factory()
    container = None
    try:
        container = client.containers.create(
            image,
            command=[
                "python",
                "-c",
                smoke_script(),
                entry,
                str(max(1.0, timeout_seconds - 15)),
                "run" if run_app else "norun",
            ],
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
    run_app: bool = True,
) -> SmokeReport:
    """Run the image's app once in a sandbox and report versions, warnings and failure.

    With ``run_app=False`` only the versions and ``pip check`` are reported.
    """
    lines, timed_out, code = await asyncio.to_thread(
        _run_blocking, client_factory, image, entry, timeout_seconds, memory_limit, run_app
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
