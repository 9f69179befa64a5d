"""The Store contract (modelhub/store/base.py), run against SQLite and MongoDB (FerretDB)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from modelhub.errors import Conflict, NotFound, Unavailable
from modelhub.models import (
    Build,
    BuildState,
    DemoInfo,
    DemoState,
    Project,
    ProjectFiles,
    ProjectQuery,
    User,
    new_id,
)
from modelhub.settings import Settings
from modelhub.store import create_store
from modelhub.store.base import Store
from modelhub.store.mongo import MongoStore
from modelhub.store.sqlite import SQLiteStore

MALFORMED_IDS = ["zzz", "", "../x", "g" * 24, "ABCDEF0123456789ABCDEF01", '{"$ne": null}']
BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_user(username: str = "ada", email: str = "ada@example.com", **kw: Any) -> User:
    return User(username=username, email=email, password_hash="argon2-hash", **kw)


def make_project(slug: str, **kw: Any) -> Project:
    kw.setdefault("name", slug.replace("-", " ").title())
    kw.setdefault("owner_id", new_id())
    return Project(slug=slug, files=ProjectFiles(app_file="app.py"), **kw)


def is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


async def slugs(store: Store, **query: Any) -> list[str]:
    query.setdefault("limit", 100)
    projects, _ = await store.list_projects(ProjectQuery(**query))
    return [p.slug for p in projects]


# --- lifecycle ----------------------------------------------------------------------------
async def test_ping_answers_while_connected_and_fails_after_close(store: Store) -> None:
    await store.ping()
    await store.close()
    with pytest.raises(Unavailable):
        await store.ping()


# --- users --------------------------------------------------------------------------------
async def test_user_found_by_id_email_and_username_in_any_case(store: Store) -> None:
    created = await store.create_user(make_user("Ada_L", "Ada.Lovelace@Example.com"))

    by_id = await store.get_user(created.id)
    by_email = await store.get_user_by_email("ada.lovelace@EXAMPLE.COM")
    by_username = await store.get_user_by_username("ada_l")

    assert by_id == created
    assert by_email == created
    assert by_username == created
    assert by_id is not None and by_id.username == "Ada_L"  # kept as typed
    assert await store.get_user_by_email("someone@example.com") is None
    assert await store.get_user_by_username("ada") is None


async def test_duplicate_email_is_a_conflict_and_stores_nothing(store: Store) -> None:
    await store.create_user(make_user("ada", "ada@example.com"))
    newcomer = make_user("grace", "ADA@example.com")

    with pytest.raises(Conflict) as info:
        await store.create_user(newcomer)

    assert info.value.field == "email"
    assert await store.get_user(newcomer.id) is None
    assert await store.get_user_by_username("grace") is None


async def test_duplicate_username_is_a_conflict_and_stores_nothing(store: Store) -> None:
    await store.create_user(make_user("ada", "ada@example.com"))
    newcomer = make_user("ADA", "grace@example.com")

    with pytest.raises(Conflict) as info:
        await store.create_user(newcomer)

    assert info.value.field == "username"
    assert await store.get_user(newcomer.id) is None
    assert await store.get_user_by_email("grace@example.com") is None


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
async def test_malformed_or_unknown_ids_are_not_found(store: Store, bad_id: str) -> None:
    user = await store.create_user(make_user())
    project = await store.create_project(make_project("demo", owner_id=user.id))
    await store.create_build(Build(project_id=project.id))

    assert await store.get_user(bad_id) is None
    assert await store.get_project(bad_id) is None
    assert await store.get_build(bad_id) is None
    assert await store.latest_build(bad_id) is None
    assert await store.delete_project(bad_id) is False
    with pytest.raises(NotFound):
        await store.increment_launch_count(bad_id)
    # an unknown but well-formed id too
    assert await store.get_user(new_id()) is None
    assert await store.get_project(new_id()) is None
    assert await store.get_build(new_id()) is None
    # and nothing was disturbed
    assert await store.get_project(project.id) is not None


async def test_operator_like_strings_are_matched_literally(store: Store) -> None:
    odd = await store.create_user(make_user("$ne", '{"$gt": ""}'))
    plain = await store.create_user(make_user("grace", "grace@example.com"))

    assert await store.get_user_by_username("$ne") == odd
    assert await store.get_user_by_email('{"$gt": ""}') == odd
    assert await store.get_user_by_username('{"$gt": ""}') is None
    assert await store.get_user_by_email("$ne") is None
    assert await store.get_user_by_username(".*") is None
    assert await store.get_user_by_email("grace@example.com") == plain
    assert await store.get_project_by_slug('{"$ne": null}') is None
    assert await store.slug_exists("$ne") is False


# --- revoked tokens -------------------------------------------------------------------------
async def test_token_revocation_is_remembered_idempotent_and_purged(store: Store) -> None:
    now = BASE_TIME
    await store.revoke_token("jti-old", now - timedelta(minutes=1))
    await store.revoke_token("jti-live", now + timedelta(hours=1))
    await store.revoke_token("jti-live", now + timedelta(hours=1))  # again: no error

    assert await store.is_token_revoked("jti-old") is True
    assert await store.is_token_revoked("jti-live") is True
    assert await store.is_token_revoked("jti-never") is False
    assert await store.is_token_revoked("$ne") is False

    assert await store.purge_expired_revocations(now) == 1
    assert await store.is_token_revoked("jti-old") is False
    assert await store.is_token_revoked("jti-live") is True
    assert await store.purge_expired_revocations(now) == 0


async def test_revocation_expiry_compares_instants_across_timezones(store: Store) -> None:
    plus_five = timezone(timedelta(hours=5))
    # 17:00+05:00 is 12:00 UTC
    await store.revoke_token("jti", datetime(2024, 5, 1, 17, 0, tzinfo=plus_five))

    assert await store.purge_expired_revocations(BASE_TIME - timedelta(seconds=1)) == 0
    assert await store.purge_expired_revocations(BASE_TIME) == 1


# --- projects -----------------------------------------------------------------------------
async def test_project_found_by_id_and_slug(store: Store) -> None:
    project = make_project("cat-detector", description="Finds cats", tags=["vision", "cnn"])
    created = await store.create_project(project)

    assert await store.get_project(project.id) == created
    assert await store.get_project_by_slug("cat-detector") == created
    assert await store.slug_exists("cat-detector") is True
    assert await store.slug_exists("dog-detector") is False
    assert await store.get_project_by_slug("dog-detector") is None
    assert created.tags == ["vision", "cnn"]


async def test_duplicate_slug_is_a_conflict_and_stores_nothing(store: Store) -> None:
    await store.create_project(make_project("cat-detector", name="First"))
    second = make_project("cat-detector", name="Second")

    with pytest.raises(Conflict) as info:
        await store.create_project(second)

    assert info.value.field == "slug"
    assert await store.get_project(second.id) is None
    kept = await store.get_project_by_slug("cat-detector")
    assert kept is not None and kept.name == "First"
    assert (await store.list_projects(ProjectQuery()))[1] == 1


async def test_replace_project_writes_fields_but_keeps_launch_count_and_created_at(
    store: Store,
) -> None:
    original = await store.create_project(make_project("demo", created_at=BASE_TIME))
    await store.increment_launch_count(original.id)
    await store.increment_launch_count(original.id)

    edited = original.model_copy(
        update={
            "name": "Renamed",
            "description": "New words",
            "tags": ["audio"],
            "build_state": BuildState.READY,
            "launch_count": 0,  # stale copy: must not overwrite the counter
            "created_at": BASE_TIME + timedelta(days=3),
        }
    )
    await store.replace_project(edited)

    stored = await store.get_project(original.id)
    assert stored is not None
    assert stored.name == "Renamed"
    assert stored.description == "New words"
    assert stored.tags == ["audio"]
    assert stored.build_state == BuildState.READY
    assert stored.launch_count == 2
    assert stored.created_at == BASE_TIME
    assert await slugs(store, tags=["audio"], status="ready") == ["demo"]


async def test_replace_unknown_project_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.replace_project(make_project("ghost"))
    assert await store.get_project_by_slug("ghost") is None


async def test_concurrent_launch_count_increments_are_all_counted(store: Store) -> None:
    project = await store.create_project(make_project("popular"))

    results = await asyncio.gather(*(store.increment_launch_count(project.id) for _ in range(20)))

    assert sorted(results) == list(range(1, 21))
    stored = await store.get_project(project.id)
    assert stored is not None and stored.launch_count == 20
    with pytest.raises(NotFound):
        await store.increment_launch_count(new_id())


async def test_delete_project_removes_its_builds_and_logs(store: Store) -> None:
    doomed = await store.create_project(make_project("doomed"))
    kept = await store.create_project(make_project("kept"))
    doomed_build = await store.create_build(Build(project_id=doomed.id))
    kept_build = await store.create_build(Build(project_id=kept.id))
    await store.append_build_log(doomed_build.id, ["step 1", "step 2"])
    await store.append_build_log(kept_build.id, ["kept 1"])

    assert await store.delete_project(doomed.id) is True

    assert await store.get_project(doomed.id) is None
    assert await store.slug_exists("doomed") is False
    assert await store.get_build(doomed_build.id) is None
    assert await store.latest_build(doomed.id) is None
    assert await store.get_build_log(doomed_build.id) == []
    assert await store.delete_project(doomed.id) is False
    # the other project is untouched
    assert await store.get_project(kept.id) is not None
    assert await store.get_build(kept_build.id) is not None
    assert [line.line for line in await store.get_build_log(kept_build.id)] == ["kept 1"]
    assert await slugs(store) == ["kept"]


async def test_list_all_projects_returns_every_project(store: Store) -> None:
    for i in range(3):
        await store.create_project(make_project(f"p{i}"))

    assert sorted(p.slug for p in await store.list_all_projects()) == ["p0", "p1", "p2"]


# --- catalog queries ------------------------------------------------------------------------
async def test_search_is_case_insensitive_on_name_and_description(store: Store) -> None:
    await store.create_project(make_project("img", name="Image Classifier", description="cats"))
    await store.create_project(make_project("sum", name="Summarizer", description="IMAGE text"))
    await store.create_project(make_project("aud", name="Audio", description="sounds"))

    assert sorted(await slugs(store, search="image")) == ["img", "sum"]
    assert await slugs(store, search="CATS") == ["img"]
    assert await slugs(store, search="mAgE cLa") == ["img"]
    assert await slugs(store, search="video") == []


async def test_search_is_literal(store: Store) -> None:
    await store.create_project(make_project("pct", name="100% accurate"))
    await store.create_project(make_project("und", name="snake_case model"))
    await store.create_project(make_project("dot", name="Version 1.2"))
    await store.create_project(make_project("plain", name="Plain model"))

    assert await slugs(store, search="%") == ["pct"]
    assert await slugs(store, search="_") == ["und"]
    assert await slugs(store, search=".*") == []
    assert await slugs(store, search="1.2") == ["dot"]
    assert await slugs(store, search="1x2") == []
    assert await slugs(store, search="(") == []
    assert await slugs(store, search="\\") == []
    assert await slugs(store, search="$ne") == []


async def test_tag_filter_requires_every_tag(store: Store) -> None:
    await store.create_project(make_project("both", tags=["vision", "cnn"]))
    await store.create_project(make_project("vision", tags=["vision"]))
    await store.create_project(make_project("nlp", tags=["nlp"]))

    assert sorted(await slugs(store, tags=["vision"])) == ["both", "vision"]
    assert await slugs(store, tags=["vision", "cnn"]) == ["both"]
    assert await slugs(store, tags=["vision", "nlp"]) == []
    assert await slugs(store, tags=["audio"]) == []


async def test_tag_filter_pages_through_common_and_rare_tags(store: Store) -> None:
    # Common tags on small pages and rare tags are answered by different query plans in
    # SQLite; both must give the same pages.
    for i in range(20):
        tags = ["common"] + (["even"] if i % 2 == 0 else []) + (["rare"] if i == 7 else [])
        await store.create_project(
            make_project(f"p{i:02d}", tags=tags, created_at=BASE_TIME + timedelta(minutes=i))
        )

    seen: list[str] = []
    for page in range(1, 6):
        projects, total = await store.list_projects(
            ProjectQuery(tags=["common", "even"], page=page, limit=3)
        )
        assert total == 10
        seen += [p.slug for p in projects]
    assert seen == [f"p{i:02d}" for i in range(18, -1, -2)]

    assert await slugs(store, tags=["rare", "common"]) == ["p07"]
    assert await slugs(store, tags=["rare", "even"]) == []
    assert await slugs(store, tags=["common"], sort="popular", limit=2) == ["p19", "p18"]


async def test_author_filter_is_case_insensitive_exact(store: Store) -> None:
    await store.create_project(make_project("a", author_name="Ada Lovelace"))
    await store.create_project(make_project("b", author_name="Ada"))

    assert await slugs(store, author="ADA LOVELACE") == ["a"]
    assert await slugs(store, author="ada") == ["b"]
    assert await slugs(store, author="Lovelace") == []


async def test_owner_filter(store: Store) -> None:
    owner = new_id()
    await store.create_project(make_project("mine", owner_id=owner))
    await store.create_project(make_project("theirs"))

    assert await slugs(store, owner_id=owner) == ["mine"]


async def test_status_filter_uses_the_derived_status(store: Store) -> None:
    await store.create_project(make_project("ready", build_state=BuildState.READY))
    await store.create_project(make_project("failed", build_state=BuildState.FAILED))
    await store.create_project(make_project("queued", build_state=BuildState.QUEUED))
    await store.create_project(make_project("new"))
    running = make_project(
        "running", build_state=BuildState.READY, demo=DemoInfo(state=DemoState.RUNNING)
    )
    await store.create_project(running)

    assert await slugs(store, status="ready") == ["ready"]
    assert await slugs(store, status="error") == ["failed"]
    assert await slugs(store, status="building") == ["queued"]
    assert await slugs(store, status="pending") == ["new"]
    assert await slugs(store, status="running") == ["running"]

    stopped = running.model_copy(update={"demo": DemoInfo(state=DemoState.STOPPED)})
    await store.replace_project(stopped)
    assert sorted(await slugs(store, status="ready")) == ["ready", "running"]


async def test_sort_orders(store: Store) -> None:
    specs = [("charlie", 1, 5), ("alpha", 2, 0), ("Bravo", 3, 2)]  # name, age in days, launches
    for name, age, launches in specs:
        project = await store.create_project(
            make_project(name.lower(), name=name, created_at=BASE_TIME - timedelta(days=age))
        )
        for _ in range(launches):
            await store.increment_launch_count(project.id)

    assert await slugs(store) == ["charlie", "alpha", "bravo"]
    assert await slugs(store, sort="newest") == ["charlie", "alpha", "bravo"]
    assert await slugs(store, sort="popular") == ["charlie", "bravo", "alpha"]
    assert await slugs(store, sort="name") == ["alpha", "bravo", "charlie"]


async def test_popular_ties_break_newest_first(store: Store) -> None:
    await store.create_project(make_project("older", created_at=BASE_TIME - timedelta(days=1)))
    await store.create_project(make_project("newer", created_at=BASE_TIME))

    assert await slugs(store, sort="popular") == ["newer", "older"]


async def test_pagination_total_and_pages(store: Store) -> None:
    for i in range(5):
        await store.create_project(
            make_project(f"p{i}", tags=["t"], created_at=BASE_TIME + timedelta(minutes=i))
        )
    await store.create_project(make_project("other"))

    pages = []
    for page in (1, 2, 3, 4):
        projects, total = await store.list_projects(ProjectQuery(tags=["t"], page=page, limit=2))
        assert total == 5
        pages.append([p.slug for p in projects])

    assert pages == [["p4", "p3"], ["p2", "p1"], ["p0"], []]


async def test_listed_projects_carry_launch_count(store: Store) -> None:
    project = await store.create_project(make_project("counted"))
    await store.increment_launch_count(project.id)

    projects, _ = await store.list_projects(ProjectQuery())
    assert [p.launch_count for p in projects] == [1]
    assert [p.launch_count for p in await store.list_all_projects()] == [1]


# --- builds -------------------------------------------------------------------------------
async def test_build_create_get_and_replace(store: Store) -> None:
    project = await store.create_project(make_project("demo"))
    build = await store.create_build(Build(project_id=project.id, info={"python": "3.11"}))

    assert await store.get_build(build.id) == build
    assert build.state == BuildState.QUEUED

    finished = build.model_copy(
        update={
            "state": BuildState.READY,
            "image": "modelhub-demo/demo:abc",
            "warnings": ["pinned numpy"],
            "finished_at": BASE_TIME,
        }
    )
    await store.replace_build(finished)

    stored = await store.get_build(build.id)
    assert stored == finished
    with pytest.raises(NotFound):
        await store.replace_build(Build(project_id=project.id))


async def test_latest_build_is_the_most_recently_created(store: Store) -> None:
    project = await store.create_project(make_project("demo"))
    other = await store.create_project(make_project("other"))
    assert await store.latest_build(project.id) is None

    newest = Build(project_id=project.id, created_at=BASE_TIME + timedelta(minutes=5))
    await store.create_build(Build(project_id=project.id, created_at=BASE_TIME))
    await store.create_build(newest)
    await store.create_build(Build(project_id=project.id, created_at=BASE_TIME))
    await store.create_build(Build(project_id=other.id, created_at=BASE_TIME + timedelta(hours=1)))

    latest = await store.latest_build(project.id)
    assert latest is not None and latest.id == newest.id


async def test_builds_listed_by_state(store: Store) -> None:
    project = await store.create_project(make_project("demo"))
    queued = await store.create_build(Build(project_id=project.id, state=BuildState.QUEUED))
    building = await store.create_build(Build(project_id=project.id, state=BuildState.BUILDING))
    await store.create_build(Build(project_id=project.id, state=BuildState.READY))
    await store.create_build(Build(project_id=project.id, state=BuildState.FAILED))

    found = await store.list_builds_in_states(["queued", "building"])
    assert sorted(b.id for b in found) == sorted([queued.id, building.id])
    assert await store.list_builds_in_states([]) == []
    assert await store.list_builds_in_states(["$ne"]) == []


async def test_build_log_numbers_lines_across_calls(store: Store) -> None:
    project = await store.create_project(make_project("demo"))
    build = await store.create_build(Build(project_id=project.id))
    other = await store.create_build(Build(project_id=project.id))

    first = await store.append_build_log(build.id, ["Step 1/3", "Step 2/3"])
    second = await store.append_build_log(build.id, ["Step 3/3"])
    await store.append_build_log(other.id, ["other build"])

    assert [(e.seq, e.line) for e in first] == [(1, "Step 1/3"), (2, "Step 2/3")]
    assert [(e.seq, e.line) for e in second] == [(3, "Step 3/3")]
    everything = await store.get_build_log(build.id)
    assert [(e.seq, e.line) for e in everything] == [
        (1, "Step 1/3"),
        (2, "Step 2/3"),
        (3, "Step 3/3"),
    ]
    assert [e.line for e in await store.get_build_log(build.id, after_seq=1)] == [
        "Step 2/3",
        "Step 3/3",
    ]
    assert await store.get_build_log(build.id, after_seq=3) == []
    assert [(e.seq, e.line) for e in await store.get_build_log(other.id)] == [(1, "other build")]
    assert all(is_utc(e.at) for e in everything)


async def test_concurrent_log_appends_get_distinct_consecutive_numbers(store: Store) -> None:
    project = await store.create_project(make_project("demo"))
    build = await store.create_build(Build(project_id=project.id))

    await asyncio.gather(
        *(store.append_build_log(build.id, [f"{i}-a", f"{i}-b", f"{i}-c"]) for i in range(10))
    )

    log = await store.get_build_log(build.id)
    assert [e.seq for e in log] == list(range(1, 31))
    assert sorted(e.line for e in log) == sorted(f"{i}-{c}" for i in range(10) for c in "abc")
    for i in range(10):  # each call's lines stay in order
        mine = [e.seq for e in log if e.line.startswith(f"{i}-")]
        assert mine == sorted(mine)


# --- datetimes ----------------------------------------------------------------------------
async def test_datetimes_round_trip_as_utc_milliseconds(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=plus_two)
    expected = datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=UTC)

    user = await store.create_user(make_user(created_at=moment))
    project = await store.create_project(
        make_project(
            "timed",
            created_at=moment,
            updated_at=moment,
            demo=DemoInfo(state=DemoState.RUNNING, started_at=moment),
        )
    )
    build = await store.create_build(
        Build(project_id=project.id, created_at=moment, finished_at=moment)
    )

    stored_user = await store.get_user(user.id)
    stored_project = await store.get_project_by_slug("timed")
    stored_build = await store.get_build(build.id)
    assert stored_user is not None and stored_project is not None and stored_build is not None
    listed, _ = await store.list_projects(ProjectQuery())
    values = [
        stored_user.created_at,
        stored_project.created_at,
        stored_project.updated_at,
        stored_project.demo.started_at,
        stored_build.created_at,
        stored_build.finished_at,
        listed[0].created_at,
        listed[0].demo.started_at,
    ]
    for value in values:
        assert value == expected
        assert is_utc(value)


# --- choosing the store ---------------------------------------------------------------------
@pytest.mark.mongo
async def test_create_store_follows_mongodb_url(tmp_path: Path, ferretdb_url: str) -> None:
    sqlite_settings = Settings(env="test", data_dir=tmp_path, mongodb_url="")
    mongo_settings = Settings(
        env="test", data_dir=tmp_path, mongodb_url=ferretdb_url, database_name="chosen"
    )

    embedded = create_store(sqlite_settings)
    remote = create_store(mongo_settings)

    assert isinstance(embedded, SQLiteStore)
    assert embedded.path == tmp_path / "modelhub.sqlite3"
    assert isinstance(remote, MongoStore)
    for chosen in (embedded, remote):
        await chosen.connect()
        try:
            await chosen.ping()
        finally:
            await chosen.close()
