"""A large bundle upload through Traefik: control-plane memory, throughput, and the 413 path.

Starts the real hub (``modelhub run``: Traefik + control plane) in a temp dir, signs a user
up through the API, writes a valid bundle to disk (app.py, requirements.txt and an
incompressible model.bin, ZIP_STORED, so the archive is SIZE MB) and streams it from disk
with httpx to ``POST /api/projects/upload`` through Traefik. Prints figures; asserts nothing.

    .venv/bin/python -m tests.benchmarks.bench_upload [SIZE_MB] [--cap-mb N] [--over 1.2]

* accepted upload (SIZE MB, under the cap): peak RSS growth of the control plane (the
  uvicorn child of the launcher; goal <= 64 MB) and of Traefik, throughput, seconds until
  the last byte left the client and until the 201. The build it starts is cancelled by
  deleting the project.
* rejected upload (SIZE x OVER MB, over the cap; the hub's default cap is 500 MiB): time
  until the 413 arrives, bytes sent by then, and RSS growth, twice: with a Content-Length
  (refused before the body is read) and chunked (refused while streaming, at the cap).
  The rejection is sent over a raw socket that watches for the answer while it writes:
  httpx writes the whole body before it reads, so it would time the write, not the 413.

Peak RSS is the kernel's high-water mark (VmHWM in /proc/<pid>/status), reset before each
upload through /proc/<pid>/clear_refs; a 5 ms sampler of VmRSS is printed beside it.
MB here is MiB (2**20 bytes), as the cap is.
"""

from __future__ import annotations

import argparse
import io
import os
import select
import socket
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.fixtures.bundles import HELLO_APP, register_and_login, unique
from tests.fixtures.hub import RunningHub, start_hub

MB = 1024 * 1024
CHUNK = MB
RSS_GOAL_MB = 64
ZIP_SLACK = 64 * 1024  # headers of three ZIP entries and the central directory


# --- processes and their memory -------------------------------------------------------------
def _children(ppid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == ppid:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    return (Path(f"/proc/{pid}/cmdline").read_bytes()).replace(b"\0", b" ").decode()


def child_process(hub: RunningHub, needle: str) -> int:
    """The launcher's child whose command line holds ``needle`` ("uvicorn", "traefik")."""
    for pid in _children(hub.process.pid):
        if needle in _cmdline(pid):
            return pid
    raise SystemExit(f"no child process of the hub runs {needle!r}")


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise SystemExit(f"/proc/{pid}/status has no {key}")


@dataclass
class MemoryWatch:
    """RSS of one process during a measured interval: start, kernel peak, sampled peak."""

    pid: int
    start_kb: int = 0
    sampled_peak_kb: int = 0
    hwm_reset: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemoryWatch:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM to VmRSS
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.start_kb = self.sampled_peak_kb = _status_kb(self.pid, "VmRSS")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.sampled_peak_kb = max(self.sampled_peak_kb, _status_kb(self.pid, "VmRSS"))

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sampled_peak_kb = max(self.sampled_peak_kb, _status_kb(self.pid, "VmRSS"))

    @property
    def growth_mb(self) -> float:
        """Peak RSS growth: the kernel's high-water mark when it could be reset."""
        peak = _status_kb(self.pid, "VmHWM") if self.hwm_reset else self.sampled_peak_kb
        return (max(peak, self.sampled_peak_kb) - self.start_kb) / 1024

    @property
    def sampled_growth_mb(self) -> float:
        return (self.sampled_peak_kb - self.start_kb) / 1024


# --- the bundle ------------------------------------------------------------------------------
def write_bundle(path: Path, size_bytes: int) -> None:
    """A valid bundle of about ``size_bytes``: model.bin of random bytes, stored."""
    model_bytes = max(MB, size_bytes - ZIP_SLACK)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("app.py", HELLO_APP)
        zf.writestr("requirements.txt", "")
        with zf.open(zipfile.ZipInfo("model.bin"), "w", force_zip64=True) as out:
            left = model_bytes
            while left:
                block = os.urandom(min(CHUNK, left))
                out.write(block)
                left -= len(block)


class TimedFile(io.BufferedReader):
    """A file read from disk in chunks, remembering when its last byte was read."""

    eof_at: float | None = None

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data and self.eof_at is None:
            self.eof_at = time.perf_counter()
        return data


FORM = {"description": "Upload benchmark", "tags": "bench", "author_name": "Bench"}


# --- accepted upload ---------------------------------------------------------------------------
def accepted_upload(hub: RunningHub, auth: dict[str, str], bundle: Path) -> None:
    size_mb = bundle.stat().st_size / MB
    api_pid = child_process(hub, "uvicorn")
    traefik_pid = child_process(hub, "traefik")
    timeout = httpx.Timeout(600.0, connect=10.0)
    with (
        httpx.Client(base_url=hub.url, timeout=timeout) as client,
        TimedFile(io.FileIO(bundle, "r"), buffer_size=CHUNK) as fh,
        MemoryWatch(api_pid) as api_mem,
        MemoryWatch(traefik_pid) as traefik_mem,
    ):
        began = time.perf_counter()
        response = client.post(
            "/api/projects/upload",
            headers=auth,
            data={"name": unique("Upload bench"), **FORM},
            files={"file": ("bundle.zip", fh, "application/zip")},
        )
        ended = time.perf_counter()
    sent = (fh.eof_at or ended) - began
    total = ended - began
    status = response.status_code
    print(f"accepted upload: {size_mb:.0f} MB bundle through Traefik -> HTTP {status}")
    print(
        f"  control plane peak RSS growth {api_mem.growth_mb:7.1f} MB   (goal <= {RSS_GOAL_MB} MB;"
        f" 5 ms sampler {api_mem.sampled_growth_mb:.1f} MB, start {api_mem.start_kb / 1024:.0f} MB)"
    )
    print(f"  Traefik peak RSS growth       {traefik_mem.growth_mb:7.1f} MB")
    print(f"  body sent in {sent:6.2f} s   ({size_mb / sent:6.1f} MB/s)")
    print(
        f"  201 after    {total:6.2f} s   ({size_mb / total:6.1f} MB/s end to end; "
        f"{total - sent:.2f} s after the last byte: validation, extraction, storage)"
    )
    if response.status_code != 201:
        print(f"  response: {response.text[:500]}")
        return
    project_id = response.json()["project_id"]
    deleted = httpx.delete(
        f"{hub.url}/api/projects/{project_id}", headers=auth, timeout=timeout
    ).status_code
    print(f"  project deleted (build cancelled): HTTP {deleted}")


# --- rejected upload -------------------------------------------------------------------------
@dataclass
class Rejection:
    status: str
    seconds: float
    sent_mb: float


def multipart_parts(boundary: str, name: str, body_mb: int) -> Iterator[bytes]:
    """A multipart form whose file part is ``body_mb`` MB of random bytes (one block
    repeated: the contents do not matter for a refusal)."""
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in {"name": name, **FORM}.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    )
    yield head.encode()
    block = os.urandom(CHUNK)
    for _ in range(body_mb):
        yield block
    yield f"\r\n--{boundary}--\r\n".encode()


