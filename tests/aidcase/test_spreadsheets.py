"""The spreadsheet engine: reading files, matching headers, parsing cells, writing templates.
No database: these are pure functions over bytes and values."""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import replace
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from aidcase.sheetfiles import OLE_MAGIC, ZIP_MAGIC
from aidcase.spreadsheets import (
    MAX_BYTES,
    MAX_ROWS,
    CellError,
    Column,
    FileRefused,
    Plan,
    RowChange,
    RowError,
    RowNumber,
    SheetPart,
    Table,
    choice,
    code,
    data_rows,
    date,
    decimal,
    duplicate_keys,
    integer,
    read_table,
    records,
    text,
    workbook_bytes,
    yes_no,
)

HEADERS = ["学籍号", "姓名", "出生日期"]
ROWS = [["G001", "张三", "2010-09-01"], ["G002", "李四", "2011/3/5"]]


def cell_datetime(*parts: int) -> dt.datetime:
    """What openpyxl gives for a date cell: Excel has no time zones."""
    return dt.datetime(*parts)  # noqa: DTZ001


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    return buffer.getvalue().encode(encoding)


def read(data: bytes, name: str = "") -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header found and the data rows of a file read with COLUMNS."""
    table = read_table(io.BytesIO(data), READ_COLUMNS, name=name)
    return table.headers, list(data_rows(table))


def table(headers: list[str], *rows: tuple[int, list[Any]]) -> Table:
    """A one-sheet table whose header row is row 1, as read_table finds it."""
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(header, index)
    if not all(c.header in positions for c in COLUMNS if c.required):
        missing = [
            RowError(RowNumber(1), c.header, "缺少必填列")
            for c in COLUMNS
            if c.required and c.header not in positions
        ]
        return Table(parts=[], missing=missing)
    part = SheetPart(name="", header_row=1, positions=positions, ignored=[], rows=iter(rows))
    return Table(parts=[part])


COLUMNS = (
    Column("学籍号", "student_no", True, code),
    Column("姓名", "name", True),
    Column("出生日期", "birth_date", True, date),
    Column("监护人电话", "phone", False),
)
# For reading files: any sheet with a 学籍号 column.
READ_COLUMNS = (COLUMNS[0], *(replace(c, required=False) for c in COLUMNS[1:]))


# Reading files


def test_reads_the_first_sheet_of_an_xlsx_with_excel_row_numbers():
    # given
    data = xlsx([HEADERS, *ROWS, ["G003", "王五", cell_datetime(2012, 1, 2)]])

    # when
    headers, rows = read(data, "名册.xlsx")

    # then
    assert headers == HEADERS
    assert rows == [
        (2, ["G001", "张三", "2010-09-01"]),
        (3, ["G002", "李四", "2011/3/5"]),
        (4, ["G003", "王五", cell_datetime(2012, 1, 2)]),
    ]


def test_reads_an_xlsx_by_its_content_whatever_its_name():
    # when
    headers, rows = read(xlsx([HEADERS, ROWS[0]]), "名册.csv")

    # then
    assert headers == HEADERS
    assert rows == [(2, ROWS[0])]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_reads_a_csv_in_the_encodings_excel_writes(encoding):
    # given
    data = csv_bytes([HEADERS, *ROWS], encoding=encoding)

    # when
    headers, rows = read(data, "名册.csv")

    # then
    assert headers == HEADERS
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_reads_a_gb18030_csv_with_a_character_gbk_lacks():
    # given: 𠮷 is outside GBK, inside GB18030
    data = csv_bytes([HEADERS, ["G001", "𠮷祥", "2010-09-01"]], encoding="gb18030")

    # when
    _headers, rows = read(data, "名册.csv")

    # then
    assert rows == [(2, ["G001", "𠮷祥", "2010-09-01"])]


def test_reads_a_csv_with_windows_line_ends():
    # given
    data = csv_bytes([HEADERS, *ROWS], encoding="gbk", newline="\r\n")

    # when
    headers, rows = read(data, "名册.csv")

    # then
    assert headers == HEADERS
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_reads_a_csv_without_a_name():
    # when
    headers, rows = read(csv_bytes([HEADERS, ROWS[0]]))

    # then
    assert headers == HEADERS
    assert rows == [(2, ROWS[0])]


def test_skips_blank_rows_and_keeps_the_numbers_excel_shows():
    # given: rows 3 and 4 are empty, row 5 holds only spaces, row 6 is filled in column C only
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(ROWS[0])
    sheet["A5"], sheet["B5"] = "  ", None
    sheet["C6"] = "2012-01-01"
    sheet["A8"] = "G008"
    buffer = io.BytesIO()
    workbook.save(buffer)

    # when
    _headers, rows = read(buffer.getvalue(), "名册.xlsx")

    # then
    assert [number for number, _values in rows] == [2, 6, 8]


def test_skips_blank_lines_of_a_csv_and_keeps_their_numbers():
    # given
    data = "学籍号,姓名\nG001,张三\n\n,\n , \nG005,李四\n".encode()

    # when
    _headers, rows = read(data, "名册.csv")

    # then
    assert rows == [(2, ["G001", "张三"]), (6, ["G005", "李四"])]


def test_reads_exactly_the_largest_number_of_rows():
    # given
    data = ("学籍号\n" + "G1\n" * MAX_ROWS).encode()

    # when
    _headers, rows = read(data, "名册.csv")

    # then
    assert len(rows) == MAX_ROWS
    assert rows[-1][0] == MAX_ROWS + 1


def _corrupt_zip() -> bytes:
    return ZIP_MAGIC + bytes(range(256)) * 8


def _zip_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "不是表格")
    return buffer.getvalue()


def _empty_xlsx() -> bytes:
    return xlsx([])


def _xlsx_with_a_damaged_sheet() -> bytes:
    """A real workbook whose sheet XML is cut in half: the header reads, later rows don't."""
    original = zipfile.ZipFile(io.BytesIO(xlsx([HEADERS] + [ROWS[0]] * 3000)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in original.namelist():
            content = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            archive.writestr(name, content)
    return buffer.getvalue()


def _too_many_rows() -> bytes:
    return ("学籍号\n" + "G1\n" * (MAX_ROWS + 1)).encode()


def _too_large() -> bytes:
    return b"a" * (MAX_BYTES + 1)


REFUSED = [
    pytest.param(lambda: b"", "名册.xlsx", "文件是空的", id="empty"),
    pytest.param(_too_large, "名册.csv", "20 MB", id="larger-than-20-MB"),
    pytest.param(_too_many_rows, "名册.csv", "10 万行", id="more-than-100000-rows"),
    pytest.param(_corrupt_zip, "名册.xlsx", "已损坏", id="corrupt-zip"),
    pytest.param(_zip_without_a_workbook, "名册.xlsx", "已损坏", id="zip-without-workbook"),
    pytest.param(_xlsx_with_a_damaged_sheet, "名册.xlsx", "已损坏", id="damaged-sheet-xml"),
    pytest.param(lambda: OLE_MAGIC + bytes(504), "名册.xlsx", "已加密", id="password-protected"),
    pytest.param(lambda: OLE_MAGIC + bytes(504), "名册.xls", "另存为 .xlsx", id="old-xls"),
    pytest.param(lambda: "学籍号,姓名\n".encode(), "名册.xlsx", "不是 Excel", id="text-named-xlsx"),
    pytest.param(lambda: bytes(range(256)) * 16, "名册.csv", "编码", id="random-binary"),
    pytest.param(lambda: b"\x00\x01PNG\x00\x00abc\n", "x", "不是表格", id="binary-with-nul"),
    pytest.param(_empty_xlsx, "名册.xlsx", "表格是空的", id="xlsx-without-rows"),
    pytest.param(lambda: b"\xef\xbb\xbf", "名册.csv", "表格是空的", id="csv-only-bom"),
    pytest.param(lambda: b'"' + b"a" * 200_000, "名册.csv", "", id="csv-unclosed-quote"),
]


@pytest.mark.parametrize(("make", "name", "message"), REFUSED)
def test_refuses_what_is_not_a_readable_spreadsheet_with_a_message(make, name, message):
    # given
    data = make()

    # when / then: the file is refused while it is opened or read, never with a traceback
    with pytest.raises(FileRefused) as refused:
        read(data, name)
    assert message in str(refused.value)


def test_a_sparse_file_just_over_the_limit_is_refused_before_it_is_read():
    # given: a 20 MB + 1 byte buffer of zeros, made without building the bytes in Python
    file = io.BytesIO()
    file.seek(MAX_BYTES)
    file.write(b"x")

    # when / then
    with pytest.raises(FileRefused, match="20 MB"):
        read_table(file, COLUMNS, name="名册.xlsx")


# Headers


def test_headers_match_in_any_order_and_extra_columns_are_ignored():
    # given
    source = table(
        ["备注", "出生日期", "姓名", "其他", "学籍号"],
        (2, ["无", "2010-09-01", "张三", "x", "G001"]),
    )
    errors: list[RowError] = []

    # when
    result = list(records(source, COLUMNS, errors))

    # then
    assert errors == []
    assert result == [
        (2, {"student_no": "G001", "name": "张三", "birth_date": dt.date(2010, 9, 1)}, True)
    ]


@pytest.mark.parametrize("header", ["学籍号*", "学籍号 *", " 学籍号 ", " 学籍号* ", "学籍号\t"])
def test_headers_accept_the_template_mark_and_surrounding_spaces(header):
    # given
    data = csv_bytes([[header, "姓名*", "出生日期"], ROWS[0]])
    source = read_table(io.BytesIO(data), COLUMNS, name="名册.csv")
    errors: list[RowError] = []

    # when
    result = list(records(source, COLUMNS, errors))

    # then
    assert source.headers == HEADERS
    assert errors == []
    assert result[0][1]["student_no"] == "G001"


def test_a_missing_required_column_is_one_error_on_row_1_and_no_row_is_read():
    # given
    source = table(["姓名", "监护人电话"], (2, ["张三", "138"]), (3, ["李四", "139"]))
    errors: list[RowError] = []

    # when
    result = list(records(source, COLUMNS, errors))

    # then
    assert result == []
    assert errors == [
        RowError(1, "学籍号", "缺少必填列"),
        RowError(1, "出生日期", "缺少必填列"),
    ]


def test_a_missing_optional_column_leaves_its_key_out():
    # given
    source = table(HEADERS, (2, ROWS[0]))
    errors: list[RowError] = []

    # when
    [(_number, record, ok)] = records(source, COLUMNS, errors)

    # then
    assert ok
    assert "phone" not in record


# Records


def test_every_problem_of_every_row_is_listed_with_its_row_and_column():
    # given
    source = table(
        [*HEADERS, "监护人电话"],
        (2, ["G 1", "", "2010-13-01", None]),
        (3, ["G002", "李四", "2011-03-05", "  "]),
        (5, ["G003", None, "昨天", "138"]),
    )
    errors: list[RowError] = []

    # when
    result = list(records(source, COLUMNS, errors))

    # then
    assert [str(error) for error in errors] == [
        "第 2 行「学籍号」：只能包含字母、数字、下划线或连字符，最多 32 位",
        "第 2 行「姓名」：不能为空",
        "第 2 行「出生日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）",
        "第 5 行「姓名」：不能为空",
        "第 5 行「出生日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）",
    ]
    assert [(number, ok) for number, _record, ok in result] == [(2, False), (3, True), (5, False)]


def test_a_failed_cell_is_left_out_and_the_good_cells_are_kept():
    # given
    source = table(HEADERS, (2, ["G001", "", "昨天"]))
    errors: list[RowError] = []

    # when
    [(_number, record, ok)] = records(source, COLUMNS, errors)

    # then
    assert not ok
    assert record == {"student_no": "G001", "name": None}


def test_a_blank_optional_cell_and_a_short_row_give_none():
    # given
    source = table([*HEADERS, "监护人电话"], (2, ["G001", "张三", "2010-09-01", " "]), (3, ROWS[0]))
    errors: list[RowError] = []

    # when
    result = list(records(source, COLUMNS, errors))

    # then
    assert errors == []
    assert [record["phone"] for _number, record, _ok in result] == [None, None]


# Cell parsers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2010-09-01", dt.date(2010, 9, 1)),
        ("2010/9/1", dt.date(2010, 9, 1)),
        ("2010.9.1", dt.date(2010, 9, 1)),
        ("2010年9月1日", dt.date(2010, 9, 1)),
        ("2010年9月1", dt.date(2010, 9, 1)),
        ("20100901", dt.date(2010, 9, 1)),
        (20100901, dt.date(2010, 9, 1)),
        (" 2010-09-01 00:00:00 ", dt.date(2010, 9, 1)),
        (40422, dt.date(2010, 9, 1)),
        (40422.75, dt.date(2010, 9, 1)),
        (cell_datetime(2010, 9, 1, 8, 30), dt.date(2010, 9, 1)),
        (dt.date(2010, 9, 1), dt.date(2010, 9, 1)),
        ("2012-02-29", dt.date(2012, 2, 29)),
    ],
)
def test_date_accepts_what_schools_write(value, expected):
    assert date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2010-13-01",
        "2010年2月30日",
        "2011-02-29",
        "昨天",
        "01/09/2010",
        "2010-09",
        "0",
        0,
        -1,
        True,
    ],
)
def test_date_refuses_what_is_not_a_date(value):
    with pytest.raises(CellError, match="日期格式不正确"):
        date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("G520102201201010001", "G520102201201010001"),
        (" G5201-02_a ", "G5201-02_a"),
        (2024, "2024"),
        (2024.0, "2024"),
        ("A" * 32, "A" * 32),
    ],
)
def test_code_accepts_letters_digits_and_dashes(value, expected):
    assert code(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1.23e17, id="1.23E+17"),
        pytest.param(1.2345678901234568e17, id="18-digit-number-cell"),
        pytest.param(5.2010120120101e15, id="16-digit-number-cell"),
        pytest.param(12.5, id="fraction"),
    ],
)
def test_code_asks_for_text_format_for_a_number_excel_rounded(value):
    with pytest.raises(CellError, match="文本格式"):
        code(value)


