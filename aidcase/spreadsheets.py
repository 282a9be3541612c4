"""Spreadsheets in and out: reading .xlsx and .csv files schools send, checking every cell
against a sheet's columns, and writing templates and exports with the same Chinese headers
(through `aidcase.workbooks`, the one writer of every workbook).

An import is all or nothing. `read_table` refuses files that are not spreadsheets; `parse`
reads every cell and a sheet's `plan()` checks every row, listing every problem with its row
number and column; only a plan without errors is applied, in one transaction. Rows are
numbered as Excel shows them: the header is row 1.
"""

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.workbooks import row_append, sheet_add, workbook_new, workbook_save

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
REQUIRED_MARK = "*"
EXCEL_EPOCH = dt.date(1899, 12, 30)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# What a zipped spreadsheet (.xlsx, .ods) may expand to, checked before any parser reads it.
# openpyxl holds the whole shared-strings table in memory, about 5 bytes for each byte of
# its XML (a 4.6 MB file of unique strings took a worker past 1 GB), and streams the sheets,
# whose size is the reading time. A roster of 100,000 students saved by Excel holds 11 MB of
# shared strings and a 51 MB sheet; AidCase's own export of it is an 83 MB sheet of inline
# strings. The limits leave three times the room of Excel's file and twice that of the export,
# and bound what the strings take in memory to about 160 MB. Sizes are those the zip directory
# declares: zipfile never inflates a member past its declared size (a member that lies fails
# its CRC check instead).
MB = 1024 * 1024
MAX_EXPANDED = 200 * MB  # the whole file
MAX_SHEET = 160 * MB  # each worksheet (.xlsx) or the content (.ods)
MAX_STRINGS = 32 * MB  # the shared-strings table (.xlsx)
MAX_PART = 16 * MB  # any other member: styles, drawings, pictures…
# Spreadsheet XML deflates 5–10 times; a zip bomb's members a thousand times.
MAX_RATIO = 100
RATIO_FROM = 1 * MB  # small members may compress far better without costing anything


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why, in Chinese."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("第 %(row)s 行「%(column)s」：%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its Chinese header, the key the parsed value goes under, and
    the parser that turns a cell into a value (or raises CellError)."""

    header: str
    key: str
    required: bool = False
    parse: Callable[[Any], Any] = field(default=lambda value: text(value))
    help: Any = ""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]


# Reading files


def read_table(file: IO[bytes], *, name: str = "") -> Table:
    """The first sheet of an .xlsx file, or a .csv file in UTF-8 (with or without BOM) or
    GBK/GB18030. The kind of file is told by its content, not by its name."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > MAX_BYTES:
        raise FileRefused(_("文件超过 20 MB，请拆分后再导入"))
    if size == 0:
        raise FileRefused(_("文件是空的"))
    head = file.read(8)
    file.seek(0)
    if head.startswith(OLE_MAGIC):
        raise FileRefused(
            _("文件已加密，或是旧版 Excel（.xls）文件：请去掉密码并另存为 .xlsx 后再导入")
        )
    if head.startswith(ZIP_MAGIC):
        _check_expansion(file)
        return _read_xlsx(file)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(_("文件已损坏或不是 Excel 表格（.xlsx），无法读取"))
    return _read_csv(file.read())


