"""The API in-process (httpx ASGI transport, lifespan run), on each database backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from modelhub.main import create_app
from modelhub.settings import Settings
from tests.fixtures.ferretdb import ferretdb_url  # noqa: F401


def api_settings(tmp_path: Path, backend: str, mongo_url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "MODELHUB_ENV": "test",
        "MODELHUB_DATA_DIR": str(tmp_path / "data"),
        "MODELHUB_ROUTES_DIR": str(tmp_path / "routes"),
        "JWT_SECRET_KEY": "k" * 64,
        # its own instance: reconciliation never touches another hub's demos on this engine
        "MODELHUB_INSTANCE": f"api-{uuid.uuid4().hex[:10]}",
        **extra,
    }
    if backend == "mongodb":
        values["MONGODB_URL"] = mongo_url
        values["DATABASE_NAME"] = f"api_{uuid.uuid4().hex[:12]}"
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "mongodb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    mongo_url = request.getfixturevalue("ferretdb_url") if backend == "mongodb" else ""
    return api_settings(tmp_path, backend, mongo_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c