@pytest.mark.parametrize("value", ["G520 1", "张三", "G-1/2", "A" * 33, "G001。"])
def test_code_refuses_spaces_chinese_and_punctuation(value):
    with pytest.raises(CellError, match="只能包含字母、数字、下划线或连字符"):
        code(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024", 2024), (" 1990 ", 1990), (2100, 2100), (2024.0, 2024), ("2024.0", 2024)],
)
def test_integer_accepts_whole_numbers_within_bounds(value, expected):
    assert integer(value, low=1990, high=2100) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1989", "应在 1990 到 2100 之间"),
        (2101, "应在 1990 到 2100 之间"),
        ("Infinity", "应在 1990 到 2100 之间"),
        ("2024.5", "应为整数"),
        ("二〇二四", "应为整数"),
        ("2,024", "应为整数"),
        ("NaN", "应为整数"),
        ("sNaN", "应为整数"),
    ],
)
def test_integer_refuses_other_values(value, message):
    with pytest.raises(CellError, match=message):
        integer(value, low=1990, high=2100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", Decimal(0)),
        ("88.5", Decimal("88.5")),
        (100, Decimal(100)),
        (" 59.75 ", Decimal("59.75")),
    ],
)
def test_decimal_accepts_numbers_within_bounds(value, expected):
    assert decimal(value, low=Decimal(0), high=Decimal(100)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-0.5", "应在 0 到 100 之间"),
        ("100.01", "应在 0 到 100 之间"),
        ("NaN", "应在 0 到 100 之间"),
        ("sNaN", "应在 0 到 100 之间"),
        ("Infinity", "应在 0 到 100 之间"),
        ("88.125", "最多 2 位小数"),
        ("八十", "应为数字"),
        ("", "应为数字"),
    ],
)
def test_decimal_refuses_other_values(value, message):
    with pytest.raises(CellError, match=message):
        decimal(value, low=Decimal(0), high=Decimal(100))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        (" 是 ", True),
        ("Y", True),
        ("yes", True),
        ("1", True),
        (1, True),
        (True, True),
        ("√", True),
        ("否", False),
        ("N", False),
        ("no", False),
        ("0", False),
        (0, False),
        (False, False),
        ("×", False),
    ],
)
def test_yes_no_reads_the_usual_answers(value, expected):
    assert yes_no(value) is expected


