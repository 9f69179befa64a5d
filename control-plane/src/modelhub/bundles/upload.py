"""Stream a multipart/form-data bundle upload to disk, never holding it in memory.

:func:`parse_upload` reads a Starlette ``Request`` body chunk by chunk with
python-multipart's streaming ``MultipartParser``:

* the one part that has a ``filename`` is the bundle; its bytes go straight to a temp file
  in ``tmp_dir`` (written from a worker thread, 1 MiB at a time);
* every other part is a small text field (name, description, tags, author_name,
  github_url, app_file, ...): at most :data:`MAX_TEXT_FIELDS` of them, each at most
  :data:`MAX_TEXT_FIELD_BYTES` of UTF-8;
* ``settings.max_upload_bytes`` caps the file; the whole body may exceed it by
  :data:`FORM_OVERHEAD_BYTES` (boundaries, part headers, text fields). A Content-Length
  above that is refused before reading; otherwise the count is kept while streaming.

Errors (the temp file is deleted before any of them is raised):

* ``PayloadTooLarge`` (413) as soon as a cap is passed;
* ``InvalidInput`` (415 ``unsupported_media_type``) when the body is not multipart/form-data;
* ``InvalidInput`` (422) "upload incomplete ..." when the client disconnects or the body
  ends before the closing boundary; "not valid multipart/form-data" for a malformed body;
  "no file in the upload" when no part carries a file; a field too long, not UTF-8, too
  many fields, or more than one file.

On success the caller owns ``UploadedBundle.file_path`` and deletes it when done
(:meth:`UploadedBundle.discard`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from modelhub.bundles.archive import human_size
from modelhub.errors import InvalidInput, ModelHubError, PayloadTooLarge
from modelhub.settings import Settings

MAX_TEXT_FIELD_BYTES = 64 * 1024
MAX_TEXT_FIELDS = 32
FORM_OVERHEAD_BYTES = 1024 * 1024
FLUSH_BYTES = 1024 * 1024

INCOMPLETE = "upload incomplete: the connection ended before the whole file arrived; try again"


@dataclass
class UploadedBundle:
    """What :func:`parse_upload` received."""

    fields: dict[str, list[str]]
    file_path: Path
    filename: str  # the client's file name, without any folder part ("" if none)
    file_field: str  # the form field that carried the file (usually "file")
    bytes_received: int  # size of the file

    def field(self, name: str, default: str | None = None) -> str | None:
        """The last value sent for a text field, or ``default``."""
        values = self.fields.get(name)
        return values[-1] if values else default

    def discard(self) -> None:
        """Delete the temp file (idempotent)."""
        self.file_path.unlink(missing_ok=True)


class _Abort(Exception):
    def __init__(self, error: ModelHubError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _FormState:
    max_file_bytes: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    field_count: int = 0
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""
    part: str | None = None  # "file" | "field"
    part_name: str = ""
    value: bytearray = field(default_factory=bytearray)
    file_seen: bool = False
    file_field: str = ""
    filename: str = ""
    file_bytes: int = 0
    pending: bytearray = field(default_factory=bytearray)
    ended: bool = False

    # --- python-multipart callbacks ------------------------------------------------------
    def on_part_begin(self) -> None:
        self.disposition = b""
        self.part = None
        self.value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_field).lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_field = bytearray()
        self.header_value = bytearray()

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.disposition)
        self.part_name = _text(params.get(b"name", b""), "a field name")
        if b"filename" in params:
            if self.file_seen:
                raise _Abort(InvalidInput("send one file per upload (the bundle)"))
            self.file_seen = True
            self.part = "file"
            self.file_field = self.part_name
            raw = _text(params[b"filename"], "the file name")
            self.filename = raw.replace("\\", "/").rsplit("/", 1)[-1]
        else:
            self.field_count += 1
            if self.field_count > MAX_TEXT_FIELDS:
                raise _Abort(InvalidInput(f"too many form fields (at most {MAX_TEXT_FIELDS})"))
            self.part = "field"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part == "file":
            self.file_bytes += end - start
            if self.file_bytes > self.max_file_bytes:
                raise _Abort(_too_large(self.max_file_bytes))
            self.pending += data[start:end]
        elif self.part == "field":
            self.value += data[start:end]
            if len(self.value) > MAX_TEXT_FIELD_BYTES:
                raise _Abort(
                    InvalidInput(
                        f"the form field '{self.part_name}' is too long "
                        f"(at most {MAX_TEXT_FIELD_BYTES // 1024} KiB)",
                        details=[{"field": self.part_name, "problem": "too long"}],
                    )
                )

    def on_part_end(self) -> None:
        if self.part == "field":
            text = _text(bytes(self.value), f"the form field '{self.part_name}'")
            self.fields.setdefault(self.part_name, []).append(text)
        self.part = None

    def on_end(self) -> None:
        self.ended = True


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Abort(InvalidInput(f"{what} is not UTF-8 text")) from exc


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than the {human_size(limit)} limit: make the bundle smaller "
        "(leave out virtual environments, caches and datasets you do not need)"
    )


async def parse_upload(request: Request, tmp_dir: Path, settings: Settings) -> UploadedBundle:
    """Stream the multipart body of ``request`` into a temp file in ``tmp_dir``.

    See the module docstring for the caps and the errors raised.
    """
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise InvalidInput(
            "send the upload as multipart/form-data with the bundle in a file field",
            status_code=415,
            code="unsupported_media_type",
        )
    max_file = settings.max_upload_bytes
    max_body = max_file + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise _too_large(max_file)

    state = _FormState(max_file_bytes=max_file)
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": state.on_part_begin,
                "on_part_data": state.on_part_data,
                "on_part_end": state.on_part_end,
                "on_header_field": state.on_header_field,
                "on_header_value": state.on_header_value,
                "on_header_end": state.on_header_end,
                "on_headers_finished": state.on_headers_finished,
                "on_end": state.on_end,
            },
        )
    except (MultipartParseError, ValueError) as exc:
        raise InvalidInput("the upload is not valid multipart/form-data") from exc

    path, out = await asyncio.to_thread(_open_temp, tmp_dir)
    received = 0
    try:
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > max_body:
                    raise _too_large(max_file)
                parser.write(chunk)
                if len(state.pending) >= FLUSH_BYTES:
                    await _flush(out, state)
                if state.ended:
                    break
            if not state.ended:
                raise InvalidInput(INCOMPLETE)
            await _flush(out, state)
        except _Abort as exc:
            raise exc.error from None
        except ClientDisconnect as exc:
            raise InvalidInput(INCOMPLETE) from exc
        except MultipartParseError as exc:
            raise InvalidInput("the upload is not valid multipart/form-data") from exc
        finally:
            await asyncio.to_thread(out.close)
        if not state.file_seen:
            raise InvalidInput(
                "no file in the upload: send the bundle (.zip or .rar) in the 'file' field"
            )
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return UploadedBundle(
        fields=state.fields,
        file_path=path,
        filename=state.filename,
        file_field=state.file_field,
        bytes_received=state.file_bytes,
    )


def _open_temp(tmp_dir: Path) -> tuple[Path, IO[bytes]]:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-", suffix=".part")
    return Path(name), os.fdopen(fd, "wb")


async def _flush(out: IO[bytes], state: _FormState) -> None:
    if state.pending:
        data = bytes(state.pending)
        state.pending.clear()
        await asyncio.to_thread(out.write, data)
