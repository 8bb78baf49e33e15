"""``/api-keys``: admins issue, list and revoke keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.auth import AdminOnly
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import Created, IdempotencyDep
from app.models import ApiKey
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, page

router = APIRouter(prefix="/api-keys", tags=["api-keys"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("", responses=problem_responses(403, 422))
def list_keys(
    principal: AdminOnly,
    session: SessionDep,
    params: Paging,
    revoked: Annotated[bool | None, Query(description="Only revoked (or live) keys")] = None,
) -> Page[ApiKeyRead]:
    """Keys by id, without secrets (admin)."""
    return page(ApiKeyRead, *service.list_keys(session, params, revoked))


def _created(row: ApiKey, key: str | None = None) -> Created:
    body = ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(row).model_dump(), "key": key})
    return Created(body, f"/api/v1/api-keys/{row.id}")


@router.post(
    "", status_code=201, response_model=ApiKeyCreated, responses=problem_responses(403, 410, 422)
)
def create_key(
    body: ApiKeyCreate,
    principal: AdminOnly,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Issue a key (admin). The answer shows the key once; only its hash is stored.

    A replay under the same ``Idempotency-Key`` answers with ``key`` null (it was never stored).
    """
    replayed = idempotency.replay(lambda ref: _created(service.get_key(session, int(ref))))
    if replayed is not None:
        return replayed
    row, key = service.create_key(session, principal, body)
    return idempotency.created(
        response, _created(row, key), resource=service.RESOURCE, record_id=row.id
    )


@router.get("/{key_id}", responses=problem_responses(403, 404, 422))
def get_key(key_id: IdPath, principal: AdminOnly, session: SessionDep) -> ApiKeyRead:
    """One key's metadata (admin)."""
    return ApiKeyRead.model_validate(service.get_key(session, key_id))


@router.delete("/{key_id}", status_code=204, responses=problem_responses(403, 404, 422))
def revoke_key(key_id: IdPath, principal: AdminOnly, session: SessionDep) -> None:
    """Revoke a key (admin); it answers 401 from then on. Revoking twice is harmless."""
    service.revoke_key(session, principal, key_id)
