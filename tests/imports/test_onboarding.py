"""F9 "Done when" 1: a real county started from an empty database by following README's
"Starting a real county" only, on the command line (no /admin/, no demo data): the list of
schools with their accounts, then for one school its teachers, its roster (this semester's
categories only), its pairings reaching three years back (some ended), the scores of two
semesters and the incidents, every file accepted, and `assess --json` giving what DESIGN's
rules give, worked out here by hand from the same sheets.

The workbooks are made as schools make them: title rows above the header, synonyms for the
headers, a column nobody asked for, one roster sheet per grade with the class merged down its
rows, dates typed every which way and a semester written as 2025—2026学年第二学期."""

import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from assessment.models import Score
from pairing.models import Pairing
from students.models import County, Identification, School, Semester, Student
from tests.helpers import id_number
from visits.models import Incident

TODAY = dt.date(2026, 12, 4)  # the issue's today: 2026-2027-1 is the current semester
COUNTY = "青山县"
CODE = "QS01"
CURRENT, BEFORE = "2026-2027-1", "2025-2026-2"
SEMESTER_START, SEMESTER_END = dt.date(2026, 9, 1), dt.date(2027, 1, 31)  # default dates

SCHOOLS = [
    # 学校代码, 学校名称, 乡镇, 学段, 校长姓名, 资助办负责人
    (CODE, "青山镇中心小学", "青山镇", "小学", "赵建国", "钱丽华"),
    ("QS02", "青山镇中学", "青山镇", "初中", "孙志强", "李红梅"),
    ("HX01", "河西乡九年一贯制学校", "河西乡", "九年一贯制", "周海", "吴芳"),
]
TEACHERS = [
    # 工号, 姓名, 手机号, 任教学科
    ("js01", "王晓燕", "13800000001", "语文"),
    ("js02", "刘建华", "13800000002", "数学"),
    ("js03", "陈志刚", "13800000003", "体育"),
    ("js04", "杨桂兰", "13800000004", "英语"),
    ("js05", "黄明", "13800000005", "科学"),
    ("js06", "郑丽", "13800000006", "音乐"),  # no pairing: not on the assessment
]

# The aided students of the story (学籍号: 级, class, number) and their categories this semester.
A, C, E, H = "G2021101", "G2021102", "G2021103", "G2021104"  # 六年级 (2021级)
B, D, F, G = "G2022101", "G2022102", "G2022103", "G2022104"  # 五年级 (2022级)
CATEGORIES = {
    A: "留守学生、建档立卡",
    C: "学困",
    E: "问题学生、贫困",
    H: "留守",  # aided, nobody paired with yet
    B: "学习困难",
    D: "问题",
    G: "留守",
    # F was 贫困 until 2025; no longer aided: empty like every other student's cell
}

