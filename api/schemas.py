"""Response and request bodies shared by routers."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

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
    status: str = Field(description="ok | degraded")
    store: dict[str, Any]
    versions: dict[str, str]


class Version(BaseModel):
    chainmap: str
    api: str = "v1"


class Message(BaseModel):
    message: str
