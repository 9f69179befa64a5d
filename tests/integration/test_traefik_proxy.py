"""Traefik as Model Hub runs it: the rendered static config and the hub's own routes.

Starts its own real Traefik (the shared session one has no hub routes) with the API and
web-app ports pointing at tiny loopback backends.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelhub.proxy.config import (
    access_log_path,
    render_hub_routes,
    render_traefik_static_text,
    traefik_api_address,
)
from modelhub.proxy.traefik_file import TraefikFileRouteTable
from tests.fixtures.http_backends import Backend, http_backends
from tests.fixtures.traefik import (
    RunningTraefik,
    TraefikStartError,
    start_traefik,
    traefik_settings,
)

pytestmark = pytest.mark.traefik


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningTraefik, dict[str, Backend]]]:
    with http_backends("api", "web", "demo") as backends:
        api_port = backends["api"].server.server_address[1]
        web_port = backends["web"].server.server_address[1]
        settings = traefik_settings(
            tmp_path_factory.mktemp("hub"), MODELHUB_API_PORT=api_port, MODELHUB_WEB_PORT=web_port
        )
        render_hub_routes(settings)
        try:
            running = start_traefik(settings)
        except TraefikStartError as exc:
            pytest.fail(f"Could not start Traefik: {exc}", pytrace=False)
        try:
            _wait_for_router(running.api_url, "hub-api@file")
            _wait_for_router(running.api_url, "hub-web@file")
            yield running, backends
        finally:
            running.stop()


def _wait_for_router(api_url: str, name: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(f"{api_url}/api/http/routers/{name}").status_code != 200:
        assert time.monotonic() < deadline, f"Traefik never loaded {name}"
        time.sleep(0.05)


def _who(running: RunningTraefik, path: str) -> str:
    response = httpx.get(f"{running.public_url}{path}", timeout=5.0)
    assert response.status_code == 200, (path, response.status_code)
    assert response.json()["path"] == path
    name: str = response.json()["name"]
    return name


def test_api_paths_go_to_the_control_plane_and_everything_else_to_the_web_app(
    hub: tuple[RunningTraefik, dict[str, Backend]],
) -> None:
    running, _ = hub
    for path in ("/api", "/api/", "/api/projects?limit=5", "/api/docs"):
        assert _who(running, path) == "api", path
    for path in ("/", "/login", "/projects/abc", "/apidocs", "/api-keys"):
        assert _who(running, path) == "web", path
    # a demo with no route falls to the control plane, which says the demo is not running
    assert _who(running, "/demos/sleeping/") == "api"
    assert _who(running, "/demos") == "api"


async def test_demo_routes_win_over_the_web_app(
    hub: tuple[RunningTraefik, dict[str, Backend]],
) -> None:
    running, backends = hub
    table = TraefikFileRouteTable(running.routes_dir, running.api_url)
    await table.add("live", backends["demo"].url)
    await table.confirm("live", 10)
    try:
        assert _who(running, "/demos/live/") == "demo"
        assert _who(running, "/demos/live") == "demo"
        assert _who(running, "/demos/live-2/") == "api"
        assert await table.list() == {"live": backends["demo"].url}  # _hub.yml is not a demo
    finally:
        await table.remove("live")
        await table.confirm_removed("live", 10)
    assert _who(running, "/demos/live/") == "api"


def test_requests_are_access_logged_as_json_and_counted_in_metrics(
    hub: tuple[RunningTraefik, dict[str, Backend]],
) -> None:
    running, _ = hub
    marker = f"/api/access-log-check-{time.monotonic_ns()}"
    assert _who(running, marker) == "api"
    log = access_log_path(running.settings)
    deadline = time.monotonic() + 5
    entries: list[dict[str, object]] = []
    while not any(e.get("RequestPath") == marker for e in entries):
        assert time.monotonic() < deadline, f"{marker} never reached {log}"
        time.sleep(0.05)
        if log.exists():
            entries = [json.loads(line) for line in log.read_text().splitlines() if line]
    entry = next(e for e in entries if e.get("RequestPath") == marker)
    assert entry["RouterName"] == "hub-api@file"
    assert entry["DownstreamStatus"] == 200

    metrics = httpx.get(f"{running.api_url}/metrics").text
    assert 'router="hub-api@file"' in metrics
    assert "traefik_entrypoint_requests_total" in metrics


def _outward_ipv4() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))  # no packet is sent for UDP connect
            address = str(s.getsockname()[0])
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.fail("this host has no non-loopback IPv4 address to test the bindings with")
    return address


def test_api_and_dashboard_listen_on_loopback_only_and_not_on_the_public_port(
    hub: tuple[RunningTraefik, dict[str, Backend]],
) -> None:
    running, _ = hub
    outward = _outward_ipv4()
    api_port = int(running.api_url.rsplit(":", 1)[1])
    assert httpx.get(f"{running.api_url}/ping").text == "OK"
    with pytest.raises(OSError):
        socket.create_connection((outward, api_port), timeout=2).close()
    # the public entrypoint listens on every interface
    assert httpx.get(f"http://{outward}:{running.settings.public_port}/").status_code == 200
    # Traefik's own API is not reachable through the public port (/api is the control plane)
    assert _who(running, "/api/rawdata") == "api"
    assert httpx.get(f"{running.public_url}/dashboard/").json()["name"] == "web"


def test_static_config_renders_the_settings(tmp_path: Path) -> None:
    settings = traefik_settings(
        tmp_path, MODELHUB_PUBLIC_PORT=18080, MODELHUB_TRAEFIK_API_URL="http://localhost:18081"
    )
    text = render_traefik_static_text(settings)
    assert 'address: ":18080"' in text
    assert 'address: "127.0.0.1:18081"' in text
    assert f'directory: "{settings.routes_dir}"' in text
    assert "providersThrottleDuration: 100ms" in text


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8081", "127.0.0.1:8081"),
        ("http://localhost:9000/", "127.0.0.1:9000"),
        ("http://[::1]:8081", "[::1]:8081"),
        ("http://traefik:8081", ":8081"),
    ],
)
def test_traefik_api_address(url: str, address: str) -> None:
    assert traefik_api_address(url) == address
