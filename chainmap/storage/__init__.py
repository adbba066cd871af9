"""Storage: one interface (:class:`chainmap.storage.base.Store`), two backends."""

from chainmap.storage.base import Store

__all__ = ["Store"]