@pytest.mark.parametrize("value", ["对", "不是", "2", "maybe"])
def test_yes_no_refuses_other_answers(value):
    with pytest.raises(CellError, match="应填“是”或“否”"):
        yes_no(value)


def test_choice_maps_a_name_to_its_code():
    parse = choice({"男": "M", "女": "F"}, label="性别")

    assert parse(" 女 ") == "F"


def test_choice_refuses_an_unknown_name_listing_the_options():
    parse = choice({"男": "M", "女": "F"}, label="性别")

    with pytest.raises(CellError) as refused:
        parse("未知")
    assert str(refused.value) == "无法识别的性别“未知”，可填：男、女"


@pytest.mark.parametrize(
    ("value", "expected"), [(" 张三 ", "张三"), (2024.0, "2024"), (1.5, "1.5"), (138, "138")]
)
def test_text_trims_and_writes_whole_numbers_without_a_point(value, expected):
    assert text(value) == expected


def test_text_refuses_more_than_its_length():
    assert text("长" * 5, max_length=5) == "长" * 5
    with pytest.raises(CellError, match="不能超过 5 个字"):
        text("长" * 6, max_length=5)


# Checks across rows and messages


def test_duplicate_keys_reports_each_repeat_against_its_first_row():
    # given
    errors: list[RowError] = []

    # when
    duplicate_keys([(2, "G1"), (3, "G2"), (5, "G1"), (7, "G1")], column="学籍号", errors=errors)

    # then
    assert [str(error) for error in errors] == [
        "第 5 行「学籍号」：与第 2 行重复",
        "第 7 行「学籍号」：与第 2 行重复",
    ]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RowError(3, "姓名", "不能为空"), "第 3 行「姓名」：不能为空"),
        (RowError(12, "", "与第 3 行重复"), "第 12 行：与第 3 行重复"),
    ],
)
def test_row_errors_read_as_row_column_message(error, expected):
    assert str(error) == expected


