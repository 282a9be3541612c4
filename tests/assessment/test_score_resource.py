"""Scores on django-import-export: ScoreResource's dry run (new / changed / unchanged and the
changed column), its all-or-nothing real run with history, its queries, and the superuser's
import and export in the admin."""

import io
from decimal import Decimal

import pytest
import tablib

from aidcase.audit import IMPORT_REASON
from assessment.models import Score
from assessment.resources import ScoreResource
from imports.services import import_file
from students.models import Semester
from tests import admin_imports, factories
from tests.assessment.test_scores_sheet import LAST, NEW, stored, xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["学籍号", "学期", "成绩", "科目"]


def raw_dataset(*rows: list) -> tablib.Dataset:
    """A dataset as the admin's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append(row)
    return data


@pytest.fixture
def last(school):
    return factories.SemesterFactory(school=school, code=LAST)


@pytest.fixture
def ming(school):
    return factories.StudentFactory(school=school, student_no="G001")


@pytest.fixture
def hong(school):
    return factories.StudentFactory(school=school, student_no="G002")


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_column(
    school, last, ming, hong
):
    # given two stored totals
    Score.objects.create(student=ming, semester=last, subject="", score=Decimal("400"))
    Score.objects.create(student=hong, semester=last, subject="", score=Decimal("300"))
    before = stored(school)
    resource = ScoreResource(school=school)

    # when a file with one of them changed, one the same and a new subject is dry-run
    result = resource.import_data(
        raw_dataset(
            ["G001", LAST, "410", "总分"],
            ["G002", LAST, "300.00", ""],
            ["G002", NEW, "88", "数学"],
        ),
        dry_run=True,
    )

    # then the library's row results say what each row would do, with the changed column
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [(row.import_type, row.changed_columns) for row in result.rows] == [
        ("update", ["成绩"]),
        ("skip", []),
        ("new", []),
    ]
    assert resource.creates == [f"学期：{NEW}"]
    # and nothing is written, not even the new semester
    assert stored(school) == before
    assert not Semester.objects.filter(code=NEW).exists()


def test_a_failed_row_saves_nothing(school, last, ming):
    # when a file with a good row and a row of a student not on the roster is imported
    result = ScoreResource(school=school).import_data(
        raw_dataset(["G001", NEW, "80", "数学"], ["G404", LAST, "70", ""]),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and neither a score nor a semester is saved
    assert [row.import_type for row in result.rows] == ["new", "invalid"]
    assert result.invalid_rows[0].error.messages == [
        "第 3 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册"
    ]
    assert not Score.objects.exists()
    assert not Semester.objects.filter(code=NEW).exists()


def test_history_names_the_import_and_who_made_it(school, last, ming, hong):
    # given scores imported by an aid-office account
    office = factories.UserFactory()
    import_file(
        kind="scores",
        file=io.BytesIO(xlsx(["G001", LAST, 80, ""], ["G002", LAST, 70, ""])),
        school=school,
        by=office,
    )

    # when a file changes one of them
    _plan, result = import_file(
        kind="scores",
        file=io.BytesIO(xlsx(["G001", LAST, 85, ""], ["G002", LAST, 70, ""])),
        school=school,
        by=office,
    )

    # then every write is in the history with the import's reason and the account
    assert result == {"new": 0, "changed": 1, "semesters": 0}
    changed = Score.objects.get(student=ming)
    assert [(h.history_type, h.score) for h in changed.history.order_by("history_id")] == [
        ("+", Decimal("80")),
        ("~", Decimal("85")),
    ]
    entries = list(Score.history.all())
    assert len(entries) == 3
    assert {(e.history_change_reason, e.history_user_id) for e in entries} == {
        (IMPORT_REASON, office.pk)
    }


def test_a_changed_score_gets_a_new_updated_at_and_keeps_its_created_at(school, last, ming):
    kept = Score.objects.create(student=ming, semester=last, subject="", score=Decimal("1"))

    import_file(kind="scores", file=io.BytesIO(xlsx(["G001", LAST, 2, ""])), school=school)

    fresh = Score.objects.get()
    assert (fresh.pk, fresh.created_at, fresh.score) == (kept.pk, kept.created_at, Decimal("2"))
    assert fresh.updated_at > kept.updated_at


@pytest.mark.parametrize("size", [5, 50])
def test_the_resources_dry_run_makes_the_same_queries_for_any_size(
    school, last, size, django_assert_num_queries
):
    # given half the rows' scores stored, and a file as the admin reads it
    factories.CohortFactory(school=school, entry_year=2024)
    students = [
        factories.StudentFactory(school=school, student_no=f"P{n:04d}") for n in range(size)
    ]
    for student in students[::2]:
        Score.objects.create(student=student, semester=last, score=1)
    data = raw_dataset(*[[s.student_no, LAST, "100", ""] for s in students])

    # when / then: students, semesters, stored scores; the rest are the library's savepoints
    with django_assert_num_queries(12):
        result = ScoreResource(school=school).import_data(data, dry_run=True)
    assert [row.import_type for row in result.rows].count("update") == len(students[::2])


# The superuser's admin

ADMIN = "/admin/assessment/score/"


def csv_upload(*rows: list) -> io.BytesIO:
    return admin_imports.csv_upload(raw_dataset(*rows), name="成绩.csv")


def test_the_superuser_imports_scores_into_the_school_chosen(client, school, last, ming):
    # given a superuser
    superuser = admin_imports.log_in_superuser(client)

    # when the superuser uploads scores for the school, one in a semester it lacks
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(["G001", LAST, "85.5", "数学"], ["G001", NEW, "90", "总分"]),
    )

    # then the preview lists the two new rows and nothing is saved yet
    assert preview.status_code == 200
    assert [row.import_type for row in preview.context["result"].rows] == ["new", "new"]
    assert not Score.objects.exists()

    # and when the import is confirmed
    done = admin_imports.confirm(client, ADMIN, preview)

    # then the scores are the school's student's, the semester made, the history names the
    # superuser
    assert done.status_code == 302
    assert stored(school) == {
        ("G001", LAST, "数学", Decimal("85.5")),
        ("G001", NEW, "", Decimal("90")),
    }
    assert {(h.history_change_reason, h.history_user_id) for h in Score.history.all()} == {
        (IMPORT_REASON, superuser.pk)
    }


def test_the_admin_preview_lists_the_rows_errors_and_offers_no_confirmation(
    client, school, last, ming, other_school
):
    factories.StudentFactory(school=other_school, student_no="X001")
    admin_imports.log_in_superuser(client)

    # when the file has a score out of range, a repeated key and another school's student
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(
            ["G001", LAST, "1001", ""],
            ["G001", LAST, "80", "数学"],
            ["G001", LAST, "81", "数学"],
            ["X001", LAST, "82", "数学"],
        ),
    )

    # then each row's problems are shown in Chinese and there is nothing to confirm
    assert [row.error.messages for row in preview.context["result"].invalid_rows] == [
        ["第 2 行「成绩」：应在 0 到 1000 之间"],
        ["第 4 行「科目」：与第 3 行重复"],
        ["第 5 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册"],
    ]
    assert "confirm_form" not in preview.context
    assert not Score.objects.exists()


def test_the_superuser_exports_a_schools_scores(client, school, last, ming, other_school):
    # given a score of the school and one of another school
    Score.objects.create(student=ming, semester=last, subject="", score=Decimal("400.5"))
    Score.objects.create(
        student=factories.StudentFactory(school=other_school, student_no="X001"),
        semester=factories.SemesterFactory(school=other_school, code=LAST),
        score=Decimal("300"),
    )
    admin_imports.log_in_superuser(client)

    # when the superuser exports the school's scores as CSV
    lines = admin_imports.export_lines(client, ADMIN, school=school)

    # then the file has the sheet's headers and the school's score only, the total as 总分
    assert lines == [",".join(HEADERS), f"G001,{LAST},400.50,总分"]
