import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from pairing import services
from pairing.models import Pairing
from students.models import Category
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified(school, semester):
    """A student identified (approved) as struggling and left-behind this semester."""
    student = factories.StudentFactory(school=school)
    for category in (Category.STRUGGLING, Category.LEFT_BEHIND):
        factories.IdentificationFactory(student=student, semester=semester, category=category)
    return student


def create(**overrides):
    return services.pairing_create(**{"subject": "", "by": None, **overrides})


def test_a_student_with_two_categories_can_have_two_helpers(school, semester, identified):
    maths = factories.make_user(school=school)
    volunteer = factories.make_user(school=school)
    create(
        school=school,
        teacher=maths,
        student=identified,
        category=Category.STRUGGLING,
        start=semester.start,
        subject="数学",
    )
    create(
        school=school,
        teacher=volunteer,
        student=identified,
        category=Category.LEFT_BEHIND,
        start=semester.start,
    )
    assert set(identified.pairings.values_list("teacher", "category")) == {
        (maths.pk, "struggling"),
        (volunteer.pk, "left_behind"),
    }


def test_one_teacher_can_help_many_students(school, semester):
    teacher = factories.make_user(school=school)
    for _ in range(3):
        student = factories.StudentFactory(school=school)
        factories.IdentificationFactory(student=student, semester=semester)
        create(
            school=school,
            teacher=teacher,
            student=student,
            category=Category.LEFT_BEHIND,
            start=semester.start,
        )
    assert teacher.pairings.count() == 3


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": Category.POOR}, "category", "未被认定为“家庭经济困难学生”"),
        ({"category": Category.LEFT_BEHIND, "subject": "数学"}, "subject", "只有学习困难学生"),
    ],
)
def test_invalid_pairings_are_refused_with_a_chinese_reason(
    school, semester, identified, overrides, field, message
):
    teacher = factories.make_user(school=school)
    with pytest.raises(ValidationError) as error:
        create(
            school=school, teacher=teacher, student=identified, start=semester.start, **overrides
        )
    assert message in error.value.message_dict[field][0]
    assert not Pairing.objects.exists()


def test_teacher_of_another_school_is_refused(school, other_school, semester, identified):
    outsider = factories.make_user(school=other_school)
    with pytest.raises(ValidationError) as error:
        create(
            school=school,
            teacher=outsider,
            student=identified,
            category=Category.LEFT_BEHIND,
            start=semester.start,
        )
    assert "teacher" in error.value.message_dict


def test_a_second_open_pairing_is_refused(school, semester, identified):
    teacher = factories.make_user(school=school)
    kwargs = {
        "school": school,
        "teacher": teacher,
        "student": identified,
        "category": Category.LEFT_BEHIND,
        "start": semester.start,
    }
    create(**kwargs)
    with pytest.raises(ValidationError) as error:
        create(**kwargs)
    assert "已有进行中的结对" in " ".join(error.value.messages)
    assert Pairing.objects.count() == 1


def test_identification_from_the_previous_semester_does_not_count(school, semester):
    previous = factories.SemesterFactory(
        school=school,
        code="2020-2021-1",
        start=dt.date(2020, 9, 1),
        end=dt.date(2021, 1, 31),
    )
    student = factories.StudentFactory(school=school)
    factories.IdentificationFactory(student=student, semester=previous)
    with pytest.raises(ValidationError):
        create(
            school=school,
            teacher=factories.make_user(school=school),
            student=student,
            category=Category.LEFT_BEHIND,
            start=semester.start,
        )


def test_ending_keeps_the_record_with_its_reason(school):
    pairing = factories.PairingFactory(school=school)
    end = pairing.start + dt.timedelta(days=30)
    services.pairing_end(pairing=pairing, end=end, reason=Pairing.EndReason.GRADUATED, by=None)
    pairing.refresh_from_db()
    assert (pairing.end, pairing.end_reason) == (end, "graduated")


def test_ending_still_works_after_the_identification_lapsed(school):
    pairing = factories.PairingFactory(school=school)
    pairing.student.identifications.all().delete()
    services.pairing_end(
        pairing=pairing, end=pairing.start, reason=Pairing.EndReason.LEFT_CATEGORY, by=None
    )
    assert Pairing.objects.get(pk=pairing.pk).end == pairing.start


def test_ending_before_the_start_is_refused(school):
    pairing = factories.PairingFactory(school=school)
    with pytest.raises(ValidationError) as error:
        services.pairing_end(
            pairing=pairing,
            end=pairing.start - dt.timedelta(days=1),
            reason=Pairing.EndReason.OTHER,
            by=None,
        )
    assert error.value.message_dict["end"] == ["结束日期不能早于开始日期"]
    assert Pairing.objects.get(pk=pairing.pk).end is None


def test_ending_twice_is_refused(school):
    pairing = factories.PairingFactory(school=school)
    services.pairing_end(pairing=pairing, end=pairing.start, reason="other", by=None)
    with pytest.raises(ValidationError):
        services.pairing_end(pairing=pairing, end=pairing.start, reason="other", by=None)
