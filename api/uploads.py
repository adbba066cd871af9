"""Reading uploaded files under the parser budgets.

One upload-size setting for the API: ``CHAINMAP_MAX_UPLOAD_MB`` (default 20,
:class:`api.settings.Settings`). The budgets every import parser runs under are
:class:`chainmap.limits.Limits` (``CHAINMAP_LIMIT_*``), and
:func:`upload_limits` derives their ``max_upload_bytes`` from
``CHAINMAP_MAX_UPLOAD_MB`` when that is set; when it is not, the library's
``CHAINMAP_LIMIT_UPLOAD_BYTES`` (also 20 MiB by default) applies, so the API and
the CLI agree unless the API is configured on purpose.
"""

from __future__ import annotations

from fastapi import UploadFile

from api.settings import Settings
from chainmap.exceptions import InvalidInput, PayloadTooLarge
from chainmap.limits import Limits, check_upload_size

__all__ = ["read_upload", "upload_limits"]

_MiB = 1024 * 1024


def upload_limits(settings: Settings) -> Limits:
    """The API's parser budgets: ``CHAINMAP_LIMIT_*``, with the upload size from ``CHAINMAP_MAX_UPLOAD_MB`` if set."""
    limits = Limits.from_env()
    if "chainmap_max_upload_mb" in settings.model_fields_set:
        limits = limits.replace(max_upload_bytes=max(1, int(settings.chainmap_max_upload_mb * _MiB)))
    return limits


def read_upload(file: UploadFile, limits: Limits) -> tuple[bytes, str]:
    """The upload's bytes and name; at most ``limits.max_upload_bytes + 1`` bytes are read,
    then :func:`chainmap.limits.check_upload_size` refuses a larger one (PayloadTooLarge, 413)."""
    data = file.file.read(limits.max_upload_bytes + 1)
    try:
        check_upload_size(len(data), limits)
    except PayloadTooLarge as err:
        mb = limits.max_upload_bytes / _MiB
        raise PayloadTooLarge(
            f"upload larger than {mb:g} MB ({limits.max_upload_bytes:,} bytes)",
            field="file",
            limit="CHAINMAP_MAX_UPLOAD_MB",
            limit_value=round(mb, 3),
            hint="文件过大：请拆分文件，或调高 CHAINMAP_MAX_UPLOAD_MB / split the file or raise CHAINMAP_MAX_UPLOAD_MB",
        ) from err
    name = file.filename or "upload.csv"
    if not data:
        raise InvalidInput("the uploaded file is empty", file=name, field="file")
    return data, name
