"""Spreadsheets as Danish Excel writes them, built in the tests (synthetic people)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

NEWCOMER_HEADER = ["Fornavn", "Efternavn", "Fødselsdato", "Køn", "Sprog", "Kommune", "Programmer"]


def newcomer_rows(count: int) -> list[list[object]]:
    """``count`` valid newcomer rows, in Copenhagen and Aarhus, as a coordinator types them."""
    rows: list[list[object]] = []
    for i in range(count):
        rows.append(
            [
                f"Testfornavn{i}",
                f"Testefternavn{i}",
                f"{(i % 28) + 1:02d}-{(i % 12) + 1:02d}-{1970 + i % 30}",
                ["kvinde", "mand", "andet"][i % 3],
                ["arabisk, dansk", "ar;en", "Tigrinya", "persisk"][i % 4],
                ["København", "101", "Aarhus"][i % 3],
                "mentor" if i % 2 else "mentor, language_buddy",
            ]
        )
    return rows


def xlsx(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """An XLSX workbook with one sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(
    header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig"
) -> bytes:
    """A ``;``-separated CSV, CRLF lines, as Danish Excel saves it (a cell holding ``;`` or a
    quote is quoted)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([v.strftime("%d-%m-%Y") if isinstance(v, date) else v for v in row])
    return out.getvalue().encode(encoding)
