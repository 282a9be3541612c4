"""The students roster import (F3): 10,000 rows against a floor of the same work.

Floor: openpyxl in read-only mode reading every cell of the same file, plus `bulk_create` of
10,000 plain Student rows whose cohorts and classes are already there. Goals (gated): the
import takes at most 4x the floor and reads at least 3,000 rows/s. The import is measured on
both paths: the one kept, StudentResource (django-import-export's dry run, diff and bulk save),
and for comparison the plan written by hand before it (HandWrittenStudentsSheet, not gated); a
breakdown of one import on the kept path shows where its time goes. Memory (shown, not gated):
the peak for 10,000 and 20,000 rows, reading in read-only mode beside normal mode, and the
whole import, whose plan holds every row until it is applied.
"""

import contextlib
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from openpyxl.utils import get_column_letter

from aidcase.spreadsheets import EXCEL_EPOCH

ROWS = 10_000
REPEATS = 3
SLOW = 10.0  # seconds: a figure this slow is measured once
MAX_RATIO = 4.0
MIN_ROWS_PER_SECOND = 3_000
SEMESTER = "2025-2026-1"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程龙吴"
)
GIVEN = "子涵梓轩浩然欣怡雨萱思远俊杰佳怡宇航诗琪婷婷明轩晓燕志强秀英建华文静家豪金花海燕国庆春梅"
REGIONS = ("520102", "520103", "520422", "522301", "522601", "522622", "520624", "522729")
TOWNS = ("平寨镇", "高屯镇", "龙场镇", "新店乡", "大坝村", "坪上村", "河边组", "岩脚寨")
WORKPLACES = ("浙江宁波", "广东东莞", "福建晋江", "江苏苏州", "上海", "贵阳", "", "")
GRADES = {2025: "七年级", 2024: "八年级", 2023: "九年级"}
CLASSES_PER_GRADE = 10
CATEGORIES = ("留守", "贫困", "学困", "问题", "留守、贫困", "贫困、学困", "留守学生", "建档立卡")
SOURCES = ("", "", "建档立卡", "民政低保", "学校认定")
RELATIONS = (("父亲", "父"), ("母亲", "母"), ("祖父", "爷爷"), ("祖母", "奶奶"))


def headers() -> list[str]:
    """The sheet's own columns, in its order: the benchmark file is what a school would send.
    Imported here, not at the top: the memory figures run this module as a script, which sets
    Django up before the apps' modules can be imported."""
    from students.resources import StudentsSheet

    return [column.header for column in StudentsSheet.columns]


