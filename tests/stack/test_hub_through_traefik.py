"""The hub as `make run` starts it, used through Traefik's public port, on both databases."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from tests.fixtures.hub import RunningHub, start_hub


@pytest.fixture(params=["sqlite", "mongodb"])
def any_hub(request: pytest.FixtureRequest) -> RunningHub:
    name = "hub" if request.param == "sqlite" else "hub_mongo"
    hub: RunningHub = request.getfixturevalue(name)
    return hub


def test_readiness_reports_every_dependency_ok(any_hub: RunningHub) -> None:
    r = any_hub.client().get("/api/health/ready")
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert set(checks) == {"database", "docker", "traefik"}
    assert all(c["status"] == "ok" for c in checks.values()), checks


def test_register_login_me_logout_me_through_traefik(any_hub: RunningHub) -> None:
    c = any_hub.client()
    name = f"u{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.com"
    r = c.post(
        "/api/auth/register", json={"username": name, "email": email, "password": "pw-12345678"}
    )
    assert r.status_code == 201, r.text
    r = c.post("/api/auth/login", json={"email": email, "password": "pw-12345678"})
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert c.get("/api/auth/me", headers=auth).json()["username"] == name
    assert c.post("/api/auth/logout", headers=auth).status_code == 200
    assert c.get("/api/auth/me", headers=auth).status_code == 401


def test_request_id_comes_back_and_docs_are_served(any_hub: RunningHub) -> None:
    c = any_hub.client()
    r = c.get("/api/health", headers={"X-Request-Id": "trace-abc-123"})
    assert r.headers["x-request-id"] == "trace-abc-123"
    assert c.get("/api/docs").status_code == 200
    assert "/api/auth/login" in c.get("/api/openapi.json").json()["paths"]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_stops_everything_it_started(tmp_path: Path) -> None:
    hub = start_hub(tmp_path / "hub")
    assert _port_open(hub.public_port) and _port_open(hub.api_port)
    assert hub.interrupt() == 0
    assert not _port_open(hub.public_port)
    assert not _port_open(hub.api_port)
    assert "stopping control plane" in hub.log_tail() and "stopping traefik" in hub.log_tail()


def test_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = start_hub(tmp_path / "hub")
    secret_file = tmp_path / "hub" / "data" / "secrets" / "jwt_secret"
    secret = secret_file.read_text()
    assert len(secret) >= 32 and oct(secret_file.stat().st_mode)[-3:] == "600"
    first.interrupt()
    second = start_hub(tmp_path / "hub")
    second.interrupt()
    assert secret_file.read_text() == secret
