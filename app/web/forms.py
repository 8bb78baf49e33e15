"""Forms parse into the same pydantic schemas the API uses; errors come back by field.

A page builds the body the API would receive from the posted form (its own field names map to
the schema's), validates it with the schema, and calls the same service. The schemas are strict
(a number is a number, not its text), so a form's text becomes a number here first
(:func:`number`, :func:`whole`): the API's exact types, rules and limits then apply unchanged.
Errors — text that is no number, pydantic's and the services'
:class:`~app.errors.ValidationFailed` — become ``{field: message}`` in the visitor's language,
for the error summary at the top and the message beside each field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import AppError

SchemaT = TypeVar("SchemaT", bound=BaseModel)


@dataclass
class FormErrors:
    """Field errors in the order the form shows its fields."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        """Keep the first message for a field."""
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def ordered(self, fields: list[str]) -> list[tuple[str, str]]:
        """``(field, message)`` in the form's order, unknown fields last."""
        known = [(f, self.by_field[f]) for f in fields if f in self.by_field]
        rest = [(f, m) for f, m in self.by_field.items() if f not in fields]
        return known + rest


def context(values: dict[str, Any], errors: FormErrors | None, fields: list[str]) -> dict[str, Any]:
    """What every form page shows: the values as typed, each error beside its field, and the
    errors summarised at the top in the form's order."""
    shown = errors or FormErrors()
    return {"values": values, "errors": shown.by_field, "summary": shown.ordered(fields)}


@dataclass(frozen=True)
class NotANumber:
    """What was typed in a number field when it is no number; :func:`parse` names the field."""

    kind: str  # pydantic's error type for it: "float_parsing" or "int_parsing"


#: A decimal number as people type it: digits, with a comma or a point before the decimals.
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_WHOLE = re.compile(r"^[+-]?\d+$")


def number(typed: str) -> float | NotANumber | None:
    """A decimal number typed in a form (``55,6`` or ``55.6``); None when left empty."""
    if not typed:
        return None
    if not _DECIMAL.match(typed):
        return NotANumber("float_parsing")
    return float(typed.replace(",", "."))


def whole(typed: str) -> int | NotANumber | None:
    """A whole number typed in a form; None when left empty."""
    if not typed:
        return None
    if not _WHOLE.match(typed) or len(typed) > 20:
        return NotANumber("int_parsing")
    return int(typed)


def _messages(_: Callable[[str], str]) -> dict[str, str]:
    # pydantic's error types, in plain words. Marked for extraction by the literal calls.
    return {
        "missing": _("Fill in this field."),
        "string_too_short": _("Fill in this field."),
        "too_short": _("Choose at least one."),
        "string_too_long": _("This is too long."),
        "too_long": _("Too many are chosen."),
        "date_from_datetime_parsing": _("Enter a valid date."),
        "date_parsing": _("Enter a valid date."),
        "date_from_datetime_inexact": _("Enter a valid date."),
        "float_parsing": _("Enter a number."),
        "int_parsing": _("Enter a whole number."),
        "greater_than_equal": _("The number is too small."),
        "less_than_equal": _("The number is too large."),
        "literal_error": _("Choose one of the options."),
        "string_pattern_mismatch": _("This is not in the expected form."),
    }


def _value_error_message(raw: str, _: Callable[[str], str]) -> str:
    # The domain's own ValueErrors (matching, app.domain), in words a coordinator reads.
    text = raw.removeprefix("Value error, ")
    known = {
        "must not be in the future": _("The date must not be in the future."),
        "must be a valid e-mail address": _("Enter a valid e-mail address."),
        "must be an e-mail address": _("Enter a valid e-mail address."),
        "must be a date as YYYY-MM-DD": _("Enter a valid date."),
        "must contain a visible character": _("Fill in this field."),
        "must not contain control or format characters": _(
            "Remove the invisible or control characters."
        ),
        "is listed twice": _("The same one is chosen twice."),
        "unknown kommunekode": _("Choose a municipality from the list."),
        "give birth_date": _("This programme has an age limit: enter the birth date."),
        "is for ages": _("The age is outside this programme's ages."),
        "lat and lon are given together": _("Give both latitude and longitude, or neither."),
        "is not active": _("This programme is closed to new requests."),
    }
    for fragment, message in known.items():
        if fragment in text:
            return message
    return text


def error_message(kind: str, raw: str, gettext: Callable[[str], str]) -> str:
    """A message of pydantic (by its error ``kind``) or of a service (``rule``: its text) in
    the visitor's language; the text itself when no translation is known."""
    if kind in {"value_error", "rule"}:
        return _value_error_message(raw, gettext)
    return _messages(gettext).get(kind, raw)


def field_of(loc: tuple[int | str, ...], aliases: dict[str, str]) -> str:
    """The form field a schema location belongs to (``languages.1`` → ``languages_1``)."""
    dotted = ".".join(str(part) for part in loc)
    if dotted in aliases:
        return aliases[dotted]
    head = str(loc[0]) if loc else "form"
    return aliases.get(head, head)


def _message(error: Any, messages: dict[str, str], gettext: Callable[[str], str]) -> str:
    kind = error["type"]
    if kind == "value_error":
        return _value_error_message(str(error["msg"]), gettext)
    if kind in {"too_short", "too_long"} and isinstance(error.get("input"), str):
        # A text's length (a constrained string checked after its own validators).
        kind = f"string_{kind}"
    return messages.get(kind, str(error["msg"]))


def parse(
    schema: type[SchemaT],
    body: dict[str, Any],
    gettext: Callable[[str], str],
    *,
    aliases: dict[str, str] | None = None,
) -> tuple[SchemaT | None, FormErrors]:
    """Validate ``body`` with ``schema``; the model, or None and the errors by form field.

    A value that is :class:`NotANumber` is an error of its field; the rest of the body is
    still validated, so the page names every mistake at once.
    """
    errors = FormErrors()
    messages = _messages(gettext)
    typed = {name: value for name, value in body.items() if not isinstance(value, NotANumber)}
    for name, value in body.items():
        if isinstance(value, NotANumber):
            errors.add(field_of((name,), aliases or {}), messages[value.kind])
    try:
        data = schema.model_validate(typed)
    except ValidationError as exc:
        for error in exc.errors():
            message = _message(error, messages, gettext)
            errors.add(field_of(tuple(error["loc"]), aliases or {}), message)
        return None, errors
    return (None, errors) if errors else (data, errors)


def service_errors(
    exc: AppError,
    gettext: Callable[[str], str],
    *,
    aliases: dict[str, str] | None = None,
) -> FormErrors:
    """A service's 422 as form errors (``programmes.0`` → the programmes field)."""
    errors = FormErrors()
    for item in exc.errors or [{"field": "form", "message": exc.detail}]:
        loc = tuple(item["field"].split("."))
        errors.add(field_of(loc, aliases or {}), _value_error_message(item["message"], gettext))
    return errors


def text(form: Any, name: str) -> str:
    """A posted text field, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Any, name: str) -> str | None:
    """A posted text field, None when left empty."""
    return text(form, name) or None


def chosen(form: Any, name: str) -> list[str]:
    """Every value posted under ``name`` (checkboxes, multiple selects), empty ones dropped."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
