"""Backend-neutral exception tree of chainmap.

Every error a user can cause is one of these; the API maps them to HTTP codes
in exactly one place (``api/errors.py``) and the CLI prints them without a
stack trace.

>>> err = InvalidInput("weight must be in [0, 1]", field="weight", file="links.csv", line=3)
>>> str(err)
'links.csv:3: weight: weight must be in [0, 1]'
>>> isinstance(err, ChainmapError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ChainmapError",
    "NotFound",
    "InvalidInput",
    "Conflict",
    "StorageUnavailable",
    "PayloadTooLarge",
    "LimitExceeded",
    "PreconditionFailed",
    "RowError",
]


class ChainmapError(Exception):
    """Root of all chainmap errors.

    Parameters
    ----------
    message : str
        Human-readable message (Chinese or English).
    hint : str, optional
        What the user can do about it.
    **context
        Structured context (``file``, ``line``, ``field``, ``row`` ...) kept in
        :attr:`context` and prefixed to the message.
    """

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        self.message = message
        self.hint = hint
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if "file" in self.context:
            where = str(self.context["file"])
            if "line" in self.context:
                where += f":{self.context['line']}"
            elif "row" in self.context:
                where += f":row {self.context['row']}"
        elif "row" in self.context:
            where = f"row {self.context['row']}"
        prefix = f"{where}: " if where else ""
        if "field" in self.context:
            prefix += f"{self.context['field']}: "
        return f"{prefix}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form used by the API error body and ``--format json``."""
        return {"error": type(self).__name__, "detail": str(self), "hint": self.hint, **self.context}


class NotFound(ChainmapError):
    """A referenced object (chain, segment, region, enterprise, ...) does not exist."""


class InvalidInput(ChainmapError):
    """User input (a file, a row, a parameter) is malformed.

    ``errors`` may hold a list of row-level problems (see :class:`RowError`).
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        errors: list[RowError] | None = None,
        **context: Any,
    ) -> None:
        self.errors = list(errors or [])
        super().__init__(message, hint=hint, **context)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.errors:
            out["errors"] = [e.to_dict() for e in self.errors]
        return out


class LimitExceeded(InvalidInput):
    """Input exceeds a parser budget (rows, cell length, nesting depth, aliases ...).

    A subclass of :class:`InvalidInput` (the API answers 422); ``limit`` is the
    setting's environment variable and ``limit_value`` its value, both also in
    :attr:`context` and so in the API body. A too-large *upload* is
    :class:`PayloadTooLarge` (413) instead.

    >>> err = LimitExceeded("xlsx: sheet has more than 10 rows", limit="CHAINMAP_LIMIT_XLSX_ROWS", limit_value=10)
    >>> (err.limit, err.limit_value, err.to_dict()["limit"], isinstance(err, InvalidInput))
    ('CHAINMAP_LIMIT_XLSX_ROWS', 10, 'CHAINMAP_LIMIT_XLSX_ROWS', True)
    """

    def __init__(
        self, message: str, *, limit: str, limit_value: int, hint: str | None = None, **context: Any
    ) -> None:
        self.limit = limit
        self.limit_value = limit_value
        super().__init__(message, hint=hint, limit=limit, limit_value=limit_value, **context)


class Conflict(ChainmapError):
    """The write conflicts with existing data (duplicate id, invalid transition, ...)."""


class StorageUnavailable(ChainmapError):
    """The store cannot be reached or opened (Neo4j down, unreadable SQLite file)."""


class PayloadTooLarge(ChainmapError):
    """An upload exceeds the configured size limit."""


class PreconditionFailed(ChainmapError):
    """A conditional write's expected version (the API's ``If-Match``) is not the stored one:
    someone else changed (or deleted) the object since it was read.

    ``current_tag`` is the stored object's tag (None when the object is absent).

    >>> err = PreconditionFailed("segment 'a' was modified", current_tag="ab12")
    >>> err.current_tag, err.hint.startswith("已被他人修改")
    ('ab12', True)
    """

    HINT = "已被他人修改，请刷新后重试 / modified by someone else: reload and retry"

    def __init__(self, message: str, *, current_tag: str | None = None, hint: str | None = None, **context: Any) -> None:
        self.current_tag = current_tag
        super().__init__(message, hint=hint or self.HINT, **context)


class RowError:
    """One problem in one row of an imported file.

    >>> RowError(row=4, column="revenue_cny_100m", value="abc", reason="expected a number").to_dict()["row"]
    4
    """

    __slots__ = ("row", "column", "value", "reason")

    def __init__(self, *, row: int, column: str, value: Any, reason: str) -> None:
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    def __repr__(self) -> str:
        return f"RowError(row={self.row}, column={self.column!r}, value={self.value!r}, reason={self.reason!r})"
