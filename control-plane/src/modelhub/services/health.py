"""Readiness of each dependency: database, Docker engine, Traefik."""

from __future__ import annotations

import asyncio
from typing import Any

import docker
import httpx

from modelhub.store.base import Store


async def _check(coro: Any, limit: float = 3.0) -> dict[str, str]:
    try:
        detail = await asyncio.wait_for(coro, limit)
    except TimeoutError:
        return {"status": "error", "detail": f"no answer within {limit:g} s"}
    except Exception as exc:
        return {"status": "error", "detail": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {"status": "ok", "detail": str(detail)}


async def _database(store: Store) -> str:
    await store.ping()
    return store.backend


def _docker_version() -> str:
    client = docker.from_env(timeout=3)
    try:
        return f"engine {client.version().get('Version', '?')}"
    finally:
        client.close()


async def _traefik(api_url: str) -> str:
    async with httpx.AsyncClient(timeout=2.0) as client:
        response = await client.get(f"{api_url}/ping")
        response.raise_for_status()
        return "ping ok"


async def readiness(store: Store, traefik_api_url: str) -> dict[str, dict[str, str]]:
    database, engine, proxy = await asyncio.gather(
        _check(_database(store)),
        _check(asyncio.to_thread(_docker_version)),
        _check(_traefik(traefik_api_url)),
    )
    return {"database": database, "docker": engine, "traefik": proxy}
