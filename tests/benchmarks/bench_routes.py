"""Route pick-up time: from RouteTable.add() returning to the first 200 through Traefik.

Starts a real Traefik on free ports and one loopback backend, then for each run adds a
route for a new slug, polls ``/demos/<slug>/`` through the public port every 5 ms until it
answers 200, and removes the route. Also times ``confirm()``. Prints p50/p95/max.

    .venv/bin/python -m tests.benchmarks.bench_routes [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from modelhub.proxy.traefik_file import TraefikFileRouteTable
from tests.fixtures.http_backends import http_backends
from tests.fixtures.traefik import start_traefik, traefik_settings

POLL = 0.005
TIMEOUT = 10.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<28} n={len(ms)}  p50={percentile(ms, 0.50):7.1f} ms  "
        f"p95={percentile(ms, 0.95):7.1f} ms  max={max(ms):7.1f} ms  "
        f"mean={statistics.fmean(ms):7.1f} ms"
    )


async def measure(runs: int, public_url: str, table: TraefikFileRouteTable, target: str) -> None:
    pickup: list[float] = []
    confirm: list[float] = []
    async with httpx.AsyncClient(base_url=public_url, timeout=2.0) as client:
        for run in range(runs):
            slug = f"bench-{run}"
            await table.add(slug, target)
            start = time.perf_counter()
            while (await client.get(f"/demos/{slug}/")).status_code != 200:
                if time.perf_counter() - start > TIMEOUT:
                    raise SystemExit(f"route {slug} not served after {TIMEOUT}s")
                await asyncio.sleep(POLL)
            pickup.append(time.perf_counter() - start)

            await table.remove(slug)
            await table.confirm_removed(slug, TIMEOUT)
            await table.add(slug, target)
            start = time.perf_counter()
            await table.confirm(slug, TIMEOUT)
            confirm.append(time.perf_counter() - start)
            await table.remove(slug)
            await table.confirm_removed(slug, TIMEOUT)
    print(summary("add -> first 200 (public)", pickup))
    print(summary("add -> confirm() returns", confirm))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-routes-") as tmp, http_backends("b") as b:
        running = start_traefik(traefik_settings(Path(tmp)))
        try:
            table = TraefikFileRouteTable(running.routes_dir, running.api_url)
            asyncio.run(measure(args.runs, running.public_url, table, b["b"].url))
        finally:
            running.stop()


if __name__ == "__main__":
    main()
