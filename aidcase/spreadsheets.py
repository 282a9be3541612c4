"""Spreadsheets in and out: reading the files schools send (DESIGN "Spreadsheets as schools
really make them"), checking every cell against a sheet's columns, and writing templates and
exports with the same Chinese headers (through `aidcase.workbooks`, the one writer of every
workbook).

`aidcase.sheetfiles` opens a file as sheets of cells through django-import-export's formats.
Here `read_table` finds, in each visible sheet, the header row (the first of the first 10 rows
that holds every required column, headers matched after normalising and through synonyms) and
keeps the sheets that have one; `parse` reads every cell of their rows, merged cells filled
and empty rows left out, and a sheet's `plan()` checks every row, listing every problem with
its sheet, row and column. Only a plan without errors is applied, in one transaction. Rows are
numbered as Excel shows them.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from aidcase.sheetfiles import MAX_BYTES, FileRefused, RawSheet, open_sheets
from aidcase.workbooks import row_append, sheet_add, workbook_new, workbook_save

__all__ = ["MAX_BYTES", "FileRefused"]

MAX_ROWS = 100_000
HEADER_ROWS = 10  # the header is within the first 10 rows of a sheet
REQUIRED_MARK = "*"
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why, in Chinese."""


class RowNumber(int):
    """A row as Excel numbers it, with its sheet (messages always name it). It prints as
    `七年级!12` when the rows come from several sheets (or not the workbook's first), as `12`
    otherwise; `order` keeps the sheets in the file's order."""

    sheet: str
    order: int
    several: bool

    def __new__(
        cls, number: int, sheet: str = "", order: int = 0, several: bool = False
    ) -> "RowNumber":
        row = super().__new__(cls, number)
        row.sheet, row.order, row.several = sheet, order, several
        return row

    def __str__(self) -> str:
        return f"{self.sheet}!{int(self)}" if self.several and self.sheet else str(int(self))

    __repr__ = __str__


