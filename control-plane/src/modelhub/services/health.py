"""Readiness of each dependency: database, Docker engine, Traefik."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from modelhub.runtime.base import Runtime
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


async def _docker(runtime: Runtime) -> str:
    info = await runtime.engine_info()
    return f"engine {info.get('version', '?')}"


async def _traefik(api_url: str) -> str:
    async with httpx.AsyncClient(timeout=2.0) as client:
        response = await client.get(f"{api_url}/ping")
        response.raise_for_status()
        return "ping ok"


async def readiness(
    store: Store, runtime: Runtime, traefik_api_url: str
) -> dict[str, dict[str, str]]:
    database, engine, proxy = await asyncio.gather(
        _check(_database(store)),
        _check(_docker(runtime)),
        _check(_traefik(traefik_api_url)),
    )
    return {"database": database, "docker": engine, "traefik": proxy}
