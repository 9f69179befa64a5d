"""Project bundles: streaming upload parsing, safe archive validation and extraction.

* :func:`parse_upload` streams a multipart upload to a temp file (size-capped).
* :func:`extract_bundle` / :func:`validate_and_extract` check a ZIP/RAR bundle, report
  every problem at once and extract it into an empty directory.
"""

from modelhub.bundles.archive import extract_bundle, validate_and_extract
from modelhub.bundles.members import detect_archive_type
from modelhub.bundles.upload import UploadedBundle, parse_upload

__all__ = [
    "UploadedBundle",
    "detect_archive_type",
    "extract_bundle",
    "parse_upload",
    "validate_and_extract",
]
