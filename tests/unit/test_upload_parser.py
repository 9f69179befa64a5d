"""Streaming multipart upload parsing, with real multipart bodies built here."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from modelhub.bundles.upload import MAX_TEXT_FIELD_BYTES, UploadedBundle, parse_upload
from modelhub.errors import InvalidInput, ModelHubError, PayloadTooLarge
from modelhub.settings import Settings

BOUNDARY = "----modelhub-test-boundary-7MA4YWxkTrZu0gW"
CHUNK = 64 * 1024


def multipart(
    fields: list[tuple[str, str]],
    files: list[tuple[str, str, bytes]],
    *,
    close: bool = True,
) -> bytes:
    out = bytearray()
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, filename, data in files:
        out += (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    if close:
        out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


class FakeClient:
    """An ASGI ``receive`` that sends a body in chunks, then optionally disconnects."""

    def __init__(self, body: bytes, *, disconnect: bool = False, more_body_at_end: bool = False):
        self.chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [b""]
        self.disconnect = disconnect
        self.more_body_at_end = more_body_at_end
        self.sent = 0

    async def receive(self) -> dict[str, Any]:
        if self.sent < len(self.chunks):
            self.sent += 1
            last = self.sent == len(self.chunks)
            more = not last or self.disconnect or self.more_body_at_end
            return {"type": "http.request", "body": self.chunks[self.sent - 1], "more_body": more}
        if self.disconnect:
            return {"type": "http.disconnect"}
        raise AssertionError("receive() called after the body ended")


def make_request(
    client: FakeClient | Callable[[], Awaitable[dict[str, Any]]],
    *,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    content_length: int | None = None,
) -> Request:
    headers = [(b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    receive = client.receive if isinstance(client, FakeClient) else client
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    return Request(scope, receive)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", max_upload_bytes=1024 * 1024)


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def leftovers(tmp_dir: Path) -> list[str]:
    return sorted(p.name for p in tmp_dir.iterdir()) if tmp_dir.exists() else []


async def parse(body: bytes, tmp_dir: Path, settings: Settings, **kw: Any) -> UploadedBundle:
    return await parse_upload(make_request(FakeClient(body), **kw), tmp_dir, settings)


# --- accepted uploads --------------------------------------------------------------------
async def test_file_and_fields_arrive(tmp_dir: Path, settings: Settings) -> None:
    data = os.urandom(700_000)
    body = multipart(
        [("name", "Iris démo"), ("description", "Classifies\r\niris flowers"), ("tags", "ml"),
         ("tags", "vision"), ("app_file", "predictor.py")],
        [("file", "C:\\Users\\me\\iris bundle.zip", data)],
    )  # fmt: skip

    upload = await parse(body, tmp_dir, settings, content_length=len(body))

    assert upload.file_path.read_bytes() == data
    assert upload.file_path.parent == tmp_dir
    assert upload.bytes_received == len(data)
    assert upload.filename == "iris bundle.zip"
    assert upload.file_field == "file"
    assert upload.field("name") == "Iris démo"
    assert upload.field("description") == "Classifies\r\niris flowers"
    assert upload.fields["tags"] == ["ml", "vision"]
    assert upload.field("app_file") == "predictor.py"
    assert upload.field("github_url") is None
    upload.discard()
    assert leftovers(tmp_dir) == []


async def test_through_a_real_asgi_app(tmp_dir: Path, settings: Settings) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            upload = await parse_upload(request, tmp_dir, settings)
        except ModelHubError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status_code)
        content = upload.file_path.read_bytes()
        upload.discard()
        return JSONResponse({"size": len(content), "name": upload.field("name")})

    app = Starlette(routes=[Route("/upload", endpoint, methods=["POST"])])
    data = os.urandom(300_000)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        ok = await client.post("/upload", data={"name": "demo"}, files={"file": ("b.zip", data)})
        big = await client.post("/upload", files={"file": ("b.zip", os.urandom(1_100_000))})
        not_form = await client.post("/upload", json={"name": "demo"})

    assert ok.status_code == 200 and ok.json() == {"size": len(data), "name": "demo"}
    assert big.status_code == 413
    assert not_form.status_code == 415
    assert leftovers(tmp_dir) == []


# --- refused uploads ---------------------------------------------------------------------
async def test_content_length_over_the_cap_is_refused_before_reading(
    tmp_dir: Path, settings: Settings
) -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    request = make_request(receive, content_length=50 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge) as caught:
        await parse_upload(request, tmp_dir, settings)
    assert "1.0 MiB" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_stream_over_the_cap_stops_at_once(tmp_dir: Path, settings: Settings) -> None:
    body = multipart([("name", "x")], [("file", "b.zip", os.urandom(3 * 1024 * 1024))])
    client = FakeClient(body)  # no Content-Length: a chunked upload

    with pytest.raises(PayloadTooLarge):
        await parse_upload(make_request(client), tmp_dir, settings)

    assert client.sent < len(client.chunks) // 2, "reading must stop as soon as the cap is passed"
    assert leftovers(tmp_dir) == []


async def test_client_disconnect_is_an_incomplete_upload(tmp_dir: Path, settings: Settings) -> None:
    body = multipart([], [("file", "b.zip", os.urandom(200_000))])
    client = FakeClient(body[: len(body) // 2], disconnect=True)
    with pytest.raises(InvalidInput) as caught:
        await parse_upload(make_request(client), tmp_dir, settings)
    assert "upload incomplete" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_body_without_closing_boundary_is_incomplete(
    tmp_dir: Path, settings: Settings
) -> None:
    body = multipart([("name", "x")], [("file", "b.zip", os.urandom(100_000))], close=False)
    with pytest.raises(InvalidInput) as caught:
        await parse(body, tmp_dir, settings)
    assert "upload incomplete" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_text_field_is_capped(tmp_dir: Path, settings: Settings) -> None:
    body = multipart(
        [("description", "x" * (MAX_TEXT_FIELD_BYTES + 1))], [("file", "b.zip", b"PK\x05\x06")]
    )
    with pytest.raises(InvalidInput) as caught:
        await parse(body, tmp_dir, settings)
    assert "'description' is too long" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_upload_without_a_file(tmp_dir: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as caught:
        await parse(multipart([("name", "x")], []), tmp_dir, settings)
    assert "no file" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_two_files_are_refused(tmp_dir: Path, settings: Settings) -> None:
    body = multipart([], [("file", "a.zip", b"a"), ("extra", "b.zip", b"b")])
    with pytest.raises(InvalidInput) as caught:
        await parse(body, tmp_dir, settings)
    assert "one file" in caught.value.message
    assert leftovers(tmp_dir) == []


async def test_not_multipart(tmp_dir: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as caught:
        await parse(b'{"name": "x"}', tmp_dir, settings, content_type="application/json")
    assert caught.value.status_code == 415
    assert leftovers(tmp_dir) == []


async def test_malformed_multipart(tmp_dir: Path, settings: Settings) -> None:
    body = f"--{BOUNDARY}\r\nthis is not a header line at all\x00\r\n\r\n".encode() * 3
    with pytest.raises(InvalidInput):
        await parse(body, tmp_dir, settings)
    assert leftovers(tmp_dir) == []
