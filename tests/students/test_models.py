import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pairing.models import Pairing
from students.models import Category, Profile, Role, Semester, semester_default_dates
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2025-2026-1", dt.date(2025, 9, 1), dt.date(2026, 1, 31)),
        ("2025-2026-2", dt.date(2026, 2, 1), dt.date(2026, 7, 31)),
    ],
)
def test_semester_default_dates(code, start, end):
    assert semester_default_dates(code) == (start, end)


@pytest.mark.parametrize("code", ["2025-2027-1", "2025-2026-3", "25-26-1", "2025/2026/1", ""])
def test_bad_semester_codes_are_refused(code, school):
    semester = Semester(
        school=school, code=code, start=dt.date(2025, 9, 1), end=dt.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        semester.full_clean()
    assert "code" in error.value.message_dict


def test_semester_label_is_chinese(school):
    semester = factories.SemesterFactory(school=school, code="2025-2026-2")
    assert semester.label == "2025—2026学年第二学期"


def test_database_refuses_semester_ending_before_start(school):
    with pytest.raises(IntegrityError), transaction.atomic():
        Semester.objects.create(
            school=school, code="2025-2026-1", start=dt.date(2026, 1, 1), end=dt.date(2025, 9, 1)
        )


# A semester's teaching dates lie inside its school year (1 Aug of the first year to 31 Aug
# of the second), start before end, and term 1 ends before term 2 starts.

OUTSIDE_2025 = "学期 2025-2026-1 的日期应在 2025-08-01 至 2026-08-31 之间"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2025, 9, 1), dt.date(9999, 12, 31), "end"),
        (dt.date(2025, 9, 1), dt.date(2026, 9, 1), "end"),
        (dt.date(1, 1, 1), dt.date(2026, 1, 31), "start"),
        (dt.date(2025, 7, 31), dt.date(2026, 1, 31), "start"),
        (dt.date(2026, 9, 1), dt.date(2027, 1, 31), "start"),  # the next school year's dates
    ],
)
def test_semester_dates_outside_the_school_year_are_refused_on_the_field(school, start, end, field):
    semester = Semester(school=school, code="2025-2026-1", start=start, end=end)
    with pytest.raises(ValidationError) as error:
        semester.full_clean()
    assert error.value.message_dict[field] == [OUTSIDE_2025]


def test_semester_dates_may_fill_the_whole_school_year(school):
    semester = Semester(
        school=school, code="2025-2026-1", start=dt.date(2025, 8, 1), end=dt.date(2026, 8, 31)
    )
    semester.full_clean()


def test_term_1_must_end_before_term_2_starts(school):
    # given term 2 starting on 16 Feb
    factories.SemesterFactory(
        school=school, code="2025-2026-2", start=dt.date(2026, 2, 16), end=dt.date(2026, 7, 10)
    )
    # when term 1 is given an end on that day
    semester = Semester(
        school=school, code="2025-2026-1", start=dt.date(2025, 9, 1), end=dt.date(2026, 2, 16)
    )
    # then it is refused on its end, naming term 2's start; a day earlier is fine
    with pytest.raises(ValidationError) as error:
        semester.full_clean()
    assert error.value.message_dict == {
        "end": ["第一学期应在第二学期（2025-2026-2）开学日期 2026-02-16 之前结束"]
    }
    semester.end = dt.date(2026, 2, 15)
    semester.full_clean()


def test_term_2_must_start_after_term_1_ends(school):
    # given term 1 ending on 5 Feb
    factories.SemesterFactory(
        school=school, code="2025-2026-1", start=dt.date(2025, 9, 1), end=dt.date(2026, 2, 5)
    )
    semester = Semester(
        school=school, code="2025-2026-2", start=dt.date(2026, 2, 1), end=dt.date(2026, 7, 31)
    )
    with pytest.raises(ValidationError) as error:
        semester.full_clean()
    assert error.value.message_dict == {
        "start": ["第二学期应在第一学期（2025-2026-1）结束日期 2026-02-05 之后开学"]
    }