def roster_rows(rows: int, *, seed: int = 2025) -> Iterator[list[Any]]:
    """A realistic 学生名册: three grades of ten classes, real-looking ID numbers that agree
    with the birth dates (学籍号 is G + the ID number), about 40% of the students aided."""
    from students.idcard import check_char

    rng = random.Random(seed)  # noqa: S311 — made-up people, not secrets
    used: set[str] = set()
    for n in range(rows):
        year = rng.choice(tuple(GRADES))
        male = rng.random() < 0.52
        first17 = ""
        while not first17 or first17 in used:
            birth = dt.date(year - 13, 1, 1) + dt.timedelta(days=rng.randrange(365))
            sequence = rng.randrange(100) * 10 + rng.randrange(int(male), 10, 2)
            first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{sequence:03d}"
        used.add(first17)
        number = first17 + check_char(first17)
        surname = rng.choice(SURNAMES)
        relation, guardian = rng.choice(RELATIONS)
        aided = rng.random() < 0.4
        yield [
            f"G{number}",
            surname + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            "男" if male else "女",
            # Most schools keep date cells; some type the dates as text.
            birth if n % 4 else f"{birth.year}/{birth.month}/{birth.day}",
            year,
            f"{GRADES[year]}({n % CLASSES_PER_GRADE + 1})班",
            number,
            GRADES[year],
            rng.choice(CATEGORIES) if aided else None,
            rng.choice(SOURCES) if aided else None,
            surname + guardian,
            relation,
            f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            f"{rng.choice(TOWNS)}{rng.randrange(1, 300)}号",
            rng.choice(WORKPLACES) or None,
            "是" if rng.random() < 0.3 else "否",
        ]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_TYPES}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_TYPES}.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
        '<sheet name="学生名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    # Style 1 is Excel's built-in short date (numFmtId 14), as in a date cell typed in Excel.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
        '<name val="等线"/></font></fonts><fills count="2"><fill><patternFill '
        'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
        'fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" '
        'borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def excel_file(rows: Iterable[list[Any]]) -> bytes:
    """An .xlsx as Excel and WPS save it: strings in a shared-strings table, dates as
    numbers with a date style, empty cells left out. openpyxl would write every string inline
    (no spreadsheet program does), and its pure-Python XML writer takes ~1 ms a row."""
    strings: dict[str, int] = {}
    sheet = [f'<worksheet xmlns="{_MAIN}"><sheetData>']
    count = 0
    names = headers()
    for count, values in enumerate([names, *rows], start=1):
        cells = []
        for column, value in enumerate(values, start=1):
            where = f"{get_column_letter(column)}{count}"
            if value is None or value == "":
                continue
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{where}" t="s"><v>{index}</v></c>')
            elif isinstance(value, dt.date):
                cells.append(f'<c r="{where}" s="1"><v>{(value - EXCEL_EPOCH).days}</v></c>')
            else:
                cells.append(f'<c r="{where}"><v>{value}</v></c>')
        sheet.append(f'<row r="{count}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    sheet.insert(1, f'<dimension ref="A1:{get_column_letter(len(names))}{count}"/>')
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    parts = {
        **_PARTS,
        "xl/worksheets/sheet1.xml": "".join(sheet),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            f"{shared}</sst>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + content
            )
    return buffer.getvalue()


def roster(rows: int) -> bytes:
    return excel_file(roster_rows(rows))


@dataclass
class Figure:
    name: str
    seconds: float
    rows: int
    floor: float | None = None  # seconds of the floor, for the figures measured against it
    runs: int = 1
    gated: bool = True  # False: shown for comparison, never fails the run

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor if self.floor else None

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "(the floor)"
        if not self.gated:
            return "(for comparison, not gated)"
        fast = "ok" if self.ratio <= MAX_RATIO else "MISSED"
        rate = "ok" if self.rows_per_second >= MIN_ROWS_PER_SECOND else "MISSED"
        return f"{fast}: <= {MAX_RATIO:g}x floor; {rate}: >= {MIN_ROWS_PER_SECOND:,} rows/s"

    @property
    def failures(self) -> list[str]:
        if self.floor is None or not self.gated:
            return []
        problems = []
        if self.ratio is not None and self.ratio > MAX_RATIO:
            problems.append(f"{self.name}: {self.ratio:.2f}x the floor (goal <= {MAX_RATIO:g}x)")
        if self.rows_per_second < MIN_ROWS_PER_SECOND:
            problems.append(
                f"{self.name}: {self.rows_per_second:,.0f} rows/s "
                f"(goal >= {MIN_ROWS_PER_SECOND:,} rows/s)"
            )
        return problems


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def floor_work(data: bytes, school: Any, cohorts: dict[int, Any], classes: dict[Any, Any]) -> None:
    """The least an import must do: read every cell, make plain rows, save them in bulk."""
    import openpyxl
    from django.db import transaction

    from students.models import Student

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    next(rows)
    fallback = dt.date(2012, 1, 1)
    students = []
    for row in rows:
        born = row[3]
        students.append(
            Student(
                school=school,
                student_no=row[0],
                name=row[1],
                gender="M" if row[2] == "男" else "F",
                birth_date=born.date() if isinstance(born, dt.datetime) else fallback,
                id_number=row[6],
                cohort=cohorts[row[4]],
                school_class=classes[(row[4], row[5])],
                guardian_name=row[10],
                guardian_relation=row[11],
                guardian_phone=row[12],
                address=row[13],
                parents_workplace=row[14] or "",
                boarding=row[15] == "是",
            )
        )
    with transaction.atomic():
        Student.objects.bulk_create(students, batch_size=1000)


def empty_school(code: str) -> Any:
    from students.models import School

    return School.objects.create(code=code, name=f"基准测试学校{code}")


def clear(school: Any) -> None:
    """Removes what an import made for the school (not timed). The students have nothing
    that points at them but identifications, so they go with one plain DELETE."""
    from students.models import Cohort, Identification, SchoolClass, Semester, Student

    Identification.objects.filter(student__school=school).delete()
    Student.objects.filter(school=school)._raw_delete(using="default")
    SchoolClass.objects.filter(school=school).delete()
    Cohort.objects.filter(school=school).delete()
    Semester.objects.filter(school=school).delete()


class HandWrittenStudentsSheet:
    """The students roster's plan as it was before F9, written by hand (no
    django-import-export): measured beside StudentResource's path so that the cost of the
    library's row machinery stays visible. The apps' modules are imported in the methods: the
    memory figures run this module as a script before Django is set up."""

    kind = "students"

    @property
    def columns(self) -> Any:
        from students.resources import StudentsSheet

        return StudentsSheet.columns

    def plan(self, parsed: Any, *, school: Any, semester: Any, by: Any, run: bool = False) -> Any:
        """As before F9: under the write lock (`run`) the plan is made again, then applied."""
        from django.utils import timezone
        from django.utils.translation import gettext as _

        from aidcase.spreadsheets import Plan, RowChange, RowError, duplicate_keys
        from students import idcard
        from students.models import Cohort, Identification, SchoolClass, Student
        from students.selectors import current_semester, semester_code_for
        from students.student_resource import FIELD_COLUMNS

        plan = Plan(kind=self.kind, errors=list(parsed.errors))
        errors = plan.errors
        read = parsed.records
        if parsed.missing:
            return plan
        present = set(parsed.headers)
        duplicate_keys(
            ((n, r["student_no"]) for n, r, _ok in read if r.get("student_no")),
            column="学籍号",
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]
        for number, row, _ok in read:
            if row.get("id_number"):
                problems = idcard.problems(row["id_number"], birth=row.get("birth_date"))
                errors.extend(RowError(number, "身份证号", p) for p in problems)

        keys = [r["student_no"] for _n, r in rows]
        existing = {
            s.student_no: s
            for s in Student.objects.filter(school=school).select_related("cohort", "school_class")
        }
        elsewhere = set(
            Student.objects.filter(student_no__in=[k for k in keys if k not in existing])
            .exclude(school=school)
            .values_list("student_no", flat=True)
        )
        for number, row in rows:
            if row["student_no"] in elsewhere:
                errors.append(RowError(number, "学籍号", _("该学籍号已属于其他学校的学生")))

        cohorts = {c.entry_year: c for c in Cohort.objects.filter(school=school)}
        classes = {
            (c.cohort.entry_year, c.name): c
            for c in SchoolClass.objects.filter(school=school).select_related("cohort")
        }
        new_classes = sorted({(r["entry_year"], r["class_name"]) for _n, r in rows} - set(classes))
        for year, name in new_classes:
            plan.creates.append(_("班级：%(year)s级 %(name)s") % {"year": year, "name": name})

        wants_categories = any(r.get("categories") for _n, r in rows)
        target = semester or current_semester(school=school, on=timezone.localdate())
        new_semester_code = None
        if wants_categories and target is None:
            new_semester_code = semester_code_for(timezone.localdate())
            plan.creates.append(_("学期：%(code)s") % {"code": new_semester_code})
        identified: set[tuple[str, str]] = set()
        # A semester the import is to create (not saved yet) has no identifications.
        if target is not None and target.pk is not None:
            identified = set(
                Identification.objects.filter(
                    semester=target,
                    student__school=school,
                    state=Identification.State.APPROVED,
                ).values_list("student__student_no", "category")
            )

        for number, row in rows:
            values = self._values(row, present)
            student = existing.get(row["student_no"])
            wanted = [
                c for c in row.get("categories") or [] if (row["student_no"], c) not in identified
            ]
            if student is None:
                plan.changes.append(RowChange(number, row["student_no"], "new"))
                continue
            changed = [
                header
                for header, attr in FIELD_COLUMNS
                if attr in values and getattr(student, attr) != values[attr]
            ]
            if student.cohort.entry_year != row["entry_year"]:
                changed.append("入学年份")
            current_class = student.school_class.name if student.school_class else None
            if current_class != row["class_name"] or "入学年份" in changed:
                changed.append("班级")
            if wanted:
                changed.append("类别")
            plan.changes.append(
                RowChange(number, row["student_no"], "changed" if changed else "unchanged", changed)
            )

        if errors:
            plan.changes = []
            plan.creates = []
            return plan

        touched = {c.key for c in plan.changes if c.action != "unchanged"}

        def apply() -> dict[str, int]:
            return self._apply(
                school=school,
                rows=[(n, r) for n, r in rows if r["student_no"] in touched],
                present=present,
                existing=existing,
                cohorts=cohorts,
                classes=classes,
                target=target,
                new_semester_code=new_semester_code,
                identified=identified,
                by=by,
            )

        plan.apply = apply
        return plan

    @staticmethod
    def _values(row: dict[str, Any], present: set[str]) -> dict[str, Any]:
        from students.student_resource import FIELD_COLUMNS

        """The model fields the file sets: a column that is absent leaves its field alone; a
        blank cell in a present column clears it."""
        values: dict[str, Any] = {}
        for header, attr in FIELD_COLUMNS:
            if header not in present:
                continue
            value = row.get(attr)
            if attr == "boarding":
                values[attr] = bool(value)
            else:
                values[attr] = value if value is not None else ""
        return values

    @transaction.atomic
    def _apply(
        self,
        *,
        school: Any,
        rows: list[tuple[int, dict[str, Any]]],
        present: set[str],
        existing: dict[str, Any],
        cohorts: dict[int, Any],
        classes: dict[tuple[int, str], Any],
        target: Any,
        new_semester_code: str | None,
        identified: set[tuple[str, str]],
        by: Any,
    ) -> dict[str, int]:
        from django.utils import timezone

        from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
        from students.models import Cohort, Identification, SchoolClass, Student
        from students.services import semester_create

        for year in sorted({r["entry_year"] for _n, r in rows} - set(cohorts)):
            cohorts[year] = Cohort.objects.create(school=school, entry_year=year)
        for year, name in sorted(
            {(r["entry_year"], r["class_name"]) for _n, r in rows} - set(classes)
        ):
            classes[(year, name)] = SchoolClass.objects.create(
                school=school, cohort=cohorts[year], name=name
            )
        if new_semester_code:
            target = semester_create(school=school, code=new_semester_code)

        now = timezone.now()
        creations: list[Student] = []
        changed: list[Student] = []
        update_fields = {"updated_at"}
        ids: dict[str, int] = {}
        for _number, row in rows:
            values = self._values(row, present)
            # Raw ids rather than objects: the related-object descriptors cost more than the
            # rest of building a row, at 10,000 rows.
            values["cohort_id"] = cohorts[row["entry_year"]].pk
            values["school_class_id"] = classes[(row["entry_year"], row["class_name"])].pk
            student = existing.get(row["student_no"])
            if student is None:
                creations.append(
                    Student(
                        school_id=school.pk, student_no=row["student_no"], updated_at=now, **values
                    )
                )
                continue
            ids[student.student_no] = student.pk
            if all(getattr(student, attr) == value for attr, value in values.items()):
                continue  # unchanged: no write, no history entry
            for attr, value in values.items():
                setattr(student, attr, value)
            student.updated_at = now
            update_fields.update(values)
            changed.append(student)
        if "id_number" in update_fields:
            update_fields.add("id_number_hash")
        # Both backends return the new primary keys, so no query is needed to find them.
        for student in tracked_bulk_create(Student, creations, by=by, reason=IMPORT_REASON):
            ids[student.student_no] = student.pk
        tracked_bulk_update(Student, changed, sorted(update_fields), by=by, reason=IMPORT_REASON)

        new_identifications = []
        by_id = by.pk if by is not None else None
        if target is not None:
            proposed = {
                (i.student_id, i.category): i
                for i in Identification.objects.filter(
                    semester=target, state=Identification.State.PROPOSED, student__school=school
                )
            }
            approving = []
            for _number, row in rows:
                source = row.get("source") or Identification.Source.SCHOOL
                for category in row.get("categories") or []:
                    if (row["student_no"], category) in identified:
                        continue
                    pending = proposed.get((ids[row["student_no"]], category))
                    if pending is not None:
                        pending.state = Identification.State.APPROVED
                        pending.approved_by, pending.approved_at = by, now
                        approving.append(pending)
                        continue
                    new_identifications.append(
                        Identification(
                            student_id=ids[row["student_no"]],
                            semester_id=target.pk,
                            category=category,
                            source=source,
                            state=Identification.State.APPROVED,
                            proposed_by_id=by_id,
                            approved_by_id=by_id,
                            approved_at=now,
                        )
                    )
            tracked_bulk_create(Identification, new_identifications, by=by, reason=IMPORT_REASON)
            tracked_bulk_update(
                Identification,
                approving,
                ["state", "approved_by", "approved_at"],
                by=by,
                reason=IMPORT_REASON,
            )
        return {
            "new": len(creations),
            "changed": len(changed),
            "identifications": len(new_identifications),
        }


# The import's paths: the one kept first, then the one it is compared with.
KEPT = "StudentResource"
PATHS = {
    KEPT: "students.resources.StudentsSheet",
    "hand-written": "bench.imports.HandWrittenStudentsSheet",
}


@contextlib.contextmanager
def students_sheet(path: str) -> Iterator[None]:
    """The import service with `path` as the students' sheet, for the time of a figure."""
    from imports import services

    kept = services.SHEETS["students"]
    services.SHEETS["students"] = path
    try:
        yield
    finally:
        services.SHEETS["students"] = kept


def import_once(data: bytes, school: Any, *, expect: dict[str, int]) -> None:
    from imports.services import import_file

    plan, _result = import_file(
        kind="students",
        file=io.BytesIO(data),
        name="学生名册.xlsx",
        school=school,
        semester_code=SEMESTER,
    )
    if plan.errors:
        raise SystemExit(f"the benchmark file has errors: {[str(e) for e in plan.errors[:5]]}")
    got = {action: plan.count(action) for action in expect}
    if got != expect:
        raise SystemExit(f"expected {expect}, the plan says {got}")


def timings(data: bytes, rows: int) -> list[Figure]:
    """Best of REPEATS for the floor and, on each path, the import into an empty school and
    importing the same file again."""
    from students.models import Cohort, SchoolClass

    floor_school = empty_school("FLOOR")
    cohorts = {year: Cohort.objects.create(school=floor_school, entry_year=year) for year in GRADES}
    classes = {
        (year, f"{grade}({k})班"): SchoolClass.objects.create(
            school=floor_school, cohort=cohorts[year], name=f"{grade}({k})班"
        )
        for year, grade in GRADES.items()
        for k in range(1, CLASSES_PER_GRADE + 1)
    }
    floor = []
    for _ in range(REPEATS):
        floor.append(timed(lambda: floor_work(data, floor_school, cohorts, classes)))
        floor_school.students.all()._raw_delete(using="default")

    figures = [Figure("floor: openpyxl read-only + bulk_create", min(floor), rows, runs=len(floor))]
    school = empty_school("BENCH")
    new = {"new": rows, "changed": 0, "unchanged": 0}
    same = {"new": 0, "changed": 0, "unchanged": rows}
    for name, path in PATHS.items():
        first: list[float] = []
        again: list[float] = []
        with students_sheet(path):
            for _ in range(REPEATS):
                first.append(timed(lambda: import_once(data, school, expect=new)))
                # A re-import far too slow to meet the goals is not repeated: it would only
                # add minutes to the run.
                if not again or min(again) < SLOW:
                    again.append(timed(lambda: import_once(data, school, expect=same)))
                clear(school)
        gated = name == KEPT
        figures += [
            Figure(
                f"{name}: into an empty school", min(first), rows, min(floor), len(first), gated
            ),
            Figure(f"{name}: the same file again", min(again), rows, min(floor), len(again), gated),
        ]
    return figures


RUN = "under the lock: the Resource's real run, checking again"


def breakdown(data: bytes, rows: int) -> list[tuple[str, float]]:
    """Where one import into an empty school goes on the kept path, as `import_file` does it:
    reading, the plan (the Resource's dry run) before the write lock, and under it the
    Resource's real run, which checks the rows again, of which the audited bulk writes (rows
    and their history)."""
    from django.db import transaction

    from aidcase import sheet_resources
    from aidcase.spreadsheets import parse, read_table
    from students import student_resource
    from students.resources import StudentsSheet
    from students.services import semester_create

    school = empty_school("PARTS")
    sheet = StudentsSheet()
    writes = [0.0]

    def timed_writes(write: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return write(*args, **kwargs)
            finally:
                writes[0] += time.perf_counter() - start

        return wrapper

    parts: dict[str, float] = {}
    start = time.perf_counter()
    parsed = parse(read_table(io.BytesIO(data), sheet.columns, name="学生名册.xlsx"), sheet.columns)
    parts["read the file and parse every cell"] = time.perf_counter() - start
    start = time.perf_counter()
    sheet.plan(parsed, school=school, semester=None, by=None)
    parts["plan: the Resource's dry run (before the lock)"] = time.perf_counter() - start
    # The writes are the shared base's (the students) and the Resource's own (identifications).
    modules = (sheet_resources, student_resource)
    names = ("tracked_bulk_create", "tracked_bulk_update")
    saved = [(module, name, getattr(module, name)) for module in modules for name in names]
    for module, name, write in saved:
        setattr(module, name, timed_writes(write))
    try:
        with transaction.atomic():
            start = time.perf_counter()
            semester = semester_create(school=school, code=SEMESTER)
            result = sheet.plan(parsed, school=school, semester=semester, by=None, run=True).apply()
            parts[RUN] = time.perf_counter() - start
    finally:
        for module, name, write in saved:
            setattr(module, name, write)
    parts["  of which the audited bulk writes"] = writes[0]
    parts["  of which the library's row loop and the rest"] = parts[RUN] - writes[0]
    if result["new"] != rows:
        raise SystemExit(f"expected {rows} new students, the import says {result}")
    clear(school)
    parts.update(shared_strings(data))
    return list(parts.items())


def shared_strings(data: bytes) -> dict[str, float]:
    """The one part of the reading done without the library (README "Importing…"): the
    file's shared strings as openpyxl reads them and as `aidcase.sheetfiles` does, best of
    REPEATS each, and the same strings both ways."""
    from openpyxl.reader.strings import read_string_table

    from aidcase import sheetfiles

    readers = {"openpyxl": read_string_table, "kept": sheetfiles.shared_strings}
    times: dict[str, list[float]] = {name: [] for name in readers}
    results = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for _ in range(REPEATS):
            for name, read in readers.items():
                with archive.open("xl/sharedStrings.xml") as source:
                    start = time.perf_counter()
                    results[name] = list(read(source))
                    times[name].append(time.perf_counter() - start)
    if results["openpyxl"] != results["kept"]:
        raise SystemExit("the shared strings read here differ from openpyxl's")
    return {
        f"shared strings ({len(results['kept']):,}): openpyxl's reader": min(times["openpyxl"]),
        "shared strings: read here, as kept (same strings)": min(times["kept"]),
    }


def breakdown_lines(parts: Sequence[tuple[str, float]]) -> list[str]:
    return [f"{what:<52} {seconds:>8.3f}" for what, seconds in parts]


# Memory is measured in a fresh process for each figure: its peak resident size (VmHWM,
# reset just before the work) is an honest high-water mark, where tracemalloc would slow the
# work down and miss what C code allocates.


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(database: Path, path: Path, mode: str, rows: int) -> None:
    from bench import setup_django

    setup_django(database, migrate=False)
    import openpyxl
    from django.db import transaction

    data = path.read_bytes()
    school = empty_school(f"MEM{os.getpid()}")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current size
    before = _status_kib("VmRSS")
    if mode == "import":
        with transaction.atomic():
            import_once(data, school, expect={"new": rows})
            transaction.set_rollback(True)
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=mode == "read-only")
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            for _value in row:
                pass
    print(json.dumps({"before": before, "peak": _status_kib("VmHWM")}))


MEMORY = (
    ("read the file, read-only mode", "read-only"),
    ("read the file, normal mode (for contrast)", "normal"),
    ("import", "import"),
)


def memory(database: Path, files: dict[int, Path]) -> list[tuple[str, int, float]]:
    """(what, rows, MiB above the process's size before the work) for each file."""
    measured = []
    for what, mode in MEMORY:
        for rows, path in sorted(files.items()):
            command = [sys.executable, "-m", "bench.imports", str(database), str(path), mode]
            output = subprocess.run(  # noqa: S603 — this interpreter, this module
                [*command, str(rows)], check=True, capture_output=True, text=True
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            measured.append((what, rows, (result["peak"] - result["before"]) / 1024))
    return measured


if __name__ == "__main__":
    memory_child(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