# Every student's 总分 (2025-2026-2, 2026-2027-1), in 学籍号 order: the aided four of each
# grade first, then twelve others. Averages: 2021级 6400/16 = 400 then 6912/16 = 432,
# 2022级 400 then 400.
SCORES: dict[int, tuple[list[float], list[float]]] = {
    2021: (
        [360, 300, 320, 400, 412.5, 392.5, 430, 445, 380, 415, 425, 400, 390, 440, 470, 420],
        [420, 350, 380, 400, 430, 420, 460, 480, 405, 445, 455, 430, 420, 470, 497, 450],
    ),
    2022: (
        [300, 350, 380, 400, 410, 420, 400, 430, 415, 405, 395, 425, 440, 390, 420, 420],
        [330, 418, 380, 420, 402, 410, 395, 420, 405, 400, 390, 410, 430, 385, 405, 400],
    ),
}
GRADES = {2021: "六年级", 2022: "五年级"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
GIVEN = ["子涵", "欣怡", "浩然", "梓轩", "雨桐", "宇航", "思远", "佳琪"]
GIVEN += ["俊杰", "诗涵", "博文", "可馨", "嘉怡", "天佑", "若曦", "明轩"]


def roster() -> list[dict[str, Any]]:
    """The school's 32 students: two grades of two classes of eight."""
    students = []
    for year in (2021, 2022):
        before, now = SCORES[year]
        for index in range(16):
            klass, number = index // 8 + 1, index % 8 + 1
            student_no = f"G{year}{klass}{number:02d}"
            birth = dt.date(year - 7, 1 + index % 12, 1 + index)
            seq = 10 + 2 * index + (1 if index % 2 == 0 else 0)  # odd: male
            students.append(
                {
                    "no": student_no,
                    "name": SURNAMES[index] + GIVEN[(index + year) % 16],
                    "gender": "男" if seq % 2 else "女",
                    "birth": birth,
                    "year": year,
                    "class": f"{GRADES[year]}({klass})班",
                    "id": id_number(f"520123{birth:%Y%m%d}{seq:03d}"),
                    "categories": CATEGORIES.get(student_no, ""),
                    BEFORE: before[index],
                    CURRENT: now[index],
                }
            )
    return students


STUDENTS = roster()

# (工号, 学籍号, 帮扶类别 as the school writes it, category, start, end)
PAIRINGS = [
    ("js01", A, "留守学生", "left_behind", dt.date(2023, 9, 1), None),
    ("js01", B, "学困", "struggling", dt.date(2024, 9, 1), None),
    ("js02", C, "学习困难", "struggling", dt.date(2025, 3, 1), None),
    ("js02", A, "建档立卡", "poor", dt.date(2026, 9, 1), None),
    ("js03", D, "问题学生", "problem", dt.date(2024, 3, 1), None),
    ("js03", E, "问题", "problem", dt.date(2025, 9, 1), None),
    # ended in this semester, before E's fight
    ("js04", E, "贫困", "poor", dt.date(2024, 9, 1), dt.date(2026, 10, 15)),
    # ended two semesters ago: not on this semester's assessment
    ("js04", F, "家庭经济困难", "poor", dt.date(2023, 9, 1), dt.date(2025, 6, 30)),
    ("js05", G, "留守", "left_behind", dt.date(2026, 9, 1), None),
]
INCIDENTS = [
    # 学籍号, 日期, 类型, 说明
    (D, dt.date(2026, 10, 20), "逃学", "上午未到校，下午由家长送回"),
    (E, dt.date(2026, 11, 20), "结伙打架", "课间与同学结伙打架"),
]

# The semesters each pairing covers in which the roster (this semester only) left the
# student unidentified in its category: what the pairings file fills in.
FILLED = {
    (A, "left_behind"): [
        "2023-2024-1",
        "2023-2024-2",
        "2024-2025-1",
        "2024-2025-2",
        "2025-2026-1",
        BEFORE,
    ],
    (B, "struggling"): ["2024-2025-1", "2024-2025-2", "2025-2026-1", BEFORE],
    (C, "struggling"): ["2024-2025-2", "2025-2026-1", BEFORE],
    (D, "problem"): ["2023-2024-2", "2024-2025-1", "2024-2025-2", "2025-2026-1", BEFORE],
    (E, "problem"): ["2025-2026-1", BEFORE],
    (E, "poor"): ["2024-2025-1", "2024-2025-2", "2025-2026-1", BEFORE],
    (F, "poor"): ["2023-2024-1", "2023-2024-2", "2024-2025-1", "2024-2025-2"],
}
CATEGORY_CODES = {
    "留守": "left_behind",
    "留守学生": "left_behind",
    "贫困": "poor",
    "建档立卡": "poor",
    "学困": "struggling",
    "学习困难": "struggling",
    "问题": "problem",
    "问题学生": "problem",
}
SHEET_NAMES = {"left_behind": "留守", "poor": "贫困", "struggling": "学困", "problem": "问题"}


def categories_of(cell: str) -> list[str]:
    return [CATEGORY_CODES[name] for name in cell.split("、") if name]


def default_dates(code: str) -> tuple[dt.date, dt.date]:
    """DESIGN: term 1 runs 1 Sep – 31 Jan, term 2 runs 1 Feb – 31 Jul."""
    first, second, term = (int(part) for part in code.split("-"))
    if term == 1:
        return dt.date(first, 9, 1), dt.date(second, 1, 31)
    return dt.date(second, 2, 1), dt.date(second, 7, 31)


# DESIGN "Semester assessment", worked by hand.

POINTS = {"left_behind": 2, "poor": 1, "struggling": 1, "problem": 5}
THRESHOLDS = {
    "left_behind": Fraction("1.05"),
    "poor": Fraction("1.05"),
    "struggling": Fraction("1.10"),
    "problem": Fraction("1.05"),
}
INCIDENT_REASON = {"逃学": "truancy", "结伙打架": "violence"}


def score(student_no: str, semester: str) -> Fraction:
    return next(Fraction(str(s[semester])) for s in STUDENTS if s["no"] == student_no)


def grade_average(student_no: str, semester: str) -> Fraction:
    """Over every student of the same 级 with a score, aided or not."""
    year = next(s["year"] for s in STUDENTS if s["no"] == student_no)
    scores = [Fraction(str(s[semester])) for s in STUDENTS if s["year"] == year]
    return sum(scores, Fraction(0)) / len(scores)


def progress_ratio(student_no: str) -> Fraction:
    now = score(student_no, CURRENT) / grade_average(student_no, CURRENT)
    before = score(student_no, BEFORE) / grade_average(student_no, BEFORE)
    return now / before


def four_places(value: Fraction) -> str:
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return str(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def expected_assessment() -> dict[str, Any]:
    teachers: dict[str, list[dict[str, Any]]] = {}
    for staff, student_no, _name, category, start, end in sorted(
        PAIRINGS, key=lambda p: (p[0], p[1], p[3], p[4])
    ):
        if start > SEMESTER_END or (end is not None and end < SEMESTER_START):
            continue  # not active in the semester
        reasons = [
            INCIDENT_REASON[kind]
            for no, day, kind, _note in INCIDENTS
            if no == student_no
            and SEMESTER_START <= day <= SEMESTER_END
            and start <= day
            and (end is None or day <= end)
        ]
        ratio = progress_ratio(student_no)
        if ratio < THRESHOLDS[category]:
            reasons.append("low_progress")
        effective = not reasons
        teachers.setdefault(staff, []).append(
            {
                "student": student_no,
                "category": category,
                "status": "effective" if effective else "ineffective",
                "reasons": reasons,
                "progress_ratio": four_places(ratio),
                "points": POINTS[category] if effective else 0,
            }
        )
    return {
        "school": CODE,
        "semester": CURRENT,
        "teachers": [
            {"teacher": name, "points": sum(p["points"] for p in lines), "pairings": lines}
            for name, lines in sorted(teachers.items())
        ],
    }


# Workbooks as schools make them


def save(book: Any, path: Path) -> Path:
    book.save(path)
    return path


def sheet(book: Any, title: str, rows: list[list[Any]]) -> Any:
    new = book.create_sheet(title)
    for row in rows:
        new.append(row)
    return new


def new_book() -> Any:
    book = openpyxl.Workbook()
    book.remove(book.active)
    return book


def schools_file(path: Path) -> Path:
    book = new_book()
    sheet(
        book,
        "学校名单",
        [
            [f"{COUNTY}2026年秋季学期中小学名单"],
            ["学校代码", "学校名称", "乡镇", "学段", "校长姓名", "资助办负责人"],
            *[list(row) for row in SCHOOLS],
        ],
    )
    return save(book, path)


def teachers_file(path: Path) -> Path:
    book = new_book()
    sheet(
        book,
        "教师",
        [
            ["工号", "教师姓名", "手机号码", "任教学科"],
            *[list(row) for row in TEACHERS],
        ],
    )
    return save(book, path)


def roster_file(path: Path) -> Path:
    """One sheet per grade, a merged title above the header, synonyms (学生姓名, 出生年月,
    身份证号码, 帮扶类别, 联系电话), a 序号 column nobody asked for, the class merged."""
    book = new_book()
    header = ["序号", "学籍号", "学生姓名", "性别", "出生年月", "入学年份", "班级"]
    header += ["身份证号码", "帮扶类别", "监护人", "联系电话"]
    for year in (2022, 2021):
        students = [s for s in STUDENTS if s["year"] == year]
        rows = [
            [
                n,
                s["no"],
                s["name"],
                s["gender"],
                s["birth"],
                s["year"],
                s["class"],
                s["id"],
                s["categories"],
                s["name"][0] + "大山",
                f"1390000{n:04d}",
            ]
            for n, s in enumerate(students, start=1)
        ]
        grade = sheet(
            book, GRADES[year], [[f"青山镇中心小学{GRADES[year]}学生名册（2026年秋季学期）"]]
        )
        grade.merge_cells("A1:K1")
        grade.append(header)
        for row in rows:
            grade.append(row)
        if year == 2021:  # the class written once beside its eight students
            for first in (3, 11):  # (merging keeps the first cell's value only)
                grade.merge_cells(f"G{first}:G{first + 7}")
    return save(book, path)


PAIRING_HEADERS = ["序号", "教师工号", "帮扶教师", "学籍号", "学生姓名", "帮扶类别", "结对时间"]
PAIRING_HEADERS.append("结束日期")


def pairings_file(path: Path) -> Path:
    book = new_book()
    names = {s["no"]: s["name"] for s in STUDENTS}
    teachers = {t[0]: t[1] for t in TEACHERS}
    spelled = [
        lambda day: day,  # a date cell
        lambda day: f"{day.year}年{day.month}月{day.day}日",
        lambda day: f"{day.year}/{day.month}/{day.day}",
    ]
    rows = [
        [
            n,
            staff,
            teachers[staff],
            student_no,
            names[student_no],
            category,
            spelled[n % 3](start),
            end,
        ]
        for n, (staff, student_no, category, _code, start, end) in enumerate(PAIRINGS, start=1)
    ]
    sheet(
        book,
        "结对名单",
        [
            ["说明：结对时间为开始帮扶的日期；已结束的结对填写结束日期"],
            [],
            PAIRING_HEADERS,
            *rows,
        ],
    )
    return save(book, path)


def scores_file(path: Path, *, semester: str, written: str) -> Path:
    book = new_book()
    rows = [[s["no"], s["name"], written, s[semester], "总分"] for s in STUDENTS]
    sheet(
        book,
        "成绩",
        [
            [f"青山镇中心小学 {written} 期末考试成绩"],
            ["学籍号", "学生姓名", "考试学期", "总成绩", "科目"],
            *rows,
        ],
    )
    return save(book, path)


def incidents_file(path: Path) -> Path:
    book = new_book()
    sheet(
        book,
        "违纪",
        [
            ["学籍号", "发生日期", "事件类型", "情况说明"],
            *[list(row) for row in INCIDENTS],
        ],
    )
    return save(book, path)


# The commands


def run(*args: str) -> str:
    """A README command through call_command; it must succeed (a failure raises
    CommandError, which is exit code 1 on the command line). Returns what it printed."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def password_table(output: str) -> list[list[str]]:
    """The rows of the one-time password table the command printed."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("一次性密码（只显示这一次"))
    return [line.split("\t") for line in lines[start + 2 :] if "\t" in line]


@pytest.fixture
def today_is_the_issues(monkeypatch):
    """2026-12-04 for everything that asks for today's date (a date given is converted)."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.mark.django_db(transaction=True)
def test_a_county_from_an_empty_database_to_the_first_assessment(tmp_path, today_is_the_issues):
    # Given an empty database
    assert not County.objects.exists()
    assert not School.objects.exists()
    assert not User.objects.exists()

    # README: the template of the list of schools, a dry run, then the list
    template = tmp_path / "学校名单模板.xlsx"
    run("import_xlsx", "schools", "--template", str(template))
    headers = [c.value for c in openpyxl.load_workbook(template).worksheets[0][1]]
    assert [h.rstrip("*") for h in headers] == [
        "学校代码",
        "学校名称",
        "乡镇",
        "学段",
        "校长姓名",
        "资助办负责人",
    ]
    schools = schools_file(tmp_path / "学校名单.xlsx")
    dry = run("import_xlsx", "schools", str(schools), "--county", COUNTY, "--dry-run")
    assert "新增 3 行" in dry and "检查通过（--dry-run：未导入）。" in dry
    assert "一次性密码" not in dry
    assert not County.objects.exists() and not School.objects.exists()
    assert not User.objects.exists()

    out = run("import_xlsx", "schools", str(schools), "--county", COUNTY)
    assert "新增 3 行，更新 0 行，未变 0 行" in out and "导入完成。" in out
    table = password_table(out)
    assert len(table) == 6
    assert {row[0] for row in table} == {
        f"{role}-{code}" for role in ("office", "principal") for code, *_rest in SCHOOLS
    }
    county = County.objects.get(name=COUNTY)
    assert sorted(School.objects.filter(county=county).values_list("code", flat=True)) == sorted(
        code for code, *_rest in SCHOOLS
    )
    for username, _role, password in table:
        user = User.objects.select_related("profile").get(username=username)
        assert user.is_active and not user.is_staff and not user.is_superuser
        assert user.profile.must_change_password
        assert user.check_password(password)
    assert User.objects.get(username=f"office-{CODE}").profile.name == "钱丽华"
    assert User.objects.get(username=f"principal-{CODE}").profile.name == "赵建国"
    # Importing the list again changes nothing and prints no password
    again = run("import_xlsx", "schools", str(schools), "--county", COUNTY)
    assert "新增 0 行，更新 0 行，未变 3 行" in again and "一次性密码" not in again

    # The county's administrator
    admin = run("create_county_admin", "jyj-admin", "--county", COUNTY, "--name", "张三")
    assert [row[0] for row in password_table(admin)] == ["jyj-admin"]

    # The school's teachers: each gets a one-time password
    out = run(
        "import_xlsx", "teachers", str(teachers_file(tmp_path / "教师名单.xlsx")), "--school", CODE
    )
    assert "新增 6 行" in out and "导入完成。" in out
    table = password_table(out)
    assert [row[:2] for row in table] == [[t[0], t[1]] for t in TEACHERS]
    for staff, _name, password in table:
        user = User.objects.select_related("profile").get(username=staff)
        assert user.profile.school.code == CODE and user.profile.role == "teacher"
        assert user.profile.must_change_password and user.check_password(password)

    # The roster: every student, one sheet per grade, this semester's categories
    roster_path = roster_file(tmp_path / "学生名册.xlsx")
    out = run("import_xlsx", "students", str(roster_path), "--school", CODE, "--semester", CURRENT)
    assert "工作表「五年级」：表头在第 2 行，上面的 1 行（标题、说明）未导入" in out
    assert "工作表「六年级」：表头在第 2 行，上面的 1 行（标题、说明）未导入" in out
    assert "「序号」" in out  # named as ignored, never dropped silently
    assert "新增 32 行，更新 0 行，未变 0 行" in out and f"将新建 学期：{CURRENT}" in out
    school = School.objects.get(code=CODE)
    students = {s.student_no: s for s in Student.objects.filter(school=school)}
    assert len(students) == 32
    for row in STUDENTS:
        student = students[row["no"]]
        assert (student.name, student.birth_date, student.id_number) == (
            row["name"],
            row["birth"],
            row["id"],
        )
        assert (student.cohort.entry_year, student.school_class.name) == (row["year"], row["class"])
    identified = Identification.objects.filter(student__school=school)
    assert sorted(identified.values_list("semester__code", "student__student_no", "category")) == [
        (CURRENT, no, category)
        for no, category in sorted(
            (no, c) for no, names in CATEGORIES.items() for c in categories_of(names)
        )
    ]

    # The pairings, back to 2023: a dry run lists the identifications it would fill in
    pairings_path = pairings_file(tmp_path / "结对名单.xlsx")
    dry = run("import_xlsx", "pairings", str(pairings_path), "--school", CODE, "--dry-run")
    assert not Pairing.objects.exists()
    assert identified.count() == 9
    assert list(Semester.objects.filter(school=school).values_list("code", flat=True)) == [CURRENT]
    out = run("import_xlsx", "pairings", str(pairings_path), "--school", CODE)
    assert "「帮扶教师」" in out and "「学生姓名」" in out
    assert "新增 9 行，更新 0 行，未变 0 行" in out and "导入完成。" in out
    listed = [
        f"将新建 类别认定（结对名单补录）：{no} {SHEET_NAMES[category]} {'、'.join(codes)}"
        for (no, category), codes in sorted(FILLED.items())
    ]
    new_semesters = sorted({code for codes in FILLED.values() for code in codes})
    for line in [f"将新建 学期：{code}" for code in new_semesters] + listed:
        assert line in dry.splitlines() and line in out.splitlines()
    filled = identified.filter(source=Identification.Source.PAIRING_LIST)
    assert filled.count() == sum(len(codes) for codes in FILLED.values()) == 28
    assert set(filled.values_list("state", flat=True)) == {Identification.State.APPROVED}
    for (no, category), codes in FILLED.items():
        assert (
            sorted(
                filled.filter(student__student_no=no, category=category).values_list(
                    "semester__code", flat=True
                )
            )
            == codes
        )
    assert not identified.filter(
        semester__code=CURRENT, source=Identification.Source.PAIRING_LIST
    ).exists()
    assert sorted(
        Pairing.objects.filter(school=school).values_list(
            "teacher__username", "student__student_no", "category", "start", "end"
        )
    ) == sorted((p[0], p[1], p[3], p[4], p[5]) for p in PAIRINGS)
    assert {s.code: (s.start, s.end) for s in Semester.objects.filter(school=school)} == {
        code: default_dates(code) for code in [*new_semesters, CURRENT]
    }

    # The scores of the semester before (written as on the school's documents) and of this one
    for semester, written in ((BEFORE, "2025—2026学年第二学期"), (CURRENT, CURRENT)):
        path = scores_file(tmp_path / f"成绩{semester}.xlsx", semester=semester, written=written)
        out = run("import_xlsx", "scores", str(path), "--school", CODE)
        assert "新增 32 行，更新 0 行，未变 0 行" in out and "导入完成。" in out
        assert "将新建 学期" not in out

    # The incidents, recorded as by the school's aid office
    out = run(
        "import_xlsx", "incidents", str(incidents_file(tmp_path / "违纪.xlsx")), "--school", CODE
    )
    assert "新增 2 行，更新 0 行，未变 0 行" in out and "导入完成。" in out
    assert set(Incident.objects.values_list("recorded_by__username", flat=True)) == {
        f"office-{CODE}"
    }

    # Their history names the command line as the one who imported
    for model in (Student, Identification, Pairing, Score, Incident):
        reasons = set(model.history.values_list("history_change_reason", flat=True))
        assert reasons == {"导入表格（命令行）"}, model

    # Then the assessment, as worked out by hand
    result = json.loads(run("assess", "--school", CODE, "--semester", CURRENT, "--json"))
    expected = expected_assessment()
    assert result == expected
    # ...which is, spelled out:
    assert [(t["teacher"], t["points"]) for t in result["teachers"]] == [
        ("js01", 3),
        ("js02", 1),
        ("js03", 0),
        ("js04", 1),
        ("js05", 2),
    ]
    assert [
        (p["student"], p["category"], p["status"], p["reasons"], p["progress_ratio"], p["points"])
        for t in result["teachers"]
        for p in t["pairings"]
    ] == [
        (A, "left_behind", "effective", [], "1.0802", 2),
        (B, "struggling", "effective", [], "1.1000", 1),  # exactly 1.10 is not below
        (A, "poor", "effective", [], "1.0802", 1),
        (C, "struggling", "ineffective", ["low_progress"], "1.0802", 0),  # < 1.10
        (E, "problem", "ineffective", ["violence"], "1.0995", 0),
        (D, "problem", "ineffective", ["truancy"], "1.1943", 0),  # 1.194285…
        (E, "poor", "effective", [], "1.0995", 1),  # ended before the fight
        (G, "left_behind", "effective", [], "1.0500", 2),  # exactly 1.05 is not below
    ]

    # Nothing but the commands made it: no superuser for /admin/, no demo school or account
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert sorted(School.objects.values_list("code", flat=True)) == sorted(s[0] for s in SCHOOLS)
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(
        [f"{role}-{code}" for role in ("office", "principal") for code, *_rest in SCHOOLS]
        + ["jyj-admin"]
        + [t[0] for t in TEACHERS]
    )
    assert Student.objects.count() == 32
