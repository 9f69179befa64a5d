"""S3 storage (AWS, or any S3-compatible endpoint such as MinIO): keys
``projects/<project_id>/<path>`` in one bucket.

Large files go up in parts (boto3's managed transfer; ``multipart_threshold`` and
``multipart_chunksize`` set when they do). S3 has no rename, so an upload writes the new
files and then deletes the keys the new bundle no longer has. A custom endpoint
(``MODELHUB_S3_ENDPOINT_URL``) is addressed path-style (``http://host/bucket/key``), which
S3-compatible servers expect; AWS itself uses boto3's default. Empty credentials mean
boto3's default chain (environment, instance role, ...). The bucket must exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelhub.errors import NotFound, Unavailable
from modelhub.storage.base import Storage, StoredFile, check_path, check_project_id, walk_files

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from modelhub.settings import Settings

T = TypeVar("T")

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB  # S3's smallest part
DELETE_BATCH = 1000


class S3Storage(Storage):
    backend = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        endpoint_url: str = "",
        multipart_threshold: int = 16 * MIB,
        multipart_chunksize: int | None = None,
        max_concurrency: int = 4,
    ) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket: set S3_BUCKET_NAME")
        self.bucket = bucket
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or None,
        )
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"} if endpoint_url else {},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        )
        self._client: S3Client = session.client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(multipart_chunksize or multipart_threshold, MIN_PART_BYTES),
            max_concurrency=max_concurrency,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> S3Storage:
        return cls(
            bucket=settings.s3_bucket_name,
            region=settings.aws_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
            endpoint_url=settings.s3_endpoint_url,
            **kwargs,
        )

    @staticmethod
    def _prefix(project_id: str) -> str:
        return f"projects/{check_project_id(project_id)}/"

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args)
        except (BotoCoreError, Boto3Error) as exc:
            raise _unavailable(exc) from exc
        except ClientError as exc:
            raise _unavailable(exc) from exc

    # --- interface ---------------------------------------------------------------------
    async def upload_directory(self, project_id: str, src_dir: Path) -> list[StoredFile]:
        return await self._run(self._upload, project_id, Path(src_dir))

    async def download_project(self, project_id: str, dest_dir: Path) -> list[StoredFile]:
        return await self._run(self._download, project_id, Path(dest_dir))

    async def delete_project(self, project_id: str) -> None:
        await self._run(self._delete, project_id)

    async def list_files(self, project_id: str) -> list[StoredFile]:
        prefix = self._prefix(project_id)
        objects = await self._run(self._list, prefix)
        return [StoredFile(key[len(prefix) :], size) for key, size in objects]

    async def exists(self, project_id: str) -> bool:
        prefix = self._prefix(project_id)
        answer = await self._run(
            lambda: self._client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        )
        return answer.get("KeyCount", 0) > 0

    async def generate_presigned_url(
        self, project_id: str, path: str, expires_seconds: int = 3600
    ) -> str | None:
        key = self._prefix(project_id) + check_path(path)
        return await self._run(self._presign, key, expires_seconds)

    async def ping(self) -> None:
        await self._run(lambda: self._client.head_bucket(Bucket=self.bucket))

    # --- blocking helpers --------------------------------------------------------------
    def _list(self, prefix: str) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                found.append((obj["Key"], obj["Size"]))
        return sorted(found)

    def _upload(self, project_id: str, src_dir: Path) -> list[StoredFile]:
        prefix = self._prefix(project_id)
        files = walk_files(src_dir)
        before = {key for key, _ in self._list(prefix)}
        for rel, full, _ in files:
            self._client.upload_file(str(full), self.bucket, prefix + rel, Config=self._transfer)
        self._delete_keys(sorted(before - {prefix + rel for rel, _, _ in files}))
        return [StoredFile(rel, size) for rel, _, size in files]

    def _download(self, project_id: str, dest_dir: Path) -> list[StoredFile]:
        prefix = self._prefix(project_id)
        objects = self._list(prefix)
        if not objects:
            raise NotFound(f"No files are stored for project {project_id}")
        dest_dir.mkdir(parents=True, exist_ok=True)
        if any(dest_dir.iterdir()):
            raise ValueError(f"download target {dest_dir} is not empty")
        stored = []
        for key, size in objects:
            rel = check_path(key[len(prefix) :])
            target = dest_dir.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            self._client.download_file(self.bucket, key, str(target), Config=self._transfer)
            stored.append(StoredFile(rel, size))
        return stored

    def _delete(self, project_id: str) -> None:
        self._delete_keys([key for key, _ in self._list(self._prefix(project_id))])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            answer = self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            if answer.get("Errors"):
                raise Unavailable(
                    "File storage could not delete some files; try again later",
                    log_message=f"S3 delete_objects errors: {answer['Errors'][:5]!r}",
                )

    def _presign(self, key: str, expires_seconds: int) -> str:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                raise NotFound(f"File '{key.split('/', 2)[-1]}' is not stored") from exc
            raise
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires_seconds,
        )
        return url


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable(
        "File storage (S3) is unavailable right now; try again later",
        log_message=f"S3 error: {exc!r}",
    )