def _check_expansion(file: IO[bytes]) -> None:
    """Refuses a zipped spreadsheet that would expand past the limits above, from its zip
    directory alone: nothing is inflated or parsed."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except Exception as error:  # any damage to the zip's directory, whatever its type
        raise FileRefused(_("文件已损坏或不是 Excel 表格（.xlsx），无法读取")) from error
    finally:
        file.seek(0)
    too_big = _(
        "表格内容过多：%(what)s解开后有 %(size)s MB，上限是 %(limit)s MB。"
        "请把表格拆分成几个较小的文件，或另存为 CSV（逗号分隔）文件后再导入。"
    )
    total = sum(member.file_size for member in members)
    if total > MAX_EXPANDED:
        raise FileRefused(too_big % _sizes(_("这个文件"), total, MAX_EXPANDED))
    for member in members:
        name = member.filename
        if name == "xl/sharedStrings.xml":
            what, limit = _("其中的文字"), MAX_STRINGS
        elif name.startswith("xl/worksheets/") or name == "content.xml":
            what, limit = _("其中一个工作表"), MAX_SHEET
        else:
            what, limit = _("其中一部分"), MAX_PART
        if member.file_size > limit:
            raise FileRefused(too_big % _sizes(what, member.file_size, limit))
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise FileRefused(
                _(
                    "文件异常：其中一部分解开后是压缩时的 %(ratio)s 倍（上限 %(limit)s 倍），"
                    "可能已损坏或是恶意文件。请在 Excel 中打开后另存为 .xlsx，"
                    "或另存为 CSV（逗号分隔）文件后再导入。"
                )
                % {"ratio": int(ratio), "limit": MAX_RATIO}
            )


def _sizes(what: str, size: int, limit: int) -> dict[str, Any]:
    return {"what": what, "size": math.ceil(size / MB), "limit": limit // MB}


def _read_xlsx(file: IO[bytes]) -> Table:
    # A damaged or hostile workbook can fail in any of openpyxl's parsers (zip, XML, styles,
    # cells), each with its own exception type: whichever it is, the file cannot be read.
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        rows = _guarded(workbook.worksheets[0].iter_rows(values_only=True))
        header = next(rows, None)
    except FileRefused:
        raise
    except Exception as error:
        raise FileRefused(_("文件已损坏或不是 Excel 表格（.xlsx），无法读取")) from error
    if header is None:
        raise FileRefused(_("表格是空的：第 1 行应为列名"))
    return Table(headers=[_header(h) for h in header], rows=_numbered(rows))


def _guarded(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The rows of a sheet, turning a parser's failure midway into FileRefused."""
    try:
        yield from rows
    except Exception as error:
        raise FileRefused(_("文件已损坏，无法读取")) from error


def _read_csv(data: bytes) -> Table:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover — gb18030 decodes any byte string
        raise FileRefused(_("无法识别文件编码，请另存为 UTF-8 或 Excel 表格"))
    if "\x00" in content:
        raise FileRefused(_("文件不是表格（Excel 或 CSV），无法读取"))
    reader = _guarded(csv.reader(io.StringIO(content, newline=""), strict=True))
    header = next(reader, None)
    if not header:
        raise FileRefused(_("表格是空的：第 1 行应为列名"))
    return Table(headers=[_header(h) for h in header], rows=_numbered(reader))


def _header(value: Any) -> str:
    return str(value).strip().rstrip(REQUIRED_MARK).strip() if value is not None else ""


