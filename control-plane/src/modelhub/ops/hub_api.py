"""Ask the running hub to do what only its process can do (queue a build, stop a demo).

Builds run inside the control-plane process (its build queue and workers), so an operator
command cannot run one itself: it calls the hub's API at ``MODELHUB_PROXY_URL/api`` (inside
compose, ``http://traefik:8080``) with a short-lived token. The token is minted from the
JWT secret the CLI shares with the hub, for the project's owner — the API's own owner
checks then apply — and revoked in the store as soon as the call returns.
"""

from __future__ import annotations

from typing import Any

import httpx

from modelhub.errors import ModelHubError, NotFound, Unavailable
from modelhub.models import Project
from modelhub.ops.session import connected_store, find_project
from modelhub.services.auth import AuthService
from modelhub.settings import Settings

TOKEN_MINUTES = 5


class HubRefused(ModelHubError):
    """The hub answered with an error."""

    status_code = 502
    code = "hub_refused"


async def call_as_owner(
    settings: Settings, project_ref: str, method: str, path_template: str
) -> tuple[Project, dict[str, Any]]:
    """``method`` ``{proxy_url}/api/...`` (``{id}`` in the template is the project's id) as
    the project's owner; returns the project and the JSON answer.

    Raises NotFound (no such project), Unavailable (the hub does not answer), HubRefused.
    """
    short = settings.model_copy(update={"access_token_expire_minutes": TOKEN_MINUTES})
    async with connected_store(settings) as store:
        project = await find_project(store, project_ref)
        if project is None:
            raise NotFound(f"No project with id or slug {project_ref!r}")
        owner = await store.get_user(project.owner_id)
        if owner is None:
            raise NotFound(f"The owner of {project.slug} no longer exists")
        issued = AuthService(short, store).issue_token(owner)
        url = f"{settings.proxy_url}/api{path_template.format(id=project.id)}"
        try:
            async with httpx.AsyncClient(timeout=60.0) as client:
                response = await client.request(
                    method, url, headers={"Authorization": f"Bearer {issued.token}"}
                )
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"The hub does not answer at {settings.proxy_url} ({exc.__class__.__name__}); "
                "start it (`make up` or `make run`) or set MODELHUB_PROXY_URL",
            ) from exc
        finally:
            await store.revoke_token(issued.jti, issued.expires_at)
    body: dict[str, Any] = {}
    if response.content:
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:300]}
    if response.status_code >= 400:
        error = body.get("error")
        details = error if isinstance(error, dict) else body
        message = details.get("message") or response.text[:300]
        raise HubRefused(f"The hub refused ({response.status_code}): {message}")
    return project, body
