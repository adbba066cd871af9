"""Response and request bodies shared by routers."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

__all__ = ["Page", "Health", "Version", "Message"]


class Page(BaseModel, Generic[T]):
    """A page of results with the total count."""

    items: list[T]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)


class Health(BaseModel):
    """Anonymous callers get only ``status``; an admin key also gets the rest (api/routers/meta.py)."""

    status: Literal["ok", "degraded"] = Field(description="ok | degraded (read-only or unreachable store)")
    reason: Literal["read_only", "unreachable"] | None = Field(default=None, description="why degraded (admin only)")
    store: dict[str, Any] | None = Field(default=None, description="the store's ping (admin only)")
    versions: dict[str, str] | None = Field(default=None, description="component versions (admin only)")


class Version(BaseModel):
    chainmap: str
    api: str = "v1"


class Message(BaseModel):
    message: str
