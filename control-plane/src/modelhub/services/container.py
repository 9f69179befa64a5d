"""The long-lived objects of one control-plane process, built in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from modelhub.builder.base import Builder
from modelhub.proxy.route_table import RouteTable
from modelhub.runtime.base import Runtime
from modelhub.services.auth import AuthService
from modelhub.services.builds import BuildService
from modelhub.services.demos import DemoService
from modelhub.services.project_records import ProjectRecords
from modelhub.services.projects import ProjectService
from modelhub.settings import Settings
from modelhub.storage.base import Storage
from modelhub.store.base import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    storage: Storage
    builder: Builder
    runtime: Runtime
    routes: RouteTable
    auth: AuthService
    projects: ProjectService
    builds: BuildService
    demos: DemoService

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        storage: Storage,
        builder: Builder,
        runtime: Runtime,
        routes: RouteTable,
    ) -> Services:
        records = ProjectRecords(store)
        projects = ProjectService(settings, store, storage)
        demos = DemoService(settings, store, runtime, routes, records)
        projects.before_delete.append(demos.remove_everything)
        return cls(
            settings=settings,
            store=store,
            storage=storage,
            builder=builder,
            runtime=runtime,
            routes=routes,
            auth=AuthService(settings, store),
            projects=projects,
            builds=BuildService(settings, store, storage, builder, records),
            demos=demos,
        )