def _sheet_of(row: int) -> str:
    return getattr(row, "sheet", "")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        values = {
            "sheet": _sheet_of(self.row),
            "row": int(self.row),
            "column": self.column,
            "message": self.message,
        }
        if values["sheet"] and self.column:
            return _("工作表「%(sheet)s」第 %(row)s 行「%(column)s」：%(message)s") % values
        if values["sheet"]:
            return _("工作表「%(sheet)s」第 %(row)s 行：%(message)s") % values
        if self.column:
            return _("第 %(row)s 行「%(column)s」：%(message)s") % values
        return _("第 %(row)s 行：%(message)s") % values

    @property
    def place(self) -> str:
        """The row as a spreadsheet names a cell's row: `七年级!12`, or `12` in a CSV file."""
        sheet = _sheet_of(self.row)
        return f"{sheet}!{int(self.row)}" if sheet else str(int(self.row))

    @property
    def sort_key(self) -> tuple[int, int]:
        return getattr(self.row, "order", 0), int(self.row)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its Chinese header, the key the parsed value goes under, and
    the parser that turns a cell into a value (or raises CellError)."""

    header: str
    key: str
    required: bool = False
    parse: Callable[[Any], Any] = field(default=lambda value: text(value))
    help: Any = ""
    values: tuple[str, ...] = ()  # the cell values the column takes, as the file holds them


# Headers

# What two headers mean, for the import pages in English (the others are the models' labels).
HEADER_MEANINGS = (gettext_noop("年级"), gettext_noop("是否班主任"))

# The names schools give DESIGN's columns. A header is matched to a column of the sheet being
# imported: first by the column's own name, then by these (so 联系电话 is the guardian's phone
# in a roster and the teacher's own in a staff list, and 学科 is the subject of a score).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "学籍号": ("学籍号码", "全国学籍号", "国家学籍号", "学生学籍号", "学籍编号", "学籍辅号"),
    "姓名": ("学生姓名", "教师姓名", "名字", "学生名字"),
    "性别": ("学生性别",),
    "出生日期": ("出生年月", "出生年月日", "生日", "出生时间"),
    "入学年份": ("入学年度", "入学年", "年级届别", "届别"),
    "班级": ("所在班级", "班别", "班级名称", "班名", "任教班级", "所带班级"),
    "年级": ("所在年级",),
    "身份证号": (
        "身份证号码",
        "身份证",
        "公民身份号码",
        "身份证件号",
        "身份证件号码",
        "证件号码",
        "学生身份证号",
        "学生身份证号码",
    ),
    "类别": ("帮扶类别", "帮扶对象类别", "学生类别", "帮扶对象类型", "帮扶类型"),
    "认定来源": ("认定依据", "认定方式"),
    "监护人": ("监护人姓名", "家长姓名", "家长"),
    "监护人关系": ("与学生关系", "与监护人关系", "监护人与学生关系", "关系"),
    "监护人电话": ("联系电话", "家长电话", "监护人联系电话", "家长联系电话", "联系方式"),
    "家庭住址": ("家庭地址", "住址", "现住址", "家庭详细住址", "家庭住所"),
    "父母务工地": ("务工地点", "父母务工地点", "外出务工地", "外出务工地点", "务工地"),
    "是否寄宿": ("是否住校", "寄宿", "住校", "是否寄宿生", "住宿情况"),
    "工号": ("教师工号", "教职工号", "职工号", "教师编号", "工作证号"),
    "手机号": ("手机", "手机号码", "联系电话", "电话", "联系方式"),
    "任教学科": ("学科", "任教科目", "科目"),
    "是否班主任": ("班主任",),
    "开始日期": ("结对日期", "结对时间", "帮扶开始日期", "开始时间", "结对开始日期"),
    "结束日期": ("帮扶结束日期", "结束时间", "结对结束日期"),
    "学科": ("帮扶学科", "辅导学科"),
    "成绩": ("分数", "得分", "总成绩", "考试成绩"),
    "学期": ("考试学期",),
    "科目": ("考试科目", "学科"),
    "日期": ("发生日期", "发生时间", "事件日期"),
    "类型": ("事件类型", "违纪类型", "事件类别"),
    "说明": ("情况说明", "事件说明", "具体情况", "描述"),
    "学校代码": ("学校编码", "学校标识码", "学校编号"),
    "学校名称": ("学校", "校名", "学校全称"),
    "乡镇": ("所属乡镇", "乡镇街道", "所在乡镇"),
    "学段": ("办学类型", "学校类型"),
    "校长姓名": ("校长",),
    "资助办负责人": ("资助负责人", "资助办主任", "资助工作负责人"),
}
_BRACKETED = re.compile(r"[（(【\[<《].*?[）)】\]>》]")
_NOT_IN_NAMES = re.compile(r"[\s*＊:：]+")


def header_name(value: Any) -> str:
    """A header as written, reduced to compare: NFKC, without spaces, line breaks, `*` and
    bracketed notes such as （必填）."""
    if value is None:
        return ""
    name = unicodedata.normalize("NFKC", str(value))
    return _NOT_IN_NAMES.sub("", _BRACKETED.sub("", name))


def _matcher(columns: Sequence[Column]) -> Callable[[str], str | None]:
    own = {column.header for column in columns}
    names = {header: header for header in own}
    for header in own:
        for synonym in SYNONYMS.get(header, ()):
            names.setdefault(synonym, header)
    return lambda written: names.get(header_name(written))


@dataclass
class SheetPart:
    """A sheet an import reads: its header row and the columns found in it."""

    name: str
    header_row: int
    positions: dict[str, int]  # column header → index in the row
    ignored: list[str]  # headers written in the sheet that no column of the kind is
    rows: Iterator[tuple[int, list[Any]]]
    merged: Any = ()
    formulas_without_values: Any = None


@dataclass
class Table:
    """What `read_table` found: the sheets to read, the ones left aside and why, and, when no
    sheet holds the required columns, the row that came closest and what it lacks."""

    parts: list[SheetPart]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why)
    first_read_is_not_first: bool = False
    missing: list[RowError] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        """The columns found in every sheet read (a column some sheets lack is ignored)."""
        if not self.parts:
            return []
        common = set.intersection(*(set(part.positions) for part in self.parts))
        return [h for h in self.parts[0].positions if h in common]


def read_table(file: IO[bytes], columns: Sequence[Column], *, name: str = "") -> Table:
    """Opens the file and finds the sheets to read with their headers; FileRefused when the
    file cannot be read at all."""
    return read_sheets(open_sheets(file, name=name), columns)


def read_sheets(sheets: list[RawSheet], columns: Sequence[Column]) -> Table:
    """`read_table` for sheets already opened (a dataset the admin's import read, say)."""
    match = _matcher(columns)
    required = [c.header for c in columns if c.required]
    table = Table(parts=[])
    best: tuple[int, RawSheet, int, set[str]] | None = None  # (found, sheet, row, columns)
    hidden_match = ""
    for sheet in sheets:
        first: list[tuple[int, list[Any]]] = []
        for number, values in sheet.rows:
            first.append((number, values))
            if number >= HEADER_ROWS:
                break
        header = None
        for number, values in first:
            if number > HEADER_ROWS:
                break
            found = {h for h in map(match, values) if h}
            if all(h in found for h in required):
                header = number, values
                break
            score = len(found)
            if not sheet.hidden and (best is None or score > best[0]):
                best = (score, sheet, number, found)
        if header is None:
            if sheet.hidden:
                table.skipped.append((sheet.name, _("隐藏的工作表")))
            elif first:
                table.skipped.append((sheet.name, _("前 10 行中没有找到表头")))
            else:
                table.skipped.append((sheet.name, _("空白的工作表")))
            continue
        if sheet.hidden:
            table.skipped.append((sheet.name, _("隐藏的工作表")))
            hidden_match = hidden_match or sheet.name
            continue
        number, values = header
        positions: dict[str, int] = {}
        ignored = []
        for index, written in enumerate(values):
            column = match(written)
            if column and column not in positions:
                positions[column] = index
            elif written is not None and str(written).strip():
                ignored.append(str(written).strip())
        rest = [(n, v) for n, v in first if n > number]
        table.parts.append(
            SheetPart(
                name=sheet.name,
                header_row=number,
                positions=positions,
                ignored=ignored,
                rows=_chain(rest, sheet.rows),
                merged=sheet.merged,
                formulas_without_values=sheet.formulas_without_values,
            )
        )
    table.first_read_is_not_first = bool(table.parts) and table.parts[0].name != sheets[0].name
    if not table.parts:
        if best is None and not hidden_match:
            raise FileRefused(_("表格是空的：没有找到表头和数据"))
        table.missing = _missing(required, best, hidden_match, sheets)
    return table


def _chain(
    first: Iterable[tuple[int, list[Any]]], rest: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, list[Any]]]:
    yield from first
    yield from rest