def _write_watching(sock: socket.socket, data: bytes) -> bytes | None:
    """Write ``data``; stop at once and return the first bytes of an answer if one comes."""
    view = memoryview(data)
    while view:
        readable, writable, _ = select.select([sock], [sock], [], 60)
        if readable:
            return sock.recv(4096)
        if writable:
            view = view[sock.send(view[:262144]) :]
    return None


def send_until_answer(
    hub: RunningHub, auth: dict[str, str], body_mb: int, *, chunked: bool
) -> Rejection:
    """POST the form over a raw socket, watching for the answer between writes."""
    boundary = f"bench{os.urandom(8).hex()}"
    name = unique("Too big")
    length = sum(len(p) for p in multipart_parts(boundary, name, 0)) + body_mb * CHUNK
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    headers = (
        f"POST /api/projects/upload HTTP/1.1\r\nHost: 127.0.0.1:{hub.public_port}\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n\r\n"
    ).encode()
    sent = 0
    answer: bytes | None = None
    sock = socket.create_connection(("127.0.0.1", hub.public_port), timeout=60)
    began = time.perf_counter()
    try:
        answer = _write_watching(sock, headers)
        for part in multipart_parts(boundary, name, body_mb):
            if answer is not None:
                break
            data = f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part
            answer = _write_watching(sock, data)
            sent += len(part)
        if answer is None:
            answer = _write_watching(sock, b"0\r\n\r\n" if chunked else b"") or sock.recv(4096)
    except OSError as exc:  # reset while writing: the answer may still be readable
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = f"connection error: {exc}".encode()
    seconds = time.perf_counter() - began
    sock.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "no answer"
    return Rejection(status=status, seconds=seconds, sent_mb=sent / MB)


def rejected_upload(hub: RunningHub, auth: dict[str, str], body_mb: int, cap_mb: int) -> None:
    api_pid = child_process(hub, "uvicorn")
    print(f"rejected upload: {body_mb} MB over a {cap_mb} MB cap")
    for chunked in (False, True):
        with MemoryWatch(api_pid) as mem:
            result = send_until_answer(hub, auth, body_mb, chunked=chunked)
        how = "chunked (no length)  " if chunked else "with Content-Length  "
        print(
            f"  {how} {result.status!r:<34} after {result.seconds:6.2f} s, "
            f"{result.sent_mb:6.1f} MB sent, control plane peak RSS growth {mem.growth_mb:5.1f} MB"
        )
    leftovers = [p for p in (Path(hub.env["MODELHUB_DATA_DIR"])).rglob("upload-*") if p.is_file()]
    print(f"  upload temp files left behind: {len(leftovers)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("size_mb", nargs="?", type=int, default=500, help="bundle size, MB")
    parser.add_argument(
        "--cap-mb", type=int, default=None, help="upload cap of the hub (default: SIZE_MB)"
    )
    parser.add_argument("--over", type=float, default=1.2, help="rejected size / cap")
    args = parser.parse_args()
    cap_mb = args.cap_mb or args.size_mb
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        bundle = root / "bundle.zip"
        began = time.perf_counter()
        write_bundle(bundle, args.size_mb * MB)
        print(
            f"bundle: {bundle.stat().st_size / MB:.1f} MB written in "
            f"{time.perf_counter() - began:.1f} s; hub cap {cap_mb} MB",
            flush=True,
        )
        hub = start_hub(root / "hub", MODELHUB_MAX_UPLOAD_BYTES=str(cap_mb * MB))
        try:
            with httpx.Client(base_url=hub.url, timeout=30) as client:
                auth = register_and_login(client)
            accepted_upload(hub, auth, bundle)
            rejected_upload(hub, auth, round(cap_mb * args.over), cap_mb)
        finally:
            hub.interrupt()


if __name__ == "__main__":
    main()
