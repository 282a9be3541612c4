"""Tools of the access matrix (tests/aidcase/test_access_matrix.py): the URL conf walker, the
world every role is tried against, what a response shows as text, and a fingerprint of the
database that a refused request must leave alone.

This module is also a URL conf: the app's routes plus one that no matrix entry describes, for
the test showing that such a route fails the check (`override_settings(ROOT_URLCONF=...)`).
"""

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.utils import timezone
from django.utils.timezone import localdate
from PIL import Image
from pypdf import PdfReader

from aidcase.audit import access_record
from aidcase.models import AccessLog
from assessment import reports
from assessment.models import Score, SheetExport
from assessment.services import questionnaires_issue, sheets_compute
from pairing.models import Pairing
from students.models import Category, Identification, Role
from students.selectors import previous_semester_code
from tests import factories
from tests.helpers import id_number
from visits.models import ActivityLog, Exam, HolidayWeek, Incident, IncidentType, Kind, Reminder
from visits.photos import photos_add

# Logout only accepts POST and, for a visitor who is not logged in, just lands on login.
# The questionnaire's one-time link is answered without an account (its token is the key).
# The service worker and the app's manifest hold no data (the worker keeps only what a
# teacher's page gives it).
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "questionnaire_answer",
    "questionnaire_thanks",
    "service_worker",
    "manifest",
}


def routes(patterns=None, prefix=""):
    """(name, pattern) of every route of the URL conf in use, Django's admin left out."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin has its own login
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def matrix_gaps(described: Iterable[str], *, where: str = "MATRIX") -> list[str]:
    """What keeps the matrix from describing the URL conf in use, one sentence each: a
    route without an entry, an entry naming no route."""
    live: dict[str, list[str]] = {}
    for name, pattern in routes():
        live.setdefault(name or "", []).append(pattern)
    described = set(described)
    gaps = [
        f"route {name!r} ({', '.join(sorted(patterns))}) has no entry in {where}: say which "
        "roles may open it and what its URL names, so that it is tried against every role"
        for name, patterns in sorted(live.items())
        if name not in described
    ]
    gaps += [
        f"{where} entry {name!r} names no route of the URL conf: remove it or fix its name"
        for name in sorted(described - set(live))
    ]
    return gaps


def _unmapped(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [
    path("", include("aidcase.urls")),
    path("unmapped/<int:pk>/", _unmapped, name="unmapped_for_the_meta_test"),
]


# ---------------------------------------------------------------------------------------
# The world


@dataclass
class Side:
    """What one teacher holds at a school: their student and everything recorded about
    them, with the school-wide records (semester, calendar, export) of that school."""

    school: Any
    semester: Any
    office: User
    principal: User
    teacher: User
    school_class: Any
    student: Any
    pairing: Any
    log: Any
    photo: Any
    incident: Any
    proposed: Any  # an identification waiting for the office's review
    sheet: Any
    export: Any
    holiday: Any
    exam: Any
    token: str  # the questionnaire link of the pairing
    reminders: dict[str, Any]  # by role of the school: each user's own reminder

    @property
    def staff(self) -> Any:
        return self.teacher.profile


@dataclass
class World:
    """School A (county X): teacher T1 with student S1 (side "a1") and teacher T2 with S2
    (side "a2"), the office and the principal, and S3 who has no helper yet. School B in the
    same county and school C in county Y, each with the same records (sides "b", "c"). The
    county viewer and the county administrator see county X in aggregates; the administrator
    manages its schools' office and principal accounts."""

    sides: dict[str, Side]
    county_viewer: User
    county_admin: User
    students: list[Any]  # every student of the world
    sessions: dict[str, str] = field(default_factory=dict)  # role → session key

    @property
    def own(self) -> Side:
        return self.sides["a1"]

    def actor(self, role: str) -> User:
        if role == "county":
            return self.county_viewer
        if role == "county_admin":
            return self.county_admin
        return getattr(self.own, role)

    def visible(self, role: str) -> set[int]:
        """The pks of the students the role's actor may see."""
        if role == "teacher":
            return {self.own.student.pk}
        if role in ("office", "principal"):
            return {s.pk for s in self.students if s.school_id == self.own.school.pk}
        return set()

    def hidden(self, role: str) -> list[Any]:
        return [s for s in self.students if s.pk not in self.visible(role)]

    def outsiders(self, role: str, *, public: bool = False) -> list[str]:
        """Names no page shows the role: the schools out of its reach and their staff; for
        the county viewer and administrator, whose pages are aggregates and accounts, every
        teacher's name too (except on a public page, such as the questionnaire's, which names
        its teacher to anyone)."""
        if role in ("county", "county_admin"):
            out = [self.sides["c"]]
            teachers = [] if public else [side.teacher for side in self.sides.values()]
        else:
            out = [self.sides["b"], self.sides["c"]]
            teachers = []
        staff = {user for side in out for user in (side.teacher, side.office, side.principal)}
        return [side.school.name for side in out] + sorted(
            user.profile.name for user in staff | set(teachers)
        )


