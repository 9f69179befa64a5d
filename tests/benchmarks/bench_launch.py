"""Launch and rebuild of a built demo against the real hub (Docker, Traefik, Streamlit).

Starts the hub (``modelhub run``) in a temp dir, uploads a small hello bundle and waits
for its build; then

* RUNS times: ``POST /api/demo/<id>/launch`` (it returns once ``/_stcore/health`` answers
  ok through Traefik), a check that the health answers ok, then ``POST .../stop``. Printed:
  the launch call as the client sees it, the control plane's own ``launch_seconds``, and
  the parts read from the engine: call -> container started (create + start), container
  started -> Streamlit listening (its first log line), Streamlit listening -> call returned
  (route confirmed, health polled through Traefik, state saved);
* REBUILDS times: ``POST /api/projects/<id>/rebuild`` with the same bundle and
  requirements, following the build log (SSE) to its end event; split at the smoke test's
  first log line (docker build from cache | the first-run smoke test).

Goals on the 2-core reference machine: launch p50 <= 1.5 s, rebuild <= 2 s. Route pick-up
(Traefik's file provider) is measured by ``tests.benchmarks.bench_routes``. Prints
figures; asserts nothing.

    .venv/bin/python -m tests.benchmarks.bench_launch [--runs 10] [--rebuilds 3]
        [--requirements 'six==1.17.0']
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import httpx

from tests.fixtures.bundles import hello_bundle, register_and_login, unique, upload
from tests.fixtures.hub import RunningHub, start_hub

LAUNCH_GOAL = 1.5
REBUILD_GOAL = 2.0
LISTENING_MARKS = ("server started", "You can now view")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, seconds: list[float], goal: float | None = None) -> str:
    if not seconds:
        return f"  {name:<44} not measured"
    text = (
        f"  {name:<44} n={len(seconds):<3} p50={statistics.median(seconds):6.2f} s  "
        f"p95={percentile(seconds, 0.95):6.2f} s  min={min(seconds):6.2f} s  "
        f"max={max(seconds):6.2f} s"
    )
    if goal is not None:
        verdict = "met" if statistics.median(seconds) <= goal else "MISSED"
        text += f"   goal p50 <= {goal:g} s: {verdict}"
    return text


def docker_time(value: str) -> float:
    """Epoch seconds of a Docker RFC 3339 timestamp with nanoseconds."""
    value = value.strip().replace("Z", "+00:00")
    head, _, rest = value.partition(".")
    if rest:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        value = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(value).timestamp()


# --- build and rebuild -------------------------------------------------------------------------
@dataclass
class BuildTiming:
    state: str
    seconds: float  # request (or upload) -> end event
    smoke_at: float | None  # request -> the smoke test's first log line
    reason: str | None


def follow_build(client: httpx.Client, project_id: str, build_id: str, began: float) -> BuildTiming:
    """Follow the build's SSE log to its end event, noting when the smoke test begins."""
    smoke_at: float | None = None
    event = ""
    end: dict[str, Any] = {}
    with client.stream(
        "GET",
        f"/api/projects/{project_id}/build/logs",
        params={"build_id": build_id},
        timeout=httpx.Timeout(900.0),
    ) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "log" and smoke_at is None and line[6:].startswith("Step smoke"):
                    smoke_at = time.perf_counter() - began
                elif event == "end":
                    end = json.loads(line[6:])
                    break
    return BuildTiming(
        state=str(end.get("state", "unknown")),
        seconds=time.perf_counter() - began,
        smoke_at=smoke_at,
        reason=end.get("reason"),
    )


def server_build_seconds(client: httpx.Client, project_id: str) -> float | None:
    build = client.get(f"/api/projects/{project_id}").json().get("build") or {}
    if build.get("started_at") and build.get("finished_at"):
        started = datetime.fromisoformat(build["started_at"])
        return (datetime.fromisoformat(build["finished_at"]) - started).total_seconds()
    return None


def rebuilds(client: httpx.Client, auth: dict[str, str], project_id: str, count: int) -> None:
    total: list[float] = []
    docker_part: list[float] = []
    smoke_part: list[float] = []
    server: list[float] = []
    for run in range(count):
        began = time.perf_counter()
        response = client.post(f"/api/projects/{project_id}/rebuild", headers=auth)
        if response.status_code != 202:
            print(f"  rebuild {run + 1}: HTTP {response.status_code} {response.text[:300]}")
            return
        timing = follow_build(client, project_id, response.json()["id"], began)
        if timing.state != "ready":
            print(f"  rebuild {run + 1}: {timing.state}: {timing.reason}")
            return
        total.append(timing.seconds)
        if timing.smoke_at is not None:
            docker_part.append(timing.smoke_at)
            smoke_part.append(timing.seconds - timing.smoke_at)
        seconds = server_build_seconds(client, project_id)
        if seconds is not None:
            server.append(seconds)
    print(f"rebuild, unchanged bundle and requirements (x{count}, followed over SSE):")
    print(summary("request -> end event", total, REBUILD_GOAL))
    print(summary("  of which request -> smoke test starts", docker_part))
    print(summary("  of which smoke test", smoke_part))
    print(summary("build started -> finished (server)", server))


# --- launch ------------------------------------------------------------------------------------
@dataclass
class LaunchTiming:
    api: float  # the launch call, client side
    server: float | None  # launch_seconds reported by the control plane
    to_started: float | None  # call sent -> container State.StartedAt
    created_to_started: float | None
    started_to_listening: float | None  # container started -> Streamlit's first log line
    listening_to_return: float | None  # Streamlit listening -> the call returned


