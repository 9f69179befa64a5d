"""Accounts and sessions: password hashing, JWT access tokens, revocation, login limits.

* Passwords: argon2id through pwdlib (no 72-byte limit, unlike bcrypt).
* Tokens: HS256/384/512 JWTs through joserfc, with ``sub`` (user id), ``jti``, ``iat`` and
  ``exp``. Logout revokes the ``jti`` in the store until the token would have expired.
* Failed logins are limited per client IP and per account (429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from modelhub.errors import Conflict, RateLimited, Unauthorized
from modelhub.models import User
from modelhub.services.rate_limit import SlidingWindow
from modelhub.settings import Settings
from modelhub.store.base import Store

_hasher = PasswordHash((Argon2Hasher(),))
# verified against when the email is unknown, so both failures cost the same time
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

INVALID_CREDENTIALS = "Wrong email or password"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    jti: str
    expires_at: datetime


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(_hasher.verify, password, password_hash)


class AuthService:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._key = OctKey.import_key(settings.jwt_secret_key.encode())
        window = settings.login_window_seconds
        self._per_ip = SlidingWindow(settings.login_attempts_per_ip, window)
        self._per_account = SlidingWindow(settings.login_attempts_per_account, window)

    # --- accounts ------------------------------------------------------------------------
    async def register(
        self, *, username: str, email: str, password: str, full_name: str | None
    ) -> User:
        if await self.store.get_user_by_email(email):
            raise Conflict("An account with this email already exists", field="email")
        if await self.store.get_user_by_username(username):
            raise Conflict("This username is taken; choose another", field="username")
        user = User(
            username=username,
            email=email.lower(),
            full_name=full_name,
            password_hash=await hash_password(password),
        )
        return await self.store.create_user(user)

    async def login(self, *, email: str, password: str, client_ip: str) -> tuple[User, IssuedToken]:
        account = email.lower()
        wait = max(self._per_ip.retry_after(client_ip), self._per_account.retry_after(account))
        if wait:
            raise RateLimited(
                f"Too many failed sign-in attempts; try again in {wait} s", retry_after=wait
            )
        # counted before the (slow) password check, so parallel guesses cannot slip past
        self._per_ip.hit(client_ip)
        self._per_account.hit(account)
        user = await self.store.get_user_by_email(account)
        ok = await verify_password(password, user.password_hash if user else _DUMMY_HASH)
        if user is None or not ok or not user.is_active:
            raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
        self._per_ip.forget_one(client_ip)
        self._per_account.reset(account)
        return user, self.issue_token(user)

    # --- tokens --------------------------------------------------------------------------
    def issue_token(self, user: User) -> IssuedToken:
        now = datetime.now(UTC).replace(microsecond=0)
        expires_at = now + timedelta(minutes=self.settings.access_token_expire_minutes)
        jti = secrets.token_urlsafe(16)
        claims = {
            "sub": user.id,
            "jti": jti,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        token = jwt.encode({"alg": self.settings.jwt_algorithm}, claims, self._key)
        return IssuedToken(token=token, jti=jti, expires_at=expires_at)

    def decode_token(self, token: str) -> TokenClaims:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[self.settings.jwt_algorithm])
            registry = jwt.JWTClaimsRegistry(
                exp={"essential": True}, sub={"essential": True}, jti={"essential": True}
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(
                "Your session is invalid or has expired; sign in again",
                code="invalid_token",
                log_message=f"rejected token: {exc.__class__.__name__}",
            ) from exc
        claims = decoded.claims
        return TokenClaims(
            user_id=str(claims["sub"]),
            jti=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )

    async def authenticate(self, token: str) -> tuple[User, TokenClaims]:
        claims = self.decode_token(token)
        if await self.store.is_token_revoked(claims.jti):
            raise Unauthorized("You have signed out; sign in again", code="token_revoked")
        user = await self.store.get_user(claims.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("This account no longer exists", code="invalid_token")
        return user, claims

    async def logout(self, claims: TokenClaims) -> None:
        await self.store.revoke_token(claims.jti, claims.expires_at)
