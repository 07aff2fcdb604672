"""Rows from an uploaded CSV or XLSX file, for every import (comments, results, bonuses).

`read_rows(data, filename)` returns the header and the rows as dicts keyed by the header's
cells, each with its line number as the person sees it in the file (the header is line 1).
Anything that is not a readable table raises SpreadsheetError with a message for people;
nothing here knows what the columns mean.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024  # a province-wide file of results is a few MB
MAX_ROWS = 200_000
# A province-wide XLSX of 200,000 rows unpacks to about 150 MB of XML, at most about 30
# times its packed size; a zip bomb packs about 1,000 times.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1000


class SpreadsheetError(Exception):
    pass


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 20190001 typed into Excel arrives as 20190001.0
    return str(value).strip()


def _csv_lines(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return list(csv.reader(io.StringIO(text)))
        except csv.Error as e:  # e.g. a cell beyond the csv module's field limit
            raise SpreadsheetError(_("The file cannot be read as a CSV table.")) from e
    raise SpreadsheetError(_("The file is neither UTF-8 nor GBK text."))


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a zip bomb before openpyxl unpacks it: a 200 KB workbook can hold a sheet of
    gigabytes. The sizes the ZIP declares bound what zipfile hands out (it stops at the
    declared size and then fails the CRC), so they can be checked up front."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as e:
        raise SpreadsheetError(_("The file is not a readable XLSX workbook.")) from e
    total = sum(m.file_size for m in members)
    bomb = any(
        m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if total > MAX_UNPACKED_BYTES or bomb or len(members) > MAX_MEMBERS:
        raise SpreadsheetError(
            _("The workbook unpacks to far more data than a table holds; it is refused.")
        )


def _xlsx_lines(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    # A damaged or hostile workbook can make openpyxl and the XML parser under it fail in
    # many ways (bad ZIP, broken XML, odd styles): each is the same answer for the person.
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            lines = []
            for values in book.worksheets[0].iter_rows(values_only=True):
                lines.append([_cell(v) for v in values])
                if len(lines) > MAX_ROWS + 1:
                    break
            return lines
        finally:
            book.close()
    except Exception as e:
        raise SpreadsheetError(_("The file is not a readable XLSX workbook.")) from e


def read_rows(
    data: bytes, filename: str, required: tuple[str, ...] = ()
) -> tuple[list[str], list[Row]]:
    """The header and the non-empty rows of the first sheet (XLSX) or the file (CSV)."""
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(data)
    elif filename.lower().endswith((".csv", ".txt")):
        lines = _csv_lines(data)
    else:
        raise SpreadsheetError(_("Upload a CSV or XLSX file."))
    if not lines:
        raise SpreadsheetError(_("The file is empty."))
    if len(lines) > MAX_ROWS + 1:
        raise SpreadsheetError(_("The file has more than %(rows)d rows.") % {"rows": MAX_ROWS})
    header = [_cell(h) for h in lines[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SpreadsheetError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, values in enumerate(lines[1:], start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        rows.append(
            Row(
                number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
            )
        )
    return header, rows
