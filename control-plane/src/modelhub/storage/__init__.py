"""Where project files live: local directory (default) or S3, behind one interface."""

from __future__ import annotations

from modelhub.settings import Settings
from modelhub.storage.base import Storage, StoredFile


def create_storage(settings: Settings) -> Storage:
    """The storage backend chosen by ``MODELHUB_STORAGE`` (``local`` or ``s3``)."""
    if settings.storage_backend == "s3":
        from modelhub.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from modelhub.storage.local import LocalStorage

    return LocalStorage(settings.storage_dir)


__all__ = ["Storage", "StoredFile", "create_storage"]
