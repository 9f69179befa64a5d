"""One contract suite for every Storage backend (local directory, S3 via moto over HTTP)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from modelhub.errors import NotFound, Unavailable
from modelhub.models import new_id
from modelhub.settings import Settings
from modelhub.storage import Storage, StoredFile, create_storage
from modelhub.storage.local import LocalStorage
from modelhub.storage.s3 import S3Storage
from tests.fixtures.s3 import S3Server, s3_bucket_fixture, s3_server_fixture  # noqa: F401
from tests.fixtures.storage import storage_fixture, storage_settings_fixture  # noqa: F401

BUNDLE = {
    "app.py": b"import streamlit as st\nst.title('hello')\n",
    "requirements.txt": b"streamlit\n",
    "models/classifier.pkl": bytes(range(256)) * 64,
    ".streamlit/config.toml": b"[theme]\nbase='dark'\n",
    "pages/1_About.py": "import streamlit as st\nst.write('ÄÖÜ')\n".encode(),
    "assets/img/logo.png": b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_upload_list_download_round_trip(storage: Storage, tmp_path: Path) -> None:
    pid = new_id()
    src = write_tree(tmp_path / "src", BUNDLE)

    stored = await storage.upload_directory(pid, src)

    expected = sorted(StoredFile(p, len(d)) for p, d in BUNDLE.items())
    assert stored == expected
    assert await storage.list_files(pid) == expected
    assert await storage.exists(pid)

    dest = tmp_path / "dest"
    downloaded = await storage.download_project(pid, dest)
    assert downloaded == expected
    assert read_tree(dest) == BUNDLE


async def test_projects_are_isolated(storage: Storage, tmp_path: Path) -> None:
    a, b = new_id(), new_id()
    await storage.upload_directory(a, write_tree(tmp_path / "a", {"app.py": b"a"}))
    await storage.upload_directory(b, write_tree(tmp_path / "b", {"main.py": b"b"}))

    assert [f.path for f in await storage.list_files(a)] == ["app.py"]
    assert [f.path for f in await storage.list_files(b)] == ["main.py"]
    await storage.delete_project(a)
    assert [f.path for f in await storage.list_files(b)] == ["main.py"]


async def test_reupload_replaces_the_previous_files(storage: Storage, tmp_path: Path) -> None:
    pid = new_id()
    await storage.upload_directory(pid, write_tree(tmp_path / "v1", BUNDLE))
    v2 = {"main.py": b"print('v2')\n", "requirements.txt": b"numpy\n"}

    await storage.upload_directory(pid, write_tree(tmp_path / "v2", v2))

    assert await storage.list_files(pid) == sorted(StoredFile(p, len(d)) for p, d in v2.items())
    await storage.download_project(pid, tmp_path / "out")
    assert read_tree(tmp_path / "out") == v2


async def test_delete_is_idempotent(storage: Storage, tmp_path: Path) -> None:
    pid = new_id()
    await storage.upload_directory(pid, write_tree(tmp_path / "src", BUNDLE))

    await storage.delete_project(pid)
    await storage.delete_project(pid)
    await storage.delete_project(new_id())  # never stored

    assert await storage.list_files(pid) == []
    assert not await storage.exists(pid)
    with pytest.raises(NotFound):
        await storage.download_project(pid, tmp_path / "dest")


async def test_unknown_project_has_no_files(storage: Storage, tmp_path: Path) -> None:
    pid = new_id()
    assert await storage.list_files(pid) == []
    assert not await storage.exists(pid)
    with pytest.raises(NotFound):
        await storage.download_project(pid, tmp_path / "dest")
    with pytest.raises(NotFound):
        await storage.generate_presigned_url(pid, "app.py", 60)


async def test_presigned_url_serves_the_file(storage: Storage, tmp_path: Path) -> None:
    pid = new_id()
    await storage.upload_directory(pid, write_tree(tmp_path / "src", BUNDLE))

    url = await storage.generate_presigned_url(pid, "models/classifier.pkl", 60)

    if isinstance(storage, LocalStorage):
        assert url is None  # documented: the API streams local files itself
    else:
        assert url is not None
        async with httpx.AsyncClient() as client:
            answer = await client.get(url)
        assert answer.status_code == 200
        assert answer.content == BUNDLE["models/classifier.pkl"]
    with pytest.raises(NotFound):
        await storage.generate_presigned_url(pid, "models/missing.pkl", 60)


async def test_large_file_round_trips(
    storage: Storage, storage_settings: Settings, tmp_path: Path
) -> None:
    pid = new_id()
    big = os.urandom(6 * 1024 * 1024 + 123)
    src = write_tree(tmp_path / "src", {"app.py": b"x", "model.safetensors": big})

    await storage.upload_directory(pid, src)

    assert StoredFile("model.safetensors", len(big)) in await storage.list_files(pid)
    await storage.download_project(pid, tmp_path / "dest")
    assert (tmp_path / "dest" / "model.safetensors").read_bytes() == big
    if isinstance(storage, S3Storage):
        # a multipart upload's ETag is "<md5 of part md5s>-<number of parts>"
        server_client = storage._client
        head = server_client.head_object(
            Bucket=storage_settings.s3_bucket_name, Key=f"projects/{pid}/model.safetensors"
        )
        assert head["ETag"].strip('"').endswith("-2")


async def test_refuses_unsafe_ids_and_paths(storage: Storage, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": b"x"})
    with pytest.raises(ValueError):
        await storage.upload_directory("../../etc", src)
    with pytest.raises(ValueError):
        await storage.generate_presigned_url(new_id(), "../app.py", 60)


async def test_refuses_symlinks_in_the_source(storage: Storage, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": b"x"})
    (src / "secret.txt").symlink_to("/etc/passwd")
    pid = new_id()
    with pytest.raises(ValueError):
        await storage.upload_directory(pid, src)
    assert await storage.list_files(pid) == []


async def test_create_storage_follows_the_setting(
    tmp_path: Path,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    local = create_storage(Settings(env="test", data_dir=tmp_path, storage_backend="local"))
    assert isinstance(local, LocalStorage)
    assert local.root == (tmp_path / "bundles").resolve()
    s3 = create_storage(
        Settings(
            env="test",
            data_dir=tmp_path,
            storage_backend="s3",
            s3_bucket_name=s3_bucket,
            s3_endpoint_url=s3_server.endpoint_url,
            aws_access_key_id=s3_server.access_key_id,
            aws_secret_access_key=s3_server.secret_access_key,
        )
    )
    assert isinstance(s3, S3Storage)
    await s3.ping()
    pid = new_id()
    await s3.upload_directory(pid, write_tree(tmp_path / "src", {"app.py": b"hi"}))
    assert await s3.list_files(pid) == [StoredFile("app.py", 2)]


async def test_s3_that_does_not_answer_is_unavailable(
    s3_server: S3Server,
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = S3Storage(
        bucket="modelhub-nowhere",
        endpoint_url=f"http://127.0.0.1:{closed_port}",
        access_key_id="x",
        secret_access_key="y",
    )
    with pytest.raises(Unavailable):
        await down.ping()
    missing_bucket = S3Storage(
        bucket="modelhub-no-such-bucket",
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key_id,
        secret_access_key=s3_server.secret_access_key,
    )
    with pytest.raises(Unavailable):
        await missing_bucket.ping()