def test_plan_summary_counts_each_action():
    # given
    plan = Plan(
        kind="students",
        changes=[
            RowChange(2, "G1", "new"),
            RowChange(3, "G2", "changed", ["监护人电话"]),
            RowChange(4, "G3", "unchanged"),
            RowChange(5, "G4", "new"),
        ],
    )

    # then
    assert plan.summary == "新增 2 行，更新 1 行，未变 1 行"


# Writing


def test_a_template_marks_required_headers_and_explains_each_column():
    # given
    columns = (
        Column("学籍号", "student_no", True, code, "全县唯一"),
        Column("监护人电话", "phone", False),
    )

    # when
    data = workbook_bytes(title="学生名册", columns=columns, notes="每行一名学生")

    # then
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["学生名册", "填写说明"]
    assert list(workbook["学生名册"].iter_rows(values_only=True)) == [("学籍号*", "监护人电话")]
    assert list(workbook["填写说明"].iter_rows(values_only=True)) == [
        ("每行一名学生", None, None),
        (None, None, None),
        ("列名", "是否必填", "说明"),
        ("学籍号", "必填", "全县唯一"),
        ("监护人电话", "选填", None),
    ]


def test_a_sheet_without_notes_or_help_has_no_explanation():
    # when
    data = workbook_bytes(title="名册", columns=(Column("学籍号", "student_no", True),))

    # then
    assert openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames == ["名册"]


def test_an_export_reads_back_as_the_same_table():
    # given
    rows = [["G001", "张三", dt.date(2010, 9, 1)], ["G002", "李四", dt.date(2011, 3, 5)]]

    # when
    data = workbook_bytes(title="学生名册", columns=COLUMNS[:3], rows=rows, mark_required=False)
    source = read_table(io.BytesIO(data), COLUMNS, name="名册.xlsx")
    errors: list[RowError] = []
    result = list(records(source, COLUMNS, errors))

    # then
    assert source.headers == HEADERS
    assert errors == []
    assert [record for _number, record, _ok in result] == [
        {"student_no": "G001", "name": "张三", "birth_date": dt.date(2010, 9, 1)},
        {"student_no": "G002", "name": "李四", "birth_date": dt.date(2011, 3, 5)},
    ]