def _missing(
    required: list[str],
    best: tuple[int, RawSheet, int, set[str]] | None,
    hidden: str,
    sheets: list[RawSheet],
) -> list[RowError]:
    if hidden or best is None:
        hidden = hidden or sheets[0].name
        return [
            RowError(
                RowNumber(1, hidden, several=True),
                "",
                _(
                    "这个工作表是隐藏的，表格中没有其他可读取的工作表：请在 Excel 中取消隐藏，"
                    "或把数据复制到可见的工作表后再导入"
                ),
            )
        ]
    _score, sheet, number, found = best
    row = RowNumber(number if best[0] else 1, sheet.name, several=sheet is not sheets[0])
    return [
        RowError(
            row,
            header,
            _("缺少必填列（前 10 行中没有包含全部必填列的表头行）：请加上这一列，或按模板改列名"),
        )
        for header in required
        if header not in found
    ]


# Turning rows into dictionaries


def records(
    table: Table, columns: Sequence[Column], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """Each row as (number, {key: parsed value}, whether every cell was fine); problems go
    to `errors`, all of them. A cell that failed is missing from the dictionary, so checks
    across rows (a key repeated in the file…) still see the cells that were fine. Without
    the required columns, nothing is read."""
    if table.missing:
        errors.extend(table.missing)
        return
    common = set(table.headers)
    present = {
        part.name: [(c, part.positions[c.header]) for c in columns if c.header in common]
        for part in table.parts
    }
    for row, values in data_rows(table):
        record: dict[str, Any] = {}
        ok = True
        width = len(values)
        for column, index in present[row.sheet]:
            raw = values[index] if index < width else None
            # Inlined rather than a helper: it runs for every cell of the file.
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if column.required:
                    errors.append(RowError(row, column.header, _("不能为空")))
                    ok = False
                record[column.key] = None
                continue
            try:
                record[column.key] = column.parse(raw)
            except CellError as error:
                errors.append(RowError(row, column.header, str(error)))
                ok = False
        yield row, record, ok


def data_rows(table: Table) -> Iterator[tuple[RowNumber, list[Any]]]:
    """The rows under the headers of the sheets read, numbered with their sheets, empty rows
    left out (however they are formatted), merged cells filled; FileRefused past MAX_ROWS
    rows or for formulas stored without their results."""
    # The sheet is named when the rows come from several sheets, or from one that is not the
    # workbook's first (a hidden data dictionary before it, say).
    several = len(table.parts) > 1 or table.first_read_is_not_first
    count = 0
    for order, part in enumerate(table.parts):
        if part.formulas_without_values is not None and (cells := part.formulas_without_values()):
            raise FileRefused(
                _(
                    "工作表「%(sheet)s」中有公式没有计算结果（如 %(cells)s 格），"
                    "文件可能是由其他程序生成的。请用 Excel 或 WPS 打开文件并保存一次，"
                    "或把这些列复制后“选择性粘贴”为数值，再导入。"
                )
                % {"sheet": part.name, "cells": "、".join(cells[:3])}
            )
        for number, values in _filled(part):
            count += 1
            if count > MAX_ROWS:
                raise FileRefused(_("表格超过 10 万行（不含空行），请拆分后再导入"))
            yield RowNumber(number, part.name, order, several), values


def _blank(values: list[Any]) -> bool:
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


def _filled(part: SheetPart) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's data rows, empty ones left out, each cell of a merged range holding the
    value of its first cell (a class written once beside all its students)."""
    merges = sorted((r0, c0, r1, c1) for r0, c0, r1, c1 in part.merged if r0 > part.header_row)
    if not merges:
        for number, values in part.rows:
            if not _blank(values):
                yield number, values
        return
    waiting = iter(merges)
    upcoming = next(waiting, None)
    active: list[list[Any]] = []  # [last row, first column, last column, value]
    for number, values in part.rows:
        while upcoming is not None and upcoming[0] <= number:
            r0, c0, r1, c1 = upcoming
            value = values[c0 - 1] if r0 == number and c0 - 1 < len(values) else None
            active.append([r1, c0, c1, value])
            upcoming = next(waiting, None)
        active = [a for a in active if a[0] >= number]
        if _blank(values):
            continue
        for _last, c0, c1, value in active:
            if value is None:
                continue
            if len(values) < c1:
                values = values + [None] * (c1 - len(values))
            for index in range(c0 - 1, c1):
                if values[index] is None or (
                    isinstance(values[index], str) and not values[index].strip()
                ):
                    values[index] = value
        yield number, values


@dataclass(frozen=True)
class Rows:
    """A file read through to its end and every cell parsed (`records`): all that can be
    checked without the database. An import makes it once, outside any transaction, and a
    sheet's plan checks it against the records, again under the write lock if need be."""

    headers: list[str]
    records: tuple[tuple[int, dict[str, Any], bool], ...]
    errors: tuple[RowError, ...]  # the cells' problems, in the file's order
    sheets: tuple[tuple[str, int], ...] = ()  # the sheets read, with their header rows
    skipped: tuple[tuple[str, str], ...] = ()  # sheets not read, and why
    ignored: tuple[tuple[str, str], ...] = ()  # (sheet, header) of columns not read
    # What a plan makes from the rows alone (its dataset, checks within a row), kept for the
    # real run under the write lock that follows it: not made twice.
    made: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def once(self, key: Any, make: Callable[[], Any]) -> Any:
        """`make()`, made once for these rows under `key`."""
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    @property
    def missing(self) -> bool:
        """Whether the required columns were not found (then no row was read)."""
        return not self.sheets

    def notes(self) -> list[str]:
        """What the reading did beyond the rows, for the preview and the command's output."""
        notes = []
        several = len(self.sheets) > 1
        for sheet, header_row in self.sheets:
            where = _("工作表「%(sheet)s」") % {"sheet": sheet} if sheet else _("表格")
            if header_row > 1:
                notes.append(
                    _("%(where)s：表头在第 %(row)s 行，上面的 %(n)s 行（标题、说明）未导入")
                    % {"where": where, "row": header_row, "n": header_row - 1}
                )
            elif several or self.skipped:
                notes.append(_("已读取%(where)s") % {"where": where})
        for sheet, why in self.skipped:
            notes.append(_("未读取工作表「%(sheet)s」：%(why)s") % {"sheet": sheet, "why": why})
        by_sheet: dict[str, list[str]] = {}
        for sheet, header in self.ignored:
            by_sheet.setdefault(sheet, []).append(header)
        for sheet, headers in by_sheet.items():
            where = _("工作表「%(sheet)s」") % {"sheet": sheet} if sheet else _("表格")
            notes.append(
                _("%(where)s中以下列无法识别，未导入：%(columns)s")
                % {"where": where, "columns": "、".join(f"「{h}」" for h in headers)}
            )
        return notes


def parse(table: Table, columns: Sequence[Column]) -> Rows:
    errors: list[RowError] = []
    read = tuple(records(table, columns, errors))
    common = set(table.headers)
    ignored = [(part.name, h) for part in table.parts for h in part.ignored]
    ignored += [(part.name, h) for part in table.parts for h in part.positions if h not in common]
    return Rows(
        headers=table.headers,
        records=read,
        errors=tuple(errors),
        sheets=tuple((part.name, part.header_row) for part in table.parts),
        skipped=tuple(table.skipped),
        ignored=tuple(ignored),
    )


# Cell parsers


def nfkc(value: Any) -> str:
    """Full-width digits, letters and spaces as their ordinary forms (keys and numbers)."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def text(value: Any, *, max_length: int = 200) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column: 2024.0 is "2024"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    result = str(value).strip()
    if len(result) > max_length:
        raise CellError(_("不能超过 %(n)s 个字") % {"n": max_length})
    return result


def person_name(value: Any, *, max_length: int = 40) -> str:
    """A person's name: registers pad two-character names to the width of three with a
    full-width space (张　伟), which is not part of the name."""
    return text(str(value).replace("\u3000", ""), max_length=max_length)


# Excel keeps 15 significant digits of a number: a longer one has already been rounded.
EXCEL_DIGITS = 15
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")


def _is_number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def code(value: Any) -> str:
    """An identifier such as 学籍号 or 工号: letters, digits, _ and -, and never a number that
    Excel has rounded or shown as 1.23E+17 (the column must be formatted as text)."""
    as_text = _(
        "是数字格式，Excel 只保留 15 位数字，号码可能已被改动：请把这一列设为文本格式，"
        "再把号码重新输入（不要从数字格式的单元格复制）"
    )
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(as_text)
        if len(str(abs(int(value)))) > EXCEL_DIGITS:
            raise CellError(as_text)
        value = int(value)
    result = nfkc(value)
    if SCIENTIFIC.match(result):
        raise CellError(as_text)
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,32}", result):
        raise CellError(_("只能包含字母、数字、下划线或连字符，最多 32 位"))
    return result


def id_number(value: Any) -> str:
    """A 身份证号 as text; one stored as a number is refused, whatever its digits: Excel has
    kept only 15 of them, and a rounded number passes the check digit about 1 time in 11."""
    if _is_number(value):
        raise CellError(
            _(
                "是数字格式，Excel 只保留 15 位数字，后几位已变成 0：请把这一列设为文本格式，"
                "再把身份证号重新输入（不要从数字格式的单元格复制）"
            )
        )
    result = nfkc(value).upper().replace(" ", "")
    if SCIENTIFIC.match(result):
        raise CellError(
            _("显示为科学计数法（如 5.20102E+17），号码已丢失：请把这一列设为文本格式后重新输入")
        )
    if len(result) > 40:
        raise CellError(_("不能超过 %(n)s 个字") % {"n": 40})
    return result


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_BARE_YEAR = re.compile(r"^(19|20|21)\d\d(\.0+)?$")


def date(value: Any) -> dt.date:
    """2010-09-01, 2010/9/1, 2010.9.1, 2010年9月1日, 20100901, or an Excel date cell. A bare
    year is refused: read as an Excel day number, 2012 would be 1905-07-05."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = nfkc(value).split(" ")[0]
    if _BARE_YEAR.match(raw):
        raise CellError(
            _("只填了年份（%(year)s）：请填写完整的日期，如 %(year)s-09-01") % {"year": raw[:4]}
        )
    if _is_number(value) and 1 <= value < 100000:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))  # an Excel serial number
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
        number = Decimal(nfkc(value))
    except InvalidOperation:
        raise CellError(_("应为整数")) from None
    if number.is_nan() or number != number.to_integral_value():
        raise CellError(_("应为整数"))
    if not low <= number <= high:
        raise CellError(_("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high})
    return int(number)


def decimal(value: Any, *, low: Decimal, high: Decimal, places: int = 2) -> Decimal:
    try:
        number = Decimal(nfkc(value))
    except InvalidOperation:
        raise CellError(_("应为数字")) from None
    if not number.is_finite() or not low <= number <= high:
        raise CellError(_("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high})
    if -number.as_tuple().exponent > places:  # type: ignore[operator]
        raise CellError(_("最多 %(n)s 位小数") % {"n": places})
    return number


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    answer = nfkc(value).lower()
    if answer in {"是", "y", "yes", "1", "true", "√", "✓", "寄宿", "住校"}:
        return True
    if answer in {"否", "n", "no", "0", "false", "×", "走读"}:
        return False
    raise CellError(_("应填“是”或“否”"))


def choice(options: Mapping[str, str], *, label: Any) -> Callable[[Any], str]:
    """A parser for a cell that must be one of some Chinese names, mapped to a code."""

    def parse(value: Any) -> str:
        name = nfkc(value)
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
    notes: list[str] = field(default_factory=list)  # sheets read, title rows, ignored columns
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
            help_text = " ".join(part for part in (str(c.help), "、".join(c.values)) if part)
            row_append(explain, [c.header, _("必填") if c.required else _("选填"), help_text])
    return workbook_save(workbook)
