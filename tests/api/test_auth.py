"""Auth through the API, on SQLite and on MongoDB (FerretDB)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from modelhub.services.container import Services

ALICE = {"username": "alice", "email": "alice@example.com", "password": "correct horse battery"}


async def register(client: httpx.AsyncClient, **over: object) -> httpx.Response:
    return await client.post("/api/auth/register", json={**ALICE, **over})


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def store_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


async def test_register_login_me_logout_then_token_is_dead(client: httpx.AsyncClient) -> None:
    r = await register(client, full_name="Alice A.")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["username"] == "alice" and body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice A." and "password" not in str(body).lower()

    r = await login(client, "ALICE@example.com", ALICE["password"])
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert r.json()["token_type"] == "bearer" and r.json()["user"]["id"] == body["id"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "path=/api" in cookie  # demos under /demos/ never see it

    auth = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/auth/me", headers=auth)
    assert me.status_code == 200 and me.json()["username"] == "alice"

    out = await client.post("/api/auth/logout", headers=auth)
    assert out.status_code == 200
    again = await client.get("/api/auth/me", headers=auth)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "token_revoked"


async def test_cookie_alone_signs_in(client: httpx.AsyncClient) -> None:
    await register(client)
    r = await login(client, ALICE["email"], ALICE["password"])
    token = r.json()["access_token"]
    client.cookies.clear()
    client.cookies.set("modelhub_token", token)
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == ALICE["email"]


async def test_duplicate_email_or_username_is_409(client: httpx.AsyncClient) -> None:
    assert (await register(client)).status_code == 201
    dup_email = await register(client, username="alice2", email="Alice@Example.com")
    assert dup_email.status_code == 409
    assert "email" in dup_email.json()["error"]["message"]
    dup_user = await register(client, username="ALICE", email="other@example.com")
    assert dup_user.status_code == 409
    assert "username" in dup_user.json()["error"]["message"]


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client)
    wrong = await login(client, ALICE["email"], "not the password")
    unknown = await login(client, "nobody@example.com", "whatever123")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_password_longer_than_72_bytes_works_in_full(client: httpx.AsyncClient) -> None:
    long_pw = "é" * 60 + "tail-A"  # 126 bytes in UTF-8
    assert (await register(client, password=long_pw)).status_code == 201
    assert (await login(client, ALICE["email"], long_pw)).status_code == 200
    # bcrypt would ignore everything after byte 72; argon2 does not
    assert (await login(client, ALICE["email"], "é" * 60 + "tail-B")).status_code == 401


async def test_failed_logins_per_account_get_429_with_retry_after(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register(client)
    limit = store_of(app).settings.login_attempts_per_account
    for _ in range(limit):
        assert (await login(client, ALICE["email"], "wrong-password")).status_code == 401
    blocked = await login(client, ALICE["email"], ALICE["password"])
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["error"]["code"] == "rate_limited"


async def test_failed_logins_per_ip_get_429(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = store_of(app).settings.login_attempts_per_ip
    for i in range(limit):
        r = await login(client, f"user{i}@example.com", "wrong-password")
        assert r.status_code == 401
    r = await login(client, "fresh@example.com", "wrong-password")
    assert r.status_code == 429 and "retry-after" in r.headers


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**ALICE, "email": {"$ne": None}}, "email"),
        ({**ALICE, "username": {"$gt": ""}}, "username"),
        ({**ALICE, "email": "not-an-email"}, "email"),
        ({**ALICE, "username": "a" * 33}, "username"),
        ({**ALICE, "username": "bad name!"}, "username"),
        ({**ALICE, "password": "short"}, "password"),
        ({**ALICE, "password": 12345678}, "password"),
        ({**ALICE, "full_name": "x" * 101}, "full_name"),
        ({**ALICE, "is_admin": True}, "is_admin"),
        ({"email": ALICE["email"]}, "username"),
    ],
)
async def test_bad_registration_is_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object], field: str
) -> None:
    r = await client.post("/api/auth/register", json=payload)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert field in {d["field"] for d in err["details"]}
    store = store_of(app).store
    assert await store.get_user_by_email(ALICE["email"]) is None
    assert await store.get_user_by_username("alice") is None


async def test_every_problem_is_listed_at_once(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/auth/register", json={"username": "x", "email": "nope", "password": "1"}
    )
    fields = {d["field"] for d in r.json()["error"]["details"]}
    assert {"username", "email", "password"} <= fields


async def test_malformed_json_is_422_with_one_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/auth/login",
        content=b'{"email": "a@b.c", "password":',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


async def test_operator_injection_in_login_is_rejected(client: httpx.AsyncClient) -> None:
    await register(client)
    r = await client.post(
        "/api/auth/login", json={"email": {"$ne": None}, "password": {"$ne": None}}
    )
    assert r.status_code == 422
    assert "access_token" not in r.text


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Basic abc"],
)
async def test_garbage_tokens_are_401(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/api/auth/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"]["message"]


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
