"""The app factory: ``uvicorn --factory modelhub.main:create_app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from modelhub import metrics
from modelhub.api.routes import auth, demo, health, projects
from modelhub.builder import create_builder
from modelhub.errors import install_error_handlers
from modelhub.logging_setup import configure_logging
from modelhub.models import utcnow
from modelhub.proxy.traefik_file import TraefikFileRouteTable
from modelhub.request_context import RequestContextMiddleware
from modelhub.runtime import get_runtime
from modelhub.services.container import Services
from modelhub.settings import Settings, get_settings
from modelhub.storage import create_storage
from modelhub.store import create_store

log = logging.getLogger("modelhub")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = create_store(settings)
        await store.connect()
        await store.purge_expired_revocations(utcnow())
        services = Services.build(
            settings,
            store=store,
            storage=create_storage(settings),
            builder=create_builder(settings),
            runtime=get_runtime(settings),
            routes=TraefikFileRouteTable(settings.routes_dir, settings.traefik_api_url),
        )
        app.state.services = services
        await services.builds.start()
        await services.demos.start_reconciler()
        log.info("control plane started", extra={"database": store.backend})
        try:
            yield
        finally:
            await services.demos.stop_reconciler()
            await services.builds.stop()
            await services.runtime.close()
            await store.close()
            log.info("control plane stopped")

    app = FastAPI(
        title="Model Hub API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(app)

    api = APIRouter(prefix="/api")
    api.include_router(health.router)
    api.include_router(auth.router)
    api.include_router(projects.router)
    api.include_router(demo.router)
    api.include_router(metrics.router)
    app.include_router(api)
    app.include_router(demo.not_running_router)

    app.add_middleware(RequestContextMiddleware)
    return app
