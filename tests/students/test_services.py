import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from students import services
from students.models import Category, County, Identification, School, Semester
from tests import factories

pytestmark = pytest.mark.django_db


def test_school_create_makes_the_county_once():
    first = services.school_create(code="A1", name="甲中学", county_name="示范县")
    second = services.school_create(code="A2", name="乙中学", county_name="示范县")
    assert first.county == second.county
    assert County.objects.count() == 1


@pytest.mark.parametrize(("code", "name"), [("bad code", "甲"), ("A1", ""), ("", "甲")])
def test_school_create_refuses_bad_input_and_saves_nothing(code, name):
    with pytest.raises(ValidationError):
        services.school_create(code=code, name=name, county_name="新县")
    assert not School.objects.exists()
    assert not County.objects.exists()


def test_semester_get_or_create_uses_default_dates(school):
    semester = services.semester_get_or_create(school=school, code="2024-2025-2")
    assert (semester.start, semester.end) == (dt.date(2025, 2, 1), dt.date(2025, 7, 31))
    assert services.semester_get_or_create(school=school, code="2024-2025-2") == semester


def test_semester_create_refuses_a_duplicate_code(school):
    services.semester_create(school=school, code="2024-2025-1")
    with pytest.raises(ValidationError):
        services.semester_create(school=school, code="2024-2025-1")
    assert Semester.objects.count() == 1


def test_semester_update_refuses_end_before_start(school):
    semester = services.semester_create(school=school, code="2024-2025-1")
    with pytest.raises(ValidationError) as error:
        services.semester_update(
            semester=semester, start=dt.date(2025, 1, 1), end=dt.date(2024, 9, 1)
        )
    assert error.value.message_dict["end"] == ["结束日期必须晚于开学日期"]
    semester.refresh_from_db()
    assert semester.start == dt.date(2024, 9, 1)


def test_semester_update_refuses_dates_past_the_school_year_and_saves_nothing(school):
    semester = services.semester_create(school=school, code="2024-2025-1")
    with pytest.raises(ValidationError) as error:
        services.semester_update(
            semester=semester, start=dt.date(2024, 9, 1), end=dt.date(9999, 12, 31)
        )
    assert error.value.message_dict == {
        "end": ["学期 2024-2025-1 的日期应在 2024-08-01 至 2025-08-31 之间"]
    }
    assert Semester.objects.values_list("start", "end").get() == (
        dt.date(2024, 9, 1),
        dt.date(2025, 1, 31),
    )


def test_semester_create_refuses_dates_past_the_school_year_and_saves_nothing(school):
    with pytest.raises(ValidationError) as error:
        services.semester_create(
            school=school, code="2024-2025-2", start=dt.date(1, 1, 1), end=dt.date(2025, 7, 1)
        )
    assert "start" in error.value.message_dict
    assert not Semester.objects.exists()


def test_default_dates_make_room_for_the_other_terms_dates(school):
    # given the office ended term 1 on 14 Feb and started next year's term 1 on 20 Aug
    services.semester_create(
        school=school, code="2024-2025-1", start=dt.date(2024, 9, 1), end=dt.date(2025, 2, 14)
    )
    services.semester_create(
        school=school, code="2025-2026-2", start=dt.date(2026, 1, 20), end=dt.date(2026, 7, 10)
    )
    # when an import names the semesters beside them, which get default dates
    spring = services.semester_get_or_create(school=school, code="2024-2025-2")
    autumn = services.semester_get_or_create(school=school, code="2025-2026-1")
    # then term 2 starts the day after term 1 ends, and term 1 ends the day before term 2
    assert (spring.start, spring.end) == (dt.date(2025, 2, 15), dt.date(2025, 7, 31))
    assert (autumn.start, autumn.end) == (dt.date(2025, 9, 1), dt.date(2026, 1, 19))


def test_identification_is_proposed_then_approved(school, semester):
    office = factories.make_user("office", school=school)
    student = factories.StudentFactory(school=school)
    identification = services.identification_propose(
        student=student,
        semester=semester,
        category=Category.POOR,
        source="registered_poor",
        by=office,
    )
    assert identification.state == Identification.State.PROPOSED
    services.identification_approve(identification=identification, by=office)
    identification.refresh_from_db()
    assert identification.state == Identification.State.APPROVED
    assert identification.approved_by == office
    assert identification.approved_at is not None


def test_a_second_proposal_in_the_same_category_and_semester_is_refused(school, semester):
    identification = factories.IdentificationFactory(student__school=school, semester=semester)
    with pytest.raises(ValidationError) as error:
        services.identification_propose(
            student=identification.student,
            semester=semester,
            category=identification.category,
            source="school",
            by=None,
        )
    assert "已有“留守学生”的认定" in error.value.messages[0]


def test_approved_identification_cannot_be_rejected(school, semester):
    identification = factories.IdentificationFactory(student__school=school, semester=semester)
    with pytest.raises(ValidationError):
        services.identification_reject(identification=identification, by=None)
    assert Identification.objects.filter(pk=identification.pk).exists()


def test_class_cohort_cannot_change_once_it_has_students(school):
    school_class = services.school_class_save(school=school, entry_year=2024, name="七(1)班")
    factories.StudentFactory(school=school, cohort=school_class.cohort, school_class=school_class)
    with pytest.raises(ValidationError) as error:
        services.school_class_save(
            school=school, entry_year=2023, name="七(1)班", school_class=school_class
        )
    assert "entry_year" in error.value.message_dict


def test_homeroom_teacher_must_work_at_the_school(school, other_school):
    outsider = factories.make_user(school=other_school)
    with pytest.raises(ValidationError) as error:
        services.school_class_save(
            school=school, entry_year=2024, name="七(2)班", homeroom_teacher=outsider
        )
    assert "homeroom_teacher" in error.value.message_dict


def test_student_save_creates_the_cohort_of_the_entry_year(school):
    student = factories.StudentFactory.build(school=school, cohort=None)
    services.student_save(student=student, entry_year=2025, by=None)
    assert student.cohort.entry_year == 2025
    assert student.cohort.school == school


def test_duplicate_semester_code_is_reported_on_the_code(school):
    services.semester_create(school=school, code="2024-2025-1")
    with pytest.raises(ValidationError) as error:
        services.semester_create(school=school, code="2024-2025-1")
    assert error.value.message_dict["code"] == ["本校已有学期 2024-2025-1"]


def test_duplicate_class_name_is_reported_on_the_name(school):
    services.school_class_save(school=school, entry_year=2024, name="七(1)班")
    with pytest.raises(ValidationError) as error:
        services.school_class_save(school=school, entry_year=2024, name="七(1)班")
    assert error.value.message_dict["name"] == ["2024级已有班级“七(1)班”"]


def test_renaming_a_class_to_its_own_name_is_fine(school):
    school_class = services.school_class_save(school=school, entry_year=2024, name="七(1)班")
    services.school_class_save(
        school=school, entry_year=2024, name="七(1)班", school_class=school_class
    )
