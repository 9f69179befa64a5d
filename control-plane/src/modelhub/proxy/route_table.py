"""The RouteTable interface: which demo is served where, on the one public origin.

A route maps a demo's slug to the URL of its running container; the proxy then serves
``/demos/<slug>`` and everything under ``/demos/<slug>/`` from that URL, with the path
unchanged (Streamlit runs with ``baseUrlPath=/demos/<slug>``) and websockets passed through.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from modelhub.errors import InvalidInput
from modelhub.models import SLUG_PATTERN

# scheme://host[:port][/] with a DNS name, IPv4 or [IPv6] host: nothing else, so a target can
# never inject YAML or Go-template syntax into a route file.
TARGET_PATTERN = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?/?"
)


def validate_slug(slug: str) -> str:
    """Return ``slug`` if it is a valid demo slug, else raise :class:`InvalidInput`.

    Valid: 1-63 characters, lowercase letters, digits and ``-``, not starting or ending
    with ``-`` (:data:`modelhub.models.SLUG_PATTERN`).
    """
    if not isinstance(slug, str) or SLUG_PATTERN.fullmatch(slug) is None:
        raise InvalidInput(
            f"Invalid demo slug {slug!r}: use 1-63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit",
            details=[{"field": "slug", "problem": "invalid slug"}],
        )
    return slug


def validate_target_url(target_url: str) -> str:
    """Return ``target_url`` (without a trailing ``/``) if it is ``http(s)://host[:port]``,
    else raise :class:`InvalidInput`. A path, query or credentials are refused: the proxy
    keeps the request path as it is."""
    match = TARGET_PATTERN.fullmatch(target_url) if isinstance(target_url, str) else None
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        raise InvalidInput(
            f"Invalid route target {target_url!r}: expected http://host:port",
            details=[{"field": "target_url", "problem": "invalid URL"}],
        )
    return target_url.rstrip("/")


class RouteTable(ABC):
    """The proxy's routes for demos: ``/demos/<slug>`` → a running container's URL.

    Contract, for every implementation (tests/contract/test_route_table_contract.py runs it):

    - Slugs match ``modelhub.models.SLUG_PATTERN``; any other slug makes every method raise
      :class:`~modelhub.errors.InvalidInput` before anything is written. Targets are
      ``http(s)://host[:port]`` URLs; anything else raises ``InvalidInput`` too.
    - A route for ``x`` serves exactly ``/demos/x`` and ``/demos/x/...`` — never
      ``/demos/x-2`` — with the request path unchanged (no prefix stripping), the Host header
      passed through and websocket upgrades proxied.
    - :meth:`add` and :meth:`remove` change the desired table and return once the change is
      durable (survives a restart of the control plane and of the proxy); the proxy applies
      it moments later. Call :meth:`confirm` / :meth:`confirm_removed` to wait for that.
    - :meth:`list` returns the durable table, so a new instance after a restart sees the
      routes an old one added (reconciliation starts from it).
    - Methods are safe to call concurrently from one event loop.
    - ``confirm*`` take a timeout in seconds rather than relying on the caller's
      ``asyncio.timeout``, so that running out of time raises the domain error with the last
      reason seen, not a bare ``TimeoutError``.
    - Storage failures raise :class:`~modelhub.errors.Unavailable`; the proxy not applying a
      change in time makes ``confirm*`` raise ``Unavailable`` with the reason.
    """

    @abstractmethod
    async def add(self, slug: str, target_url: str) -> None:
        """Route ``/demos/<slug>`` to ``target_url``, replacing any route for ``slug``."""

    @abstractmethod
    async def remove(self, slug: str) -> None:
        """Remove the route for ``slug``. Idempotent: removing a missing route is fine."""

    @abstractmethod
    async def list(self) -> dict[str, str]:
        """Every route, ``{slug: target_url}``, as stored (the truth after a restart)."""

    @abstractmethod
    async def confirm(self, slug: str, timeout: float) -> None:  # noqa: ASYNC109
        """Return once the proxy serves ``slug``'s current route (to its current target).

        Raises ``NotFound`` if the table has no route for ``slug``, and ``Unavailable``
        (saying why: proxy unreachable, router missing or in error) after ``timeout`` seconds.
        """

    @abstractmethod
    async def confirm_removed(self, slug: str, timeout: float) -> None:  # noqa: ASYNC109
        """Return once the proxy no longer serves ``slug``.

        Raises ``Unavailable`` (saying why) after ``timeout`` seconds.
        """
