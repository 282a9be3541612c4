"""Incidents on django-import-export: IncidentResource's dry run (the preview's new /
changed / unchanged and changed columns), its all-or-nothing real run with history, the
plan's queries, and the superuser's import and export in the admin."""

import io

import pytest
import tablib

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table
from imports.services import import_file
from students.models import Role
from tests import admin_imports, factories
from tests.visits.test_incidents_sheet import DAY, SHEET, xlsx
from visits.models import Incident, IncidentType
from visits.resources import INCIDENT_TYPE_NAMES, IncidentResource

pytestmark = pytest.mark.django_db

HEADERS = ["学籍号", "日期", "类型", "说明"]


def raw_dataset(*rows: list) -> tablib.Dataset:
    """A dataset as the admin's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append(row)
    return data


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def ming(school):
    return factories.StudentFactory(school=school, student_no="G001")


@pytest.fixture
def hong(school):
    return factories.StudentFactory(school=school, student_no="G002")


def record(student, type_=IncidentType.TRUANCY, note="说明", *, by) -> Incident:
    return Incident.objects.create(student=student, date=DAY, type=type_, note=note, recorded_by=by)


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_columns(
    school, office, ming, hong
):
    # given two recorded incidents
    kept = record(ming, by=office)
    record(hong, note="旧", by=office)

    # when a file with one of them, the other with a new note and a new one is dry-run
    resource = IncidentResource(school=school, by=office)
    result = resource.import_data(
        raw_dataset(
            ["G001", "2025-09-01", "逃学", "说明"],
            ["G002", "2025/9/1", "逃学", "新"],
            ["G002", "2025年9月1日", "夜不归宿", ""],
        ),
        dry_run=True,
    )

    # then the library's row results say what each row would do, with the changed columns
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [(row.import_type, row.changed_columns) for row in result.rows] == [
        ("skip", []),
        ("update", ["说明"]),
        ("new", []),
    ]
    # and nothing is written
    assert Incident.objects.count() == 2
    assert set(Incident.objects.values_list("note", flat=True)) == {"说明", "旧"}
    assert Incident.objects.get(pk=kept.pk).note == "说明"


def test_a_bad_row_saves_nothing(school, office, ming, hong):
    # when a file with two good rows and a student of no roster is imported for real
    result = IncidentResource(school=school, by=office).import_data(
        raw_dataset(
            ["G001", DAY, "逃学", ""],
            ["G404", DAY, "逃学", ""],
            ["G002", DAY, "逃课", ""],
        ),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and no incident is saved
    assert [row.import_type for row in result.rows] == ["new", "invalid", "new"]
    assert result.invalid_rows[0].error.messages == [
        "第 3 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册"
    ]
    assert not Incident.objects.exists()


def test_history_names_the_import_and_who_made_it(school, office, ming, hong):
    # given an incident recorded on the page by someone else
    teacher = factories.make_user(Role.TEACHER, school=school)
    changed = record(ming, note="旧", by=teacher)

    # when the aid office imports a new note for it and a new incident
    _plan, result = import_file(
        kind="incidents",
        file=io.BytesIO(xlsx(["G001", DAY, "逃学", "新"], ["G002", DAY, "逃课", "第三节"])),
        school=school,
        by=office,
    )

    # then each write is in the history with the import's reason and the account, and the
    # new incident is recorded by it
    assert result == {"new": 1, "changed": 1}
    imported = Incident.history.filter(history_change_reason=IMPORT_REASON)
    assert sorted(imported.values_list("history_type", "note", "history_user_id")) == [
        ("+", "第三节", office.pk),
        ("~", "新", office.pk),
    ]
    assert Incident.objects.get(student=hong).recorded_by == office
    changed.refresh_from_db()
    assert (changed.note, changed.recorded_by) == ("新", teacher)


@pytest.mark.parametrize("size", [5, 50])
def test_a_plan_by_a_user_makes_the_same_queries_for_any_size(
    school, office, size, django_assert_num_queries
):
    # given students, half of them with an incident recorded
    factories.CohortFactory(school=school, entry_year=2024)
    students = [
        factories.StudentFactory(school=school, student_no=f"P{n:04d}") for n in range(size)
    ]
    for student in students[::2]:
        record(student, note="", by=office)
    data = xlsx(*[[s.student_no, DAY, "逃学", f"说明{n % 2}"] for n, s in enumerate(students)])
    rows = parse(read_table(io.BytesIO(data), SHEET.columns, name="x.xlsx"), SHEET.columns)

    # when / then: the school's students, its recorded incidents (the user records the rest)
    with django_assert_num_queries(2):
        plan = SHEET.plan(rows, school=school, semester=None, by=office)
    assert plan.errors == []
    assert plan.count("new") == size // 2
    assert plan.count("changed") + plan.count("unchanged") == size - size // 2


# The superuser's admin

ADMIN = "/admin/visits/incident/"


def csv_upload(*rows: list) -> io.BytesIO:
    return admin_imports.csv_upload(raw_dataset(*rows), name="违纪.csv")


def test_the_superuser_imports_incidents_for_the_school_chosen(client, school, office, ming, hong):
    # given an incident recorded, and a superuser
    record(ming, note="旧", by=office)
    superuser = admin_imports.log_in_superuser(client)

    # when the superuser uploads a file for the school
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(
            ["G001", "2025-09-01", "逃学", "新"], ["G002", "2025/9/1", "结伙打架", ""]
        ),
    )

    # then the preview lists a changed and a new row, and nothing is saved yet
    assert preview.status_code == 200
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["update", "new"]
    assert Incident.objects.count() == 1

    # and when the import is confirmed
    done = admin_imports.confirm(client, ADMIN, preview)

    # then the incidents are saved, the new one recorded by the superuser, who is named in
    # the history of both
    assert done.status_code == 302
    assert sorted(
        Incident.objects.values_list("student__student_no", "type", "note", "recorded_by")
    ) == [
        ("G001", IncidentType.TRUANCY, "新", office.pk),
        ("G002", IncidentType.GANG_FIGHT, "", superuser.pk),
    ]
    imported = Incident.history.filter(history_change_reason=IMPORT_REASON)
    assert sorted(imported.values_list("history_type", "history_user_id")) == [
        ("+", superuser.pk),
        ("~", superuser.pk),
    ]
    assert client.get(ADMIN).status_code == 200


def test_the_admin_refuses_another_schools_students(client, school, other_school):
    # given a student of another school
    factories.StudentFactory(school=other_school, student_no="X001")
    admin_imports.log_in_superuser(client)

    # when a file naming that student and a bad type is uploaded for the school
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(["X001", "2025-09-01", "逃学", ""], ["X001", "2025-09-02", "打架", ""]),
    )

    # then each row's problem is shown in Chinese and there is nothing to confirm
    result = preview.context["result"]
    assert [row.error.messages for row in result.invalid_rows] == [
        ["第 2 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册"],
        [
            f"第 3 行「类型」：无法识别的类型“打架”，可填：{'、'.join(INCIDENT_TYPE_NAMES)}",
            "第 3 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册",
        ],
    ]
    assert "confirm_form" not in preview.context
    assert not Incident.objects.exists()


def test_the_superuser_exports_a_schools_incidents(client, school, office, ming):
    # given an incident of the school, one of another school
    record(ming, IncidentType.NIGHT_OUT, "未归", by=office)
    record(factories.StudentFactory(), by=office)
    admin_imports.log_in_superuser(client)

    # when the superuser exports the school's incidents as CSV
    lines = admin_imports.export_lines(client, ADMIN, school=school)

    # then the file has the sheet's headers and the school's incident only
    assert lines == ["学籍号,日期,类型,说明", "G001,2025-09-01,夜不归宿,未归"]
