"""The production stack (docker-compose.yml + docker-compose.offline.yml, the images of
`make images-offline`) on the real Docker engine: it becomes healthy and serves register →
upload → build → launch → demo through Traefik; a `make down` / `make up` keeps the
running demo's record and route (reconciled); `make backup` then `make restore` into a
fresh stack (empty volumes) brings back users, projects and bundles.

The stack runs under its own compose project name, public port, demos network and
instance label, so it never touches a hub already running on this host.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import pytest

from tests.fixtures.bundles import hello_bundle, register_and_login, unique, upload, wait_for_build
from tests.fixtures.traefik import free_port

pytestmark = [pytest.mark.docker]

REPO = Path(__file__).resolve().parents[2]
OFFLINE_IMAGES = (
    "modelhub/traefik:v3.7.15-offline",
    "modelhub/ferretdb:v1.24.2-offline",
    "modelhub/control-plane:local",
    "modelhub/web:local",
)


@dataclass
class Stack:
    project: str
    port: int
    network: str
    instance: str
    env: dict[str, str]
    compose: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.compose, *args], cwd=REPO, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def make(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            ["make", "--no-print-directory", *args], cwd=REPO, env=self.env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def up(self) -> None:
        try:
            self.run("up", "-d", "--wait", timeout=300)
        except AssertionError as exc:
            logs = subprocess.run(
                [*self.compose, "logs", "--tail=40"], cwd=REPO, env=self.env,
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            raise AssertionError(
                f"the stack did not become healthy:\n{logs.stdout[-6000:]}"
            ) from exc

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0)


def compose_cli() -> list[str]:
    """`docker compose`, installed by infra/bootstrap/compose.sh when missing."""
    result = subprocess.run(
        ["bash", "infra/bootstrap/compose.sh"], cwd=REPO, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not result.stdout.strip():
        pytest.fail(f"Docker Compose is missing and could not be installed:\n{result.stderr}",
                    pytrace=False)  # fmt: skip
    return result.stdout.strip().splitlines()[-1].split()


def build_offline_images() -> None:
    """`make images-offline`: every image of the stack, from this checkout (cached layers
    make it quick when nothing changed), so the test never runs stale images."""
    result = subprocess.run(
        ["make", "--no-print-directory", "images-offline"], cwd=REPO, capture_output=True,
        text=True, timeout=1800, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        pytest.fail(f"make images-offline failed:\n{output}", pytrace=False)
    client = docker.from_env()
    try:
        missing = [i for i in OFFLINE_IMAGES if not client.images.list(name=i)]
    finally:
        client.close()
    if missing:
        pytest.fail(f"offline images missing after make images-offline: {missing}", pytrace=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    build_offline_images()
    base = tmp_path_factory.mktemp("compose")
    suffix = uuid.uuid4().hex[:8]
    env_file = base / "stack.env"
    env_file.write_text(
        f"JWT_SECRET_KEY={uuid.uuid4().hex}{uuid.uuid4().hex}\nMODELHUB_RECONCILE_INTERVAL=5\n"
    )
    stack = Stack(
        project=f"mhtest{suffix}",
        port=free_port(),
        network=f"mhtest{suffix}-demos",
        instance=f"ct-{suffix}",
        env={},
        compose=[],
    )
    stack.env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MODELHUB_", "JWT_"))},
        "COMPOSE_PROJECT_NAME": stack.project,
        "MODELHUB_ENV_FILE": str(env_file),
        "MODELHUB_OFFLINE": "1",
        "MODELHUB_PUBLIC_PORT": str(stack.port),
        "MODELHUB_BIND_ADDRESS": "127.0.0.1",
        "MODELHUB_DEMO_NETWORK": stack.network,
        "MODELHUB_INSTANCE": stack.instance,
        "DOCKER_GID": str(os.stat("/var/run/docker.sock").st_gid),
    }
    stack.env.pop("MONGODB_URL", None)
    stack.compose = [
        *compose_cli(), "-f", "docker-compose.yml", "-f", "docker-compose.offline.yml",
        "--env-file", str(env_file),
    ]  # fmt: skip
    subprocess.run(["docker", "network", "create", stack.network], check=True, capture_output=True)
    try:
        stack.up()
        yield stack
    finally:
        subprocess.run([*stack.compose, "down", "-v", "--remove-orphans"], cwd=REPO,
                       env=stack.env, capture_output=True, check=False)  # fmt: skip
        client = docker.from_env()
        try:
            for c in client.containers.list(
                all=True, filters={"label": f"modelhub.instance={stack.instance}"}
            ):
                c.remove(force=True)
        finally:
            client.close()
        subprocess.run(["docker", "network", "rm", stack.network], capture_output=True, check=False)


def wait_ready(c: httpx.Client, pid: str) -> dict[str, object]:
    wait_for_build(c, pid)
    deadline = time.monotonic() + 30
    while True:
        project: dict[str, object] = c.get(f"/api/projects/{pid}").json()
        if project["status"] not in ("pending", "building") or time.monotonic() > deadline:
            return project
        time.sleep(0.3)


def test_compose_stack_serves_demos_survives_restart_and_restores(
    stack: Stack, tmp_path: Path
) -> None:
    with stack.client() as c:
        ready = c.get("/api/health/ready")
        assert ready.status_code == 200, ready.text
        # the web app answers at / through Traefik
        home = c.get("/")
        assert home.status_code == 200 and "<html" in home.text.lower()

        auth = register_and_login(c)
        r = upload(c, auth, hello_bundle("Compose demo"), name=unique("Compose"))
        assert r.status_code == 201, r.text
        pid, slug = r.json()["project"]["id"], r.json()["project"]["slug"]
        assert wait_ready(c, pid)["status"] == "ready"
        launched = c.post(f"/api/demo/{pid}/launch")
        assert launched.status_code == 200, launched.text
        assert c.get(f"/demos/{slug}/_stcore/health").text == "ok"
        assert '<div id="root"' in c.get(f"/demos/{slug}/").text
        assert "modelhub_running_demos 1.0" in c.get("/api/metrics").text

    # down and up again: the demo container (not a compose service) keeps running, and
    # the new control plane finds it, keeps its record running and its route served
    stack.make("down")
    stack.up()
    with stack.client() as c:
        status = c.get(f"/api/demo/{pid}/status").json()
        assert status["status"] == "running", status
        assert c.get(f"/demos/{slug}/_stcore/health").text == "ok"

    backup_dir = tmp_path / "backup"
    out = stack.make("backup", f"BACKUP_DIR={backup_dir}")
    assert "backed up" in out and (backup_dir / "manifest.json").is_file()
    assert (backup_dir / "bundles" / pid / "app.py").is_file()

    # a fresh stack: volumes removed, demo gone
    with stack.client() as c:
        assert c.post(f"/api/demo/{pid}/stop", headers=auth).status_code == 200
    stack.run("down", "-v")
    stack.up()
    with stack.client() as c:
        assert c.get(f"/api/projects/{pid}").status_code == 404
        assert c.get("/api/projects").json()["total"] == 0

    out = stack.make("restore", f"BACKUP={backup_dir}")
    assert "restored" in out
    with stack.client() as c:
        project = c.get(f"/api/projects/{pid}")
        assert project.status_code == 200 and project.json()["slug"] == slug
        files = c.get(f"/api/projects/{pid}/files").json()
        assert "app.py" in str(files)
        me = c.get("/api/auth/me", headers=auth)  # the old token: same secret, same user
        assert me.status_code == 200, me.text
        # the image is still on this engine: the restored project launches again
        launched = c.post(f"/api/demo/{pid}/launch")
        assert launched.status_code == 200, launched.text
        assert c.get(f"/demos/{slug}/_stcore/health").text == "ok"
        assert c.post(f"/api/demo/{pid}/stop", headers=auth).status_code == 200
        assert c.delete(f"/api/projects/{pid}", headers=auth).status_code == 204
