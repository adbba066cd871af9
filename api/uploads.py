"""Reading uploaded files with a size limit."""

from __future__ import annotations

from fastapi import UploadFile

from chainmap.exceptions import InvalidInput, PayloadTooLarge

__all__ = ["read_upload"]


def read_upload(file: UploadFile, max_mb: float) -> tuple[bytes, str]:
    """The upload's bytes and name; PayloadTooLarge above ``max_mb``."""
    limit = int(max_mb * 1024 * 1024)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"upload larger than {max_mb:g} MB",
            field="file",
            hint="split the file or raise CHAINMAP_MAX_UPLOAD_MB",
        )
    name = file.filename or "upload.csv"
    if not data:
        raise InvalidInput("the uploaded file is empty", file=name, field="file")
    return data, name