# Distinctive names and 学籍号 (unique from their first three characters), so that finding
# one in a page means the student is on it; and the first 17 characters of an ID number.
NAMES = {
    "a1": ("欧阳晓岚", "G11520300001", "52010120120101511"),
    "a2": ("司马云帆", "G22520300002", "52010120120101522"),
    "a3": ("慕容雪松", "G33520300003", "52010120120101533"),
    "b": ("诸葛青禾", "G44520300004", "52010120120101544"),
    "c": ("上官星澜", "G55520300005", "52010120120101555"),
}

TEACHERS = {"a1": "钟离秋实", "a2": "东方既白", "b": "公孙长风", "c": "令狐清远"}


def _jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("visit.jpg", buffer.getvalue(), content_type="image/jpeg")


def _monday_after(day: dt.date, weeks: int) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=weeks)


def _school(code: str, county: str, *, today: dt.date) -> dict[str, Any]:
    school = factories.SchoolFactory(
        code=code, name=f"{county}{code}中学", county=factories.CountyFactory(name=county)
    )
    semester = factories.SemesterFactory(school=school)
    previous = factories.SemesterFactory(school=school, code=previous_semester_code(semester.code))
    start = semester.start
    return {
        "school": school,
        "semester": semester,
        "previous": previous,
        "cohort": factories.CohortFactory(school=school, entry_year=today.year - 2),
        "office": factories.make_user(Role.OFFICE, school=school, name=f"{county}{code}资助办"),
        "principal": factories.make_user(Role.PRINCIPAL, school=school, name=f"{county}{code}校长"),
        "holiday": HolidayWeek.objects.create(
            school=school, monday=_monday_after(start, 5), note="国庆节"
        ),
        "exam": Exam.objects.create(
            school=school,
            semester=semester,
            name="期中考试",
            date=_monday_after(start, 9) + dt.timedelta(days=2),
        ),
    }


def _student(at: dict[str, Any], key: str, school_class: Any = None) -> Any:
    name, number, first17 = NAMES[key]
    student = factories.StudentFactory(
        school=at["school"],
        cohort=at["cohort"],
        school_class=school_class,
        name=name,
        student_no=number,
        id_number=id_number(first17),
        birth_date=dt.date(2012, 1, 1),
        guardian_name=f"{name[:2]}家长",
    )
    for semester, score in ((at["previous"], "80"), (at["semester"], "90")):
        Score.objects.create(student=student, semester=semester, score=Decimal(score))
    return student


