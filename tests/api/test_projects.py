"""Projects through the API on SQLite and MongoDB (FerretDB): upload, catalog, files,
delete, and every bad upload rejected with nothing kept."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from modelhub.models import BuildState, ProjectFiles, ProjectQuery
from modelhub.models import Project as ProjectRecord
from modelhub.services.container import Services
from modelhub.settings import Settings
from tests.fixtures.archives import rar5_bytes, special_entry, zip_bytes

APP = b"import streamlit as st\nst.title('Iris')\n"
SEED = {
    "iris/app.py": APP,
    "iris/requirements.txt": b"scikit-learn\n",
    "iris/model.pkl": b"\x80\x04fake-pickle",
    "iris/utils.py": b"def f():\n    return 1\n",
    "iris/data.csv": b"a,b\n1,2\n",
    "iris/README.md": b"# Iris\n",
}
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + os.urandom(64)


def services(app: FastAPI) -> Services:
    s: Services = app.state.services
    return s


async def signed_in(client: httpx.AsyncClient, name: str = "alice") -> dict[str, str]:
    email = f"{name}@example.com"
    body = {"username": name, "email": email, "password": "pw-12345678"}
    assert (await client.post("/api/auth/register", json=body)).status_code == 201
    r = await client.post("/api/auth/login", json={"email": email, "password": "pw-12345678"})
    client.cookies.clear()  # each test says who it is with the header
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def upload(
    client: httpx.AsyncClient, auth: dict[str, str], archive: bytes, **fields: str
) -> httpx.Response:
    data = {"name": "Iris classifier", "description": "Predicts iris species",
            "tags": "sklearn, Tabular", "author_name": "Alice", **fields}  # fmt: skip
    return await client.post(
        "/api/projects/upload", headers=auth, data=data,
        files={"file": ("bundle.zip", archive, "application/zip")},
    )  # fmt: skip


def leftovers(settings: Settings) -> list[str]:
    """Files left in the temp and bundle storage dirs."""
    found = []
    for root in (settings.uploads_tmp_dir, settings.storage_dir):
        if root.exists():
            found += [str(p) for p in root.rglob("*") if p.is_file()]
    return found


async def test_upload_seed_bundle_then_find_open_list_files_delete(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    auth = await signed_in(client)
    r = await upload(client, auth, zip_bytes(SEED))
    assert r.status_code == 201, r.text
    body = r.json()
    project = body["project"]
    assert body["project_id"] == project["id"] and body["message"]
    assert project["slug"] == "iris-classifier"
    assert project["tags"] == ["sklearn", "tabular"]
    assert project["status"] in ("pending", "building")
    files = project["files"]
    assert files["app_file"] == "app.py" and files["requirements_file"] == "requirements.txt"
    assert files["model_files"] == ["model.pkl"]
    assert sorted(files["other_files"]) == ["README.md", "data.csv", "utils.py"]

    pid = project["id"]
    listed = (await client.get(f"/api/projects/{pid}/files")).json()
    sizes = {f["path"]: f["size"] for f in listed["files"]}
    assert sizes["app.py"] == len(APP) and len(listed["files"]) == 6
    assert all(len(f["sha256"]) == 64 for f in listed["files"])

    found = (await client.get("/api/projects", params={"search": "IRIS"})).json()
    assert [p["id"] for p in found["projects"]] == [pid]
    assert found["total"] == 1 and found["page"] == 1 and found["pages"] == 1
    by_tag = (await client.get("/api/projects", params={"tags": "tabular"})).json()
    assert by_tag["total"] == 1
    assert (await client.get("/api/projects", params={"tags": "vision"})).json()["total"] == 0
    mine = (await client.get("/api/projects/my-projects", headers=auth)).json()
    assert [p["id"] for p in mine["projects"]] == [pid]
    detail = (await client.get(f"/api/projects/{pid}")).json()
    assert detail["name"] == "Iris classifier" and "build" in detail

    other = await signed_in(client, "mallory")
    assert (await client.delete(f"/api/projects/{pid}", headers=other)).status_code == 403
    assert (await client.delete(f"/api/projects/{pid}")).status_code == 401
    assert (await client.delete(f"/api/projects/{pid}", headers=auth)).status_code == 204
    assert (await client.get(f"/api/projects/{pid}")).status_code == 404
    assert not await services(app).storage.exists(pid)


async def test_rar5_upload_is_accepted(client: httpx.AsyncClient) -> None:
    auth = await signed_in(client)
    archive = rar5_bytes({"app.py": APP, "requirements.txt": b""})
    r = await upload(client, auth, archive)
    assert r.status_code == 201, r.text
    assert r.json()["project"]["files"]["app_file"] == "app.py"


async def test_slugs_are_unique_and_url_safe(client: httpx.AsyncClient) -> None:
    auth = await signed_in(client)
    bundle = zip_bytes({"app.py": APP, "requirements.txt": b""})
    slugs = []
    for name in ("Ünïcode Démo!", "Ünïcode Démo!", "../../etc/passwd", "日本語"):
        r = await upload(client, auth, bundle, name=name)
        assert r.status_code == 201, r.text
        slugs.append(r.json()["project"]["slug"])
    assert slugs == ["unicode-demo", "unicode-demo-2", "etc-passwd", "demo"]


BAD_BUNDLES: dict[str, tuple[bytes, str]] = {
    "zip-slip": (zip_bytes({"../evil.py": b"x", "app.py": APP, "requirements.txt": b""}), ".."),
    "absolute path": (
        zip_bytes({"/etc/cron.d/x.py": b"x", "app.py": APP, "requirements.txt": b""}),
        "absolute",
    ),
    "symlink": (
        zip_bytes(
            [
                special_entry("link.txt", stat.S_IFLNK | 0o777, b"/etc/passwd"),
                ("app.py", APP),
                ("requirements.txt", b""),
            ]
        ),
        "link",
    ),
    "zip bomb": (
        zip_bytes({"app.py": APP, "requirements.txt": b"", "big.txt": b"\0" * (50 * 2**20)}),
        "zip bomb",
    ),
    "ELF named .txt": (
        zip_bytes({"app.py": APP, "requirements.txt": b"", "notes.txt": ELF}),
        "ELF",
    ),
    "empty archive": (zip_bytes({}), "empty"),
    "no requirements.txt": (zip_bytes({"app.py": APP}), "requirements.txt"),
    "no entry file": (zip_bytes({"requirements.txt": b"", "helpers.py": b"x = 1\n"}), "entry"),
    "not an archive": (b"this is not a zip at all" * 10, "ZIP or RAR"),
    ".exe file": (zip_bytes({"app.py": APP, "requirements.txt": b"", "setup.exe": b"MZ"}), "exe"),
}


@pytest.mark.parametrize("case", sorted(BAD_BUNDLES))
async def test_bad_bundle_is_rejected_precisely_and_nothing_is_kept(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, case: str
) -> None:
    archive, expected = BAD_BUNDLES[case]
    auth = await signed_in(client)
    r = await upload(client, auth, archive)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert expected.lower() in (err["message"] + str(err.get("details"))).lower(), err
    assert (await client.get("/api/projects")).json()["total"] == 0
    assert leftovers(settings) == []


async def test_form_and_bundle_problems_come_back_together(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    auth = await signed_in(client)
    r = await upload(
        client, auth, zip_bytes({"app.py": APP}), name="", github_url="http://evil.example"
    )
    assert r.status_code == 422
    details = r.json()["error"]["details"]
    named = {d.get("field") or d.get("file") for d in details}
    assert {"name", "github_url"} <= named
    assert any("requirements.txt" in d["problem"] for d in details)
    assert leftovers(settings) == []


async def test_upload_needs_sign_in_and_multipart(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/projects/upload", files={"file": ("b.zip", b"x")})
    assert r.status_code == 401
    auth = await signed_in(client)
    r = await client.post("/api/projects/upload", headers=auth, json={"name": "x"})
    assert r.status_code in (415, 422) and r.json()["error"]["message"]


@pytest.mark.parametrize("bad_id", ["nope", "0" * 24, "../../etc", "'; DROP TABLE x", "a" * 300])
async def test_malformed_or_unknown_ids_are_404(client: httpx.AsyncClient, bad_id: str) -> None:
    for path in (f"/api/projects/{bad_id}", f"/api/projects/{bad_id}/files",
                 f"/api/demo/{bad_id}/status"):  # fmt: skip
        r = await client.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] == "not_found"


async def test_catalog_filters_sorts_and_pages(client: httpx.AsyncClient, app: FastAPI) -> None:
    store = services(app).store
    files = ProjectFiles(app_file="app.py")
    names = ["Alpha vision", "beta Text", "Gamma audio", "delta vision"]
    for i, name in enumerate(names):
        record = ProjectRecord(
            name=name,
            slug=name.lower().replace(" ", "-"),
            description=f"model {i}",
            tags=["vision"] if "vision" in name else ["other"],
            author_name="Ann" if i % 2 else "Bob",
            owner_id="0" * 24,
            files=files,
            build_state=BuildState.READY if i == 0 else None,
            # a second apart: two records made within one millisecond would tie on newest
            created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        )
        await store.create_project(record)
        for _ in range(i):
            await store.increment_launch_count(record.id)

    async def names_of(**params: object) -> list[str]:
        r = await client.get("/api/projects", params=params)
        assert r.status_code == 200, r.text
        return [p["name"] for p in r.json()["projects"]]

    assert await names_of(sort="name") == [
        "Alpha vision",
        "beta Text",
        "delta vision",
        "Gamma audio",
    ]
    assert await names_of(sort="popular") == [
        "delta vision",
        "Gamma audio",
        "beta Text",
        "Alpha vision",
    ]
    assert await names_of(sort="newest") == list(reversed(names))
    assert await names_of(tags="vision", sort="name") == ["Alpha vision", "delta vision"]
    assert await names_of(author="ann", sort="name") == ["beta Text", "delta vision"]
    assert await names_of(status="ready") == ["Alpha vision"]
    assert await names_of(search="TEXT") == ["beta Text"]
    assert await names_of(search="%") == []
    page = (
        await client.get("/api/projects", params={"limit": 3, "page": 2, "sort": "name"})
    ).json()
    assert page["total"] == 4 and page["pages"] == 2 and page["page"] == 2
    assert [p["name"] for p in page["projects"]] == ["Gamma audio"]
    assert (await client.get("/api/projects", params={"sort": "random"})).status_code == 422
    assert (await client.get("/api/projects", params={"limit": 1000})).status_code == 422
    assert (await client.get("/api/projects", params={"status": "weird"})).status_code == 422
    total, _ = await store.list_projects(ProjectQuery(limit=1))
    assert len(total) == 1
