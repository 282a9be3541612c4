"""The files schools send, opened as sheets of cells: .xlsx, .xls (Excel 97–2003), .ods and CSV,
told apart by their content rather than their names (DESIGN "Spreadsheets as schools really make
them").

Each format is django-import-export's (its `base_formats`, over tablib and the parsers tablib
uses: openpyxl, xlrd, odfpy). The library reads the first sheet with its first row as the
header; a school's register is several sheets, some hidden, with title rows above the header
and merged cells, so each format here adds `sheets()`: every sheet, its visibility, its rows as
Excel numbers them, and its merged ranges. Finding the header and the columns is
`aidcase.spreadsheets`' work.

Nothing is parsed before the file is known to be small enough (`check_expansion` for zipped
formats), and the rows of .xlsx and CSV files are streamed.
"""

import contextlib
import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from import_export.formats import base_formats
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

MAX_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 200  # a header lies within the first 200 columns; later cells are not read
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"

# What a zipped spreadsheet (.xlsx, .ods) may expand to, checked before any parser reads it.
# openpyxl holds the whole shared-strings table in memory, about 5 bytes for each byte of
# its XML (a 4.6 MB file of unique strings took a worker past 1 GB), and streams the sheets,
# whose size is the reading time. A roster of 100,000 students saved by Excel holds 11 MB of
# shared strings and a 51 MB sheet; AidCase's own export of it is an 83 MB sheet of inline
# strings. The limits leave three times the room of Excel's file and twice that of the export,
# and bound what the strings take in memory to about 160 MB. Sizes are those the zip directory
# declares: zipfile never inflates a member past its declared size (a member that lies fails
# its CRC check instead). An .ods file's content is parsed whole (odfpy builds a tree), so it
# has a lower bound of its own.
MB = 1024 * 1024
MAX_EXPANDED = 200 * MB  # the whole file
MAX_SHEET = 160 * MB  # each worksheet (.xlsx)
MAX_ODS_CONTENT = 40 * MB  # the content of an .ods file
MAX_STRINGS = 32 * MB  # the shared-strings table (.xlsx)
MAX_PART = 16 * MB  # any other member: styles, drawings, pictures…
# Spreadsheet XML deflates 5–10 times; a zip bomb's members a thousand times.
MAX_RATIO = 100
RATIO_FROM = 1 * MB  # small members may compress far better without costing anything


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass
class RawSheet:
    """One sheet as it is in the file. `rows` yields (row number as Excel shows it, values);
    rows the file leaves out are not yielded. `merged` lists merged ranges as (first row,
    first column, last row, last column), 1-based. CSV files have one sheet named ""."""

    name: str
    hidden: bool
    rows: Iterator[tuple[int, list[Any]]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # The cells of formulas the file stores without their results (written by a program that
    # does not compute them), as "E2"; read only for the sheets an import reads.
    formulas_without_values: Any = None


def open_sheets(file: IO[bytes], *, name: str = "") -> list[RawSheet]:
    """The sheets of a file, or FileRefused saying in Chinese what the file is and what to do."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > MAX_BYTES:
        raise FileRefused(_("文件超过 20 MB，请拆分后再导入"))
    if size == 0:
        raise FileRefused(_("文件是空的"))
    head = file.read(4096)
    file.seek(0)
    if head.startswith(OLE_MAGIC):
        return XLSFile().sheets(file.read())
    if head.startswith(ZIP_MAGIC):
        check_expansion(file)
        if head[30:].startswith(ODS_MIMETYPE):
            return ODSFile().sheets(file.read())
        return XLSXFile().sheets(file)
    _refuse_other_documents(head)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods", ".et")):
        raise FileRefused(
            _(
                "文件已损坏或不是 Excel 表格，无法读取："
                "请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入"
            )
        )
    return CSVFile().sheets(file.read())


def _refuse_other_documents(head: bytes) -> None:
    """Files that spreadsheet programs open but that are not spreadsheets: web pages and web
    archives saved under an .xls name (what many systems' "导出Excel" gives), and Excel's
    2003 XML format."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    web_page = start.startswith(b"<") and (
        b"<html" in start[:1024] or start.startswith((b"<!doctype", b"<table", b"<meta"))
    )
    if web_page or start.startswith(b"mime-version"):
        raise FileRefused(
            _(
                "这个文件是网页（HTML），只是名字叫 .xls，不是真正的 Excel 表格"
                "（一些系统的“导出Excel”会生成这种文件）。请用 Excel 或 WPS 打开它，"
                "选择“另存为” → “Excel 工作簿（.xlsx）”，再导入另存的文件。"
            )
        )
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise FileRefused(
            _(
                "这个文件是“XML 表格 2003”格式，不能直接导入。请用 Excel 或 WPS 打开它，"
                "另存为“Excel 工作簿（.xlsx）”后再导入。"
            )
        )


def check_expansion(file: IO[bytes]) -> None:
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
        elif name.startswith("xl/worksheets/"):
            what, limit = _("其中一个工作表"), MAX_SHEET
        elif name == "content.xml":
            what, limit = _("其中一个工作表"), MAX_ODS_CONTENT
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


def _guarded(rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a sheet, turning a parser's failure midway into FileRefused."""
    try:
        yield from rows
    except FileRefused:
        raise
    except Exception as error:
        raise FileRefused(_("文件已损坏，无法读取")) from error


# .xlsx


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
# A formula cell without a stored result: <f>…</f> then an empty <v> or the cell's end.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<(?:\w+:)?c r="([A-Z]+[0-9]+)"[^>]*>\s*<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>[^<]*</(?:\w+:)?f>)'
    rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>|</(?:\w+:)?c>)"
)