def test_the_other_terms_of_other_schools_and_years_do_not_clash(school, other_school):
    factories.SemesterFactory(
        school=other_school, code="2025-2026-2", start=dt.date(2026, 1, 10), end=dt.date(2026, 7, 1)
    )
    factories.SemesterFactory(school=school, code="2024-2025-2")
    Semester(
        school=school, code="2025-2026-1", start=dt.date(2025, 8, 1), end=dt.date(2026, 1, 31)
    ).full_clean()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2025, 9, 1), dt.date(9999, 12, 31)),
        (dt.date(1, 1, 1), dt.date(2026, 1, 31)),
        (dt.date(2025, 7, 31), dt.date(2026, 1, 31)),
        (dt.date(2025, 9, 1), dt.date(2026, 9, 1)),
    ],
)
def test_database_refuses_semester_dates_outside_the_school_year(school, start, end):
    with pytest.raises(IntegrityError), transaction.atomic():
        Semester.objects.create(school=school, code="2025-2026-1", start=start, end=end)
    semester = factories.SemesterFactory(school=school, code="2025-2026-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Semester.objects.filter(pk=semester.pk).update(start=start, end=end)


@pytest.mark.parametrize(
    ("code", "start", "end", "counted"),
    [
        ("2025-2026-1", "2025-09-01", "9999-12-31", ("2025-09-01", "2026-08-31")),
        ("2025-2026-1", "0001-01-01", "2026-01-31", ("2025-08-01", "2026-01-31")),
        ("2025-2026-2", "0001-01-01", "9999-12-31", ("2025-08-01", "2026-08-31")),
        ("2025-2026-2", "9000-01-01", "9999-12-31", ("2026-08-31", "2026-08-31")),
        ("2025-2026-2", "2026-02-01", "2026-07-31", ("2026-02-01", "2026-07-31")),
        # a code no page could have saved: the school year around the start
        ("9999-0000-1", "9999-12-01", "9999-12-31", ("9999-08-31", "9999-08-31")),
        ("junk", "2026-03-01", "9999-12-31", ("2026-03-01", "2026-08-31")),
    ],
)
def test_teaching_dates_hold_a_row_written_by_hand_inside_its_school_year(
    school, unchecked_semester_dates, code, start, end, counted
):
    # given a row the rule would refuse, written past the model and the database's check
    semester = factories.SemesterFactory(school=school, code="2025-2026-1")
    Semester.objects.filter(pk=semester.pk).update(
        code=code, start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end)
    )
    semester.refresh_from_db()
    # then what the duties, dashboards and reminders count lies inside a school year
    assert semester.teaching_dates == tuple(dt.date.fromisoformat(day) for day in counted)
    assert semester.contains(dt.date.fromisoformat(counted[0]))
    assert not semester.contains(dt.date(9999, 12, 31))


def test_the_migration_moves_saved_dates_into_their_school_year(school, unchecked_semester_dates):
    # given semesters saved before the rule
    import importlib

    from django.apps import apps

    migration = importlib.import_module("students.migrations.0005_semester_in_school_year")
    late = factories.SemesterFactory(school=school, code="2025-2026-1")
    early = factories.SemesterFactory(school=school, code="2024-2025-2")
    gone = factories.SemesterFactory(school=school, code="2023-2024-1")
    fine = factories.SemesterFactory(school=school, code="2022-2023-2")
    Semester.objects.filter(pk=late.pk).update(end=dt.date(9999, 12, 31))
    Semester.objects.filter(pk=early.pk).update(start=dt.date(1, 1, 1))
    Semester.objects.filter(pk=gone.pk).update(start=dt.date(9000, 1, 1), end=dt.date(9999, 12, 31))
    # when the migration's data step runs
    migration.dates_into_school_year(apps, None)
    # then each lies inside its school year; one with nothing left there gets the defaults
    dates = {s.code: (s.start, s.end) for s in Semester.objects.all()}
    assert dates == {
        "2025-2026-1": (dt.date(2025, 9, 1), dt.date(2026, 8, 31)),
        "2024-2025-2": (dt.date(2024, 8, 1), dt.date(2025, 7, 31)),
        "2023-2024-1": (dt.date(2023, 9, 1), dt.date(2024, 1, 31)),
        "2022-2023-2": (fine.start, fine.end),
    }