def container_times(engine: docker.DockerClient, project_id: str) -> tuple[float, float, float]:
    """(created, started, Streamlit listening) as epoch seconds, from the engine."""
    found = engine.containers.list(filters={"label": f"modelhub.project={project_id}"})
    if len(found) != 1:
        raise RuntimeError(f"expected one running container, found {len(found)}")
    container = found[0]
    created = docker_time(container.attrs["Created"])
    started = docker_time(container.attrs["State"]["StartedAt"])
    logs = container.logs(timestamps=True, stdout=True, stderr=True).decode(errors="replace")
    listening = None
    for line in logs.splitlines():
        stamp, _, text = line.partition(" ")
        if any(mark in text for mark in LISTENING_MARKS):
            listening = docker_time(stamp)
            break
    if listening is None:
        raise RuntimeError("Streamlit's start line is not in the container's log")
    return created, started, listening


def launch_once(
    client: httpx.Client,
    auth: dict[str, str],
    engine: docker.DockerClient,
    project_id: str,
    slug: str,
) -> tuple[LaunchTiming, float]:
    wall = time.time()
    began = time.perf_counter()
    response = client.post(f"/api/demo/{project_id}/launch")
    api = time.perf_counter() - began
    returned_wall = wall + api
    body = response.json()
    if response.status_code != 200 or body.get("status") != "running":
        raise RuntimeError(f"launch failed: HTTP {response.status_code} {response.text[:300]}")
    health = client.get(f"/demos/{slug}/_stcore/health")
    if health.status_code != 200 or health.text != "ok":
        raise RuntimeError(f"health through Traefik: HTTP {health.status_code} {health.text!r}")
    try:
        created, started, listening = container_times(engine, project_id)
        timing = LaunchTiming(
            api=api,
            server=body.get("launch_seconds"),
            to_started=started - wall,
            created_to_started=started - created,
            started_to_listening=listening - started,
            listening_to_return=returned_wall - listening,
        )
    except RuntimeError as exc:
        print(f"  (engine timings unavailable: {exc})")
        timing = LaunchTiming(api, body.get("launch_seconds"), None, None, None, None)
    began = time.perf_counter()
    stopped = client.post(f"/api/demo/{project_id}/stop", headers=auth)
    stop = time.perf_counter() - began
    if stopped.status_code != 200:
        raise RuntimeError(f"stop failed: HTTP {stopped.status_code} {stopped.text[:300]}")
    return timing, stop


def launches(
    client: httpx.Client, auth: dict[str, str], project_id: str, slug: str, runs: int
) -> None:
    engine = docker.from_env()
    timings: list[LaunchTiming] = []
    stops: list[float] = []
    try:
        for _ in range(runs):
            timing, stop = launch_once(client, auth, engine, project_id, slug)
            timings.append(timing)
            stops.append(stop)
    finally:
        engine.close()

    def column(name: str) -> list[float]:
        return [v for t in timings if (v := getattr(t, name)) is not None]

    print(f"launch of a built demo -> health ok through Traefik (x{runs}, stop between):")
    print("  runs: " + " ".join(f"{t.api:.2f}" for t in timings) + " s")
    print(summary("launch API call (client)", column("api"), LAUNCH_GOAL))
    print(summary("launch_seconds (control plane)", column("server")))
    print(summary("  call -> container started", column("to_started")))
    print(summary("    of which create -> started", column("created_to_started")))
    print(summary("  container started -> Streamlit listening", column("started_to_listening")))
    print(summary("  Streamlit listening -> call returns", column("listening_to_return")))
    started_to_return = [
        t.started_to_listening + t.listening_to_return
        for t in timings
        if t.started_to_listening is not None and t.listening_to_return is not None
    ]
    print(summary("  container started -> health ok, returned", started_to_return))
    print(summary("stop API call", stops))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rebuilds", type=int, default=3)
    parser.add_argument(
        "--requirements",
        default="six==1.17.0",
        help="requirements.txt of the bundle (a small package: the rebuilds reuse its layer)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-launch-") as tmp:
        hub: RunningHub = start_hub(Path(tmp) / "hub")
        project_id = ""
        auth: dict[str, str] = {}
        client = hub.client()
        client.timeout = httpx.Timeout(300.0)
        try:
            auth = register_and_login(client)
            began = time.perf_counter()
            bundle = hello_bundle("Launch bench", requirements=args.requirements + "\n")
            response = upload(client, auth, bundle, name=unique("Launch bench"))
            if response.status_code != 201:
                raise SystemExit(f"upload failed: HTTP {response.status_code} {response.text}")
            project = response.json()["project"]
            project_id, slug = project["id"], project["slug"]
            build_id = client.get(f"/api/projects/{project_id}").json()["build"]["id"]
            first = follow_build(client, project_id, build_id, began)
            print(
                f"first build (upload -> ready, requirements {args.requirements!r}): "
                f"{first.state} in {first.seconds:.1f} s"
                + (
                    f" (smoke test {first.seconds - first.smoke_at:.1f} s)"
                    if first.smoke_at
                    else ""
                )
            )
            if first.state != "ready":
                raise SystemExit(f"the build failed: {first.reason}\n{hub.log_tail()}")
            launches(client, auth, project_id, slug, args.runs)
            rebuilds(client, auth, project_id, args.rebuilds)
            print("route pick-up (Traefik file provider): see tests.benchmarks.bench_routes")
        finally:
            if project_id and auth:
                client.delete(f"/api/projects/{project_id}", headers=auth)
            hub.interrupt()


if __name__ == "__main__":
    main()
