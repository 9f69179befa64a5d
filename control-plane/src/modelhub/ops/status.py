"""What an operator asks first: is everything up, and what is running."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from modelhub.models import DemoState
from modelhub.ops.session import connected_store
from modelhub.runtime.base import ManagedContainer
from modelhub.runtime.docker_runtime import DockerRuntime
from modelhub.services.health import readiness
from modelhub.settings import Settings


async def _hub_health(settings: Settings) -> dict[str, str]:
    url = f"{settings.proxy_url}/api/health"
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(url)
        state = "ok" if response.status_code == 200 else "error"
        return {"status": state, "detail": f"{url}: HTTP {response.status_code}"}
    except httpx.HTTPError as exc:
        return {"status": "error", "detail": f"{url}: {exc.__class__.__name__}"}


async def managed_containers(settings: Settings) -> list[ManagedContainer]:
    runtime = DockerRuntime(settings)
    try:
        return await runtime.list_managed()
    finally:
        await runtime.close()


async def status(settings: Settings) -> dict[str, Any]:
    """Settings in use, each dependency's health, and counts of projects and demos."""
    runtime = DockerRuntime(settings)
    try:
        async with connected_store(settings) as store:
            checks = await readiness(store, runtime, settings.traefik_api_url)
            projects = await store.list_all_projects()
        checks["hub"] = await _hub_health(settings)
        try:
            containers = await runtime.list_managed()
        except Exception as exc:  # the docker check above already says why
            containers = []
            checks["docker"].setdefault("detail", str(exc))
    finally:
        await runtime.close()
    return {
        "instance": settings.instance,
        "database": settings.database_backend,
        "storage": settings.storage_backend,
        "data_dir": str(settings.data_dir),
        "public_url": settings.demo_base_url,
        "checks": checks,
        "projects": len(projects),
        "projects_by_status": dict(Counter(p.status for p in projects)),
        "demos_running": sum(1 for p in projects if p.demo.state == DemoState.RUNNING),
        "demo_containers": len(containers),
    }