class XLSXFile(base_formats.XLSX):
    """Through openpyxl in read-only mode, as the library reads .xlsx; the merged ranges and
    formulas without results, which read-only mode does not give, from the sheet's XML."""

    def sheets(self, file: IO[bytes]) -> list[RawSheet]:
        # A damaged or hostile workbook can fail in any of openpyxl's parsers (zip, XML, styles,
        # cells), each with its own exception type: whichever it is, the file cannot be read.
        try:
            reader = _ExcelReader(file, read_only=True, data_only=True)
            reader.read()
            workbook = reader.wb
            worksheets = list(workbook.worksheets)
        except Exception as error:
            raise FileRefused(
                _(
                    "文件已损坏或不是 Excel 表格（.xlsx），无法读取："
                    "请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入"
                )
            ) from error
        result = []
        for worksheet in worksheets:
            if not hasattr(worksheet, "iter_rows"):  # a chart sheet
                continue
            path = getattr(worksheet, "_worksheet_path", "")
            scan = _LazyScan(file, path)
            result.append(
                RawSheet(
                    name=worksheet.title,
                    hidden=worksheet.sheet_state != "visible",
                    rows=_guarded(self._rows(worksheet)),
                    merged=_LazyList(lambda scan=scan: scan.merged()),
                    formulas_without_values=scan.formulas,
                )
            )
        return result

    @staticmethod
    def _rows(worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
        # Files that declare no dimension give each row its own length; a row is never read
        # past MAX_COLUMNS (a sheet formatted to column XFD would otherwise be 16,384 wide).
        width = worksheet.max_column
        rows = worksheet.iter_rows(
            max_col=min(width, MAX_COLUMNS) if width else None, values_only=True
        )
        # openpyxl yields an empty row for each row the file leaves out, so rows count from 1.
        for number, row in enumerate(rows, start=1):
            yield number, list(row[:MAX_COLUMNS]) if len(row) > MAX_COLUMNS else list(row)


_SI, _T, _R = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("si", "t", "r"))


