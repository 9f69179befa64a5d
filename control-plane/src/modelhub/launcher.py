"""`make run`: the local hub in the foreground — Traefik, the control plane, the web app.

Each child is a process of its own; Ctrl-C (SIGINT) or SIGTERM stops them in reverse order
and waits for them. The JWT secret, unless JWT_SECRET_KEY is set, is generated once and
kept in <data dir>/secrets/jwt_secret (mode 0600).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from modelhub.proxy.config import render_hub_routes, render_traefik_static, traefik_command
from modelhub.settings import Settings, get_settings


def ensure_jwt_secret(data_dir: Path) -> None:
    """Export a kept, generated JWT secret when the operator has set none."""
    if os.environ.get("JWT_SECRET_KEY"):
        return
    path = data_dir / "secrets" / "jwt_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    os.environ["JWT_SECRET_KEY"] = path.read_text().strip()


def control_plane_command(settings: Settings) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--factory", "modelhub.main:create_app",
        "--host", settings.api_host, "--port", str(settings.api_port),
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
        "--no-access-log", "--timeout-graceful-shutdown", "10",
    ]  # fmt: skip


def wait_until(url: str, timeout: float, proc: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with code {proc.returncode} while starting")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} did not answer at {url} within {timeout:g} s")


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class Stack:
    """Children started in order, stopped in reverse."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, cmd: list[str], cwd: Path | None = None) -> subprocess.Popen[bytes]:
        print(f"starting {name}: {' '.join(cmd)}", flush=True)
        proc = subprocess.Popen(cmd, cwd=cwd, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                print(f"stopping {name}", flush=True)
                # the whole process group: npx leaves next-server running otherwise
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait()
            _signal_group(proc, signal.SIGTERM)  # stragglers of an exited leader
        self.children.clear()

    def wait_any(self) -> tuple[str, int]:
        while True:
            for name, proc in self.children:
                code = proc.poll()
                if code is not None:
                    return name, code
            time.sleep(0.5)


def run(web_dir: Path | None = None) -> int:
    # where the data dir is, read before the secret exists (development skips its check)
    data_dir = Settings(MODELHUB_ENV="development").data_dir
    ensure_jwt_secret(data_dir)
    get_settings.cache_clear()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(settings.data_dir / "log")

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # both explicitly: a parent that started us in the background may have ignored SIGINT
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        static = render_traefik_static(settings)
        render_hub_routes(settings)
        traefik = stack.start("traefik", traefik_command(settings))
        wait_until(f"{settings.traefik_api_url}/ping", 30, traefik, "traefik")
        api = stack.start("control plane", control_plane_command(settings))
        wait_until(
            f"http://{settings.api_host}:{settings.api_port}/api/health", 60, api, "control plane"
        )
        if web_dir is not None and (web_dir / "package.json").exists():
            web = stack.start(
                "web app",
                [
                    "npx",
                    "--no-install",
                    "next",
                    "start",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(settings.web_port),
                ],
                cwd=web_dir,
            )
            wait_until(f"http://127.0.0.1:{settings.web_port}/", 60, web, "web app")
        print(
            f"\nModel Hub is up at http://localhost:{settings.public_port}"
            f" (API docs /api/docs, Traefik config {static}). Ctrl-C stops it.\n",
            flush=True,
        )
        name, code = stack.wait_any()
        print(f"{name} exited with code {code}; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nCtrl-C: stopping Model Hub", flush=True)
        return 0
    finally:
        stack.stop()
