"""The web app end to end in a real browser (Debian's Chromium driven by Playwright),
against the real stack through Traefik: the specs live in frontend/e2e/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.hub import REPO, RunningHub, start_hub

FRONTEND = REPO / "frontend"
SCREENSHOTS = FRONTEND / "e2e" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def web_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    if not (FRONTEND / ".next" / "BUILD_ID").exists():
        pytest.fail("the web app is not built: run `make web` (make test does)")
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run infra/bootstrap/apt-packages.sh")
    hub = start_hub(tmp_path_factory.mktemp("hub-web"), web_dir=FRONTEND)
    yield hub
    hub.interrupt()


def test_the_web_app_is_served_at_the_root_through_traefik(web_hub: RunningHub) -> None:
    page = httpx.get(f"{web_hub.url}/", timeout=30)
    assert page.status_code == 200 and "Model Hub" in page.text
    assert httpx.get(f"{web_hub.url}/api/health", timeout=10).json() == {"status": "ok"}


def test_playwright_e2e_suite_passes_in_chromium(web_hub: RunningHub) -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    env = {**os.environ, "BASE_URL": web_hub.url, "CHROMIUM_PATH": str(CHROMIUM), "CI": "true"}
    result = subprocess.run(
        ["npx", "--no-install", "playwright", "test"],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    shots = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    # every page of the app was seen (and saved for a person to look at)
    for page in ("landing", "gallery", "upload", "model", "login", "register", "my-projects"):
        assert any(page in name for name in shots), (page, shots)
