"""Create an administrator, or promote an existing account to one.

The store interface has no "update user" operation (accounts never change through the
API), so promotion writes the one field in the backend's own terms: a JSON field of the
``users.doc`` column in SQLite, a ``$set`` in MongoDB.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient

from modelhub.errors import Conflict, InvalidInput
from modelhub.models import User
from modelhub.ops.session import connected_store
from modelhub.services.auth import hash_password
from modelhub.settings import Settings

MIN_PASSWORD = 8


@dataclass(frozen=True)
class AdminResult:
    user_id: str
    email: str
    username: str
    created: bool  # False: an existing account was promoted
    password_changed: bool


def _sqlite_update(path: Path, user_id: str, fields: dict[str, object]) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            for key, value in fields.items():
                conn.execute(
                    "UPDATE users SET doc = json_set(doc, ?, json(?)) WHERE id = ?",
                    (f"$.{key}", json.dumps(value), user_id),
                )
    finally:
        conn.close()


async def _mongo_update(settings: Settings, user_id: str, fields: dict[str, object]) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongodb_url, serverSelectionTimeoutMS=5000
    )
    try:
        await client[settings.database_name]["users"].update_one({"_id": user_id}, {"$set": fields})
    finally:
        await client.close()


async def _update_user(settings: Settings, user_id: str, fields: dict[str, object]) -> None:
    if settings.database_backend == "mongodb":
        await _mongo_update(settings, user_id, fields)
    else:
        assert settings.sqlite_path is not None
        await asyncio.to_thread(_sqlite_update, settings.sqlite_path, user_id, fields)


async def create_or_promote_admin(
    settings: Settings,
    *,
    email: str,
    username: str | None,
    password: str | None,
    reset_password: bool = False,
) -> AdminResult:
    """Make ``email`` an active administrator, creating the account when it is new.

    A new account needs a password (at least 8 characters). An existing one keeps its
    password unless ``reset_password`` is set. Raises InvalidInput or Conflict (the
    username belongs to another account).
    """
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput(f"{email!r} is not an email address")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD} characters")
    async with connected_store(settings) as store:
        existing = await store.get_user_by_email(email)
        if existing is None:
            if not password:
                raise InvalidInput("A new administrator needs a password")
            name = (username or email.split("@", 1)[0]).strip()
            if await store.get_user_by_username(name):
                raise Conflict(
                    f"The username {name!r} belongs to another account; pass another one",
                    field="username",
                )
            user = User(
                username=name,
                email=email,
                password_hash=await hash_password(password),
                is_admin=True,
            )
            created = await store.create_user(user)
            return AdminResult(created.id, created.email, created.username, True, True)
    fields: dict[str, object] = {"is_admin": True, "is_active": True}
    changed = bool(reset_password and password)
    if changed and password:
        fields["password_hash"] = await hash_password(password)
    await _update_user(settings, existing.id, fields)
    return AdminResult(existing.id, existing.email, existing.username, False, changed)
