"""Bulk writes keep the same history django-simple-history would write for them: each row's
values (an encrypted ID number included), when, who, why and how, copied by the database."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidcase.audit import (
    COMMAND_LINE_IMPORT_REASON,
    IMPORT_REASON,
    tracked_bulk_create,
    tracked_bulk_update,
)
from students.models import Role, Student
from tests import factories
from tests.helpers import id_number

pytestmark = pytest.mark.django_db


def unsaved(school, n: int) -> Student:
    cohort = factories.CohortFactory(school=school)
    return Student(
        school=school,
        cohort=cohort,
        student_no=f"H{n:05d}",
        name=f"学生{n}",
        gender=Student.Gender.FEMALE,
        birth_date=dt.date(2012, 9, 15),
        id_number=id_number(f"5201022012{n // 100 % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"),
    )


def test_created_rows_get_their_history_with_who_and_why():
    school = factories.SchoolFactory()
    office = factories.make_user(Role.OFFICE, school=school)
    rows = [unsaved(school, n) for n in range(1, 4)]

    created = tracked_bulk_create(Student, rows, by=office, reason=IMPORT_REASON)

    history = Student.history.order_by("id")
    assert [h.id for h in history] == [s.pk for s in created]
    for entry, student in zip(history, created, strict=True):
        assert entry.history_type == "+"
        assert entry.history_user == office
        assert entry.history_change_reason == IMPORT_REASON
        # every field as the row holds it, the ID number decrypted again
        for field in Student._meta.concrete_fields:
            assert getattr(entry, field.attname) == getattr(student, field.attname), field.name
        assert entry.id_number == student.id_number != ""


def test_updated_rows_get_a_change_entry_with_the_new_values():
    school = factories.SchoolFactory()
    rows = tracked_bulk_create(Student, [unsaved(school, 1)], by=None, reason=IMPORT_REASON)
    rows[0].name = "改过的名字"

    tracked_bulk_update(Student, rows, ["name"], by=None, reason=IMPORT_REASON)

    latest = Student.history.latest("history_id")
    assert (latest.history_type, latest.name) == ("~", "改过的名字")
    assert latest.history_user is None
    assert latest.history_change_reason == COMMAND_LINE_IMPORT_REASON
    assert latest.history_date > Student.history.earliest("history_id").history_date


def test_the_history_of_many_rows_takes_a_statement_per_500():
    school = factories.SchoolFactory()
    rows = [unsaved(school, n) for n in range(1, 1201)]

    with CaptureQueriesContext(connection) as queries:
        tracked_bulk_create(Student, rows, by=None, reason=IMPORT_REASON)

    table = Student.history.model._meta.db_table
    copies = [q["sql"] for q in queries if q["sql"].lstrip().startswith("INSERT INTO")]
    assert len([sql for sql in copies if table in sql.split("(")[0]]) == 3
    assert Student.history.count() == 1200


def test_a_row_naming_its_own_history_keeps_it():
    school = factories.SchoolFactory()
    row = unsaved(school, 1)
    row._change_reason = "单独的原因"

    tracked_bulk_create(Student, [row], by=None, reason=IMPORT_REASON)

    assert Student.history.get().history_change_reason == "单独的原因"
