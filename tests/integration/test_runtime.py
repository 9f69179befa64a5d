"""DockerRuntime against the real Docker engine.

Tiny demo images are built here from ``modelhub/debian-python:bookworm`` (made by
``infra/bootstrap/base-images.sh``): an HTTP server on 8501 with a HEALTHCHECK, an app that
crashes, one that runs out of memory, and one that would run as root. Every container and
image made here is removed afterwards; the demos network is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import docker
import docker.errors
import httpx
import pytest
from docker.models.containers import Container

from modelhub.errors import Unavailable
from modelhub.runtime import (
    DemoCrashed,
    GpuUnavailable,
    ImageNotFound,
    ResourceLimits,
    RunSpec,
    RuntimeStatus,
    UnsafeImage,
)
from modelhub.runtime.base import LABEL_PROJECT, parse_memory
from modelhub.runtime.docker_runtime import DockerRuntime
from modelhub.settings import Settings

pytestmark = pytest.mark.docker

BASE_IMAGE = "modelhub/debian-python:bookworm"
RUN_ID = uuid.uuid4().hex[:8]
TEST_REPO = f"modelhub-test-runtime-{RUN_ID}"

_USER = "RUN useradd --uid 10001 --create-home --home-dir /home/app app && mkdir -p /app "
_USER += "&& chown app /app\nWORKDIR /app\nUSER app\n"
DOCKERFILES = {
    "server": (
        f"FROM {BASE_IMAGE}\n{_USER}"
        "RUN echo 'hello from a demo' > /app/index.html\n"
        "HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD python3 -c "
        "\"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/')\"\n"
        'CMD ["python3", "-m", "http.server", "8501", "--directory", "/app"]\n'
    ),
    "crash": (
        f"FROM {BASE_IMAGE}\n{_USER}"
        'CMD ["python3", "-c", "import sys; print(\'loading model...\'); '
        "print('FileNotFoundError: model.pkl', file=sys.stderr); sys.exit(1)\"]\n"
    ),
    "oom": (
        f"FROM {BASE_IMAGE}\n{_USER}"
        'CMD ["python3", "-c", "chunks = []\\nwhile True: chunks.append(\' \' * 10_000_000)"]\n'
    ),
    "root": (f'FROM {BASE_IMAGE}\nUSER root\nCMD ["python3", "-m", "http.server", "8501"]\n'),
}


# --- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def images(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    try:
        docker_client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{BASE_IMAGE} is missing: build it with `bash infra/bootstrap/base-images.sh`")
    built: dict[str, str] = {}
    try:
        for kind, dockerfile in DOCKERFILES.items():
            context = tmp_path_factory.mktemp(f"image-{kind}")
            (context / "Dockerfile").write_text(dockerfile)
            tag = f"{TEST_REPO}:{kind}"
            docker_client.images.build(path=str(context), tag=tag, rm=True, forcerm=True)
            built[kind] = tag
        yield built
    finally:
        for tag in built.values():
            with contextlib.suppress(docker.errors.NotFound):
                docker_client.images.remove(tag, force=True)


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test", demo_memory="96m", demo_cpus=0.5, demo_pids_limit=64)


@pytest.fixture
async def runtime(
    settings: Settings, docker_client: docker.DockerClient
) -> AsyncIterator[DockerRuntime]:
    rt = DockerRuntime(settings)
    await rt.ensure_network()
    yield rt
    await rt.close()
    # remove every container a test of this run left behind
    for container in docker_client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}"}):
        if container.labels.get(LABEL_PROJECT, "").startswith(f"test-{RUN_ID}-"):
            container.remove(force=True)


def make_spec(image: str, settings: Settings, **overrides: Any) -> RunSpec:
    suffix = uuid.uuid4().hex[:6]
    values: dict[str, Any] = {
        "project_id": f"test-{RUN_ID}-{suffix}",
        "slug": f"rt-{RUN_ID}-{suffix}",
        "build_id": "build-1",
        "image": image,
        "limits": ResourceLimits.from_settings(settings),
        "env": {"DEMO_GREETING": "hi"},
    }
    values.update(overrides)
    return RunSpec(**values)


def project_containers(client: docker.DockerClient, project_id: str) -> list[Container]:
    return client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}={project_id}"})


async def wait_for(
    runtime: DockerRuntime, project_id: str, done: Any, seconds: float = 30
) -> RuntimeStatus:
    deadline = time.monotonic() + seconds
    status = await runtime.status(project_id)
    while not done(status) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        status = await runtime.status(project_id)
    return status


async def fetch(url: str, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                return await http.get(url)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


# --- engine ----------------------------------------------------------------------------------
async def test_engine_answers_and_reports_its_runtimes(runtime: DockerRuntime) -> None:
    await runtime.ping()
    info = await runtime.engine_info()
    assert info["version"]
    assert "runc" in info["runtimes"]  # type: ignore[operator]
    assert info["gpu"] is ("nvidia" in info["runtimes"])  # type: ignore[operator]


async def test_engine_that_does_not_answer_is_reported_unavailable(settings: Settings) -> None:
    dead = DockerRuntime(
        settings,
        client_factory=lambda: docker.DockerClient(base_url="unix:///nonexistent/docker.sock"),
    )
    with pytest.raises(Unavailable) as caught:
        await dead.ping()
    assert "Docker engine does not answer" in caught.value.message


async def test_ensure_network_is_idempotent_under_concurrency(
    docker_client: docker.DockerClient,
) -> None:
    name = f"modelhub-test-net-{RUN_ID}"
    net_settings = Settings(env="test", demo_network=name)
    runtimes = [DockerRuntime(net_settings) for _ in range(4)]
    try:
        await asyncio.gather(*(rt.ensure_network() for rt in runtimes for _ in range(2)))
        found = [n for n in docker_client.networks.list(names=[name]) if n.name == name]
        assert len(found) == 1
        assert found[0].attrs["Driver"] == "bridge"
        assert found[0].attrs["Labels"]["modelhub.managed"] == "true"
    finally:
        for network in docker_client.networks.list(names=[name]):
            if network.name == name:
                network.remove()


# --- start -----------------------------------------------------------------------------------
async def test_started_demo_is_hardened_limited_and_reachable_only_on_the_demos_network(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["server"], settings)
    demo = await runtime.start(spec)

    assert demo.name == f"modelhub-demo-{spec.slug}"
    assert demo.gpu is False and demo.reused is False and demo.warning is None
    assert demo.target_url == f"http://{demo.ip}:8501"
    response = await fetch(demo.target_url)
    assert response.status_code == 200
    assert "hello from a demo" in response.text

    attrs = docker_client.containers.get(demo.container_id).attrs
    host = attrs["HostConfig"]
    assert list(attrs["NetworkSettings"]["Networks"]) == [settings.demo_network]
    assert attrs["NetworkSettings"]["Networks"][settings.demo_network]["IPAddress"] == demo.ip
    assert not attrs["NetworkSettings"]["Ports"] or all(
        not bindings for bindings in attrs["NetworkSettings"]["Ports"].values()
    )
    assert not host["PortBindings"] and host["PublishAllPorts"] is False
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Privileged"] is False
    assert not host["Binds"] and not attrs["Mounts"]
    assert host["Memory"] == parse_memory("96m") == 96 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["PidsLimit"] == 64
    assert host["RestartPolicy"]["Name"] in ("no", "")
    assert attrs["Config"]["User"] == "app"
    env = dict(item.split("=", 1) for item in attrs["Config"]["Env"])
    assert env["HOME"] == "/home/app" and env["DEMO_GREETING"] == "hi"
    assert attrs["Config"]["Labels"] == {
        **attrs["Config"]["Labels"],
        "modelhub.managed": "true",
        "modelhub.project": spec.project_id,
        "modelhub.build": spec.build_id,
        "modelhub.slug": spec.slug,
    }
    # the process inside really is unprivileged
    uid_line = docker_client.containers.get(demo.container_id).exec_run("id -u").output
    assert uid_line.decode().strip() == "10001"

    status = await wait_for(runtime, spec.project_id, lambda s: s.health == "healthy")
    assert status.state == "running" and status.health == "healthy"
    assert status.container_id == demo.container_id and status.ip == demo.ip
    assert status.started_at is not None and status.exit_code is None and status.reason is None

    managed = {m.project_id: m for m in await runtime.list_managed()}
    assert managed[spec.project_id].state == "running"
    assert managed[spec.project_id].ip == demo.ip
    assert managed[spec.project_id].slug == spec.slug
    assert managed[spec.project_id].build_id == spec.build_id


async def test_concurrent_starts_of_one_project_create_one_container(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["server"], settings)
    other_process = DockerRuntime(settings)  # its own locks, like a second control plane
    demos = await asyncio.gather(
        *(rt.start(spec) for rt in (runtime, other_process, runtime, other_process, runtime))
    )
    await other_process.close()

    assert len({d.container_id for d in demos}) == 1
    assert len(project_containers(docker_client, spec.project_id)) == 1
    assert (await fetch(demos[0].target_url)).status_code == 200
    again = await runtime.start(spec)
    assert again.container_id == demos[0].container_id and again.reused is True


async def test_start_replaces_an_exited_container_and_a_container_of_another_build(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["server"], settings)
    first = await runtime.start(spec)
    docker_client.containers.get(first.container_id).stop(timeout=1)
    assert (await runtime.status(spec.project_id)).state == "exited"

    second = await runtime.start(spec)
    assert second.container_id != first.container_id and second.reused is False
    rebuilt = await runtime.start(RunSpec(**{**spec.__dict__, "build_id": "build-2"}))
    assert rebuilt.container_id != second.container_id and rebuilt.build_id == "build-2"
    [only] = project_containers(docker_client, spec.project_id)
    assert only.id == rebuilt.container_id


# --- stop ------------------------------------------------------------------------------------
async def test_stop_removes_the_container_and_is_idempotent(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["server"], settings)
    await runtime.start(spec)

    assert await runtime.stop(spec.project_id) is True
    assert project_containers(docker_client, spec.project_id) == []
    assert (await runtime.status(spec.project_id)).state == "absent"
    assert spec.project_id not in {m.project_id for m in await runtime.list_managed()}
    assert await runtime.stop(spec.project_id) is False
    assert await runtime.logs(spec.project_id) == ""


# --- failures ----------------------------------------------------------------------------------
async def test_crashed_app_reports_exit_code_and_last_log_line(
    runtime: DockerRuntime, settings: Settings, images: dict[str, str]
) -> None:
    spec = make_spec(images["crash"], settings)
    expected = "the app crashed (exit code 1): FileNotFoundError: model.pkl"
    try:
        await runtime.start(spec)
    except DemoCrashed as exc:  # it may already have died when start() looks
        assert exc.message == f"The demo stopped right after starting: {expected}"

    status = await wait_for(runtime, spec.project_id, lambda s: s.state == "exited")
    assert status.state == "exited"
    assert status.exit_code == 1 and status.oom_killed is False
    assert status.reason == expected
    assert status.finished_at is not None
    logs = await runtime.logs(spec.project_id)
    assert "loading model..." in logs and "FileNotFoundError: model.pkl" in logs


async def test_app_past_its_memory_limit_is_reported_out_of_memory(
    runtime: DockerRuntime, images: dict[str, str]
) -> None:
    small = Settings(env="test", demo_memory="48m", demo_cpus=0.5, demo_pids_limit=64)
    spec = make_spec(images["oom"], small)
    try:
        await runtime.start(spec)
    except DemoCrashed as exc:
        assert "out of memory" in exc.message

    status = await wait_for(runtime, spec.project_id, lambda s: s.state == "exited")
    assert status.state == "exited"
    assert status.oom_killed is True
    assert status.exit_code == 137
    assert status.reason == "out of memory (exit 137, limit 48 MiB)"


async def test_image_running_as_root_is_refused(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["root"], settings)
    with pytest.raises(UnsafeImage) as caught:
        await runtime.start(spec)
    assert "root" in caught.value.message and "non-root USER" in caught.value.message
    assert project_containers(docker_client, spec.project_id) == []


async def test_missing_image_is_reported_for_a_rebuild(
    runtime: DockerRuntime, settings: Settings, docker_client: docker.DockerClient
) -> None:
    spec = make_spec(f"{TEST_REPO}:never-built", settings)
    with pytest.raises(ImageNotFound) as caught:
        await runtime.start(spec)
    assert caught.value.status_code == 404 and "build the project again" in caught.value.message
    assert project_containers(docker_client, spec.project_id) == []


# --- GPU on this GPU-less host ------------------------------------------------------------------
async def test_gpu_demo_without_fallback_is_refused_and_nothing_is_created(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    assert (await runtime.engine_info())["gpu"] is False, "this test expects a host with no GPU"
    spec = make_spec(images["server"], settings, wants_gpu=True, allow_cpu_fallback=False)
    with pytest.raises(GpuUnavailable) as caught:
        await runtime.start(spec)
    assert caught.value.code == "gpu_unavailable"
    assert "needs a GPU" in caught.value.message
    assert project_containers(docker_client, spec.project_id) == []


async def test_gpu_demo_with_fallback_runs_on_cpu_with_a_warning(
    runtime: DockerRuntime,
    settings: Settings,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    spec = make_spec(images["server"], settings, wants_gpu=True, allow_cpu_fallback=True)
    demo = await runtime.start(spec)
    assert demo.gpu is False
    assert demo.warning is not None and "CPU" in demo.warning
    host = docker_client.containers.get(demo.container_id).attrs["HostConfig"]
    assert not host["DeviceRequests"] and host["Runtime"] == "runc"
    assert (await fetch(demo.target_url)).status_code == 200
    assert (await runtime.status(spec.project_id)).gpu is False


# --- images -------------------------------------------------------------------------------------
async def test_remove_images_removes_every_build_of_a_slug(
    runtime: DockerRuntime, images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    slug = f"rt-{RUN_ID}-img"
    source = docker_client.images.get(images["server"])
    source.tag(f"modelhub-demo/{slug}", "build-1")
    source.tag(f"modelhub-demo/{slug}", "build-2")
    source.tag(f"modelhub-demo/{slug}-other", "build-1")
    try:
        assert await runtime.remove_images(slug) == 2
        assert docker_client.images.list(name=f"modelhub-demo/{slug}") == []
        assert docker_client.images.list(name=f"modelhub-demo/{slug}-other") != []
        assert await runtime.remove_images(slug) == 0
    finally:
        for ref in (f"modelhub-demo/{slug}-other:build-1",):
            with contextlib.suppress(docker.errors.NotFound):
                docker_client.images.remove(ref)
