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
