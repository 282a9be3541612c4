"""Builds the workbooks in this folder the way schools make them, then checks them.

Schools' registers come from Excel/WPS and LibreOffice, not from openpyxl: each source workbook
is built here with openpyxl (in a temporary folder) and then re-saved or converted by
LibreOffice (`soffice --headless --convert-to`), so the files hold what an office suite writes
(shared strings, its styles, .xls BIFF8, .ods). A few files are written directly because that
is how they are made in the wild (CSV, a web page saved as .xls, a file written by a program
with formulas but no values, and the rows formatted down to the end of the sheet).

Everything is deterministic: fixed names, fixed ID numbers with valid GB 11643 check digits
and birth dates matching them, fixed timestamps inside the zip files. `manifest.json` says what
a correct reader must do with each file; `README.md` says it in prose. Run `make spreadsheets`.
"""

import csv
import datetime as dt
import html
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
PROFILE = "file:///tmp/lo-profile"
COUNTY = "青溪县"
SCHOOL_CODE = "2152010101"
SCHOOL_NAME = "青溪县第一中学"
SEMESTER = "2026-2027-1"
REGION = "520102"  # 贵州省贵阳市南明区, the area code of every ID number here
ZIP_TIME = (2026, 9, 1, 8, 0, 0)
ZIP_STAMP = "2026-09-01T08:00:00"
MAX_SMALL = 60 * 1024
MAX_FORMATTED = 2 * 1024 * 1024
LAST_ROW = 1_048_576
# formatted-to-end.xlsx: every row down to this one is a formatted empty row, then only the
# sheet's last row; all rows to the end would take 2.5 MB (see README).
FORMATTED_ROWS_TO = 750_000

# GB 11643-1999: the 18th character of a 居民身份证号码.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_number(birth: dt.date, gender: str, seq: int, *, allow_x: bool = False) -> str:
    """The first ID number from sequence `seq` on whose 17th digit gives the gender (odd: 男)
    and, unless allowed, whose check character is a digit (so that it can be typed as a number)."""
    while True:
        if seq % 2 == (1 if gender == "男" else 0):
            body = f"{REGION}{birth:%Y%m%d}{seq:03d}"
            check = check_digit(body)
            if allow_x or check != "X":
                return body + check
        seq += 1


def excel_number(digits: str) -> float:
    """What Excel keeps of a long number typed into a General cell: 15 significant digits."""
    return float(Context(prec=15, rounding=ROUND_HALF_UP).plus(Decimal(digits)))


ENTRY_YEAR = {"七年级": 2026, "八年级": 2025, "九年级": 2024}  # in the autumn of 2026


@dataclass(frozen=True)
class Student:
    no: str
    name: str
    gender: str
    birth: dt.date
    id_number: str
    cls: str
    categories: str = ""
    source: str = ""
    guardian: str = ""
    relation: str = ""
    phone: str = ""
    address: str = ""
    workplace: str = ""
    boarding: str = "否"

    @property
    def grade(self) -> str:
        return self.cls[:3]

    @property
    def entry(self) -> int:
        return ENTRY_YEAR[self.grade]

    def value(self, header: str) -> Any:
        return {
            "学籍号": self.no,
            "姓名": self.name,
            "性别": self.gender,
            "出生日期": self.birth,
            "身份证号": self.id_number,
            "入学年份": self.entry,
            "年级": self.grade,
            "班级": self.cls,
            "类别": self.categories,
            "认定来源": self.source,
            "监护人": self.guardian,
            "监护人关系": self.relation,
            "监护人电话": self.phone,
            "家庭住址": self.address,
            "父母务工地": self.workplace,
            "是否寄宿": self.boarding,
        }[header]


def school_student(name: str, gender: str, birth: str, cls: str, seq: int, **more: str) -> Student:
    born = dt.date.fromisoformat(birth)
    number = id_number(born, gender, seq)
    return Student("G" + number, name, gender, born, number, cls, **more)


# The school of title-notes.*, the CSVs, teachers, pairings, scores and incidents: one coherent
# school (学籍号 = G + 身份证号, as the national student-status system numbers them).
STUDENTS = [
    school_student(
        "张伟", "男", "2013-10-12", "七年级(1)班", 11, categories="留守、学困", source="学校认定",
        guardian="张德明", relation="祖父", phone="13908510123",
        address="青溪县龙泉镇新寨村三组", workplace="广东省东莞市", boarding="是",
    ),
    school_student(
        "李娜", "女", "2014-03-05", "七年级(1)班", 22, guardian="李国华", relation="父亲",
        phone="13985012345", address="青溪县城关镇解放路12号",
    ),
    school_student(
        "王芳", "女", "2013-12-21", "七年级(1)班", 34, guardian="王志勇", relation="父亲",
        phone="15085023456", address="青溪县城关镇河滨路8号",
    ),
    school_student(
        "刘洋", "男", "2014-06-30", "七年级(2)班", 45, guardian="刘秀兰", relation="母亲",
        phone="18285034567", address="青溪县石桥乡石桥村五组", workplace="浙江省宁波市",
        boarding="是",
    ),
    school_student(
        "陈静", "女", "2014-01-17", "七年级(2)班", 56, guardian="陈永福", relation="父亲",
        phone="13765045678", address="青溪县城关镇和平街35号",
    ),
    school_student(
        "黄俊杰", "男", "2012-09-15", "八年级(1)班", 1, categories="贫困", source="建档立卡",
        guardian="黄桂英", relation="母亲", phone="13595056789",
        address="青溪县白云镇坪上村二组", boarding="是",
    ),
    school_student(
        "周雪梅", "女", "2013-02-14", "八年级(1)班", 62, guardian="周建军", relation="父亲",
        phone="15985067890", address="青溪县城关镇文化路20号",
    ),
    school_student(
        "吴浩然", "男", "2012-11-29", "八年级(1)班", 73, guardian="吴玉珍", relation="母亲",
        phone="18785078901", address="青溪县龙泉镇龙泉村一组", workplace="福建省厦门市",
        boarding="是",
    ),
    school_student(
        "胡梦琪", "女", "2012-01-09", "九年级(1)班", 84, guardian="胡长青", relation="父亲",
        phone="13885089012", address="青溪县城关镇新华路66号",
    ),
    school_student(
        "郭家豪", "男", "2011-10-15", "九年级(1)班", 95, categories="问题", source="学校认定",
        guardian="郭明", relation="父亲", phone="13638510123", address="青溪县城关镇北门街9号",
    ),
]  # fmt: skip

ALL_COLUMNS = (
    "学籍号", "姓名", "性别", "出生日期", "身份证号", "入学年份", "年级", "班级", "类别",
    "认定来源", "监护人", "监护人关系", "监护人电话", "家庭住址", "父母务工地", "是否寄宿",
)  # fmt: skip
REQUIRED = {
    "students": ("学籍号", "姓名", "性别", "出生日期", "入学年份", "班级"),
    "teachers": ("工号", "姓名"),
    "pairings": ("工号", "学籍号", "类别", "开始日期"),
    "scores": ("学籍号", "学期", "成绩"),
    "incidents": ("学籍号", "日期", "类型"),
    "schools": ("学校代码", "学校名称"),
}
SYNONYMS = {
    "学生姓名": "姓名",
    "身份证号码": "身份证号",
    "帮扶类别": "类别",
    "出生年月": "出生日期",
    "联系电话": "监护人电话",
    "是否住校": "是否寄宿",
}

