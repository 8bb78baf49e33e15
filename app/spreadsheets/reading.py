"""Reading a spreadsheet as Danish Excel writes it: CSV (``;``, UTF-8 with BOM or
Windows-1252) or XLSX (the first sheet, read with python-calamine, the binding of the Rust
``calamine`` reader: 10,000 rows in about 0.2 s, where openpyxl's read-only mode took 4.6 s;
openpyxl still writes the exports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from python_calamine import CalamineWorkbook

from app.errors import ValidationFailed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A cell as read: text from CSV, typed values from XLSX (numbers, dates), or None.
Cell = str | int | float | bool | date | datetime | None


@dataclass(frozen=True, slots=True)
class Table:
    """The header and the data rows; ``rows`` pairs each row with its number in the sheet
    (the header is row 1)."""

    header: list[str]
    rows: list[tuple[int, list[Cell]]]


def is_xlsx(content: bytes) -> bool:
    """An XLSX file is a ZIP archive."""
    return content[:4] == b"PK\x03\x04"


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # what Danish Excel writes


def _csv_rows(content: bytes) -> Iterator[list[Cell]]:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(content: bytes) -> Iterator[list[Cell]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several kinds on a damaged file
        raise ValidationFailed("file", "not a readable XLSX file") from exc
    for values in rows:
        yield [_cell(v) for v in values]


def _cell(value: Any) -> Cell:
    if value == "":  # calamine's empty cell
        return None
    if value is None or isinstance(value, str | int | float | bool | date | datetime):
        return value
    return str(value)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_table(content: bytes) -> Table:
    """The file's header and non-empty rows (422 naming ``file`` when it has no header)."""
    rows = _xlsx_rows(content) if is_xlsx(content) else _csv_rows(content)
    header: list[str] | None = None
    data: list[tuple[int, list[Cell]]] = []
    for number, row in enumerate(rows, start=1):
        if all(_blank(c) for c in row):
            continue
        if header is None:
            header = [str(c).strip() if c is not None else "" for c in row]
            continue
        data.append((number, row))
    if header is None:
        raise ValidationFailed("file", "the file is empty: a header row is expected")
    return Table(header=header, rows=data)
