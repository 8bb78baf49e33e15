"""Helpers shared by the resource packages: patch models, versioned updates, responses."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Header, Path, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from app.domain import MAX_ID
from app.etag import set_etag
from app.pagination import Page

ReadT = TypeVar("ReadT", bound=BaseModel)
T = TypeVar("T")

#: ``If-Match`` on PATCH and DELETE: the ``ETag`` the client last read.
IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The ETag last read; 412 when the record has changed since.",
    ),
]

#: An integer id in a path.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

#: A ``?municipality=`` filter: a three-digit kommunekode.
MunicipalityQuery = Annotated[
    str | None, Query(pattern=r"^\d{3}$", description="Only this kommunekode")
]


class InputModel(BaseModel):
    """A request body: unknown fields are refused (422 naming them), never silently dropped,
    and JSON types are strict: ``true``/``false`` only for booleans, integers not ``"3"``,
    ``3.0`` or ``true`` (dates and times are ISO text: ``domain.IsoDate``, ``IsoDateTime``)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out but not set to null")
    return value


class _DocumentWithoutNull:
    """Document ``X | None`` as ``X``: the null is only how "left out" is represented."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.pop("default", None)
        branches = json_schema.pop("anyOf", None)
        if branches is not None:
            kept = [branch for branch in branches if branch != {"type": "null"}]
            if len(kept) == 1:
                json_schema.update(kept[0])
            else:
                json_schema["anyOf"] = kept
        return json_schema


#: A PATCH field that may be left out but not set to null (a 422 naming it).
NotNull = Annotated[T | None, AfterValidator(_refuse_null), _DocumentWithoutNull()]


class PatchModel(InputModel):
    """A PATCH body: every field optional; ``NotNull[...]`` fields may be omitted, not nulled."""

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return self.model_dump(exclude_unset=True)


def apply_changes(row: Any, changes: dict[str, Any]) -> bool:
    """Set ``changes`` on a versioned row; bump its version when anything really changed."""
    changed = False
    for name, value in changes.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.version += 1
    return changed


def one(response: Response, model: type[ReadT], row: Any) -> ReadT:
    """A single record as ``model``, with its ``ETag``."""
    set_etag(response, row.version)
    return model.model_validate(row)


def page(model: type[ReadT], rows: Sequence[Any], next_cursor: str | None) -> Page[ReadT]:
    """A page of records as ``model``."""
    return Page[model](  # type: ignore[valid-type]
        items=[model.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def json_response(annotation: Any, value: Any) -> Response:
    """``value`` (already of type ``annotation``: the route's ``response_model``) as the JSON
    answer FastAPI would send for it, serialised by the same pydantic serializer, without
    FastAPI's re-validation of the value (on a worker thread, for a ``def`` route)."""
    body = _adapter(annotation).dump_json(value, by_alias=True)
    return Response(body, media_type="application/json")
