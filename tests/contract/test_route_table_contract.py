"""The RouteTable contract, run against every implementation through a REAL Traefik.

Add an implementation by adding a param to the ``harness`` fixture: a way to make a fresh
instance over the same durable state, and a way to list what that state holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve

from modelhub.errors import InvalidInput, NotFound, Unavailable
from modelhub.proxy.route_table import RouteTable
from modelhub.proxy.traefik_file import TraefikFileRouteTable
from tests.fixtures.http_backends import Backend, http_backends
from tests.fixtures.traefik import RunningTraefik, free_port, traefik  # noqa: F401

pytestmark = pytest.mark.traefik

CONFIRM = 10.0  # seconds; Traefik applies a file change in ~100-300 ms here

INVALID_SLUGS = [
    "",
    "X",
    "Demo",
    "-x",
    "../x",
    "x/../../etc",
    "a`b",
    "a b",
    "x\n",
    "x.yml",
    "_hub",
    "café",
    "a" * 64,
    "x{{ .Env }}",
]
INVALID_TARGETS = [
    "",
    "localhost:8501",
    "ftp://127.0.0.1:21",
    "http://127.0.0.1:8501/some/path",
    "http://127.0.0.1:8501?x=1",
    "http://user:pw@127.0.0.1:8501",
    "http://127.0.0.1:99999",
    "http://evil`host:80",
    "http://host:80\n  injected: true",
]


@dataclass
class Harness:
    """One RouteTable implementation wired to the running Traefik."""

    name: str
    make: Callable[[], RouteTable]  # a new instance over the same durable state ("restart")
    stored: Callable[[], set[str]]  # what the durable state holds, by name
    public_url: str


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    with http_backends("x", "x-2", "other") as started:
        yield started


@pytest.fixture(params=["traefik-file"])
async def harness(
    request: pytest.FixtureRequest,
    traefik: RunningTraefik,  # noqa: F811
) -> AsyncIterator[Harness]:
    if request.param == "traefik-file":
        routes_dir = traefik.routes_dir
        h = Harness(
            name="traefik-file",
            make=lambda: TraefikFileRouteTable(routes_dir, traefik.api_url),
            stored=lambda: {p.name for p in routes_dir.iterdir()},
            public_url=traefik.public_url,
        )
    else:  # pragma: no cover - one per implementation
        raise AssertionError(request.param)
    yield h
    # leave the proxy empty for the next test
    table = h.make()
    for slug in await table.list():
        await table.remove(slug)
        await table.confirm_removed(slug, CONFIRM)


async def get(h: Harness, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=h.public_url, timeout=5.0) as client:
        return await client.get(path, **kw)


async def seen_by(h: Harness, path: str) -> dict[str, Any]:
    response = await get(h, path)
    assert response.status_code == 200, (path, response.status_code, response.text[:200])
    seen: dict[str, Any] = response.json()
    return seen


async def test_routes_serve_exactly_their_prefix_with_the_path_unchanged(
    harness: Harness, backends: dict[str, Backend]
) -> None:
    table = harness.make()
    await table.add("x", backends["x"].url)
    await table.add("x-2", backends["x-2"].url)
    await table.confirm("x", CONFIRM)
    await table.confirm("x-2", CONFIRM)

    assert await seen_by(harness, "/demos/x/") == {
        "name": "x",
        "path": "/demos/x/",
        "host": f"127.0.0.1:{harness.public_url.rsplit(':', 1)[1]}",
    }
    assert (await seen_by(harness, "/demos/x/foo?q=1"))["path"] == "/demos/x/foo?q=1"
    assert (await seen_by(harness, "/demos/x/_stcore/health"))["name"] == "x"
    bare = await seen_by(harness, "/demos/x")
    assert (bare["name"], bare["path"]) == ("x", "/demos/x")
    # x-2 is its own demo, never a sub-path of x
    assert (await seen_by(harness, "/demos/x-2/"))["name"] == "x-2"
    assert (await seen_by(harness, "/demos/x-2"))["name"] == "x-2"
    # no route, no demo
    for path in ("/demos/y/", "/demos/xy", "/demos/x-", "/demos/", "/x/"):
        assert (await get(harness, path)).status_code == 404, path


async def test_host_header_reaches_the_demo(harness: Harness, backends: dict[str, Backend]) -> None:
    table = harness.make()
    await table.add("x", backends["x"].url)
    await table.confirm("x", CONFIRM)
    response = await get(harness, "/demos/x/", headers={"Host": "hub.example.org"})
    assert response.json()["host"] == "hub.example.org"


async def test_add_again_moves_the_route_to_the_new_target(
    harness: Harness, backends: dict[str, Backend]
) -> None:
    table = harness.make()
    await table.add("x", backends["x"].url)
    await table.confirm("x", CONFIRM)
    await table.add("x", backends["other"].url)
    await table.confirm("x", CONFIRM)
    assert (await seen_by(harness, "/demos/x/"))["name"] == "other"
    assert await table.list() == {"x": backends["other"].url}


async def test_remove_stops_serving_and_is_idempotent(
    harness: Harness, backends: dict[str, Backend]
) -> None:
    table = harness.make()
    await table.add("x", backends["x"].url)
    await table.add("x-2", backends["x-2"].url)
    await table.confirm("x", CONFIRM)
    await table.confirm("x-2", CONFIRM)

    await table.remove("x")
    await table.confirm_removed("x", CONFIRM)
    assert (await get(harness, "/demos/x/")).status_code == 404
    assert (await seen_by(harness, "/demos/x-2/"))["name"] == "x-2"  # untouched
    assert await table.list() == {"x-2": backends["x-2"].url}

    await table.remove("x")  # again: fine
    await table.remove("never-added")
    await table.confirm_removed("never-added", CONFIRM)


async def test_confirm_of_a_slug_without_route_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        await harness.make().confirm("nothing-here", 1.0)


async def test_routes_survive_a_restart_of_the_control_plane(
    harness: Harness, backends: dict[str, Backend]
) -> None:
    before = harness.make()
    await before.add("x", backends["x"].url)
    await before.add("x-2", backends["x-2"].url)
    expected = {"x": backends["x"].url, "x-2": backends["x-2"].url}
    assert await before.list() == expected

    after = harness.make()  # a new process would build a new one from the same settings
    assert await after.list() == expected
    await after.confirm("x", CONFIRM)  # and can confirm and remove what the old one added
    await after.remove("x-2")
    await after.confirm_removed("x-2", CONFIRM)
    assert await harness.make().list() == {"x": backends["x"].url}


async def test_concurrent_adds_all_land(harness: Harness, backends: dict[str, Backend]) -> None:
    table = harness.make()
    slugs = [f"c{i}" for i in range(12)]
    await asyncio.gather(*(table.add(s, backends["other"].url) for s in slugs))
    assert await harness.make().list() == dict.fromkeys(slugs, backends["other"].url)
    await asyncio.gather(*(table.confirm(s, CONFIRM) for s in slugs))
    for slug in slugs:
        assert (await seen_by(harness, f"/demos/{slug}/"))["path"] == f"/demos/{slug}/"


@pytest.mark.parametrize("slug", INVALID_SLUGS)
async def test_invalid_slugs_are_refused_and_nothing_is_written(
    harness: Harness, backends: dict[str, Backend], slug: str
) -> None:
    table = harness.make()
    before = harness.stored()
    with pytest.raises(InvalidInput):
        await table.add(slug, backends["x"].url)
    with pytest.raises(InvalidInput):
        await table.remove(slug)
    with pytest.raises(InvalidInput):
        await table.confirm(slug, 0.1)
    with pytest.raises(InvalidInput):
        await table.confirm_removed(slug, 0.1)
    assert harness.stored() == before
    assert await table.list() == {}


@pytest.mark.parametrize("target", INVALID_TARGETS)
async def test_invalid_targets_are_refused_and_nothing_is_written(
    harness: Harness, target: str
) -> None:
    table = harness.make()
    before = harness.stored()
    with pytest.raises(InvalidInput):
        await table.add("x", target)
    assert harness.stored() == before
    assert await table.list() == {}


async def test_websocket_upgrade_passes_through(harness: Harness) -> None:
    seen_paths: list[str] = []

    async def echo(connection: ServerConnection) -> None:
        assert connection.request is not None
        seen_paths.append(connection.request.path)
        async for message in connection:
            text = message if isinstance(message, str) else message.decode()
            await connection.send(f"echo:{text}")

    async with ws_serve(echo, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        table = harness.make()
        await table.add("ws", f"http://127.0.0.1:{port}")
        await table.confirm("ws", CONFIRM)
        ws_url = harness.public_url.replace("http://", "ws://") + "/demos/ws/_stcore/stream"
        async with ws_connect(ws_url, open_timeout=5) as client:
            assert client.response is not None
            assert client.response.status_code == 101
            await client.send("hello")
            assert await asyncio.wait_for(client.recv(), 5) == "echo:hello"
            await client.send("again")
            assert await asyncio.wait_for(client.recv(), 5) == "echo:again"
    assert seen_paths == ["/demos/ws/_stcore/stream"]


# --- Traefik file provider specifics -------------------------------------------------------


@pytest.fixture
def file_table(traefik: RunningTraefik) -> Iterator[TraefikFileRouteTable]:  # noqa: F811
    table = TraefikFileRouteTable(traefik.routes_dir, traefik.api_url)
    yield table
    for path in traefik.routes_dir.glob("*.yml"):
        path.unlink()


async def test_route_file_holds_one_router_and_service_without_prefix_stripping(
    file_table: TraefikFileRouteTable, backends: dict[str, Backend]
) -> None:
    await file_table.add("x", backends["x"].url)
    document = yaml.safe_load((file_table.routes_dir / "x.yml").read_text())
    assert document == {
        "http": {
            "routers": {
                "demo-x": {
                    "rule": "Path(`/demos/x`) || PathPrefix(`/demos/x/`)",
                    "entryPoints": ["web"],
                    "service": "demo-x",
                }
            },
            "services": {
                "demo-x": {
                    "loadBalancer": {
                        "servers": [{"url": backends["x"].url}],
                        "passHostHeader": True,
                    }
                }
            },
        }
    }
    await file_table.confirm("x", CONFIRM)
    async with httpx.AsyncClient() as client:
        router = await client.get(f"{file_table.traefik_api_url}/api/http/routers/demo-x@file")
    assert router.json()["status"] == "enabled"
    assert "middlewares" not in router.json()


async def test_writes_leave_no_temporary_files(
    file_table: TraefikFileRouteTable, backends: dict[str, Backend]
) -> None:
    for round_ in range(5):
        await asyncio.gather(
            *(file_table.add(f"t{i}", backends["x"].url) for i in range(5)),
            file_table.add("t0", backends[("x", "other")[round_ % 2]].url),
        )
        await file_table.remove("t1")
    names = sorted(p.name for p in file_table.routes_dir.iterdir())
    assert names == ["t0.yml", "t2.yml", "t3.yml", "t4.yml"]
    await file_table.confirm("t0", CONFIRM)


async def test_files_that_are_not_demo_routes_are_left_alone(
    file_table: TraefikFileRouteTable, backends: dict[str, Backend]
) -> None:
    (file_table.routes_dir / "_hub.yml").write_text("http: {}\n")
    (file_table.routes_dir / "broken.yml").write_text("http: [not, a, route\n")
    await file_table.add("x", backends["x"].url)
    assert await file_table.list() == {"x": backends["x"].url}
    assert (file_table.routes_dir / "_hub.yml").exists()


async def test_confirm_says_why_when_traefik_does_not_answer(
    traefik: RunningTraefik,  # noqa: F811
    backends: dict[str, Backend],
    tmp_path: Path,
) -> None:
    table = TraefikFileRouteTable(tmp_path, f"http://127.0.0.1:{free_port()}")
    await table.add("x", backends["x"].url)
    with pytest.raises(Unavailable) as caught:
        await table.confirm("x", 0.5)
    assert "did not answer" in caught.value.message
    assert "0.5s" in caught.value.message


async def test_confirm_says_why_when_traefik_never_loads_the_route(
    traefik: RunningTraefik,  # noqa: F811
    backends: dict[str, Backend],
    tmp_path: Path,
) -> None:
    # a directory Traefik does not watch: the route is written but never served
    table = TraefikFileRouteTable(tmp_path, traefik.api_url)
    await table.add("x", backends["x"].url)
    with pytest.raises(Unavailable) as caught:
        await table.confirm("x", 0.5)
    assert "has not loaded router demo-x@file" in caught.value.message
    assert await table.list() == {"x": backends["x"].url}
