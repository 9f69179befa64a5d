"""Request and response bodies of the auth routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from modelhub.models import User

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
# argon2 has no 72-byte limit; 1024 caps the cost of hashing a hostile input
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username = Field(description="3-32 letters, digits, '_', '.' or '-'")
    email: Email
    password: Password = Field(description="at least 8 characters")
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = (
        None
    )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class UserOut(BaseModel):
    id: str
    username: str
    email: str
    full_name: str | None
    is_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            full_name=user.full_name,
            is_admin=user.is_admin,
            created_at=user.created_at,
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    user: UserOut


class MessageOut(BaseModel):
    message: str
