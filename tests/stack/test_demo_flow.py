"""Upload → build → launch → demo through Traefik → stop, against the real Docker engine,
Traefik and Streamlit (the hub as `make run` starts it)."""

from __future__ import annotations

import threading
from pathlib import Path

import docker
import httpx
from websockets.sync.client import connect

from tests.fixtures.bundles import (
    HELLO_APP,
    hello_bundle,
    make_zip,
    register_and_login,
    unique,
    upload,
    wait_for_build,
)
from tests.fixtures.hub import RunningHub, start_hub, start_hub_with_env


def _containers(hub: RunningHub, project_id: str) -> list[object]:
    client = docker.from_env()
    try:
        return list(
            client.containers.list(all=True, filters={"label": f"modelhub.project={project_id}"})
        )
    finally:
        client.close()


def test_upload_build_launch_use_stop(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    r = upload(c, auth, hello_bundle("Flow demo"), name=unique("Flow"))
    assert r.status_code == 201, r.text
    project = r.json()["project"]
    pid, slug = project["id"], project["slug"]
    assert project["status"] in ("pending", "building")

    built = wait_for_build(c, pid)
    assert built["status"] == "ready", built
    build = built["build"]
    assert isinstance(build, dict) and build["state"] == "ready"
    assert build["info"]["streamlit_version"].startswith("1.67")
    assert build["info"]["smoke_test"] == "passed"

    launched = c.post(f"/api/demo/{pid}/launch")
    assert launched.status_code == 200, launched.text
    body = launched.json()
    assert body["status"] == "running"
    assert body["demo_url"].endswith(f"/demos/{slug}/")

    health = c.get(f"/demos/{slug}/_stcore/health")
    assert health.status_code == 200 and health.text == "ok"
    page = c.get(f"/demos/{slug}/")
    assert page.status_code == 200 and '<div id="root"' in page.text

    # the websocket Streamlit talks over passes through Traefik
    with connect(f"ws://127.0.0.1:{hub.public_port}/demos/{slug}/_stcore/stream") as ws:
        assert ws.response is not None and ws.response.status_code == 101

    # launching a running demo returns it and counts
    again = c.post(f"/api/demo/{pid}/launch").json()
    assert again["status"] == "running"
    assert c.get(f"/api/projects/{pid}").json()["launch_count"] == 2
    assert len(_containers(hub, pid)) == 1

    # only the owner stops it
    stranger = hub.client()
    assert stranger.post(f"/api/demo/{pid}/stop").status_code == 401
    other = register_and_login(stranger)
    assert stranger.post(f"/api/demo/{pid}/stop", headers=other).status_code == 403
    assert stranger.delete(f"/api/projects/{pid}", headers=other).status_code == 403
    stopped = c.post(f"/api/demo/{pid}/stop", headers=auth)
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    gone = c.get(f"/demos/{slug}/_stcore/health")
    assert gone.status_code == 404
    assert _containers(hub, pid) == []
    assert not (hub.routes_dir / f"{slug}.yml").exists()

    # delete removes project, images and files
    assert c.delete(f"/api/projects/{pid}", headers=auth).status_code == 204
    assert c.get(f"/api/projects/{pid}").status_code == 404
    images = docker.from_env().images.list(name=f"modelhub-demo/{slug}")
    assert images == []


def test_concurrent_launches_start_one_container(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    pid = upload(c, auth, hello_bundle("Concurrent")).json()["project_id"]
    assert wait_for_build(c, pid)["status"] == "ready"
    results: list[int] = []

    def launch() -> None:
        with httpx.Client(base_url=hub.url, timeout=120) as client:
            results.append(client.post(f"/api/demo/{pid}/launch").status_code)

    threads = [threading.Thread(target=launch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200, 200, 200]
    assert len(_containers(hub, pid)) == 1
    c.delete(f"/api/projects/{pid}", headers=auth)


def test_unresolvable_requirement_fails_the_build_naming_it(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    bundle = hello_bundle(requirements="nosuchpkg-modelhub-e2e==9.9.9\n")
    pid = upload(c, auth, bundle).json()["project_id"]
    project = wait_for_build(c, pid)
    assert project["status"] == "error"
    build = project["build"]
    assert isinstance(build, dict) and build["state"] == "failed"
    assert "nosuchpkg-modelhub-e2e" in str(build["reason"])
    launch = c.post(f"/api/demo/{pid}/launch")
    assert launch.status_code == 409 and launch.json()["error"]["code"] == "not_built"


def test_slug_prefix_of_another_routes_to_its_own_demo(hub: RunningHub) -> None:
    c = hub.client()
    auth = register_and_login(c)
    base = unique("Prefix")
    first = upload(c, auth, hello_bundle("First demo"), name=base).json()["project"]
    second = upload(c, auth, hello_bundle("Second demo"), name=base).json()["project"]
    assert second["slug"] == f"{first['slug']}-2"
    for p in (first, second):
        assert wait_for_build(c, p["id"])["status"] == "ready"
        assert c.post(f"/api/demo/{p['id']}/launch").json()["status"] == "running"
    cid = {p["slug"]: _containers(hub, p["id"])[0] for p in (first, second)}
    # each path reaches its own container: stop the first, the second still answers
    c.post(f"/api/demo/{first['id']}/stop", headers=auth)
    assert c.get(f"/demos/{first['slug']}/_stcore/health").status_code == 404
    assert c.get(f"/demos/{second['slug']}/_stcore/health").text == "ok"
    assert len(cid) == 2
    for p in (first, second):
        c.delete(f"/api/projects/{p['id']}", headers=auth)


def test_restart_keeps_a_running_demo_routed_and_running(tmp_path: Path) -> None:
    hub = start_hub(tmp_path / "hub")
    try:
        c = hub.client()
        auth = register_and_login(c)
        pid = upload(c, auth, hello_bundle("Survivor")).json()["project_id"]
        assert wait_for_build(c, pid)["status"] == "ready"
        slug = c.get(f"/api/projects/{pid}").json()["slug"]
        assert c.post(f"/api/demo/{pid}/launch").json()["status"] == "running"
        assert hub.interrupt() == 0

        hub = start_hub_with_env(tmp_path / "hub", hub.env)
        c = hub.client()
        assert c.get(f"/api/demo/{pid}/status").json()["status"] == "running"
        assert c.get(f"/demos/{slug}/_stcore/health").text == "ok"
        assert len(_containers(hub, pid)) == 1
        c.delete(f"/api/projects/{pid}", headers=auth)
    finally:
        hub.interrupt()


def test_concurrent_rebuilds_queue_one_build_and_a_refused_one_changes_nothing(
    hub: RunningHub,
) -> None:
    c = hub.client()
    auth = register_and_login(c)
    bundle = make_zip(
        {"app.py": HELLO_APP, "other.py": HELLO_APP + "# other\n", "requirements.txt": ""}
    )
    pid = upload(c, auth, bundle, app_file="app.py").json()["project_id"]
    assert wait_for_build(c, pid)["status"] == "ready"
    codes: list[int] = []

    def rebuild() -> None:
        with httpx.Client(base_url=hub.url, timeout=60) as client:
            codes.append(client.post(f"/api/projects/{pid}/rebuild", headers=auth).status_code)

    threads = [threading.Thread(target=rebuild) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202, 409, 409]
    refused = c.post(f"/api/projects/{pid}/rebuild", headers=auth, json={"app_file": "other.py"})
    assert refused.status_code == 409
    assert c.get(f"/api/projects/{pid}").json()["files"]["app_file"] == "app.py"
    assert wait_for_build(c, pid)["status"] == "ready"
    c.delete(f"/api/projects/{pid}", headers=auth)