# grades.*: another school's roster, one sheet per grade, with the school's own 学籍号
# (入学年份 + 07 + 班号 + 序号, typed as text).
GRADE_PEOPLE = {
    "七年级": [
        ("罗梓轩", "男", "2013-11-02", 1, ""), ("唐雨欣", "女", "2014-02-20", 1, ""),
        ("邓宇航", "男", "2014-07-11", 1, "学困"), ("冯诗涵", "女", "2013-09-27", 2, ""),
        ("韩子墨", "男", "2014-04-03", 2, ""), ("曹欣怡", "女", "2014-08-18", 2, ""),
    ],
    "八年级": [
        ("彭博文", "男", "2012-10-06", 1, "留守"), ("曾可馨", "女", "2013-03-22", 1, ""),
        ("萧俊熙", "男", "2013-06-14", 1, ""), ("田佳怡", "女", "2012-12-01", 2, "贫困"),
        ("董浩宇", "男", "2013-08-09", 2, ""), ("袁梦瑶", "女", "2013-01-25", 2, ""),
        ("潘一鸣", "男", "2012-09-30", 2, ""),
    ],
    "九年级": [
        ("蒋思远", "男", "2011-11-19", 1, "学困"), ("蔡雨桐", "女", "2012-04-07", 1, ""),
        ("余志鹏", "男", "2012-08-21", 1, ""), ("杜若曦", "女", "2011-09-13", 2, "留守、贫困"),
        ("叶明轩", "男", "2012-02-28", 2, ""),
    ],
}  # fmt: skip
GUARDIANS = ("建国", "秀英", "志强", "桂兰", "德华", "玉梅", "永红", "春燕")
GRADE_COLUMNS = (
    "学籍号", "姓名", "性别", "出生日期", "身份证号", "入学年份", "班级", "类别", "监护人",
    "监护人电话", "是否寄宿",
)  # fmt: skip


def grade_students() -> dict[str, list[Student]]:
    result: dict[str, list[Student]] = {}
    n = 0
    for grade, people in GRADE_PEOPLE.items():
        seats: dict[int, int] = {}
        result[grade] = []
        for name, gender, birth, class_no, categories in people:
            n += 1
            seats[class_no] = seats.get(class_no, 0) + 1
            born = dt.date.fromisoformat(birth)
            # 杜若曦's number ends in X, as one ID in ten does.
            number = id_number(born, gender, 100 + 7 * n, allow_x=(name == "杜若曦"))
            result[grade].append(
                Student(
                    f"{ENTRY_YEAR[grade]}07{class_no:02d}{seats[class_no]:02d}",
                    name,
                    gender,
                    born,
                    number,
                    f"{grade}({class_no})班",
                    categories=categories,
                    source="学校认定" if categories else "",
                    guardian=name[0] + GUARDIANS[n % len(GUARDIANS)],
                    relation="父亲" if n % 3 else "祖母",
                    phone=f"1398510{n:04d}",
                    boarding="是" if categories else "否",
                )
            )
    return result


@dataclass(frozen=True)
class Teacher:
    staff_no: str
    name: str
    phone: str
    subjects: str
    homeroom: str
    cls: str


TEACHERS = [
    Teacher("YZ001", "罗秀英", "13885110231", "语文", "是", "七年级(1)班"),
    Teacher("YZ002", "高建国", "13985120417", "数学", "是", "八年级(1)班"),
    Teacher("YZ003", "林晓红", "13508516622", "英语", "是", "九年级(1)班"),
    Teacher("YZ004", "郑海波", "15185130908", "物理", "否", ""),
    Teacher("YZ005", "梁玉兰", "18685140355", "数学、信息技术", "是", "七年级(2)班"),
    Teacher("YZ006", "谢志强", "13765150786", "体育", "否", ""),
]


def by_name(name: str) -> Student:
    return next(s for s in STUDENTS if s.name == name)


# (工号, student, 类别, 开始日期, 结束日期, 学科)
PAIRINGS: list[tuple[str, str, str, dt.date, dt.date | None, str]] = [
    ("YZ003", "郭家豪", "问题", dt.date(2024, 9, 1), None, ""),
    ("YZ006", "郭家豪", "留守", dt.date(2025, 3, 1), dt.date(2025, 6, 30), ""),
    ("YZ002", "黄俊杰", "贫困", dt.date(2025, 9, 1), None, ""),
    ("YZ004", "黄俊杰", "学困", dt.date(2025, 9, 1), dt.date(2026, 7, 10), "物理"),
    ("YZ002", "周雪梅", "留守", dt.date(2025, 9, 1), dt.date(2026, 1, 31), ""),
    ("YZ001", "张伟", "留守", dt.date(2026, 9, 1), None, ""),
    ("YZ005", "张伟", "学困", dt.date(2026, 9, 1), None, "数学"),
]
# Totals of the students who were at the school in 2025-2026 (the 2024 and 2025 cohorts).
SCORES = {
    "2025-2026-1": {"黄俊杰": 498.5, "周雪梅": 612, "吴浩然": 574.5, "胡梦琪": 655, "郭家豪": 421},
    "2025-2026-2": {"黄俊杰": 531, "周雪梅": 605.5, "吴浩然": 580, "胡梦琪": 662.5, "郭家豪": 398},
}
INCIDENTS = [
    ("郭家豪", dt.date(2025, 11, 20), "结伙打架", "与外校学生在校门口斗殴，已通知家长"),
    ("郭家豪", dt.date(2026, 10, 14), "逃课", "下午第三节课未到，在网吧找到"),
    ("张伟", dt.date(2026, 10, 23), "私自离校", "午休时翻墙离校，下午返校"),
    ("黄俊杰", dt.date(2026, 11, 6), "夜不归宿", "周五晚未回家，次日上午由母亲送回学校"),
]
SCHOOLS = [
    (SCHOOL_CODE, SCHOOL_NAME, "城关镇", "初中", "王建华", "陈丽"),
    ("2152010102", "青溪县第二中学", "城关镇", "初中", "李志刚", "张燕"),
    ("2152010201", "青溪县城关第一小学", "城关镇", "小学", "刘桂芳", "赵磊"),
    ("2152010301", "青溪县龙泉镇中心学校", "龙泉镇", "九年一贯制", "杨光明", "周敏"),
    ("2152010302", "青溪县石桥乡中心小学", "石桥乡", "小学", "吴德胜", "孙丽"),
    ("2152010401", "青溪县民族中学", "白云镇", "初中", "黄国庆", "罗艳"),
    ("2152010501", "青溪县高级中学", "城关镇", "高中", "田永刚", "何静"),
]

# Styles a school's register typically has.
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
EMPTY_FILL = PatternFill("solid", fgColor="FFF2CC")


def write_table(
    ws: Worksheet,
    top: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    date_format: str = "yyyy-mm-dd",
) -> None:
    for c, header in enumerate(headers, 1):
        cell = ws.cell(top, c, header)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, values in enumerate(rows, top + 1):
        for c, value in enumerate(values, 1):
            cell = ws.cell(r, c, value)
            cell.border = BOX
            if isinstance(value, dt.date):
                cell.number_format = date_format
            elif isinstance(value, str):
                cell.number_format = "@"  # columns formatted as 文本, as the templates say
    for c, header in enumerate(headers, 1):
        longest = max(
            [len(str(header))]
            + [len(str(row[c - 1])) if row[c - 1] is not None else 0 for row in rows]
        )
        ws.column_dimensions[get_column_letter(c)].width = min(4 + longest * 1.6, 40)


