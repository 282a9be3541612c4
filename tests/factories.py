"""Factories for tests. The default school runs the semester that contains today, so that
"current" and "active" mean what they mean in production."""

import datetime as dt

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from pairing.models import Pairing
from students.models import (
    Category,
    Cohort,
    County,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
    semester_default_dates,
)
from students.selectors import semester_code_for


def current_code() -> str:
    return semester_code_for(timezone.localdate())


class CountyFactory(factory.django.DjangoModelFactory[County]):
    class Meta:
        model = County
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试县{n}")


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}中学")
    county = factory.SubFactory(CountyFactory)


class SemesterFactory(factory.django.DjangoModelFactory[Semester]):
    class Meta:
        model = Semester
        django_get_or_create = ("school", "code")

    school = factory.SubFactory(SchoolFactory)
    code = factory.LazyFunction(current_code)
    start = factory.LazyAttribute(lambda o: semester_default_dates(o.code)[0])
    end = factory.LazyAttribute(lambda o: semester_default_dates(o.code)[1])


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"T{n:05d}")
    password = factory.django.Password("correct-horse-battery")


class ProfileFactory(factory.django.DjangoModelFactory[Profile]):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    role = Role.TEACHER
    school = factory.SubFactory(SchoolFactory)
    county = None
    name = factory.Sequence(lambda n: f"教师{n}")


def make_user(role: str = Role.TEACHER, *, school: School | None = None, county=None, **kwargs):
    """A user with a profile of the given role at a school (or, for the county viewer and the
    county administrator, a county)."""
    if role in (Role.COUNTY, Role.COUNTY_ADMIN):
        profile = ProfileFactory(role=role, school=None, county=county or CountyFactory(), **kwargs)
    else:
        profile = ProfileFactory(role=role, school=school or SchoolFactory(), **kwargs)
    return profile.user


class CohortFactory(factory.django.DjangoModelFactory[Cohort]):
    class Meta:
        model = Cohort
        django_get_or_create = ("school", "entry_year")

    school = factory.SubFactory(SchoolFactory)
    entry_year = 2024


class SchoolClassFactory(factory.django.DjangoModelFactory[SchoolClass]):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    cohort = factory.SubFactory(CohortFactory, school=factory.SelfAttribute("..school"))
    name = factory.Sequence(lambda n: f"{n}班")
    homeroom_teacher = None


class StudentFactory(factory.django.DjangoModelFactory[Student]):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    student_no = factory.Sequence(lambda n: f"G52010120120101{n:04d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Student.Gender.FEMALE
    birth_date = dt.date(2012, 1, 1)
    cohort = factory.SubFactory(CohortFactory, school=factory.SelfAttribute("..school"))
    school_class = None


class IdentificationFactory(factory.django.DjangoModelFactory[Identification]):
    class Meta:
        model = Identification

    student = factory.SubFactory(StudentFactory)
    semester = factory.SubFactory(SemesterFactory, school=factory.SelfAttribute("..student.school"))
    category = Category.LEFT_BEHIND
    state = Identification.State.APPROVED
    approved_at = factory.LazyFunction(timezone.now)


class PairingFactory(factory.django.DjangoModelFactory[Pairing]):
    """An open pairing of a teacher with a student identified in the category (the
    identification is made for the current semester when the student lacks one)."""

    class Meta:
        model = Pairing
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    teacher = factory.LazyAttribute(lambda o: make_user(Role.TEACHER, school=o.school))
    category = Category.LEFT_BEHIND
    start = factory.LazyAttribute(lambda o: semester_default_dates(current_code())[0])

    @factory.post_generation
    def identified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            semester = SemesterFactory(school=obj.school)
            Identification.objects.get_or_create(
                student=obj.student,
                semester=semester,
                category=obj.category,
                defaults={
                    "state": Identification.State.APPROVED,
                    "approved_at": timezone.now(),
                },
            )