def _side(at: dict[str, Any], key: str, *, today: dt.date) -> dict[str, Any]:
    teacher = factories.make_user(Role.TEACHER, school=at["school"], name=TEACHERS[key])
    school_class = factories.SchoolClassFactory(
        school=at["school"], cohort=at["cohort"], name=f"{key}班", homeroom_teacher=teacher
    )
    student = _student(at, key, school_class)
    pairing: Pairing = factories.PairingFactory(
        school=at["school"], student=student, teacher=teacher, category=Category.LEFT_BEHIND
    )
    ActivityLog.objects.create(
        pairing=pairing, author=teacher, kind=Kind.TALK, date=today, content="谈心：学习和生活"
    )
    log = ActivityLog.objects.create(
        pairing=pairing,
        author=teacher,
        kind=Kind.HOME_VISIT,
        date=today,
        content="家访，了解家庭情况",
        visit_place="家中",
    )
    [photo] = photos_add(log=log, uploads=[_jpeg()], by=teacher)
    # The teacher's account is locked out, and the office opened the student's record.
    AccessAttempt.objects.create(
        username=teacher.username,
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    access_record(user=at["office"], action=AccessLog.Action.STUDENT_VIEW, student=student)
    incident = Incident.objects.create(
        student=student, date=today, type=IncidentType.SKIPPING, recorded_by=teacher
    )
    proposed = Identification.objects.create(
        student=student,
        semester=at["semester"],
        category=Category.POOR,
        state=Identification.State.PROPOSED,
        proposed_by=at["office"],
    )
    reminders = {
        role: Reminder.objects.create(
            user=user,
            kind=kind,
            period=period,
            subject="帮扶提醒",
            body=f"{student.name}：谈心待完成" if role == "teacher" else "本周帮扶汇总",
            due=1,
            overdue=1,
            run=uuid.uuid4(),
        )
        for role, user, kind, period in (
            ("teacher", teacher, Reminder.Kind.TEACHER_DIGEST, today),
            ("office", at["office"], Reminder.Kind.TEACHER_DIGEST, today),
            ("principal", at["principal"], Reminder.Kind.PRINCIPAL_WEEKLY, _monday_after(today, 0)),
        )
        if not Reminder.objects.filter(user=user, kind=kind, period=period).exists()
    }
    return {
        "teacher": teacher,
        "school_class": school_class,
        "student": student,
        "pairing": pairing,
        "log": log,
        "photo": photo,
        "incident": incident,
        "proposed": proposed,
        "reminders": reminders,
    }


def _finish(at: dict[str, Any], parts: list[dict[str, Any]], media: Path) -> list[Side]:
    """The school's sheets, its questionnaire links and a finished ZIP export of the sheets."""
    school, semester = at["school"], at["semester"]
    tokens = {
        questionnaire.pairing_id: token
        for questionnaire, token in questionnaires_issue(
            school=school, semester=semester, by=at["office"]
        )
    }
    sheets = {s.teacher_id: s for s in sheets_compute(school=school, semester=semester, by=None)}
    name = Path("exports") / str(school.pk) / f"{uuid.uuid4().hex}.zip"
    (media / name).parent.mkdir(parents=True, exist_ok=True)
    with (media / name).open("wb") as out:
        reports.write_sheets_zip(sheets=sheets.values(), exported_by="资助办", out=out)
    export = SheetExport.objects.create(
        school=school,
        semester=semester,
        requested_by=at["office"],
        state=SheetExport.State.DONE,
        done=len(sheets),
        total=len(sheets),
        file=str(name),
        finished_at=timezone.now(),
    )
    first_reminders = parts[0]["reminders"]
    return [
        Side(
            school=school,
            semester=semester,
            office=at["office"],
            principal=at["principal"],
            holiday=at["holiday"],
            exam=at["exam"],
            export=export,
            sheet=sheets[part["teacher"].pk],
            token=tokens[part["pairing"].pk],
            **{k: v for k, v in part.items() if k != "reminders"},
            # The office's and the principal's reminders are the school's first side's.
            reminders={**first_reminders, "teacher": part["reminders"]["teacher"]},
        )
        for part in parts
    ]


def build_world(*, media: Path) -> World:
    """Everything the matrix needs, in two seconds or so: one school of two teachers, another
    school of the same county, a school of another county, a county viewer and a county
    administrator."""
    today = localdate()
    a = _school("A001", "甲县", today=today)
    a1, a2 = _side(a, "a1", today=today), _side(a, "a2", today=today)
    s3 = _student(a, "a3")  # identified, waiting for a helper: on the office's lists
    Identification.objects.create(
        student=s3,
        semester=a["semester"],
        category=Category.POOR,
        state=Identification.State.APPROVED,
        approved_at=timezone.now(),
    )
    b = _school("B002", "甲县", today=today)
    c = _school("C003", "乙县", today=today)
    side_a1, side_a2 = _finish(a, [a1, a2], media)
    [side_b] = _finish(b, [_side(b, "b", today=today)], media)
    [side_c] = _finish(c, [_side(c, "c", today=today)], media)
    viewer = factories.make_user(Role.COUNTY, county=a["school"].county, name="甲县教育局")
    admin = factories.make_user(Role.COUNTY_ADMIN, county=a["school"].county, name="甲县管理员")
    sides = {"a1": side_a1, "a2": side_a2, "b": side_b, "c": side_c}
    students = [side.student for side in sides.values()] + [s3]
    return World(sides=sides, county_viewer=viewer, county_admin=admin, students=students)


# ---------------------------------------------------------------------------------------
# Reading responses

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_of(response: Any) -> bytes:
    # The test client closes a streamed response once its content is read, as a server
    # would; closing it here as well would close the database connection of the test.
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _xlsx_text(data: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return "\n".join(
            f"{sheet.title}\n"
            + "\n".join(
                str(value)
                for row in sheet.iter_rows(values_only=True)
                for value in row
                if value is not None
            )
            for sheet in workbook.worksheets
        )
    finally:
        workbook.close()


def _zip_text(data: bytes) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            parts.append(member)
            parts.append(_file_text(member, archive.read(member)))
    return "\n".join(parts)


def _file_text(name: str, data: bytes, content_type: str = "") -> str:
    if content_type.startswith("application/pdf") or name.endswith(".pdf"):
        return _pdf_text(data)
    if content_type.startswith(XLSX) or name.endswith(".xlsx"):
        return _xlsx_text(data)
    if content_type.startswith("application/zip") or name.endswith(".zip"):
        return _zip_text(data)
    if content_type.startswith("image/") or name.endswith((".jpg", ".png", ".webp")):
        return ""
    return data.decode("utf-8", errors="replace")


def shown_text(response: Any) -> str:
    """All the text a response shows, without whitespace (PDF lines wrap anywhere): the page
    or JSON, every cell of a workbook, the text of a PDF, each member of a ZIP (its name
    too), and the file name it downloads as."""
    content_type = response.get("Content-Type", "")
    text = _file_text("", body_of(response), content_type)
    extra = unquote(response.get("Content-Disposition", "")) + response.get("Location", "")
    return re.sub(r"\s+", "", text + extra)


def leaks(text: str, students: Iterable[Any]) -> list[str]:
    """Each student whose name, 学籍号 or ID number the text shows."""
    return [
        f"{student.name}（{student.student_no}）"
        for student in students
        if student.name in text
        or student.student_no in text
        or (student.id_number and student.id_number in text)
    ]


def unmasked(text: str, students: Iterable[Any]) -> list[str]:
    """Each student whose whole ID number the text shows."""
    return [
        f"{student.name}（{student.id_number}）"
        for student in students
        if student.id_number and student.id_number in text
    ]


# ---------------------------------------------------------------------------------------
# The database's fingerprint

# Sessions change on every request (messages live in the session); nothing else may change
# when a request is refused.
UNWATCHED_APPS = {"sessions"}


def _watched_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in UNWATCHED_APPS and model._meta.managed
    )


def fingerprint(objects: Iterable[Any] = ()) -> tuple[Any, ...]:
    """Row counts of every table in one query, and every field of the given objects (a
    staff profile with its user's)."""
    quote = connection.ops.quote_name
    tables = _watched_tables()
    # The table names are the models' own, quoted: nothing of a request reaches the query.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(zip(tables, cursor.fetchone(), strict=True))
    rows = [_row(obj) for obj in _with_users(objects)]
    return counts, rows


def _with_users(objects: Iterable[Any]) -> Iterator[Model]:
    for obj in objects:
        if isinstance(obj, Model):
            yield obj
            user = getattr(obj, "user", None)
            if isinstance(user, User):
                yield user


def _row(obj: Model) -> dict[str, Any] | None:
    return type(obj)._base_manager.filter(pk=obj.pk).values().first()


def media_root(base: Path) -> Path:
    """Where the world's photos and exports are written (outside the repository)."""
    root = base / "media"
    root.mkdir(parents=True, exist_ok=True)
    return root