class _ExcelReader(ExcelReader):
    """openpyxl's reader (what `openpyxl.load_workbook` does) with a quicker shared-strings
    table. openpyxl turns each string into a rich-text object before taking its text, a
    quarter of a second for the 40,000 strings of a 10,000-student roster, which is most of
    the gap to the speed goal (README "Speed"); here the text is taken as `Text.content`
    takes it: the plain text and the runs' texts, phonetic guides left out, through the same
    (defused) XML parser. The result is the same list (a test compares them)."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = shared_strings(source)


def shared_strings(source: IO[bytes]) -> list[str]:
    strings = []
    for _event, node in iterparse(source):
        if node.tag == _SI:
            parts = []
            for child in node:
                if child.tag == _T:
                    parts.append(child.text or "")
                elif child.tag == _R:
                    parts.extend(t.text or "" for t in child.iter(_T))
            strings.append("".join(parts).replace("x005F_", ""))
            node.clear()
    return strings


class _LazyScan:
    """Reads a worksheet's XML once, when first asked, for what read-only mode leaves out."""

    def __init__(self, file: IO[bytes], path: str) -> None:
        self.file, self.path = file, path.lstrip("/")
        self._done: tuple[list[tuple[int, int, int, int]], list[str]] | None = None

    def _scan(self) -> tuple[list[tuple[int, int, int, int]], list[str]]:
        if self._done is None:
            merged: list[tuple[int, int, int, int]] = []
            formulas: list[str] = []
            if self.path:
                position = self.file.tell()
                try:
                    with zipfile.ZipFile(self.file) as archive, archive.open(self.path) as part:
                        tail = b""
                        while chunk := part.read(1024 * 1024):
                            data = tail + chunk
                            cut = max(data.rfind(b"<"), 0)
                            complete, tail = data[:cut], data[cut:]
                            # A cell or merge split across chunks is found in the next round:
                            # keep the text from the last opening "<c " on.
                            last_cell = complete.rfind(b"<c ")
                            if last_cell > 0:
                                complete, tail = complete[:last_cell], complete[last_cell:] + tail
                            self._find(complete, merged, formulas)
                        self._find(tail, merged, formulas)
                except (KeyError, zipfile.BadZipFile, OSError):
                    pass
                finally:
                    self.file.seek(position)
            self._done = (merged, formulas)
        return self._done

    @staticmethod
    def _find(data: bytes, merged: list[tuple[int, int, int, int]], formulas: list[str]) -> None:
        for match in _MERGE.finditer(data):
            min_col, min_row, max_col, max_row = range_boundaries(match[1].decode())
            merged.append((min_row, min_col, max_row, max_col))
        if len(formulas) < 20:
            formulas.extend(m[1].decode() for m in _FORMULA_WITHOUT_VALUE.finditer(data))

    def merged(self) -> list[tuple[int, int, int, int]]:
        return self._scan()[0]

    def formulas(self) -> list[str]:
        return self._scan()[1]


class _LazyList(list):
    """A list filled on first use: an .xlsx sheet's merged ranges are read only for the
    sheets an import reads."""

    def __init__(self, fill: Any) -> None:
        super().__init__()
        self._fill: Any = fill

    def _load(self) -> None:
        if self._fill is not None:
            fill, self._fill = self._fill, None
            self.extend(fill())

    def __iter__(self) -> Iterator[Any]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def __bool__(self) -> bool:
        return len(self) > 0


# .xls


