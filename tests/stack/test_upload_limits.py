"""Uploads over the size cap and uploads cut off mid-stream, over real HTTP through
Traefik: a clear answer, and nothing kept (no record, no stored file, no temp file)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.bundles import make_zip, register_and_login
from tests.fixtures.hub import RunningHub, start_hub

CAP = 1_000_000


@pytest.fixture(scope="module")
def small_cap_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    hub = start_hub(tmp_path_factory.mktemp("hub-cap"), MODELHUB_MAX_UPLOAD_BYTES=str(CAP))
    yield hub
    hub.interrupt()


def _data_files(hub: RunningHub) -> list[Path]:
    data = Path(hub.env["MODELHUB_DATA_DIR"])
    roots = [data / "tmp", data / "bundles"]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def _multipart_head(boundary: str) -> bytes:
    fields = {"name": "Too big", "author_name": "Tester"}
    head = b""
    for key, value in fields.items():
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    return head


def _raw_upload(hub: RunningHub, auth: str, body_parts: Iterator[bytes], length: int | None) -> str:
    """Send an upload over a raw socket; return the status line (or '' if none came)."""
    boundary = "modelhubtestboundary"
    headers = [
        "POST /api/projects/upload HTTP/1.1",
        f"Host: 127.0.0.1:{hub.public_port}",
        f"Authorization: {auth}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
    ]
    headers.append(f"Content-Length: {length}" if length else "Transfer-Encoding: chunked")
    with socket.create_connection(("127.0.0.1", hub.public_port), timeout=30) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        sock.settimeout(0.05)
        reply = b""
        for part in body_parts:
            data = part if length else f"{len(part):x}\r\n".encode() + part + b"\r\n"
            try:
                sock.sendall(data)
                reply += sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if reply:
                break
        sock.settimeout(10)
        try:
            while b"\r\n" not in reply:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return reply.split(b"\r\n", 1)[0].decode(errors="replace")


def test_upload_over_the_cap_ends_with_413_and_keeps_nothing(small_cap_hub: RunningHub) -> None:
    c = small_cap_hub.client()
    auth = register_and_login(c)["Authorization"]

    def body() -> Iterator[bytes]:
        yield _multipart_head("modelhubtestboundary")
        for _ in range(40):  # 40 x 64 KiB = 2.5 MB of a file, over the 1 MB cap
            yield os.urandom(65536)

    status = _raw_upload(small_cap_hub, auth, body(), length=None)
    assert " 413 " in status, status
    assert c.get("/api/projects").json()["total"] == 0
    assert _data_files(small_cap_hub) == []


def test_declared_length_over_the_cap_is_refused_before_reading(small_cap_hub: RunningHub) -> None:
    c = small_cap_hub.client()
    r = c.post(
        "/api/projects/upload",
        headers=register_and_login(c),
        data={"name": "x", "author_name": "y"},
        files={"file": ("b.zip", make_zip({"app.py": "x" * 10, "big.bin": os.urandom(CAP * 2)}))},
    )
    assert r.status_code == 413
    assert "976.6 KiB limit" in r.json()["error"]["message"]  # names the cap
    assert _data_files(small_cap_hub) == []


def test_upload_cut_off_mid_stream_keeps_nothing(small_cap_hub: RunningHub) -> None:
    c = small_cap_hub.client()
    auth = register_and_login(c)["Authorization"]
    head = _multipart_head("modelhubtestboundary")

    def body() -> Iterator[bytes]:
        yield head
        yield os.urandom(100_000)  # then the client goes away

    _raw_upload(small_cap_hub, auth, body(), length=len(head) + 500_000)
    deadline = time.monotonic() + 20
    while _data_files(small_cap_hub) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _data_files(small_cap_hub) == []
    assert c.get("/api/projects").json()["total"] == 0
