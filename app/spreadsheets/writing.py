"""Writing tables as Danish Excel reads them: CSV with ``;``, UTF-8 with BOM, dates as
``dd-mm-yyyy``, decimal comma; or XLSX (openpyxl, write-only) with typed date cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

from fastapi import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from app.spreadsheets.reading import XLSX

Format = Literal["csv", "xlsx"]
Value = str | int | float | bool | date | datetime | None


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float):
        return f"{value:.10g}".replace(".", ",")
    return str(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """``;``-separated, CRLF lines, UTF-8 with a BOM (so Excel reads the æøå)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Value]], title: str) -> bytes:
    """One sheet; dates are date cells shown as dd-mm-yyyy (times in UTC, without zone)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
                cell.number_format = "dd-mm-yyyy hh:mm"
                cells.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "dd-mm-yyyy"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(
    fmt: Format, name: str, header: Sequence[str], rows: Iterable[Sequence[Value]]
) -> Response:
    """The table as a file to save (``name.csv`` or ``name.xlsx``)."""
    if fmt == "xlsx":
        content, media = to_xlsx(header, rows, name), XLSX
    else:
        content, media = to_csv(header, rows), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