def test_database_refuses_county_viewer_attached_to_a_school(school):
    user = factories.UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(user=user, role=Role.COUNTY, school=school, name="某")


def test_database_refuses_school_user_without_school():
    user = factories.UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(user=user, role=Role.TEACHER, name="某")


def test_database_refuses_two_open_pairings_for_same_teacher_student_category(school):
    # Given an open pairing
    pairing = factories.PairingFactory(school=school)
    # When the same pairing is inserted again, bypassing the services
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(
            school=school,
            teacher=pairing.teacher,
            student=pairing.student,
            category=pairing.category,
            start=pairing.start,
        )


def test_a_closed_pairing_does_not_block_a_new_one(school):
    pairing = factories.PairingFactory(school=school)
    Pairing.objects.filter(pk=pairing.pk).update(
        end=pairing.start + dt.timedelta(days=1), end_reason=Pairing.EndReason.OTHER
    )
    Pairing.objects.create(
        school=school,
        teacher=pairing.teacher,
        student=pairing.student,
        category=pairing.category,
        start=pairing.start + dt.timedelta(days=2),
    )
    assert Pairing.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"end": dt.date(2000, 1, 1), "end_reason": "other"}, "pairing_end_not_before_start"),
        ({"end": dt.date(2099, 1, 1), "end_reason": ""}, "ended_pairing_has_reason"),
        ({"subject": "数学"}, "subject_only_for_struggling"),
    ],
)
def test_database_checks_pairing_invariants(school, changes, constraint):
    pairing = factories.PairingFactory(school=school, category=Category.POOR)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Pairing.objects.filter(pk=pairing.pk).update(**changes)
    assert constraint in str(error.value) or "CHECK" in str(error.value)


def test_pairing_clean_requires_an_approved_identification(school):
    # Given a student identified only as left-behind, and only proposed as poor
    semester = factories.SemesterFactory(school=school)
    student = factories.StudentFactory(school=school)
    factories.IdentificationFactory(student=student, semester=semester)
    factories.IdentificationFactory(
        student=student,
        semester=semester,
        category=Category.POOR,
        state="proposed",
        approved_at=None,
    )
    teacher = factories.make_user(school=school)
    # When a poor pairing is validated
    pairing = Pairing(
        school=school,
        teacher=teacher,
        student=student,
        category=Category.POOR,
        start=semester.start,
    )
    # Then it is refused on the category field
    with pytest.raises(ValidationError) as error:
        pairing.full_clean()
    assert "未被认定为“家庭经济困难学生”" in error.value.message_dict["category"][0]


def test_student_id_number_must_match_birth_date(school):
    student = factories.StudentFactory.build(
        school=school,
        cohort=factories.CohortFactory(school=school),
        birth_date=dt.date(2012, 3, 16),
        id_number="520101201203151234",
    )
    with pytest.raises(ValidationError) as error:
        student.full_clean()
    assert "与出生日期不一致" in error.value.message_dict["id_number"][0]


def test_student_class_must_belong_to_its_cohort(school):
    school_class = factories.SchoolClassFactory(school=school, cohort__entry_year=2023)
    student = factories.StudentFactory.build(
        school=school, cohort=factories.CohortFactory(school=school, entry_year=2024)
    )
    student.school_class = school_class
    with pytest.raises(ValidationError) as error:
        student.full_clean()
    assert "school_class" in error.value.message_dict
