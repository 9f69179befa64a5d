"""Prometheus metrics of the control plane, served at ``GET /api/metrics`` (text format).

* ``modelhub_builds_total{state}``: builds queued, and builds that ended ``ready`` or
  ``failed``.
* ``modelhub_launches_total{result}``: demo launches that ``started`` a container, found the
  demo ``already_running``, or ``failed``.
* ``modelhub_launch_seconds``: histogram of the time from launch request to a healthy demo.
* ``modelhub_running_demos``: demos the store records as running, counted at scrape time
  (the store is the truth, so the figure survives restarts).

The metrics live in one registry of this module (not the process-wide default one), so
the scrape shows the hub's figures only. Traefik's own metrics are on its loopback
``traefik`` entrypoint at ``/metrics``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from modelhub.models import DemoState

REGISTRY = CollectorRegistry(auto_describe=True)

BUILDS = Counter(
    "modelhub_builds", "Builds by state: queued, ready, failed", ["state"], registry=REGISTRY
)
LAUNCHES = Counter(
    "modelhub_launches",
    "Demo launches by result: started, already_running, failed",
    ["result"],
    registry=REGISTRY,
)
LAUNCH_SECONDS = Histogram(
    "modelhub_launch_seconds",
    "Seconds from a launch request to a healthy demo (started launches only)",
    buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120),
    registry=REGISTRY,
)
RUNNING_DEMOS = Gauge(
    "modelhub_running_demos", "Demos recorded as running in the store", registry=REGISTRY
)


def build_event(state: str) -> None:
    """Count a build that was queued or ended (``ready`` / ``failed``)."""
    BUILDS.labels(state=state).inc()


def launch_event(result: str, seconds: float | None = None) -> None:
    """Count a launch; a ``started`` launch also records its duration."""
    LAUNCHES.labels(result=result).inc()
    if result == "started" and seconds is not None:
        LAUNCH_SECONDS.observe(seconds)


router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=True, summary="Prometheus metrics (text format)")
async def metrics(request: Request) -> Response:
    services = getattr(request.app.state, "services", None)
    if services is not None:
        projects = await services.store.list_all_projects()
        RUNNING_DEMOS.set(sum(1 for p in projects if p.demo.state == DemoState.RUNNING))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
