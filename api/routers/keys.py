"""API keys (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.deps import StoreDep, require
from api.etags import set_etag
from api.keys import create_key, list_keys, revoke_key
from chainmap.exceptions import NotFound

router = APIRouter(tags=["keys"])

Admin = Annotated[dict[str, Any], Depends(require("keys"))]


class KeyRequest(BaseModel):
    role: str = Field(pattern="^(viewer|taskforce|planner|admin)$", description="viewer|taskforce|planner|admin")
    label: str = Field(default="", max_length=200)


@router.get("/keys", summary="密钥列表（不含密钥本身）/ list keys", response_model=list[dict[str, Any]])
def get_keys(store: StoreDep, _: Admin) -> list[dict[str, Any]]:
    return list_keys(store)


@router.get("/keys/{key_id}", summary="单个密钥（不含密钥本身）/ one key's public record", response_model=dict[str, Any])
def get_key(key_id: str, store: StoreDep, _: Admin, response: Response) -> dict[str, Any]:
    """角色、标签、创建与吊销时间；响应头 ETag 为当前版本。Role, label, created and revoked; the ETag is its version."""
    for rec in list_keys(store):
        if rec.get("id") == key_id:
            set_etag(response, rec)
            return rec
    raise NotFound(f"密钥不存在 / no key {key_id!r}", field="key_id")


@router.post("/keys", status_code=201, summary="创建密钥（仅此一次返回明文）/ create a key", response_model=dict[str, Any])
def post_key(body: KeyRequest, store: StoreDep, _: Admin) -> dict[str, Any]:
    key, rec = create_key(store, role=body.role, label=body.label)
    return {**rec, "key": key}


@router.delete("/keys/{key_id}", status_code=204, summary="吊销密钥 / revoke a key")
def delete_key(key_id: str, store: StoreDep, caller: Admin) -> Response:
    """不能吊销当前请求所用的密钥，也不能吊销最后一个有效的管理员密钥（409）。
    The calling key and the last active admin key cannot be revoked (409)."""
    revoke_key(store, key_id, caller_id=caller.get("id"))
    return Response(status_code=204)
