"""Prometheus metrics at /api/metrics follow what the hub does: a build queued and ready,
a demo launched (latency recorded), launched again while running, stopped — in process,
with the real Docker engine and a real Traefik."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from modelhub.main import create_app
from tests.api.conftest import api_settings
from tests.fixtures.bundles import hello_bundle, unique
from tests.fixtures.traefik import RunningTraefik, traefik  # noqa: F401

pytestmark = [pytest.mark.docker, pytest.mark.traefik]


def samples(text: str) -> dict[str, float]:
    """``name{label="v"}`` → value for every sample of the scrape."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()) if k != "le")
            if "le" in s.labels:
                continue
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


@pytest.fixture
async def hub_app(tmp_path: Path, traefik: RunningTraefik) -> AsyncIterator[FastAPI]:  # noqa: F811
    settings = api_settings(
        tmp_path,
        "sqlite",
        "",
        MODELHUB_ROUTES_DIR=str(traefik.routes_dir),
        MODELHUB_TRAEFIK_API_URL=traefik.api_url,
        MODELHUB_PROXY_URL=traefik.public_url,
        MODELHUB_INSTANCE=f"metrics-{uuid.uuid4().hex[:8]}",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def scrape(client: httpx.AsyncClient) -> dict[str, float]:
    r = await client.get("/api/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


async def test_metrics_follow_build_launch_and_stop(hub_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test", timeout=120) as c:
        before = await scrape(c)
        assert before["modelhub_running_demos"] == 0
        get = before.get

        name = unique("user").replace("-", "")
        creds = {"username": name, "email": f"{name}@example.com", "password": "pw-12345678"}
        assert (await c.post("/api/auth/register", json=creds)).status_code == 201
        login = await c.post(
            "/api/auth/login", json={"email": creds["email"], "password": creds["password"]}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        r = await c.post(
            "/api/projects/upload",
            headers=auth,
            data={"name": unique("Metrics"), "author_name": "Tester", "description": "m"},
            files={"file": ("b.zip", hello_bundle("Metrics demo"), "application/zip")},
        )
        assert r.status_code == 201, r.text
        pid = r.json()["project"]["id"]

        deadline = time.monotonic() + 600
        while (await c.get(f"/api/projects/{pid}")).json()["status"] in ("pending", "building"):
            assert time.monotonic() < deadline, "the build did not end in 10 minutes"
            await asyncio.sleep(0.5)
        assert (await c.get(f"/api/projects/{pid}")).json()["status"] == "ready"

        launched = await c.post(f"/api/demo/{pid}/launch")
        assert launched.status_code == 200, launched.text
        assert (await c.post(f"/api/demo/{pid}/launch")).status_code == 200

        during = await scrape(c)
        key = 'modelhub_builds_total{state="%s"}'
        assert during[key % "queued"] == get(key % "queued", 0) + 1
        assert during[key % "ready"] == get(key % "ready", 0) + 1
        lkey = 'modelhub_launches_total{result="%s"}'
        started = during[lkey % "started"] - get(lkey % "started", 0)
        again = during.get(lkey % "already_running", 0) - get(lkey % "already_running", 0)
        # the second launch finds the demo running (or, while Streamlit's container health
        # check is still "starting", adopts the same container): two launches either way
        assert started >= 1 and started + again == 2
        assert during.get(lkey % "failed", 0) == get(lkey % "failed", 0)
        count = "modelhub_launch_seconds_count"
        assert during[count] == get(count, 0) + started
        assert during["modelhub_launch_seconds_sum"] > get("modelhub_launch_seconds_sum", 0)
        assert during["modelhub_running_demos"] == 1

        # the request id: generated when absent, kept when sent
        r = await c.get("/api/metrics")
        assert len(r.headers["x-request-id"]) >= 16
        r = await c.get("/api/metrics", headers={"X-Request-Id": "trace-abc.123"})
        assert r.headers["x-request-id"] == "trace-abc.123"

        assert (await c.post(f"/api/demo/{pid}/stop", headers=auth)).status_code == 200
        after = await scrape(c)
        assert after["modelhub_running_demos"] == 0
        slug = launched.json()["demo_url"].rstrip("/").rsplit("/", 1)[-1]
        assert (await c.delete(f"/api/projects/{pid}", headers=auth)).status_code == 204
    client = docker.from_env()
    try:
        assert not client.images.list(name=f"modelhub-demo/{slug}")
    finally:
        client.close()
