"""The people and records of the visits tests (see test_views.py's docstring)."""

import pytest

from students.models import Category, Role
from tests import factories
from tests.visits.records import make_log
from visits.models import ActivityLog


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="王校长")


@pytest.fixture
def alice(school):
    return factories.make_user(Role.TEACHER, school=school, name="爱丽丝老师")


@pytest.fixture
def bob(school):
    return factories.make_user(Role.TEACHER, school=school, name="鲍勃老师")


@pytest.fixture
def carol(school):
    return factories.make_user(Role.TEACHER, school=school, name="卡罗尔老师")


@pytest.fixture
def homeroom(school):
    return factories.make_user(Role.TEACHER, school=school, name="班主任丁")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def other_teacher(other_school):
    return factories.make_user(Role.TEACHER, school=other_school, name="外校教师")


@pytest.fixture
def student(school, semester, homeroom):
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=homeroom)
    return factories.StudentFactory(
        school=school, name="王小明", school_class=school_class, cohort=school_class.cohort
    )


@pytest.fixture
def pairing(school, semester, student, alice):
    """alice helps 王小明 as a left-behind student since the semester began."""
    return factories.PairingFactory(school=school, student=student, teacher=alice)


@pytest.fixture
def bobs_pairing(school, semester, student, bob):
    """bob helps the same student as a poor student (多帮一)."""
    return factories.PairingFactory(
        school=school, student=student, teacher=bob, category=Category.POOR
    )


@pytest.fixture
def log(pairing) -> ActivityLog:
    """alice's talk with her student, logged just now."""
    return make_log(pairing, content="聊了期中考试的准备")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
