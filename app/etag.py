"""ETags from record versions, and the If-Match check that stops silent overwrites."""

from __future__ import annotations

from fastapi import Response

from app.errors import PreconditionFailed


def etag_of(version: int) -> str:
    """The ETag header value of a record version."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    """Put a record's ETag on the response."""
    response.headers["ETag"] = etag_of(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 412 when ``If-Match`` is given and names neither ``*`` nor the current version."""
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or etag_of(version) in candidates:
        return
    raise PreconditionFailed("The record has changed since it was read (ETag mismatch)")
