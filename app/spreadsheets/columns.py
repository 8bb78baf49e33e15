"""Danish column names and the conversion of cells to the API's JSON values.

A converter only changes the form (``dd-mm-yyyy`` to ISO, ``12,5`` to 12.5, Danish language
and municipality names to codes, lists split on ``,`` or ``;``); every rule on the values is
the API's own schema and service, applied after (see :mod:`app.spreadsheets.imports`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import langcodes

from app.domain import municipalities
from app.spreadsheets.reading import Cell


class CellError(ValueError):
    """A cell that cannot be read as its column's kind (the message is for the user);
    ``kind`` says which (``date``, ``whole_number``, ``number``, ``yes_no``) for a translation."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def text(cell: Cell) -> object:
    """Text, stripped; numbers from XLSX as they read (a phone number stored as a number)."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


_DATE = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")


def day(cell: Cell) -> object:
    """``dd-mm-yyyy`` (also ``.`` or ``/``), an ISO date, or an XLSX date cell → ISO text."""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    value = str(cell).strip()
    found = _DATE.match(value)
    if found:
        d, m, y = (int(g) for g in found.groups())
        try:
            return date(y, m, d).isoformat()
        except ValueError:
            raise CellError(f"{value!r} is not a date", "date") from None
    if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return value
    raise CellError(f"{value!r} is not a date as dd-mm-yyyy", "date")


def integer(cell: Cell) -> object:
    """A whole number."""
    if isinstance(cell, bool):
        raise CellError("must be a whole number", "whole_number")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    value = str(cell).strip()
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    raise CellError(f"{value!r} is not a whole number", "whole_number")


def decimal(cell: Cell) -> object:
    """A number with a decimal comma (or point)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    shown = str(cell).strip()
    value = shown.replace(".", "").replace(",", ".") if "," in shown else shown
    try:
        return float(value)
    except ValueError:
        raise CellError(f"{shown!r} is not a number", "number") from None


_YES = {"ja", "j", "x", "1", "true", "sand", "yes"}
_NO = {"nej", "n", "0", "false", "falsk", "no"}


def yes_no(cell: Cell) -> object:
    """``ja`` / ``nej`` (also ``x``, 1/0)."""
    if isinstance(cell, bool):
        return cell
    value = str(cell).strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(f"{str(cell).strip()!r} is not ja or nej", "yes_no")


_GENDERS = {
    "kvinde": "female",
    "k": "female",
    "female": "female",
    "mand": "male",
    "m": "male",
    "male": "male",
    "andet": "other",
    "other": "other",
}


def gender(cell: Cell) -> object:
    """``kvinde`` / ``mand`` / ``andet`` (or the API's words); anything else is left for
    the schema to refuse."""
    value = str(cell).strip()
    return _GENDERS.get(value.casefold(), value)


def items(cell: Cell) -> list[str]:
    """A list in one cell, separated by ``,`` or ``;``."""
    return [part.strip() for part in re.split(r"[;,]", str(cell)) if part.strip()]


@cache
def _language_code(name: str) -> str:
    if re.fullmatch(r"[a-z]{2,3}", name):
        return name
    for language in ("da", "en"):
        try:
            return str(langcodes.find(name, language=language))
        except LookupError:
            continue
    return name  # the schema names it as unknown


def languages(cell: Cell) -> object:
    """Language codes or Danish (or English) language names."""
    return [_language_code(item.casefold()) for item in items(cell)]


@cache
def _municipality_names() -> dict[str, str]:
    return {m.name.casefold(): code for code, m in municipalities().items()}


def municipality(cell: Cell) -> object:
    """A kommunekode (``101``, also ``0101`` or a number) or a municipality's name."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return f"{int(cell):03d}"
    value = str(cell).strip()
    if value.isdigit():
        return f"{int(value):03d}"
    name = value.casefold()
    names = _municipality_names()
    return names.get(name) or names.get(f"{name} kommune") or value


def lowered_items(cell: Cell) -> object:
    """A list of codes (programmes), as the API spells them."""
    return [item.casefold() for item in items(cell)]


Convert = Callable[[Cell], object]


@dataclass(frozen=True, slots=True)
class Column:
    """A Danish column name, the API field it fills, and how its cells are read."""

    name: str
    field: str
    convert: Convert
    required: bool = False
    #: An empty cell's value; ``None``: an empty cell leaves the field out.
    blank: object = None


NEWCOMER_COLUMNS = (
    Column("Fornavn", "first_name", text, required=True),
    Column("Efternavn", "last_name", text, required=True),
    Column("Fødselsdato", "birth_date", day),
    Column("Køn", "gender", gender),
    Column("Sprog", "languages", languages, required=True),
    Column("Kommune", "municipality", municipality, required=True),
    # An empty cell: no requests of their own (a household member, such as a child).
    Column("Programmer", "programmes", lowered_items, required=True, blank=()),
    Column("Interesser", "interests", items),
    Column("Ønsket mentorkøn", "mentor_gender", gender),
    Column("Maks. afstand (km)", "max_distance_km", decimal),
)

MENTOR_COLUMNS = (
    Column("Fornavn", "first_name", text, required=True),
    Column("Efternavn", "last_name", text, required=True),
    Column("E-mail", "email", text),
    Column("Telefon", "phone", text),
    Column("Fødselsår", "birth_year", integer),
    Column("Køn", "gender", gender),
    Column("Sprog", "languages", languages, required=True),
    Column("Kommune", "municipality", municipality, required=True),
    Column("Kapacitet", "capacity", integer),
    Column("Programmer", "programmes", lowered_items, required=True),
    Column("Interesser", "interests", items),
    Column("Børneattest", "child_certificate", yes_no),
    Column("Maks. afstand (km)", "max_distance_km", decimal),
)
