"""DockerBuilder against the real Docker engine and the real base image.

Needs ``modelhub/streamlit-base:1.67`` (``infra/bootstrap/base-images.sh``) and PyPI through
the host's CA bundle. Every image built here is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import pytest

from modelhub.builder import BuildFailed, BuildRequest, BuildResult, DockerBuilder
from modelhub.models import new_id
from modelhub.settings import get_settings

pytestmark = [pytest.mark.docker, pytest.mark.slow]

RUN_ID = uuid.uuid4().hex[:8]
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
HELLO_APP = 'import streamlit as st\nst.title("Hello Model Hub")\n'


@dataclass
class LogRecorder:
    """An ``on_log`` that remembers each line and when it arrived."""

    lines: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    async def __call__(self, line: str) -> None:
        self.lines.append(line)
        self.times.append(time.monotonic())

    def after(self, prefix: str) -> str:
        """The line that follows the first line containing ``prefix``."""
        i = next(i for i, line in enumerate(self.lines) if prefix in line)
        return self.lines[i + 1]


@dataclass
class Built:
    result: BuildResult
    log: LogRecorder
    started: float
    finished: float
    bundle: Path
    slug: str


# --- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_image(docker_client: docker.DockerClient) -> str:
    name = get_settings().base_image
    try:
        docker_client.images.get(name)
    except docker.errors.ImageNotFound:
        pytest.fail(f"base image {name} is missing: run infra/bootstrap/base-images.sh")
    return name


@pytest.fixture(scope="module")
def ca_bundle() -> Path:
    path = get_settings().ca_bundle or HOST_CA
    if not path.is_file():
        pytest.fail(f"CA bundle {path} is missing: pip inside builds cannot reach PyPI without it")
    return path


@pytest.fixture(scope="module")
def tags(docker_client: docker.DockerClient) -> Iterator[list[str]]:
    """Tags of images built by the tests; all removed at the end of the module."""
    made: list[str] = []
    yield made
    for tag in made:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def builder(base_image: str, ca_bundle: Path) -> DockerBuilder:
    return DockerBuilder(base_image=base_image, ca_bundle=ca_bundle, timeout_seconds=900)


def _write_bundle(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _request(bundle: Path, slug: str, app_file: str = "app.py", **kw: object) -> BuildRequest:
    return BuildRequest(
        project_id=new_id(),
        build_id=new_id(),
        slug=slug,
        bundle_dir=bundle,
        app_file=app_file,
        bundle_sha256=hashlib.sha256(slug.encode()).hexdigest(),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
async def hello(
    builder: DockerBuilder, tags: list[str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Built]:
    """One small demo (app.py + six), built once for the tests that inspect it."""
    slug = f"hello-{RUN_ID}"
    bundle = _write_bundle(
        tmp_path_factory.mktemp("hello"),
        {"app.py": HELLO_APP, "requirements.txt": f"# {RUN_ID}\nsix\n"},
    )
    request = _request(bundle, slug)
    tags.append(request.tag)
    log = LogRecorder()
    started = time.monotonic()
    result = await builder.build(request, log)
    yield Built(result, log, started, time.monotonic(), bundle, slug)


# --- a successful build --------------------------------------------------------------------
def test_bundle_builds_into_a_labelled_image_that_runs_as_non_root(
    hello: Built, docker_client: docker.DockerClient
) -> None:
    result = hello.result
    assert result.image_tag.startswith(f"modelhub-demo/{hello.slug}:")
    image = docker_client.images.get(result.image_tag)
    assert image.id == result.image_id
    config = image.attrs["Config"]
    assert config["User"] == "app"
    build_id = result.image_tag.rsplit(":", 1)[1]
    labels = config["Labels"]
    assert labels["modelhub.slug"] == hello.slug
    assert labels["modelhub.build"] == build_id
    assert len(labels["modelhub.project"]) == 24
    assert labels["modelhub.bundle_sha256"] == hashlib.sha256(hello.slug.encode()).hexdigest()
    assert "8501/tcp" in config["ExposedPorts"]
    assert f"--server.baseUrlPath=/demos/{hello.slug}" in config["Cmd"]
    base_labels = docker_client.images.get(get_settings().base_image).labels
    assert result.info["streamlit_version"] == base_labels["modelhub.base.streamlit"]
    assert result.info["python_version"].startswith(base_labels["modelhub.base.python"] + ".")
    assert result.warnings == []
    user = docker_client.containers.run(result.image_tag, ["id", "-u"], remove=True)
    assert user.decode().strip() == "1000"


def test_log_lines_arrive_while_the_build_runs(hello: Built) -> None:
    log = hello.log
    assert len(log.lines) > 20
    assert any(line.startswith("Step 1/") for line in log.lines)
    assert any("Successfully installed six" in line for line in log.lines)
    # the first lines reached on_log long before the build finished
    assert log.times[0] < hello.finished - 2
    assert len({round(t, 1) for t in log.times}) > 5


def test_built_demo_serves_health_under_its_path_and_can_write_its_dirs(
    hello: Built, docker_client: docker.DockerClient
) -> None:
    container = docker_client.containers.run(hello.result.image_tag, detach=True)
    try:
        url = f"http://127.0.0.1:8501/demos/{hello.slug}/_stcore/health"
        probe = f"import urllib.request; print(urllib.request.urlopen({url!r}).read().decode())"
        deadline = time.monotonic() + 60
        while True:
            code, out = container.exec_run(["python", "-c", probe])
            if code == 0:
                break
            assert time.monotonic() < deadline, f"health never answered: {out.decode()[-500:]}"
            time.sleep(1)
        assert out.decode().strip() == "ok"
        code, out = container.exec_run(["sh", "-c", "touch /app/new-file $HOME/cache && echo w"])
        assert (code, out.decode().strip()) == (0, "w")
    finally:
        container.remove(force=True)


def test_ca_bundle_is_not_in_the_final_image(
    hello: Built, docker_client: docker.DockerClient, ca_bundle: Path
) -> None:
    data = ca_bundle.read_bytes()
    script = (
        "import hashlib, os, sys\n"
        "size, digest = int(sys.argv[1]), sys.argv[2]\n"
        "for root, dirs, files in os.walk('/'):\n"
        "    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('/proc', '/sys')]\n"
        "    for f in files:\n"
        "        p = os.path.join(root, f)\n"
        "        try:\n"
        "            if os.path.isfile(p) and os.path.getsize(p) == size:\n"
        "                if hashlib.sha256(open(p, 'rb').read()).hexdigest() == digest:\n"
        "                    print(p)\n"
        "        except OSError:\n"
        "            pass\n"
    )
    found = docker_client.containers.run(
        hello.result.image_tag,
        ["python", "-c", script, str(len(data)), hashlib.sha256(data).hexdigest()],
        user="root",
        network_mode="none",
        remove=True,
    )
    assert found.decode().strip() == ""
    history = " ".join(
        str(h.get("CreatedBy")) for h in docker_client.api.history(hello.result.image_id)
    )
    assert "ca.crt" not in history


async def test_rebuild_with_unchanged_requirements_reuses_the_pip_layer(
    hello: Built, builder: DockerBuilder, tags: list[str]
) -> None:
    (hello.bundle / "app.py").write_text(HELLO_APP + 'st.write("changed")\n')
    request = _request(hello.bundle, hello.slug)
    tags.append(request.tag)
    log = LogRecorder()
    result = await builder.build(request, log)
    assert log.after("pip install -r /tmp/modelhub/requirements.txt") == " ---> Using cache"
    assert log.after(" : COPY bundle/ /app/") != " ---> Using cache"  # the new app.py
    assert not any("Successfully installed six" in line for line in log.lines)
    assert result.image_id != hello.result.image_id
    assert result.duration_seconds < (hello.finished - hello.started)


# --- failures a creator can act on ------------------------------------------------------
async def test_unresolvable_requirement_fails_naming_it(
    builder: DockerBuilder, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    bundle = _write_bundle(
        tmp_path,
        {"app.py": HELLO_APP, "requirements.txt": "six\nnosuchpkg-modelhub-test==9.9.9\n"},
    )
    request = _request(bundle, f"nf-{RUN_ID}")
    log = LogRecorder()
    with pytest.raises(BuildFailed) as caught:
        await builder.build(request, log)
    assert caught.value.code == "build_failed"
    assert "`nosuchpkg-modelhub-test==9.9.9`" in caught.value.reason
    assert any("No matching distribution" in line for line in log.lines)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(request.tag)


async def test_syntax_error_in_the_entry_fails_with_file_and_line(
    builder: DockerBuilder, tmp_path: Path
) -> None:
    bundle = _write_bundle(
        tmp_path,
        {"src/Main.py": 'import streamlit as st\n\nst.title("oops"\nx = 1\n'},
    )
    request = _request(bundle, f"syn-{RUN_ID}", app_file="src/Main.py", requirements_file=None)
    with pytest.raises(BuildFailed) as caught:
        await builder.build(request, LogRecorder())
    assert caught.value.reason.startswith("Syntax error in src/Main.py line 3")


async def test_exception_on_first_run_fails_with_type_and_line(
    builder: DockerBuilder, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    bundle = _write_bundle(
        tmp_path,
        {"app.py": 'import streamlit as st\nst.title("x")\nratio = 1 / 0\n'},
    )
    request = _request(bundle, f"exc-{RUN_ID}", requirements_file=None)
    with pytest.raises(BuildFailed) as caught:
        await builder.build(request, LogRecorder())
    assert "ZeroDivisionError" in caught.value.reason
    assert "app.py line 3" in caught.value.reason
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(request.tag)


async def test_build_longer_than_the_limit_is_stopped_on_the_engine(
    base_image: str, ca_bundle: Path, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    quick = DockerBuilder(base_image=base_image, ca_bundle=ca_bundle, timeout_seconds=8)
    marker = uuid.uuid4().hex
    bundle = _write_bundle(
        tmp_path,
        {
            "app.py": HELLO_APP,
            # a local package whose build hangs: requirements install after the bundle
            "requirements.txt": "./slowpkg\n",
            "slowpkg/setup.py": f"import time  # {marker}\ntime.sleep(600)\n",
        },
    )
    request = _request(bundle, f"slow-{RUN_ID}")
    started = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        await quick.build(request, LogRecorder())
    assert "longer than 8 s" in caught.value.reason
    assert time.monotonic() - started < 20
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(request.tag)

    def pip_steps_running() -> list[str]:
        running = docker_client.containers.list()
        cmds = [" ".join(c.attrs["Config"].get("Cmd") or []) for c in running]
        return [cmd for cmd in cmds if "pip install -r requirements.txt" in cmd]

    deadline = time.monotonic() + 15
    while pip_steps_running():
        assert time.monotonic() < deadline, "the engine kept running the aborted build"
        await asyncio.sleep(0.5)


async def test_a_streamlit_pin_in_requirements_wins_over_the_base(
    builder: DockerBuilder, tags: list[str], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    base_version = docker_client.images.get(get_settings().base_image).labels[
        "modelhub.base.streamlit"
    ]
    pinned = "1.66.0" if base_version != "1.66.0" else "1.65.0"
    bundle = _write_bundle(
        tmp_path, {"app.py": HELLO_APP, "requirements.txt": f"streamlit=={pinned}\n"}
    )
    request = _request(bundle, f"pin-{RUN_ID}")
    tags.append(request.tag)
    result = await builder.build(request, LogRecorder())
    assert result.info["streamlit_version"] == pinned
