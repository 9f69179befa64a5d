"""The Store interface: every record the control plane keeps.

One implementation per database (SQLite, the embedded default; MongoDB through PyMongo's
AsyncMongoClient), chosen by one setting (MONGODB_URL set → MongoDB). Both pass the same
contract suite, tests/contract/test_store_contract.py.

Contract, for every implementation:

* Ids are strings (see :mod:`modelhub.models`). A lookup with an id that is malformed or
  unknown returns ``None`` (never raises) so the API can answer 404.
* Values are stored as data, never interpreted as query operators: an email such as
  ``{"$ne": null}`` cannot reach a store (the API validates types first) and a string
  such as ``"$ne"`` is matched literally.
* Unique: user email (case-insensitive), user username (case-insensitive), project slug.
  Creating a duplicate raises :class:`modelhub.errors.Conflict` with ``field`` set to
  ``"email"``, ``"username"`` or ``"slug"`` and stores nothing.
* Datetimes go in and come out timezone-aware UTC, at millisecond precision.
* A failed call leaves no half-written record.
* ``ping`` raises :class:`modelhub.errors.Unavailable` when the database does not answer.
"""

from __future__ import annotations

import abc
from datetime import datetime

from modelhub.models import Build, BuildLogLine, Project, ProjectQuery, User


class Store(abc.ABC):
    """Abstract store; see the module docstring for the contract."""

    backend: str = "abstract"

    # --- lifecycle ---------------------------------------------------------------------
    @abc.abstractmethod
    async def connect(self) -> None:
        """Open connections and create tables/indexes (idempotent)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections. The store may not be used afterwards."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Round-trip to the database; raise Unavailable when it does not answer."""

    # --- users -------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_user(self, user: User) -> User:
        """Insert ``user``; Conflict(field='email'|'username') if either is taken."""

    @abc.abstractmethod
    async def get_user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    async def get_user_by_email(self, email: str) -> User | None:
        """Case-insensitive exact match."""

    @abc.abstractmethod
    async def get_user_by_username(self, username: str) -> User | None:
        """Case-insensitive exact match."""

    # --- revoked tokens ------------------------------------------------------------------
    @abc.abstractmethod
    async def revoke_token(self, jti: str, expires_at: datetime) -> None:
        """Remember ``jti`` as revoked until ``expires_at`` (idempotent)."""

    @abc.abstractmethod
    async def is_token_revoked(self, jti: str) -> bool: ...

    @abc.abstractmethod
    async def purge_expired_revocations(self, now: datetime) -> int:
        """Forget revocations whose token has expired by ``now``; return how many."""

    # --- projects ------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_project(self, project: Project) -> Project:
        """Insert; Conflict(field='slug') if the slug is taken."""

    @abc.abstractmethod
    async def get_project(self, project_id: str) -> Project | None: ...

    @abc.abstractmethod
    async def get_project_by_slug(self, slug: str) -> Project | None: ...

    @abc.abstractmethod
    async def slug_exists(self, slug: str) -> bool: ...

    @abc.abstractmethod
    async def replace_project(self, project: Project) -> None:
        """Write every field of an existing project except ``launch_count`` (changed only by
        :meth:`increment_launch_count`, so a concurrent launch is never lost) and
        ``created_at``. The derived ``status`` is stored for filtering. NotFound if the
        project does not exist."""

    @abc.abstractmethod
    async def increment_launch_count(self, project_id: str) -> int:
        """Atomically add one; return the new count. NotFound if absent."""

    @abc.abstractmethod
    async def delete_project(self, project_id: str) -> bool:
        """Delete the project and its builds and build logs; False if it did not exist."""

    @abc.abstractmethod
    async def list_projects(self, query: ProjectQuery) -> tuple[list[Project], int]:
        """One page of projects matching ``query`` and the total number that match.

        ``search``: case-insensitive substring of name or description, matched literally
        (regex metacharacters have no meaning). ``tags``: the project has every tag given
        (tags are stored lowercase). ``author``: case-insensitive exact author_name.
        ``status``: the derived status. ``sort``: newest (created_at desc), popular
        (launch_count desc, then newest), name (case-insensitive asc). ``page`` starts at 1.
        """

    @abc.abstractmethod
    async def list_all_projects(self) -> list[Project]:
        """Every project (for reconciliation)."""

    # --- builds --------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_build(self, build: Build) -> Build: ...

    @abc.abstractmethod
    async def get_build(self, build_id: str) -> Build | None: ...

    @abc.abstractmethod
    async def replace_build(self, build: Build) -> None:
        """Write every field of an existing build. NotFound if absent."""

    @abc.abstractmethod
    async def latest_build(self, project_id: str) -> Build | None:
        """The most recently created build of the project."""

    @abc.abstractmethod
    async def list_builds_in_states(self, states: list[str]) -> list[Build]: ...

    @abc.abstractmethod
    async def append_build_log(self, build_id: str, lines: list[str]) -> list[BuildLogLine]:
        """Append lines in order; each gets the next ``seq`` (1, 2, …) for that build."""

    @abc.abstractmethod
    async def get_build_log(self, build_id: str, after_seq: int = 0) -> list[BuildLogLine]:
        """Lines with seq > after_seq, in order."""