def _numbered(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """Rows with their Excel numbers, blank rows skipped, refusing more than MAX_ROWS."""
    for index, row in enumerate(rows, start=2):
        if index - 1 > MAX_ROWS:
            raise FileRefused(_("表格超过 10 万行，请拆分后再导入"))
        values = list(row)
        if any(v is not None and str(v).strip() for v in values):
            yield index, values


# Turning rows into dictionaries


def records(
    table: Table, columns: Sequence[Column], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """Each row as (number, {key: parsed value}, whether every cell was fine); problems go
    to `errors`, all of them. A cell that failed is missing from the dictionary, so checks
    across rows (a key repeated in the file…) still see the cells that were fine. A missing
    required column is reported once, on row 1, and then no row is read."""
    positions: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        positions.setdefault(header, index)
    missing = [c.header for c in columns if c.required and c.header not in positions]
    for header in missing:
        errors.append(RowError(1, header, _("缺少必填列")))
    if missing:
        return
    present = [(c, positions[c.header]) for c in columns if c.header in positions]
    for number, values in table.rows:
        record: dict[str, Any] = {}
        ok = True
        width = len(values)
        for column, index in present:
            raw = values[index] if index < width else None
            # Inlined rather than a helper: it runs for every cell of the file.
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if column.required:
                    errors.append(RowError(number, column.header, _("不能为空")))
                    ok = False
                record[column.key] = None
                continue
            try:
                record[column.key] = column.parse(raw)
            except CellError as error:
                errors.append(RowError(number, column.header, str(error)))
                ok = False
        yield number, record, ok


@dataclass(frozen=True)
class Rows:
    """A file read through to its end and every cell parsed (`records`): all that can be
    checked without the database. An import makes it once, outside any transaction, and a
    sheet's plan checks it against the records, again under the write lock if need be."""

    headers: list[str]
    records: tuple[tuple[int, dict[str, Any], bool], ...]
    errors: tuple[RowError, ...]  # the cells' problems, in the file's order


def parse(table: Table, columns: Sequence[Column]) -> Rows:
    errors: list[RowError] = []
    read = tuple(records(table, columns, errors))
    return Rows(headers=table.headers, records=read, errors=tuple(errors))


# Cell parsers


def text(value: Any, *, max_length: int = 200) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column: 2024.0 is "2024"
    result = str(value).strip()
    if len(result) > max_length:
        raise CellError(_("不能超过 %(n)s 个字") % {"n": max_length})
    return result


# Excel keeps 15 significant digits of a number: a longer one has already been rounded.
EXCEL_DIGITS = 15
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")


def code(value: Any) -> str:
    """An identifier such as 学籍号 or 工号: letters, digits, _ and -, and never a number that
    Excel has rounded or shown as 1.23E+17 (the column must be formatted as text)."""
    as_text = _("应为文本，请把该列设为文本格式后重新填写")
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(as_text)
        if len(str(abs(int(value)))) > EXCEL_DIGITS:
            raise CellError(as_text)
        value = int(value)
    result = str(value).strip()
    if SCIENTIFIC.match(result):
        raise CellError(as_text)
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,32}", result):
        raise CellError(_("只能包含字母、数字、下划线或连字符，最多 32 位"))
    return result


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date(value: Any) -> dt.date:
    """2010-09-01, 2010/9/1, 2010.9.1, 2010年9月1日, 20100901, or an Excel date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 100000:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))  # an Excel serial number
    raw = str(value).strip().split(" ")[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                break
    raise CellError(_("日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）"))


def integer(value: Any, *, low: int, high: int) -> int:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CellError(_("应为整数")) from None
    if number.is_nan() or number != number.to_integral_value():
        raise CellError(_("应为整数"))
    if not low <= number <= high:
        raise CellError(_("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high})
    return int(number)


def decimal(value: Any, *, low: Decimal, high: Decimal, places: int = 2) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CellError(_("应为数字")) from None
    if not number.is_finite() or not low <= number <= high:
        raise CellError(_("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high})
    if -number.as_tuple().exponent > places:  # type: ignore[operator]
        raise CellError(_("最多 %(n)s 位小数") % {"n": places})
    return number


def yes_no(value: Any) -> bool:
    answer = str(value).strip().lower()
    if answer in {"是", "y", "yes", "1", "true", "√"}:
        return True
    if answer in {"否", "n", "no", "0", "false", "×"}:
        return False
    raise CellError(_("应填“是”或“否”"))


def choice(options: Mapping[str, str], *, label: Any) -> Callable[[Any], str]:
    """A parser for a cell that must be one of some Chinese names, mapped to a code."""

    def parse(value: Any) -> str:
        name = str(value).strip()
        if name not in options:
            raise CellError(
                _("无法识别的%(label)s“%(value)s”，可填：%(options)s")
                % {"label": label, "value": name, "options": "、".join(options)}
            )
        return options[name]

    return parse


# Plans


@dataclass
class RowChange:
    row: int
    key: str
    action: str  # "new", "changed" or "unchanged"
    fields: list[str] = field(default_factory=list)  # the changed columns' headers


@dataclass
class Plan:
    """What an import would do, for the preview; `apply` does it."""

    kind: str
    errors: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)  # classes, semesters… made on the way
    apply: Callable[[], Any] = field(default=lambda: None, repr=False)

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> str:
        return _("新增 %(new)s 行，更新 %(changed)s 行，未变 %(unchanged)s 行") % {
            "new": self.count("new"),
            "changed": self.count("changed"),
            "unchanged": self.count("unchanged"),
        }


def duplicate_keys(
    keyed: Iterable[tuple[int, Any]], *, column: str, errors: list[RowError]
) -> None:
    """Reports every row whose key already appeared on an earlier row of the file."""
    seen: dict[Any, int] = {}
    for row, key in keyed:
        if key in seen:
            errors.append(RowError(row, column, _("与第 %(row)s 行重复") % {"row": seen[key]}))
        else:
            seen[key] = row


# Writing


def workbook_bytes(
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]] = (),
    notes: Any = "",
    mark_required: bool = True,
) -> bytes:
    """An .xlsx file: the sheet and, when `notes` is given or the columns have help, a second
    sheet explaining each column. Templates mark required headers with *; exports carry the
    plain headers (an import accepts both)."""
    workbook = workbook_new()
    sheet = sheet_add(workbook, title=title)
    mark = REQUIRED_MARK if mark_required else ""
    row_append(sheet, [c.header + (mark if c.required else "") for c in columns])
    for row in rows:
        row_append(sheet, row)
    if notes or any(c.help for c in columns):
        explain = sheet_add(workbook, title=gettext_lazy("填写说明"))
        if notes:
            row_append(explain, [str(notes)])
            explain.append([])
        row_append(explain, [_("列名"), _("是否必填"), _("说明")])
        for c in columns:
            row_append(explain, [c.header, _("必填") if c.required else _("选填"), str(c.help)])
    return workbook_save(workbook)