def write_title(ws: Worksheet, row: int, text: str, width: int, *, size: int = 16) -> None:
    cell = ws.cell(row, 1, text)
    cell.font = Font(bold=True, size=size)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.row_dimensions[row].height = 30


def roster_rows(students: Sequence[Student], headers: Sequence[str]) -> list[list[Any]]:
    return [[s.value(h) for h in headers] for s in students]


def new_book(title: str) -> tuple[openpyxl.Workbook, Worksheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    return wb, ws


# What a correct reader gets


def record(s: Student, headers: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for h in headers:
        value = s.value(h)
        out[h] = value.isoformat() if isinstance(value, dt.date) else value
    return out


@dataclass
class Expect:
    """The manifest entry of one file."""

    kind: str
    case: str
    must: str
    sheets_read: list[str] | None
    header_rows: dict[str, int]
    rows: list[str]
    sheets_skipped: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    file_refusal: dict[str, str] | None = None
    records: list[dict[str, Any]] | None = None
    merged: dict[str, list[str]] = field(default_factory=dict)
    notes: str = ""


def rows_of(sheet: str | None, first: int, count: int, *, prefix: bool = False) -> list[str]:
    return [f"{sheet}!{r}" if prefix else str(r) for r in range(first, first + count)]


def with_rows(rows: list[str], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"row": row, **rec} for row, rec in zip(rows, records, strict=True)]


@dataclass
class Output:
    name: str  # the file written into this folder
    made: str  # how: "lo-xlsx", "lo-xls", "lo-ods", "openpyxl", "direct", "formatted"
    expect: Expect


OUTPUTS: list[Output] = []
LO_FILTERS = {
    "lo-xlsx": ("xlsx", "Calc MS Excel 2007 XML"),
    "lo-xls": ("xls", "MS Excel 97"),
    "lo-ods": ("ods", "calc8"),
}


def add(stem: str, made: Sequence[str], expect: Expect, *, ext: str = "xlsx") -> None:
    """Expects `stem.xlsx` in the sources; each way of making it gives one file here."""
    for how in made:
        ext = LO_FILTERS[how][0] if how in LO_FILTERS else ext
        OUTPUTS.append(Output(f"{stem}.{ext}", how, expect))


# The cases


def title_notes(src: Path) -> None:
    wb, ws = new_book("学生名册")
    width = len(ALL_COLUMNS)
    write_title(ws, 1, f"{SCHOOL_NAME}2026年秋季学生名册", width)
    ws.cell(2, 1, "填表说明：学籍号、身份证号请设为文本格式；出生日期填 2012-03-15 格式；"
                  "类别可填留守、贫困、学困、问题，多个用“、”分隔，非帮扶对象留空。")  # fmt: skip
    ws.cell(2, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.row_dimensions[2].height = 32
    write_table(ws, 4, ALL_COLUMNS, roster_rows(STUDENTS, ALL_COLUMNS))
    ws.freeze_panes = "C5"
    wb.save(src / "title-notes.xlsx")
    rows = rows_of(None, 5, len(STUDENTS))
    add(
        "title-notes",
        ["lo-xlsx", "lo-xls", "lo-ods"],
        Expect(
            kind="students",
            case="merged title row, a 填表说明 row and a blank row above the header (row 4)",
            must="skip rows 1–3, take row 4 as the header; read 10 students from rows 5–14 "
            "(3 aided: 张伟 留守、学困, 黄俊杰 贫困 建档立卡, 郭家豪 问题)",
            sheets_read=["学生名册"],
            header_rows={"学生名册": 4},
            rows=rows,
            records=with_rows(rows, [record(s, ALL_COLUMNS) for s in STUDENTS]),
            merged={"学生名册": ["A1:P1", "A2:P2"]},
            notes="The school of the teachers, pairings, scores and incidents files "
            f"({SCHOOL_CODE} {SCHOOL_NAME}); import it with --semester {SEMESTER}.",
        ),
    )


SYNONYM_HEADERS = (
    ("学籍号*", "学籍号"), ("学生姓名", "姓名"), ("性 别", "性别"), ("出生年月", "出生日期"),
    ("身份证号码", "身份证号"), ("入学年份", "入学年份"), ("班级\n（必填）", "班级"),
    ("帮扶类别", "类别"), ("联系电话", "监护人电话"), ("是否住校", "是否寄宿"), ("备注", None),
)  # fmt: skip
REMARKS = {"刘洋": "2026年9月从石桥乡中心小学转入", "郭家豪": "已约谈家长"}


def synonyms(src: Path) -> None:
    wb, ws = new_book("Sheet1")
    headers = [h for h, _ in SYNONYM_HEADERS]
    rows = [
        [s.value(canon) if canon else REMARKS.get(s.name, "") for _, canon in SYNONYM_HEADERS]
        for s in STUDENTS
    ]
    write_table(ws, 1, headers, rows)
    ws.row_dimensions[1].height = 36
    wb.save(src / "synonyms.xlsx")
    canon = [c for _, c in SYNONYM_HEADERS if c]
    numbers = rows_of(None, 2, len(STUDENTS))
    add(
        "synonyms",
        ["lo-xlsx"],
        Expect(
            kind="students",
            case="headers under other names: 学籍号*, 学生姓名, 性 别, 出生年月, 身份证号码, "
            "班级 + line break + （必填）, 帮扶类别, 联系电话, 是否住校; an unknown column 备注",
            must="match every header after removing spaces, line breaks, * and （…） and "
            "through the synonyms; read 10 students; name 备注 as ignored",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=numbers,
            ignored_columns=["备注"],
            records=with_rows(numbers, [record(s, canon) for s in STUDENTS]),
        ),
    )


def grades(src: Path) -> None:
    people = grade_students()
    wb, ws = new_book("数据字典")
    write_table(
        ws,
        1,
        ["字段", "代码", "名称"],
        [
            ["性别", "1", "男"], ["性别", "2", "女"],
            ["类别", "1", "留守"], ["类别", "2", "贫困"], ["类别", "3", "学困"],
            ["类别", "4", "问题"], ["是否寄宿", "1", "是"], ["是否寄宿", "0", "否"],
        ],
    )  # fmt: skip
    ws.sheet_state = "hidden"
    header_rows: dict[str, int] = {}
    rows: list[str] = []
    records: list[dict[str, Any]] = []
    for grade, students in people.items():
        sheet = wb.create_sheet(grade)
        top = 1
        if grade == "八年级":
            write_title(sheet, 1, f"{grade}学生花名册", len(GRADE_COLUMNS), size=14)
            top = 2
        write_table(sheet, top, GRADE_COLUMNS, roster_rows(students, GRADE_COLUMNS))
        header_rows[grade] = top
        numbers = rows_of(grade, top + 1, len(students), prefix=True)
        rows += numbers
        records += with_rows(numbers, [record(s, GRADE_COLUMNS) for s in students])
    summary = wb.create_sheet("统计")
    write_table(
        summary,
        1,
        ["年级", "班级数", "学生数", "帮扶对象数"],
        [
            [grade, len({s.cls for s in students}), len(students),
             sum(1 for s in students if s.categories)]
            for grade, students in people.items()
        ]
        + [["合计", 6, sum(len(s) for s in people.values()),
            sum(1 for ss in people.values() for s in ss if s.categories)]],
    )  # fmt: skip
    wb.active = 1
    wb.save(src / "grades.xlsx")
    add(
        "grades",
        ["lo-xlsx", "lo-xls", "lo-ods"],
        Expect(
            kind="students",
            case="one sheet per grade behind a hidden first sheet 数据字典, a title row on "
            "八年级, and a last sheet 统计 with other headers",
            must="skip the hidden sheet 数据字典 and the sheet 统计 (no required columns); read "
            "七年级, 八年级 (header on row 2) and 九年级 as one file: 18 students numbered "
            "like 七年级!2",
            sheets_read=list(people),
            sheets_skipped={"数据字典": "hidden", "统计": "no required columns"},
            header_rows=header_rows,
            rows=rows,
            records=records,
            merged={"八年级": ["A1:K1"]},
            notes="A different school from title-notes: 学籍号 typed as text in the school's own "
            "style (入学年份 + 07 + 班号 + 序号); 杜若曦's 身份证号 ends in X.",
        ),
    )


def merged_class(src: Path) -> None:
    wb, ws = new_book("学生名册")
    headers = ALL_COLUMNS[:9]
    write_table(ws, 1, headers, roster_rows(STUDENTS, headers))
    column = headers.index("班级") + 1
    letter = get_column_letter(column)
    merged = []
    start = 0
    for i in range(1, len(STUDENTS) + 1):
        if i == len(STUDENTS) or STUDENTS[i].cls != STUDENTS[start].cls:
            first, last = start + 2, i + 1
            if last > first:
                ws.merge_cells(
                    start_row=first, start_column=column, end_row=last, end_column=column
                )
                ws.cell(first, column).alignment = Alignment(horizontal="center", vertical="center")
                merged.append(f"{letter}{first}:{letter}{last}")
            start = i
    wb.save(src / "merged-class.xlsx")
    numbers = rows_of(None, 2, len(STUDENTS))
    add(
        "merged-class",
        ["lo-xlsx", "lo-ods"],
        Expect(
            kind="students",
            case="the 班级 column merged down over each class's rows (value only in the first "
            "cell of each merged range)",
            must="fill every row's 班级 from the first cell of its merged range; read 10 students",
            sheets_read=["学生名册"],
            header_rows={"学生名册": 1},
            rows=numbers,
            records=with_rows(numbers, [record(s, headers) for s in STUDENTS]),
            merged={"学生名册": merged},
        ),
    )


def numeric_ids(src: Path) -> None:
    headers = ALL_COLUMNS[:9]
    wb, ws = new_book("Sheet1")
    rows = roster_rows(STUDENTS, headers)
    id_col = headers.index("身份证号")
    for row in rows:
        row[id_col] = excel_number(row[id_col])
    write_table(ws, 1, headers, rows)
    wb.save(src / "numeric-ids.xlsx")
    numbers = rows_of(None, 2, len(STUDENTS))
    add(
        "numeric-ids",
        ["lo-xlsx", "lo-xls"],
        Expect(
            kind="students",
            case="身份证号 typed as numbers: number cells holding Excel's 15 significant digits "
            f"({STUDENTS[0].id_number} is stored as {excel_number(STUDENTS[0].id_number):.13E})",
            must="refuse 身份证号 on every row (2–11): stored as a number, its last digits are "
            "lost; the message says to format the column as text and type the numbers again",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=numbers,
            refusals=[
                {"sheet": "Sheet1", "row": int(r), "column": "身份证号", "why": "numeric id"}
                for r in numbers
            ],
        ),
    )
    local = [f"52010201{s.entry}{s.cls[-3]:0>2}{i:02d}" for i, s in enumerate(STUDENTS, 1)]
    wb, ws = new_book("Sheet1")
    headers = ("学籍号", "姓名", "性别", "出生日期", "身份证号", "入学年份", "班级")
    rows = roster_rows(STUDENTS, headers)
    for row, number in zip(rows, local, strict=True):
        row[0] = excel_number(number)
    write_table(ws, 1, headers, rows)
    wb.save(src / "numeric-student-no.xlsx")
    add(
        "numeric-student-no",
        ["lo-xlsx"],
        Expect(
            kind="students",
            case="学籍号 typed as numbers: 16-digit local numbers such as 5201020120260101 kept "
            "by Excel as 15 significant digits (5.20102012026010E+15, so …0101 and …0102 "
            "both became …0100)",
            must="refuse 学籍号 on every row (2–11) as a number (format the column as text "
            "and type again); never import the rounded numbers, which collide",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=numbers,
            refusals=[
                {"sheet": "Sheet1", "row": int(r), "column": "学籍号", "why": "numeric id"}
                for r in numbers
            ],
            notes="The 学籍号 typed were " + ", ".join(local) + ".",
        ),
    )


def fullwidth_text(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


def fullwidth(src: Path) -> None:
    headers = ALL_COLUMNS[:9]
    wb, ws = new_book("Sheet1")
    rows = roster_rows(STUDENTS, headers)
    for i, row in enumerate(rows):
        row[0] = fullwidth_text(row[0])  # 学籍号
        row[1] = f"　{row[1]}　" if len(row[1]) == 2 else f"{row[1]}　"  # 姓名
        row[4] = fullwidth_text(row[4])  # 身份证号
        row[5] = fullwidth_text(str(row[5]))  # 入学年份, as text
        row[7] = row[7].replace("(", "（").replace(")", "）")  # 班级
        if i % 3 == 0:
            row[7] = row[7].replace("1", "１").replace("2", "２")
    write_table(ws, 1, headers, rows)
    wb.save(src / "fullwidth.xlsx")
    numbers = rows_of(None, 2, len(STUDENTS))
    add(
        "fullwidth",
        ["lo-xlsx"],
        Expect(
            kind="students",
            case="full-width characters: 学籍号 Ｇ５２０１…, 身份证号 and 入学年份 ２０２４ in "
            "full-width digits (text cells), names padded with full-width spaces (　张伟　), "
            "班级 with full-width brackets 七年级（1）班 (and on 4 rows a full-width digit too: "
            "七年级（１）班)",
            must="normalise (NFKC) 学籍号, 身份证号 and 入学年份 and strip the full-width spaces "
            "of 姓名; read 10 students with the same values as title-notes",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=numbers,
            records=with_rows(numbers, [record(s, headers) for s in STUDENTS]),
            notes="records give 班级 after NFKC (七年级(1)班); DESIGN names keys, numbers and "
            "names for normalisation, so a reader that keeps 班级 as typed differs only there.",
        ),
    )


def formatted_to_end(src: Path) -> None:
    wb, ws = new_book("Sheet1")
    write_table(ws, 1, ALL_COLUMNS, roster_rows(STUDENTS, ALL_COLUMNS))
    for c in range(1, len(ALL_COLUMNS) + 1):  # the style the rows below the data carry
        cell = ws.cell(len(STUDENTS) + 2, c)
        cell.border = BOX
        cell.fill = EMPTY_FILL
    wb.save(src / "formatted-to-end.xlsx")
    numbers = rows_of(None, 2, len(STUDENTS))
    add(
        "formatted-to-end",
        ["formatted"],
        Expect(
            kind="students",
            case=f"10 students, then rows formatted (borders and fill) but empty: the sheet's "
            f"dimension is A1:P{LAST_ROW}, rows 12–1000 hold empty bordered cells A–P, rows "
            f"1001–{FORMATTED_ROWS_TO:,} are formatted rows without cells, and row {LAST_ROW:,} "
            "holds empty bordered cells",
            must="read 10 students (rows 2–11); formatted empty rows are not rows: no error for "
            "them, no 'too many rows' refusal, and no reading time spent on a million rows",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=numbers,
            records=with_rows(numbers, [record(s, ALL_COLUMNS) for s in STUDENTS]),
        ),
    )


def bare_year(src: Path) -> None:
    headers = ALL_COLUMNS[:9]
    wb, ws = new_book("Sheet1")
    rows = roster_rows(STUDENTS, headers)
    number_row = next(i for i, s in enumerate(STUDENTS) if s.name == "胡梦琪")
    text_row = next(i for i, s in enumerate(STUDENTS) if s.name == "黄俊杰")
    rows[number_row][3] = STUDENTS[number_row].birth.year  # typed 2012: a number cell
    rows[text_row][3] = str(STUDENTS[text_row].birth.year)  # typed '2012: a text cell
    write_table(ws, 1, headers, rows)
    ws.cell(number_row + 2, 4).number_format = "General"
    wb.save(src / "bare-year.xlsx")
    add(
        "bare-year",
        ["lo-xlsx"],
        Expect(
            kind="students",
            case="出生日期 given as a bare year: the number 2012 on row "
            f"{number_row + 2} (胡梦琪) and the text '2012' on row {text_row + 2} (黄俊杰)",
            must=f"refuse 出生日期 on rows {text_row + 2} and {number_row + 2}; never read the "
            "number 2012 as the Excel serial 1905-07-05; the other 8 rows are fine",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=rows_of(None, 2, len(STUDENTS)),
            refusals=[
                {"sheet": "Sheet1", "row": r + 2, "column": "出生日期", "why": "bare year"}
                for r in sorted((number_row, text_row))
            ],
        ),
    )


def webpage(src: Path) -> None:
    headers = ALL_COLUMNS[:9]
    text_cell = " style=\"mso-number-format:'\\@'\""
    lines = [
        "<html><head><meta charset=utf-8></head><body><table border=1 cellspacing=0>",
        "<tr>" + "".join(f"<td><b>{html.escape(h)}</b></td>" for h in headers) + "</tr>",
    ]
    for s in STUDENTS[:3]:
        cells = []
        for h in headers:
            value = s.value(h)
            shown = value.isoformat() if isinstance(value, dt.date) else str(value)
            style = text_cell if h in ("学籍号", "身份证号") else ""
            cells.append(f"<td{style}>{html.escape(shown)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table></body></html>")
    (src / "webpage.xls").write_bytes("\r\n".join(lines).encode() + b"\r\n")
    add(
        "webpage",
        ["direct"],
        Expect(
            kind="students",
            case="a web page (an HTML table, UTF-8) saved with the .xls extension, as the "
            "student-status system's 导出Excel gives it; 3 students",
            must="refuse the file as a web page, not an Excel file, and say what to do (open "
            "it in Excel or WPS and save as .xlsx); never report it as damaged",
            sheets_read=None,
            header_rows={},
            rows=rows_of(None, 2, 3),
            file_refusal={"why": "web page"},
        ),
        ext="xls",
    )


def formulas_no_values(src: Path) -> None:
    headers = ALL_COLUMNS[:9]
    wb, ws = new_book("Sheet1")
    rows = roster_rows(STUDENTS, headers)
    for row, s in zip(rows, STUDENTS, strict=True):
        row[5] = f"=2020+{s.entry - 2020}"
    write_table(ws, 1, headers, rows)
    wb.save(src / "formulas-no-values.xlsx")
    add(
        "formulas-no-values",
        ["openpyxl"],
        Expect(
            kind="students",
            case="written by a program (openpyxl), not by Excel: 入学年份 is a formula on every "
            "row (=2020+6 …) with no computed value stored",
            must="name the file as having formulas without computed values and say what to do "
            "(open it in Excel or WPS and save it again); never read 入学年份 as empty",
            sheets_read=["Sheet1"],
            header_rows={"Sheet1": 1},
            rows=rows_of(None, 2, len(STUDENTS)),
            file_refusal={"why": "formulas without values"},
        ),
    )


def csv_text(date_format: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ALL_COLUMNS)
    for s in STUDENTS:
        writer.writerow(
            [
                format(v, date_format) if isinstance(v, dt.date) else v
                for v in (s.value(h) for h in ALL_COLUMNS)
            ]
        )
    return out.getvalue()


def csvs(src: Path) -> None:
    # Excel's "CSV UTF-8" writes a BOM; its "CSV" on Chinese Windows writes code page 936
    # (GBK). Both write CRLF and dates as the cells show them.
    (src / "roster-utf8-bom.csv").write_bytes(b"\xef\xbb\xbf" + csv_text("%Y-%m-%d").encode())
    short = csv_text("%Y/%m/%d").replace("/0", "/")  # Excel's short date: 2013/10/12, 2014/3/5
    (src / "roster-gbk.csv").write_bytes(short.encode("gbk"))
    numbers = rows_of(None, 2, len(STUDENTS))
    for name, case in (
        ("roster-utf8-bom", "CSV as Excel's 'CSV UTF-8' writes it: UTF-8 with a BOM, CRLF"),
        ("roster-gbk", "CSV as Excel's 'CSV' writes it on Chinese Windows: GBK, CRLF, "
         "dates as 2013/10/12 and 2014/3/5"),
    ):  # fmt: skip
        OUTPUTS.append(
            Output(
                f"{name}.csv",
                "direct",
                Expect(
                    kind="students",
                    case=case,
                    must="decode it (a BOM-less non-UTF-8 file as GB18030) and read the same 10 "
                    "students as title-notes, header on row 1",
                    sheets_read=None,
                    header_rows={},
                    rows=numbers,
                    records=with_rows(numbers, [record(s, ALL_COLUMNS) for s in STUDENTS]),
                ),
            )
        )


TEACHER_COLUMNS = ("工号", "姓名", "手机号", "任教学科", "是否班主任", "班级")


def teachers(src: Path) -> None:
    wb, ws = new_book("教师名单")
    write_title(ws, 1, f"{SCHOOL_NAME}2026年秋季教师名单", len(TEACHER_COLUMNS))
    rows = [[t.staff_no, t.name, t.phone, t.subjects, t.homeroom, t.cls] for t in TEACHERS]
    write_table(ws, 2, TEACHER_COLUMNS, rows)
    wb.save(src / "teachers-title.xlsx")
    numbers = rows_of(None, 3, len(TEACHERS))
    add(
        "teachers-title",
        ["lo-xls"],
        Expect(
            kind="teachers",
            case="teachers of title-notes' school in an Excel 97–2003 file with a merged title row",
            must="skip the title row, header on row 2; read 6 teachers (rows 3–8), 4 of them "
            "班主任 of the classes of title-notes",
            sheets_read=["教师名单"],
            header_rows={"教师名单": 2},
            rows=numbers,
            records=with_rows(numbers, [dict(zip(TEACHER_COLUMNS, r, strict=True)) for r in rows]),
            merged={"教师名单": ["A1:F1"]},
        ),
    )


PAIRING_COLUMNS = ("工号", "学籍号", "类别", "开始日期", "结束日期", "学科")


def pairings(src: Path) -> None:
    wb, ws = new_book("结对名单")
    rows = [
        [staff, by_name(name).no, category, start, end, subject]
        for staff, name, category, start, end, subject in PAIRINGS
    ]
    write_table(ws, 1, PAIRING_COLUMNS, rows)
    wb.save(src / "pairings-history.xlsx")
    numbers = rows_of(None, 2, len(rows))
    add(
        "pairings-history",
        ["lo-ods"],
        Expect(
            kind="pairings",
            case="pairings of title-notes' students and teachers, begun 2024-09-01 … "
            "2026-09-01, 3 of them ended; dates are date cells (OpenDocument office:date-value)",
            must="read 7 pairings (rows 2–8) with their dates; the ended ones fill in past "
            "semesters' identifications (结对名单补录)",
            sheets_read=["结对名单"],
            header_rows={"结对名单": 1},
            rows=numbers,
            records=with_rows(
                numbers,
                [
                    {
                        h: (v.isoformat() if isinstance(v, dt.date) else v)
                        for h, v in zip(PAIRING_COLUMNS, row, strict=True)
                    }
                    for row in rows
                ],
            ),
            notes="No pairing starts before 2024-09-01: in the autumn of 2026 the oldest "
            "students (九年级) entered in 2024, and a pairing before a student's entry "
            "cannot be filled in.",
        ),
    )


def scores(src: Path) -> None:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    rows_all: list[str] = []
    records: list[dict[str, Any]] = []
    headers = ("学籍号", "学期", "成绩")
    for term, marks in SCORES.items():
        ws = wb.create_sheet(term)
        rows = [[by_name(name).no, term, mark] for name, mark in marks.items()]
        write_table(ws, 1, headers, rows)
        numbers = rows_of(term, 2, len(rows), prefix=True)
        rows_all += numbers
        records += with_rows(numbers, [dict(zip(headers, r, strict=True)) for r in rows])
    wb.save(src / "scores-two-sheets.xlsx")
    add(
        "scores-two-sheets",
        ["lo-xlsx"],
        Expect(
            kind="scores",
            case="total scores of 2025-2026 for title-notes' 2024 and 2025 cohorts, one sheet "
            "per term (2025-2026-1, 2025-2026-2)",
            must="read both sheets as one file: 10 scores numbered like 2025-2026-1!2",
            sheets_read=list(SCORES),
            header_rows=dict.fromkeys(SCORES, 1),
            rows=rows_all,
            records=records,
        ),
    )


INCIDENT_COLUMNS = ("学籍号", "日期", "类型", "说明")


def incidents(src: Path) -> None:
    wb, ws = new_book("违纪记录")
    rows = [[by_name(name).no, day, kind, note] for name, day, kind, note in INCIDENTS]
    write_table(ws, 1, INCIDENT_COLUMNS, rows)
    wb.save(src / "incidents.xlsx")
    numbers = rows_of(None, 2, len(rows))
    add(
        "incidents",
        ["lo-ods"],
        Expect(
            kind="incidents",
            case="incidents of title-notes' students (结伙打架, 逃课, 私自离校, 夜不归宿), "
            "dates as date cells",
            must="read 4 incidents (rows 2–5)",
            sheets_read=["违纪记录"],
            header_rows={"违纪记录": 1},
            rows=numbers,
            records=with_rows(
                numbers,
                [
                    {
                        h: (v.isoformat() if isinstance(v, dt.date) else v)
                        for h, v in zip(INCIDENT_COLUMNS, row, strict=True)
                    }
                    for row in rows
                ],
            ),
        ),
    )


SCHOOL_COLUMNS = ("学校代码", "学校名称", "乡镇", "学段", "校长姓名", "资助办负责人")


def schools(src: Path) -> None:
    wb, ws = new_book("学校名单")
    write_title(ws, 1, f"{COUNTY}中小学名单", len(SCHOOL_COLUMNS))
    write_table(ws, 2, SCHOOL_COLUMNS, [list(s) for s in SCHOOLS])
    wb.save(src / "schools.xlsx")
    numbers = rows_of(None, 3, len(SCHOOLS))
    add(
        "schools",
        ["lo-xls"],
        Expect(
            kind="schools",
            case=f"the county's schools ({COUNTY}) in an Excel 97–2003 file with a merged "
            "title row; 学校代码 as text",
            must=f"skip the title row, header on row 2; read 7 schools (rows 3–9), the first "
            f"being {SCHOOL_CODE} {SCHOOL_NAME}",
            sheets_read=["学校名单"],
            header_rows={"学校名单": 2},
            rows=numbers,
            records=with_rows(
                numbers, [dict(zip(SCHOOL_COLUMNS, s, strict=True)) for s in SCHOOLS]
            ),
            merged={"学校名单": ["A1:F1"]},
        ),
    )


CASES: list[Callable[[Path], None]] = [
    title_notes, synonyms, grades, merged_class, numeric_ids, fullwidth, formatted_to_end,
    bare_year, webpage, formulas_no_values, csvs, teachers, pairings, scores, incidents, schools,
]  # fmt: skip


# Making the files


def soffice() -> str:
    found = shutil.which("soffice")
    if not found:
        sys.exit("LibreOffice (soffice) is missing: run `make spreadsheets`, which installs it.")
    return found


def lo_version() -> str:
    out = subprocess.run([soffice(), "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    match = re.search(r"LibreOffice ([\d.]+)", out.stdout)
    return match[1] if match else out.stdout.strip()


def convert(sources: Sequence[Path], target: str, outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [
            soffice(),
            f"-env:UserInstallation={PROFILE}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
    )


def normalise_zip(path: Path) -> None:
    """Fixed timestamps in the zip and in the document properties, so that making the files
    again changes nothing that was not meant to change."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info, data in members:
            if info.filename == "settings.xml":
                data = with_active_table(data, dict(members_by_name(members))["content.xml"])
            if info.filename in ("docProps/core.xml", "meta.xml"):
                text = data.decode()
                text = re.sub(
                    r"(<(dcterms:created|dcterms:modified|meta:creation-date|dc:date|"
                    r"meta:print-date)[^>]*>)[^<]*(</\2>)",
                    lambda m: m[1] + ZIP_STAMP + ("Z" if "dcterms" in m[2] else "") + m[3],
                    text,
                )
                text = re.sub(
                    r"<meta:editing-duration>[^<]*<", "<meta:editing-duration>PT0S<", text
                )
                data = text.encode()
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data, compresslevel=9 if info.compress_type else None)
    path.write_bytes(buffer.getvalue())


def members_by_name(members: list[tuple[zipfile.ZipInfo, bytes]]) -> list[tuple[str, bytes]]:
    return [(info.filename, data) for info, data in members]


def with_active_table(settings: bytes, content: bytes) -> bytes:
    """An .ods converted headless has no view settings, so LibreOffice opens it on the first
    sheet and shows that sheet even when it is hidden. The sheet a user saved the file on
    (the first visible one) is named here, as LibreOffice writes it when a user saves."""
    text = settings.decode()
    if "ActiveTable" in text:
        return settings
    xml = content.decode()
    hidden = set(
        re.findall(
            r'style:name="([^"]+)" style:family="table"[^>]*>'
            r'<style:table-properties table:display="false"',
            xml,
        )
    )
    tables = re.findall(r'<table:table table:name="([^"]+)" table:style-name="([^"]+)"', xml)
    active = next(name for name, style in tables if style not in hidden)
    views = (
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        '<config:config-item config:name="ViewId" config:type="string">view1</config:config-item>'
        f'<config:config-item config:name="ActiveTable" config:type="string">{active}'
        "</config:config-item></config:config-item-map-entry></config:config-item-map-indexed>"
    )
    end = text.index("</config:config-item-set>")  # the end of ooo:view-settings
    return (text[:end] + views + text[end:]).encode()


def fill_to_end(lo_file: Path, target: Path) -> None:
    """formatted-to-end.xlsx: LibreOffice does not keep formatted empty rows down to the end
    when it saves (see README), so they are written here into the sheet LibreOffice saved."""
    with zipfile.ZipFile(lo_file) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    first_empty = len(STUDENTS) + 2
    width = len(ALL_COLUMNS)
    last_col = get_column_letter(width)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                sheet = data.decode()
                style = re.search(rf'<c r="A{first_empty}" s="(\d+)"', sheet)
                assert style, "LibreOffice did not keep the formatted row"
                s = style[1]

                def cells(r: int, s: str = s) -> str:
                    return "".join(
                        f'<c r="{get_column_letter(c)}{r}" s="{s}"/>' for c in range(1, width + 1)
                    )

                parts = [
                    f'<row r="{r}" spans="1:{width}">{cells(r)}</row>'
                    for r in range(first_empty, 1001)
                ]
                parts += [
                    f'<row r="{r}" s="{s}" customFormat="1"/>'
                    for r in range(1001, FORMATTED_ROWS_TO + 1)
                ]
                parts.append(f'<row r="{LAST_ROW}" spans="1:{width}">{cells(LAST_ROW)}</row>')
                start = sheet.index(f'<row r="{first_empty}"')
                end = sheet.index("</sheetData>")
                sheet = sheet[:start] + "".join(parts) + sheet[end:]
                sheet = re.sub(
                    r'<dimension ref="[^"]*"/>',
                    f'<dimension ref="A1:{last_col}{LAST_ROW}"/>',
                    sheet,
                )
                data = sheet.encode()
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data, compresslevel=9)
    target.write_bytes(buffer.getvalue())
    normalise_zip(target)


def make(version: str) -> None:
    with tempfile.TemporaryDirectory(prefix="spreadsheets-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for case in CASES:
            case(src)
        by_how: dict[str, list[Output]] = {}
        for output in OUTPUTS:
            by_how.setdefault(output.made, []).append(output)
        for how, (ext, filter_name) in LO_FILTERS.items():
            outputs = by_how.get(how, [])
            if not outputs:
                continue
            convert(
                [src / (Path(o.name).stem + ".xlsx") for o in outputs],
                f"{ext}:{filter_name}",
                Path(tmp) / how,
            )
            for o in outputs:
                shutil.copyfile(Path(tmp) / how / o.name, HERE / o.name)
                if ext != "xls":
                    normalise_zip(HERE / o.name)
        for o in by_how.get("openpyxl", []) + by_how.get("direct", []):
            shutil.copyfile(src / o.name, HERE / o.name)
            if o.name.endswith(".xlsx"):
                normalise_zip(HERE / o.name)
        for o in by_how.get("formatted", []):
            convert([src / o.name], "xlsx:Calc MS Excel 2007 XML", Path(tmp) / "formatted")
            fill_to_end(Path(tmp) / "formatted" / o.name, HERE / o.name)
    write_manifest(version)


HOW = {
    "lo-xlsx": "openpyxl source → LibreOffice {v} re-save as .xlsx (Calc MS Excel 2007 XML)",
    "lo-xls": "openpyxl source → LibreOffice {v} convert to .xls (MS Excel 97)",
    "lo-ods": "openpyxl source → LibreOffice {v} convert to .ods (calc8)",
    "openpyxl": "openpyxl only (never opened by an office suite)",
    "direct": "written by make.py byte for byte",
    "formatted": "openpyxl source → LibreOffice {v} re-save as .xlsx, then the formatted "
    "empty rows written into its sheet XML by make.py",
}


def write_manifest(version: str) -> None:
    files = {}
    for o in OUTPUTS:
        entry = {"made": HOW[o.made].format(v=version)}
        entry.update(
            {k: v for k, v in vars(o.expect).items() if k not in ("case", "must", "notes")}
        )
        entry["data_rows"] = len(o.expect.rows)
        entry["case"] = o.expect.case
        entry["must"] = o.expect.must
        if o.expect.notes:
            entry["notes"] = o.expect.notes
        files[o.name] = entry
    manifest = {
        "about": "What a correct reader must do with each file here; made by make.py.",
        "libreoffice": version,
        "school": {"code": SCHOOL_CODE, "name": SCHOOL_NAME, "county": COUNTY},
        "semester": SEMESTER,
        "rows": "as Excel shows them; several sheets read as one file give 'sheet!row'",
        "data_rows": "the data rows the file holds (a refused file: the rows it would hold)",
        "refusals": "cells a correct reader refuses; every other cell is valid",
        "file_refusal": "the whole file is refused (named as such, with what to do)",
        "files": files,
    }
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    lines = [README_HEAD.format(v=version, code=SCHOOL_CODE, name=SCHOOL_NAME, sem=SEMESTER)]
    lines.append("| file | kind | case | made | a correct reader must |")
    lines.append("| --- | --- | --- | --- | --- |")
    for o in OUTPUTS:
        must = o.expect.must
        if o.expect.notes:
            must += f". {o.expect.notes}"
        cells = [f"`{o.name}`", o.expect.kind, o.expect.case, HOW[o.made].format(v=version), must]
        lines.append(
            "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )
    lines.append(README_TAIL.format(v=version, to=FORMATTED_ROWS_TO))
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


README_HEAD = """# Test workbooks made the way schools make them

Made by `make spreadsheets` (`scripts/make-spreadsheets` installs LibreOffice Calc when
`soffice` is missing, then runs `make.py` here); the files are committed, so the tests need
neither. `make.py` builds each source workbook with openpyxl in a temporary folder and has
LibreOffice {v} re-save or convert it (`soffice --headless --convert-to`), so the files hold
what an office suite writes; then it reads every file back and checks it against
`manifest.json` (the machine-readable form of the table below: per file its kind, the sheets
a reader reads and skips, header rows, data rows as Excel numbers them, ignored columns,
refused cells and whole-file refusals, and the records a correct reader gets).

Every file is valid except for the one problem it is named after. The students are those of
one school, {code} {name}: `title-notes` is its roster (import it with `--semester {sem}`),
and `teachers-title`, `pairings-history`, `scores-two-sheets` and `incidents` are of the same
students and teachers, so a test can import roster → teachers → pairings → scores →
incidents. `grades` is another school. ID numbers are fictional (area 520102) with valid
GB 11643 check digits and the birth dates of their digits; in {name} 学籍号 is
G + 身份证号, as the national student-status system numbers students.
"""

README_TAIL = """
## What LibreOffice {v} wrote, compared with Excel

- Hidden sheets stay hidden in .xlsx (`state="hidden"`), .xls and .ods
  (`table:display="false"`); the file opens on the first visible sheet. One difference: an
  .ods converted headless carries no view settings, and LibreOffice opening such a file makes
  the first sheet active and so shows it although it is hidden; `make.py` adds the view
  setting a user's save writes (`ActiveTable` = the first visible sheet), after which
  LibreOffice keeps 数据字典 hidden. The XML of the sheet says hidden either way.
- Merged ranges (titles, the 班级 column) are kept in all three formats, with the value in the
  first cell only and the others empty, as Excel does.
- Numbers are doubles everywhere; a bare 2012 stays the number 2012 (General format), the
  text '2012' stays text, and text cells stay text (shared strings in .xlsx, as Excel writes
  them; openpyxl's own files hold inline strings, as `formulas-no-values.xlsx` does).
- Dates are serial numbers with a date style in .xlsx/.xls and `office:date-value` in .ods.
- Formatted empty rows are not kept as Excel keeps them. Re-saving keeps formatted empty
  cells only down to 1,000 rows below the last value (cells bordered down to row 1,999 came
  back down to row 1,004), and a sheet whose rows 4–1,048,576 carried a row style came back
  as 3 rows, the last with 16,384 empty styled cells (dimension `A1:XFD3`). So
  `formatted-to-end.xlsx` is LibreOffice's file with the rows written into its sheet XML:
  rows 12–1000 with 16 empty bordered cells each, rows 1001–{to:,} as formatted rows without
  cells (`<row r=".." s=".." customFormat="1"/>`), and the sheet's last row with empty
  bordered cells; dimension `A1:P1048576`. Every row down to the end would make a 2.5 MB
  file, so rows {to:,}–1,048,575 are left out to keep it under 2 MB.
- A formula gets its value computed and stored, so `formulas-no-values.xlsx` is openpyxl's
  own file, never re-saved.
- Long numbers: LibreOffice writes `5.2010220131012E+017` (three-digit exponent) in the
  .xlsx XML where Excel writes `5.2010220131012E+17`, and a 16-digit number in full
  (`5201020120260100`); both read back as the same double.
- The .ods files are 13–27 KB (LibreOffice stores page styles per sheet and a settings part),
  the .xls files 7–15 KB.
"""


# Reading the files back


def header_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]", "", text)
    text = re.sub(r"[\s*]", "", text)
    return SYNONYMS.get(text, text)


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def check_sheets(name: str, wb: Any, expect: Expect, problems: list[str]) -> int:
    """Finds the sheets and header rows as DESIGN says, counts the data rows."""
    required = REQUIRED[expect.kind]
    found: dict[str, int] = {}
    count = 0
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            if expect.sheets_skipped.get(ws.title) != "hidden":
                problems.append(f"{name}: sheet {ws.title} is {ws.sheet_state}")
            continue
        rows = sheet_rows(ws) if ws.max_row < 100_000 else []
        for i, row in enumerate(rows[:10], 1):
            keys = {header_key(v) for v in row}
            if all(r in keys for r in required):
                found[ws.title] = i
                count += sum(
                    1 for r in rows[i:] if any(v is not None and str(v).strip() for v in r)
                )
                break
    for hidden in (k for k, v in expect.sheets_skipped.items() if v == "hidden"):
        if wb[hidden].sheet_state != "hidden":
            problems.append(f"{name}: sheet {hidden} is not hidden")
    if expect.sheets_read is not None and found != expect.header_rows:
        problems.append(f"{name}: header rows {found}, expected {expect.header_rows}")
    for sheet, ranges in expect.merged.items():
        have = {str(r) for r in wb[sheet].merged_cells.ranges}
        if not set(ranges) <= have:
            problems.append(f"{name}: merged {sorted(have)} in {sheet}, expected {ranges}")
    return count


def check_formatted(path: Path, problems: list[str]) -> int:
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    if f'<dimension ref="A1:P{LAST_ROW}"/>' not in sheet:
        problems.append(f"{path.name}: dimension is not A1:P{LAST_ROW}")
    rows = sheet.count("<row ")
    if rows < FORMATTED_ROWS_TO - 1000:
        problems.append(f"{path.name}: only {rows} rows")
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    count = 0
    for i, row in enumerate(ws.iter_rows(values_only=True), 1):
        if i > 1 and any(v is not None for v in row):
            count += 1
    wb.close()
    print(f"  {path.name}: {rows:,} <row> elements, dimension A1:P{LAST_ROW}")
    return count


def verify() -> None:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="spreadsheets-check-") as tmp:
        back = Path(tmp)
        for ext in ("xls", "ods"):  # LibreOffice reads them back
            others = [HERE / o.name for o in OUTPUTS if o.name.endswith("." + ext)]
            others = [p for p in others if not p.read_bytes().startswith(b"<html")]
            convert(others, "xlsx:Calc MS Excel 2007 XML", back / ext)
        for o in OUTPUTS:
            path = HERE / o.name
            size = path.stat().st_size
            limit = MAX_FORMATTED if o.made == "formatted" else MAX_SMALL
            if size >= limit:
                problems.append(f"{o.name}: {size} bytes")
            expect = o.expect
            if o.made == "formatted":
                count = check_formatted(path, problems)
            elif o.name.endswith(".csv"):
                data = path.read_bytes()
                text = data[3:].decode() if data.startswith(b"\xef\xbb\xbf") else data.decode("gbk")
                if "\r\n" not in text or "\n" in text.replace("\r\n", ""):
                    problems.append(f"{o.name}: not CRLF")
                count = len(list(csv.reader(io.StringIO(text)))) - 1
            elif path.read_bytes().startswith(b"<html"):
                count = path.read_text().count("<tr>") - 1
            elif o.made == "openpyxl":
                wb = openpyxl.load_workbook(path)
                count = check_sheets(o.name, wb, expect, problems)
                with zipfile.ZipFile(path) as z:
                    sheet = z.read("xl/worksheets/sheet1.xml").decode()
                if "<f>" not in sheet or re.search(r"</f><v>[^<]", sheet):
                    problems.append(f"{o.name}: formulas with values")
            else:
                ext = path.suffix[1:]
                readable = back / ext / (path.stem + ".xlsx") if ext != "xlsx" else path
                wb = openpyxl.load_workbook(readable)
                count = check_sheets(o.name, wb, expect, problems)
                check_cells(o.name, wb, expect, problems)
            if count != len(expect.rows):
                problems.append(f"{o.name}: {count} data rows, expected {len(expect.rows)}")
            print(f"  {o.name:28} {size:>9,} bytes  {count:>2} data rows  ok")
    if problems:
        sys.exit("Problems:\n" + "\n".join(problems))


def check_cells(name: str, wb: Any, expect: Expect, problems: list[str]) -> None:
    """Spot checks of what the office suite wrote in the cells that make the case."""
    if name.startswith("numeric-"):
        ws = wb.worksheets[0]
        column = "身份证号" if name.startswith("numeric-ids") else "学籍号"
        header = [header_key(v) for v in next(ws.iter_rows(values_only=True))]
        values = [r[header.index(column)] for r in ws.iter_rows(min_row=2, values_only=True)]
        if not all(isinstance(v, float | int) for v in values):
            problems.append(f"{name}: {column} not numbers: {values}")
    if name.startswith("bare-year"):
        ws = wb.worksheets[0]
        kinds = {r[0].row: type(r[3].value).__name__ for r in ws.iter_rows(min_row=2)}
        for refusal in expect.refusals:
            if kinds[refusal["row"]] not in ("int", "float", "str"):
                problems.append(f"{name}: row {refusal['row']} holds {kinds[refusal['row']]}")
    if name.startswith("fullwidth"):
        ws = wb.worksheets[0]
        if ws["A2"].value != fullwidth_text(STUDENTS[0].no) or ws["B2"].value != "　张伟　":
            problems.append(f"{name}: full-width text changed: {ws['A2'].value} {ws['B2'].value}")
    if expect.records and not name.endswith(".csv"):
        ws = wb[expect.sheets_read[0]] if expect.sheets_read else wb.worksheets[0]
        top = expect.header_rows.get(ws.title, 1)
        row = next(ws.iter_rows(min_row=top + 1, max_row=top + 1, values_only=True))
        shown = [v.date().isoformat() if isinstance(v, dt.datetime) else v for v in row]
        first = {k: v for k, v in expect.records[0].items() if k != "row"}
        for value in first.values():
            if value and not name.startswith("fullwidth") and value not in shown:
                problems.append(f"{name}: {value!r} not in its first data row {shown}")


if __name__ == "__main__":
    version = lo_version()
    print(f"Making the test workbooks with LibreOffice {version}…")
    make(version)
    print("Reading them back:")
    verify()
    print(f"Done: {len(OUTPUTS)} files and manifest.json, README.md in {HERE}")
