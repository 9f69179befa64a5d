"""Catalog query latency on a large catalog, for each store. Prints figures; asserts nothing.

    .venv/bin/python -m tests.benchmarks.bench_catalog [COUNT] [--iterations N]
        [--backends sqlite,mongodb]

Fills a fresh SQLite file and a fresh FerretDB (started here the way the test fixture starts
it) with COUNT projects (default 100000), then times ``Store.list_projects`` for the
queries the gallery makes: the default page (newest first), a tag filter, the popular sort
and a text search. The goal for SQLite is p95 <= 30 ms for the default page and the
tag/sort queries at 100k projects.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from modelhub.models import (
    BuildState,
    DemoInfo,
    DemoState,
    FileEntry,
    Project,
    ProjectFiles,
    ProjectQuery,
    new_id,
)
from modelhub.store.base import Store
from modelhub.store.mongo import MongoStore, _project_doc
from modelhub.store.sqlite import (
    INSERT_PROJECT,
    INSERT_PROJECT_DOC,
    SQLiteStore,
    _project_row,
)
from tests.fixtures.ferretdb import start_ferretdb

TAGS = [
    "vision", "nlp", "audio", "tabular", "cnn", "transformer", "llm", "diffusion",
    "classification", "detection", "segmentation", "regression", "timeseries", "rl",
    "gan", "bert", "gpt", "speech", "ocr", "recommendation", "graph", "medical",
    "finance", "education", "fun", "pytorch", "tensorflow", "sklearn", "onnx", "keras",
]  # fmt: skip
WORDS = [
    "image", "text", "sentiment", "cat", "dog", "face", "digit", "price", "house", "music",
    "voice", "translate", "summarize", "chat", "style", "anime", "weather", "stock",
    "fraud", "spam", "emotion", "pose", "car", "plant", "disease", "xray", "crop", "bird",
]  # fmt: skip
KINDS = ["Classifier", "Detector", "Generator", "Predictor", "Explorer", "Demo", "Analyzer"]
BATCH = 1000


def make_projects(count: int, seed: int = 7) -> Iterator[Project]:
    """``count`` varied projects: tags, authors, ages, popularity and states spread out."""
    rng = random.Random(seed)
    authors = [f"Author {i}" for i in range(500)]
    owners = [new_id() for _ in range(500)]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(count):
        words = rng.sample(WORDS, 2)
        name = f"{words[0].title()} {words[1]} {rng.choice(KINDS)} {i}"
        build_state = rng.choice([BuildState.READY] * 6 + [None, BuildState.FAILED])
        demo = DemoInfo(state=DemoState.RUNNING if rng.random() < 0.1 else DemoState.STOPPED)
        manifest = [
            FileEntry(path=f"file{j}.py", size=rng.randint(100, 10**6), sha256="0" * 64)
            for j in range(3)
        ]
        author = rng.randrange(len(authors))
        yield Project(
            name=name,
            slug=f"project-{i}",
            description=(
                f"A {words[0]} {words[1]} model. "
                + " ".join(rng.choices(WORDS, k=12))
                + f". Built with {rng.choice(TAGS)}."
            ),
            tags=rng.sample(TAGS, rng.randint(1, 4)),
            author_name=authors[author],
            owner_id=owners[author],
            files=ProjectFiles(
                app_file="app.py",
                model_files=["model.pkl"],
                other_files=["utils.py"],
                manifest=manifest,
                total_size=sum(f.size for f in manifest),
            ),
            build_state=build_state,
            build_id=new_id() if build_state else None,
            demo=demo,
            launch_count=int(rng.paretovariate(1.2)) - 1,
            created_at=start + timedelta(seconds=rng.randrange(2 * 365 * 86400)),
        )


def batches(count: int) -> Iterator[list[Project]]:
    batch: list[Project] = []
    for project in make_projects(count):
        batch.append(project)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def bulk_create_projects(store: Store, count: int) -> None:
    """Insert ``count`` projects through the adapter's own row/document builders, in bulk."""
    if isinstance(store, SQLiteStore):
        for batch in batches(count):
            rows = [_project_row(p) for p in batch]
            async with store._transaction() as conn:
                await conn.executemany(INSERT_PROJECT, rows)
                await conn.executemany(INSERT_PROJECT_DOC, rows)
                await conn.executemany(
                    "INSERT INTO project_tags (tag, project_id) VALUES (?, ?)",
                    [(tag, p.id) for p in batch for tag in p.tags],
                )
        async with store._transaction() as conn:
            await conn.execute("ANALYZE")
    elif isinstance(store, MongoStore):
        projects = store.db["projects"]
        for batch in batches(count):
            await projects.insert_many([_project_doc(p) for p in batch], ordered=False)
    else:
        raise TypeError(f"no bulk path for {type(store).__name__}")


QUERIES: dict[str, ProjectQuery] = {
    "default page (newest)": ProjectQuery(),
    "tag filter (vision)": ProjectQuery(tags=["vision"]),
    "two tags (vision+cnn)": ProjectQuery(tags=["vision", "cnn"]),
    "sort popular": ProjectQuery(sort="popular"),
    "sort name": ProjectQuery(sort="name"),
    "status ready": ProjectQuery(status="ready"),
    "search 'cat detector'": ProjectQuery(search="cat detector"),
    "search 'xray'": ProjectQuery(search="xray"),
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def time_queries(store: Store, iterations: int) -> None:
    for label, query in QUERIES.items():
        await store.list_projects(query)  # warm-up
        samples: list[float] = []
        total = 0
        for _ in range(iterations):
            began = time.perf_counter()
            _, total = await store.list_projects(query)
            samples.append((time.perf_counter() - began) * 1000)
        print(
            f"  {label:<24} p50 {statistics.median(samples):8.2f} ms   "
            f"p95 {percentile(samples, 0.95):8.2f} ms   (total {total}, n={iterations})",
            flush=True,
        )


async def bench(store: Store, count: int, iterations: int) -> None:
    await store.connect()
    try:
        began = time.perf_counter()
        await bulk_create_projects(store, count)
        print(
            f"{store.backend}: inserted {count} projects in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        await time_queries(store, iterations)
    finally:
        await store.close()


async def main(count: int, iterations: int, backends: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="modelhub-bench-") as tmp:
        root = Path(tmp)
        if "sqlite" in backends:
            await bench(SQLiteStore(root / "bench.sqlite3"), count, iterations)
        if "mongodb" in backends:
            server = start_ferretdb(root / "ferretdb")
            try:
                await bench(MongoStore(server.url, "bench"), count, iterations)
            finally:
                server.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,mongodb")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    asyncio.run(main(args.count, args.iterations, args.backends.split(",")))