class XLSFile(base_formats.XLS):
    """Through xlrd, as the library reads .xls; with the formatting information that holds
    merged ranges, and dates turned into dates (xlrd gives them as day numbers)."""

    def sheets(self, data: bytes) -> list[RawSheet]:
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False)
        except Exception as error:
            # An encrypted .xlsx is an OLE file too: xlrd finds no workbook in it.
            raise FileRefused(
                _(
                    "文件已加密（设置了打开密码）、已损坏，或不是 Excel 表格：请在 Excel 或 WPS 中"
                    "打开它，去掉密码，另存为 .xlsx 后再导入"
                )
            ) from error
        return [
            RawSheet(
                name=sheet.name,
                hidden=sheet.visibility != 0,
                rows=_guarded(self._rows(book, sheet)),
                merged=[(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in sheet.merged_cells],
            )
            for sheet in book.sheets()
        ]

    @staticmethod
    def _rows(book: Any, sheet: Any) -> Iterator[tuple[int, list[Any]]]:
        import xlrd

        width = min(sheet.ncols, MAX_COLUMNS)
        for index in range(sheet.nrows):
            values: list[Any] = []
            for cell in sheet.row_slice(index, 0, width):
                kind, value = cell.ctype, cell.value
                if kind == xlrd.XL_CELL_DATE:
                    with contextlib.suppress(ValueError, OverflowError, xlrd.xldate.XLDateError):
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif kind == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(value, "#ERROR")
                elif kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                values.append(value)
            yield index + 1, values


# .ods


class ODSFile(base_formats.ODS):
    """Through odfpy, with tablib's reading of each cell's value. tablib's own sheet reading
    drops repeated empty cells (shifting the columns after them) and rows LibreOffice
    compresses as repeated, so the table is walked here."""

    def sheets(self, data: bytes) -> list[RawSheet]:
        from odf import opendocument

        try:
            document = opendocument.load(io.BytesIO(data))
        except Exception as error:
            raise FileRefused(
                _(
                    "文件已损坏或不是 OpenDocument 表格（.ods），无法读取："
                    "请在 WPS 或 LibreOffice 中打开后另存为 .xlsx 再导入"
                )
            ) from error
        try:
            hidden_styles = self._hidden_table_styles(document)
            return [
                RawSheet(
                    name=table.getAttribute("name") or "",
                    hidden=(table.getAttribute("stylename") or "") in hidden_styles,
                    rows=_guarded(self._rows(table)),
                    merged=self._merged(table),
                )
                for table in document.spreadsheet.childNodes
                if table.qname[1] == "table"
            ]
        except Exception as error:  # a document odfpy loads but that is not a spreadsheet
            raise FileRefused(_("文件已损坏，无法读取")) from error

    @staticmethod
    def _hidden_table_styles(document: Any) -> set[str]:
        hidden = set()
        for style in document.automaticstyles.childNodes:
            if style.qname[1] != "style":
                continue
            for properties in style.childNodes:
                if properties.qname[1] == "table-properties" and (
                    properties.getAttribute("display") == "false"
                ):
                    hidden.add(style.getAttribute("name"))
        return hidden

    @staticmethod
    def _table_rows(table: Any) -> Iterator[tuple[int, Any, int]]:
        """(first row number, row element, times repeated) for each row element."""
        number = 1
        stack = list(reversed(table.childNodes))
        while stack:
            node = stack.pop()
            kind = node.qname[1]
            if kind in ("table-row-group", "table-header-rows", "table-rows"):
                stack.extend(reversed(node.childNodes))
            elif kind == "table-row":
                repeated = int(node.getAttribute("numberrowsrepeated") or 1)
                yield number, node, repeated
                number += repeated

    def _rows(self, table: Any) -> Iterator[tuple[int, list[Any]]]:
        from tablib.formats._ods import ODSFormat

        for number, row, repeated in self._table_rows(table):
            values: list[Any] = []
            for cell in row.childNodes:
                if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                times = int(cell.getAttribute("numbercolumnsrepeated") or 1)
                value = ODSFormat.read_cell(cell) if cell.qname[1] == "table-cell" else None
                if value == "":
                    value = None
                values.extend([value] * min(times, MAX_COLUMNS - len(values)))
                if len(values) >= MAX_COLUMNS:
                    break
            if not any(v is not None for v in values):
                continue  # empty rows, however often repeated, are not rows
            # A row repeated holds the same values each time (LibreOffice's compression).
            for offset in range(min(repeated, 100_001)):
                yield number + offset, list(values)

    def _merged(self, table: Any) -> list[tuple[int, int, int, int]]:
        merged = []
        for number, row, _repeated in self._table_rows(table):
            column = 1
            for cell in row.childNodes:
                if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                spanning = cell.qname[1] == "table-cell"
                rows = int(cell.getAttribute("numberrowsspanned") or 1) if spanning else 1
                columns = int(cell.getAttribute("numbercolumnsspanned") or 1) if spanning else 1
                if rows > 1 or columns > 1:
                    merged.append((number, column, number + rows - 1, column + columns - 1))
                column += int(cell.getAttribute("numbercolumnsrepeated") or 1)
                if column > MAX_COLUMNS:
                    break
        return merged


# CSV


class CSVFile(base_formats.CSV):
    """UTF-8 (with or without BOM) or GBK/GB18030, as Excel's "CSV UTF-8" and "CSV" save it."""

    def sheets(self, data: bytes) -> list[RawSheet]:
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
        reader = csv.reader(io.StringIO(content, newline=""), strict=True)
        return [RawSheet(name="", hidden=False, rows=_guarded(_numbered_csv(reader)))]


def _numbered_csv(reader: Iterable[Sequence[str]]) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(reader, start=1):
        yield number, list(row[:MAX_COLUMNS])
