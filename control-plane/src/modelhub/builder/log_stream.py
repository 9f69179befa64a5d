"""Turn the Docker build API's JSON messages into log lines.

The engine sends ``{"stream": ...}`` chunks that may hold several lines or part of one,
``{"status": ...}`` progress messages, ``{"aux": {"ID": ...}}`` with the image id, and
``{"error": ..., "errorDetail": ...}`` when a step fails. :class:`LogSplitter` keeps the
partial line between chunks and hands out whole lines, without carriage-return progress
noise.
"""

from __future__ import annotations

import re
from typing import Any

MAX_LINE_CHARS = 4000
# the engine colours a step's stderr (ESC[91m ... ESC[0m); creators read plain text
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _tidy(line: str) -> str:
    line = _ANSI.sub("", line)
    if "\r" in line:
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    line = line.rstrip()
    if len(line) > MAX_LINE_CHARS:
        line = line[:MAX_LINE_CHARS] + " …(truncated)"
    return line


class LogSplitter:
    """Accumulates build messages; ``feed`` returns the complete lines they finished."""

    def __init__(self) -> None:
        self._partial = ""
        self.image_id: str | None = None
        self.error: str | None = None

    def feed(self, message: dict[str, Any]) -> list[str]:
        lines: list[str] = []
        stream = message.get("stream")
        if isinstance(stream, str):
            text = self._partial + stream
            *complete, self._partial = text.split("\n")
            lines.extend(_tidy(line) for line in complete)
        aux = message.get("aux")
        if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
            self.image_id = aux["ID"]
        status = message.get("status")
        if isinstance(status, str):
            lines.extend(self.flush())
            progress = message.get("progress")
            lines.append(_tidy(f"{status} {progress}" if progress else status))
        error = message.get("error")
        if error is None and isinstance(message.get("errorDetail"), dict):
            error = message["errorDetail"].get("message")
        if isinstance(error, str):
            lines.extend(self.flush())
            self.error = error.strip()
            lines.append(_tidy(f"ERROR: {self.error}"))
        return lines

    def flush(self) -> list[str]:
        """The pending partial line, if any (call at the end of the stream)."""
        if not self._partial:
            return []
        line, self._partial = _tidy(self._partial), ""
        return [line]
