"""Pairings on django-import-export: PairingResource's dry run (the preview's new / changed /
unchanged and changed columns), its all-or-nothing real run with history, the plan's
queries, and the superuser's import and export in the admin."""

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pytest
import tablib

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table
from imports.services import import_file
from pairing.models import Pairing
from pairing.resources import PairingResource, PairingsSheet
from pairing.services import pairings_imported
from students.models import Category, Identification, Role, Semester
from tests import admin_imports, factories
from tests.pairing.test_pairings_sheet import xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "学籍号", "类别", "开始日期", "结束日期", "学科"]
START = dt.date(2025, 9, 1)


@pytest.fixture
def term(school):
    return factories.SemesterFactory(school=school, code="2025-2026-1")


@pytest.fixture
def teacher(school):
    return factories.make_user(Role.TEACHER, school=school, user__username="T001")


@pytest.fixture
def students(school, term):
    """Three students identified as left-behind and struggling in the pairings' semester."""
    found = []
    for n in (1, 2, 3):
        student = factories.StudentFactory(school=school, student_no=f"G00{n}")
        for category in (Category.LEFT_BEHIND, Category.STRUGGLING):
            factories.IdentificationFactory(student=student, semester=term, category=category)
        found.append(student)
    return found


def raw_dataset(*rows: Sequence[Any]) -> tablib.Dataset:
    """A dataset as the admin's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append([*row, *[None] * (len(HEADERS) - len(row))])
    return data


def counts() -> dict[str, int]:
    models = (Pairing, Identification, Semester)
    return {model.__name__: model.objects.count() for model in models}


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_columns(
    school, teacher, students
):
    # given two pairings already imported
    rows = [("T001", "G001", "留守", START), ("T001", "G002", "学困", START, None, "数学")]
    import_file(kind="pairings", file=io.BytesIO(xlsx(rows)), school=school)
    before = counts()
    resource = PairingResource(school=school)

    # when a file with one of them ended and a new one is dry-run
    result = resource.import_data(
        raw_dataset(
            ("T001", "G001", "留守", "2025-09-01"),
            ("T001", "G002", "学困", "2025-09-01", "2026-01-20", "语文"),
            ("T001", "G003", "留守", "2025-09-01"),
        ),
        dry_run=True,
    )

    # then the library's row results say what each row would do, with the changed columns
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [(row.import_type, row.changed_columns) for row in result.rows] == [
        ("skip", []),
        ("update", ["结束日期", "学科"]),
        ("new", []),
    ]
    assert [row.object_repr for row in result.rows] == [
        "T001 G001 留守 2025-09-01",
        "T001 G002 学困 2025-09-01",
        "T001 G003 留守 2025-09-01",
    ]
    # and nothing is written, and the pairing read keeps what is stored
    assert counts() == before
    ended = Pairing.objects.get(student__student_no="G002")
    assert (ended.end, ended.subject) == (None, "数学")
    assert resource.existing[(teacher.pk, ended.student_id, "struggling", START)].end is None


def test_a_failed_row_saves_nothing(school, teacher, students, other_school):
    # given a student of another school
    factories.StudentFactory(school=other_school, student_no="X001")
    before = counts()

    # when a file with two good rows and a row for that student is imported for real
    result = PairingResource(school=school).import_data(
        raw_dataset(
            ("T001", "G001", "留守", "2025-09-01"),
            ("T001", "X001", "留守", "2025-09-01"),
            ("T001", "G002", "学困", "2025-09-01"),
        ),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and no row is saved
    assert [row.import_type for row in result.rows] == ["new", "invalid", "new"]
    assert result.invalid_rows[0].error.messages == [
        "第 3 行「学籍号」：该学籍号属于其他学校的学生"
    ]
    assert counts() == before


def test_history_names_the_import_and_who_made_it(school, teacher, students):
    # given an aid-office account and an ended pairing imported by it
    office = factories.make_user(Role.OFFICE, school=school)
    import_file(
        kind="pairings",
        file=io.BytesIO(xlsx([("T001", "G001", "学困", START, "2026-01-20", "数学")])),
        school=school,
        by=office,
    )

    # when a file changes its subject, and adds a pairing from a term the school never entered
    rows: list[tuple[Any, ...]] = [
        ("T001", "G001", "学困", START, "2026-01-20", "语文"),
        ("T001", "G002", "留守", dt.date(2025, 3, 1), "2025-12-31"),
    ]
    plan, result = import_file(
        kind="pairings", file=io.BytesIO(xlsx(rows)), school=school, by=office
    )

    # then the changed pairing, the new one, the semester and identification filled in are saved
    assert plan.errors == []
    assert result == {"new": 1, "changed": 1, "identifications": 1, "semesters": 1}
    changed = Pairing.objects.get(student__student_no="G001")
    assert [(h.history_type, h.subject) for h in changed.history.order_by("history_id")] == [
        ("+", "数学"),
        ("~", "语文"),
    ]
    assert Semester.objects.filter(school=school, code="2024-2025-2").exists()
    # and every bulk write is in the history with the import's reason and the account
    entries = [*Pairing.history.all(), *Identification.history.filter(source="pairing_list")]
    assert len(entries) == 4
    assert {(e.history_change_reason, e.history_user_id) for e in entries} == {
        (IMPORT_REASON, office.pk)
    }


def plan_of(school, rows: Sequence[Sequence[Any]]):
    sheet = PairingsSheet()
    parsed = parse(read_table(io.BytesIO(xlsx(rows)), sheet.columns, name="x.xlsx"), sheet.columns)
    return sheet.plan(parsed, school=school, semester=None, by=None)


@pytest.mark.parametrize("n", [5, 50])
def test_a_plan_makes_the_same_queries_for_any_size(
    school, term, teacher, n, django_assert_num_queries
):
    # given n identified students, half of them paired, one pairing to end
    for i in range(n):
        student = factories.StudentFactory(school=school, student_no=f"G{i:03d}")
        factories.IdentificationFactory(student=student, semester=term)
    paired = [("T001", f"G{i:03d}", "留守", START) for i in range(0, n, 2)]
    import_file(kind="pairings", file=io.BytesIO(xlsx(paired)), school=school)
    rows = [("T001", f"G{i:03d}", "留守", START) for i in range(n)]
    rows[0] = (*rows[0], "2025-12-31")

    # when / then: staff, students, semesters, pairings, the identifications of the
    # semesters covered and the refused ones, whatever the number of rows
    with django_assert_num_queries(6):
        plan = plan_of(school, rows)
    assert (plan.count("new"), plan.count("changed")) == (n // 2, 1)
    assert plan.changes[0].key == "T001 G000 留守 2025-09-01"
    assert plan.changes[0].fields == ["结束日期"]


# The superuser's admin

ADMIN = "/admin/pairing/pairing/"


def csv_upload(*rows: Sequence[Any]) -> io.BytesIO:
    return admin_imports.csv_upload(raw_dataset(*rows), name="结对名单.csv")


def test_the_superuser_imports_pairings_into_the_school_chosen(client, school, teacher, students):
    # given a superuser
    superuser = admin_imports.log_in_superuser(client)

    # when the superuser uploads pairings for the school, one from a term not yet identified
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(
            ("T001", "G001", "留守", "2025-09-01"),
            ("T001", "G002", "学困", "2025-03-01", "2025-12-31", "数学"),
        ),
    )

    # then the preview lists the two new rows and nothing is saved yet
    assert preview.status_code == 200
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert not Pairing.objects.exists()

    # and when the import is confirmed
    done = admin_imports.confirm(client, ADMIN, preview)

    # then the pairings are the school's, the term before is filled in, the history names
    # the superuser
    assert done.status_code == 302
    assert sorted(
        Pairing.objects.values_list("school", "student__student_no", "end", "end_reason")
    ) == [
        (school.pk, "G001", None, ""),
        (school.pk, "G002", dt.date(2025, 12, 31), "other"),
    ]
    assert Identification.objects.filter(
        source="pairing_list", semester__code="2024-2025-2", student__student_no="G002"
    ).exists()
    assert {(h.history_change_reason, h.history_user_id) for h in Pairing.history.all()} == {
        (IMPORT_REASON, superuser.pk)
    }


def test_the_admin_preview_lists_the_rows_errors_and_offers_no_confirmation(
    client, school, teacher, students
):
    # given
    admin_imports.log_in_superuser(client)

    # when the file has an unknown category and a repeated pairing
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(
            ("T001", "G001", "孤儿", "2025-09-01"),
            ("T001", "G002", "留守", "2025-09-01"),
            ("T001", "G002", "留守", "2025-09-01"),
        ),
    )

    # then each row's problems are shown in Chinese and there is nothing to confirm
    result = preview.context["result"]
    assert [row.error.messages for row in result.invalid_rows] == [
        [
            "第 2 行「类别」：无法识别的类别“孤儿”，可填：留守、留守学生、贫困、家庭经济困难、"
            "家庭经济困难学生、建档立卡、学困、学习困难、学习困难学生、问题、问题学生"
        ],
        ["第 4 行「工号、学籍号、类别、开始日期」：与第 3 行重复"],
    ]
    assert "confirm_form" not in preview.context
    assert not Pairing.objects.exists()


def test_the_superuser_exports_a_schools_pairings(client, school, teacher, students):
    # given a pairing of the school, one of another
    rows = [("T001", "G001", "学困", START, "2025-12-31", "数学")]
    import_file(kind="pairings", file=io.BytesIO(xlsx(rows)), school=school)
    factories.PairingFactory()
    admin_imports.log_in_superuser(client)

    # when the superuser exports the school's pairings as CSV
    header, *lines = admin_imports.export_lines(client, ADMIN, school=school)

    # then they come with the sheet's headers and cells, as the import reads them
    assert header.split(",") == HEADERS
    assert lines == ["T001,G001,学困,2025-09-01,2025-12-31,数学"]


def test_an_import_that_writes_pairings_tells_the_floors_above(school, teacher, students):
    # given a receiver of the pairings import's signal (visits keeps its duty status by it)
    heard: list[Any] = []

    def listen(sender: Any, school: Any, **kwargs: Any) -> None:
        heard.append(school)

    pairings_imported.connect(listen)
    office = factories.make_user(Role.OFFICE, school=school)
    try:
        # when a file of pairings is imported, and again unchanged
        for _ in range(2):
            import_file(
                kind="pairings",
                file=io.BytesIO(xlsx([("T001", "G001", "学困", START, "", "数学")])),
                school=school,
                by=office,
            )
    finally:
        pairings_imported.disconnect(listen)
    # then the school is named once: the second import wrote nothing
    assert heard == [school]
