"""The operator CLI (`modelhub ...`) through typer's CliRunner, against real SQLite,
FerretDB (MongoDB wire protocol), the Docker engine and a running hub (Traefik + control
plane, as `make run` starts it)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
from typer.testing import CliRunner, Result

from modelhub.cli import app
from modelhub.models import DemoInfo, DemoState, Project, ProjectFiles, User
from modelhub.ops.session import connected_store
from modelhub.services.auth import hash_password, verify_password
from modelhub.settings import Settings
from modelhub.storage import create_storage
from tests.fixtures.bundles import hello_bundle, register_and_login, unique, upload, wait_for_build
from tests.fixtures.ferretdb import ferretdb_url  # noqa: F401
from tests.fixtures.hub import RunningHub, hub  # noqa: F401

SECRET = "s" * 64


def hub_env(base: Path, backend: str, mongo_url: str) -> dict[str, str | None]:
    """Environment of a hub whose data lives under ``base``."""
    env: dict[str, str | None] = {
        "MODELHUB_ENV": "production",
        "JWT_SECRET_KEY": SECRET,
        "MODELHUB_DATA_DIR": str(base / "data"),
        "MODELHUB_ROUTES_DIR": str(base / "routes"),
        "MODELHUB_INSTANCE": f"cli-{uuid.uuid4().hex[:8]}",
        "MONGODB_URL": None,
        "DATABASE_NAME": None,
    }
    if backend == "mongodb":
        env["MONGODB_URL"] = mongo_url
        env["DATABASE_NAME"] = f"cli_{uuid.uuid4().hex[:12]}"
    return env


def settings_of(env: dict[str, str | None]) -> Settings:
    return Settings(**{k: v for k, v in env.items() if v is not None})  # type: ignore[arg-type]


def invoke(env: dict[str, str | None], *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, input=input)


@pytest.fixture(params=["sqlite", "mongodb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mongo_url(backend: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("ferretdb_url")) if backend == "mongodb" else ""


# --- create-admin ----------------------------------------------------------------------------
def test_create_admin_creates_then_promotes(tmp_path: Path, backend: str, mongo_url: str) -> None:
    env = hub_env(tmp_path, backend, mongo_url)
    settings = settings_of(env)

    # a new account, the password typed twice at the prompt
    r = invoke(
        env, "create-admin", "--email", "Root@Example.com", input="root-pass-1\nroot-pass-1\n"
    )
    assert r.exit_code == 0, r.output
    assert "created administrator root <root@example.com>" in r.output

    async def existing_user() -> None:
        async with connected_store(settings) as store:
            await store.create_user(
                User(
                    username="bob",
                    email="bob@example.com",
                    password_hash=await hash_password("bob-pass-1"),
                )
            )

    asyncio.run(existing_user())
    r = invoke(env, "create-admin", "--email", "bob@example.com")
    assert r.exit_code == 0, r.output
    assert "promoted administrator bob" in r.output
    # running it again changes nothing and still succeeds (idempotent)
    assert invoke(env, "create-admin", "--email", "bob@example.com").exit_code == 0

    # a too-short password is refused with a message, nothing created
    r = invoke(env, "create-admin", "--email", "eve@example.com", "--password", "short")
    assert r.exit_code == 1 and "at least 8 characters" in r.output

    async def check() -> None:
        async with connected_store(settings) as store:
            root = await store.get_user_by_email("root@example.com")
            bob = await store.get_user_by_email("bob@example.com")
            assert root is not None and root.is_admin and root.username == "root"
            assert await verify_password("root-pass-1", root.password_hash)
            assert bob is not None and bob.is_admin and bob.is_active
            assert await verify_password("bob-pass-1", bob.password_hash)  # kept
            assert await store.get_user_by_email("eve@example.com") is None

    asyncio.run(check())


# --- backup → restore ------------------------------------------------------------------------
def test_backup_then_restore_into_a_fresh_hub(tmp_path: Path, backend: str, mongo_url: str) -> None:
    source = hub_env(tmp_path / "a", backend, mongo_url)
    settings = settings_of(source)
    bundle = tmp_path / "bundle"
    (bundle / "models").mkdir(parents=True)
    (bundle / "app.py").write_text("import streamlit as st\nst.write('restored')\n")
    (bundle / "models" / "weights.bin").write_bytes(bytes(range(256)) * 64)

    async def seed() -> tuple[User, Project]:
        async with connected_store(settings) as store:
            user = await store.create_user(
                User(
                    username="ann",
                    email="ann@example.com",
                    password_hash=await hash_password("ann-pass-1"),
                )
            )
            project = Project(
                name="Restored demo",
                slug=unique("restored"),
                owner_id=user.id,
                tags=["vision"],
                files=ProjectFiles(app_file="app.py", model_files=["models/weights.bin"]),
                demo=DemoInfo(state=DemoState.RUNNING, container_id="gone"),
            )
            await create_storage(settings).upload_directory(project.id, bundle)
            return user, await store.create_project(project)

    user, project = asyncio.run(seed())

    r = invoke(source, "backup", str(tmp_path / "backup"))
    assert r.exit_code == 0, r.output
    assert "1 user(s), 1 project(s), 1 bundle(s) (2 files)" in r.output
    # a backup never overwrites an earlier one
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 1

    target = hub_env(tmp_path / "b", backend, mongo_url)
    r = invoke(target, "restore", str(tmp_path / "backup"))
    assert r.exit_code == 0, r.output
    assert "1 demo(s) set to stopped" in r.output
    restored_settings = settings_of(target)

    async def check() -> None:
        async with connected_store(restored_settings) as store:
            ann = await store.get_user_by_email("ann@example.com")
            assert ann is not None and ann.id == user.id
            assert await verify_password("ann-pass-1", ann.password_hash)
            got = await store.get_project(project.id)
            assert got is not None and got.slug == project.slug and got.tags == ["vision"]
            assert got.created_at == project.created_at
            assert got.demo.state == DemoState.STOPPED
            assert await store.get_project_by_slug(project.slug) is not None
            assert await store.slug_exists(project.slug)
        out = tmp_path / "out"
        await create_storage(restored_settings).download_project(project.id, out)
        assert (out / "models" / "weights.bin").read_bytes() == bytes(range(256)) * 64
        assert (out / "app.py").read_text().endswith("st.write('restored')\n")

    asyncio.run(check())

    # restoring over a hub that has data needs --force
    r = invoke(target, "restore", str(tmp_path / "backup"))
    assert r.exit_code == 1 and "--force" in r.output
    assert invoke(target, "restore", "--force", str(tmp_path / "backup")).exit_code == 0
    # a backup of the other database backend is refused with a reason
    other = hub_env(tmp_path / "c", "sqlite" if backend == "mongodb" else "mongodb", mongo_url)
    if backend == "sqlite":
        other["MONGODB_URL"] = "mongodb://127.0.0.1:9"
    r = invoke(other, "restore", str(tmp_path / "backup"))
    assert r.exit_code == 1 and f"holds a {backend} database" in r.output


# --- against a running hub ---------------------------------------------------------------------
@pytest.fixture
def hub_cli_env(hub: RunningHub) -> Iterator[dict[str, str | None]]:  # noqa: F811
    env: dict[str, str | None] = {k: v for k, v in hub.env.items() if k.startswith("MODELHUB_")}
    secret = Path(hub.env["MODELHUB_DATA_DIR"]) / "secrets" / "jwt_secret"
    env["JWT_SECRET_KEY"] = secret.read_text().strip()
    env["MONGODB_URL"] = None
    env["MODELHUB_PROXY_URL"] = hub.url
    yield env


def built(c: httpx.Client, pid: str) -> dict[str, object]:
    """Follow the build log to its end, then wait for the project record to show it."""
    wait_for_build(c, pid)
    deadline = time.monotonic() + 30
    while True:
        project: dict[str, object] = c.get(f"/api/projects/{pid}").json()
        if project["status"] not in ("pending", "building") or time.monotonic() > deadline:
            return project
        time.sleep(0.2)


def _images(repo: str) -> set[str]:
    client = docker.from_env()
    try:
        return {t for image in client.images.list(name=repo) for t in image.tags}
    finally:
        client.close()


@pytest.mark.docker
@pytest.mark.traefik
def test_demos_rebuild_stop_prune_status(
    hub: RunningHub,  # noqa: F811
    hub_cli_env: dict[str, str | None],
) -> None:
    env = hub_cli_env
    c = hub.client()
    auth = register_and_login(c)
    r = upload(c, auth, hello_bundle("CLI demo"), name=unique("Cli"))
    assert r.status_code == 201, r.text
    pid, slug = r.json()["project"]["id"], r.json()["project"]["slug"]
    first = built(c, pid)
    assert first["status"] == "ready", first
    first_image = str(first["build"]["image"])  # type: ignore[index]
    assert c.post(f"/api/demo/{pid}/launch").status_code == 200

    r = invoke(env, "demos", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = {row["slug"]: row for row in json.loads(r.output)}
    assert rows[slug]["state"] == "running" and rows[slug]["container"] in ("running", "starting")

    r = invoke(env, "status", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert {k: v["status"] for k, v in info["checks"].items()} == {
        "database": "ok", "docker": "ok", "traefik": "ok", "hub": "ok",
    }  # fmt: skip
    assert info["demos_running"] >= 1 and info["database"] == "sqlite"

    # rebuild by slug: a new build runs in the hub and gives a new image
    r = invoke(env, "rebuild", slug)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"{slug}: build ") and "queued" in r.output
    second = built(c, pid)
    assert second["status"] in ("ready", "running"), second
    second_image = str(second["build"]["image"])  # type: ignore[index]
    assert second_image != first_image
    # the running demo still uses the first image, so both are kept
    assert {first_image, second_image} <= _images(f"modelhub-demo/{slug}")

    r = invoke(env, "demos", "stop", pid)
    assert r.exit_code == 0, r.output
    assert f"{slug}: stopped (through the hub's API)" in r.output
    assert c.get(f"/demos/{slug}/_stcore/health").status_code == 404
    assert (
        "no demos running" in invoke(env, "demos", "list").output
        or slug not in invoke(env, "demos", "list").output
    )

    # an orphan: a container labelled for this hub whose project does not exist
    client = docker.from_env()
    try:
        orphan = client.containers.create(
            second_image,
            name=f"{env['MODELHUB_INSTANCE']}-demo-orphan-{uuid.uuid4().hex[:6]}",
            labels={
                "modelhub.managed": "true",
                "modelhub.instance": str(env["MODELHUB_INSTANCE"]),
                "modelhub.project": uuid.uuid4().hex[:24],
                "modelhub.slug": "orphan",
                "modelhub.build": "x",
            },
        )
    finally:
        client.close()

    r = invoke(env, "prune")
    assert r.exit_code == 0, r.output
    assert first_image in r.output and orphan.name in r.output
    assert _images(f"modelhub-demo/{slug}") == {second_image}
    client = docker.from_env()
    try:
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(orphan.id)
    finally:
        client.close()
    assert invoke(env, "prune").output.startswith("removed 0 old image(s), 0 orphan")

    # unknown projects and a stopped hub give one-line errors
    r = invoke(env, "demos", "stop", "no-such-demo")
    assert r.exit_code == 1 and "No project with id or slug 'no-such-demo'" in r.output
    down = {**env, "MODELHUB_PROXY_URL": "http://127.0.0.1:9"}
    r = invoke(down, "rebuild", pid)
    assert r.exit_code == 1 and "does not answer" in r.output
    assert c.delete(f"/api/projects/{pid}", headers=auth).status_code == 204
