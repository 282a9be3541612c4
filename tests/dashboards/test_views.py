"""Views of the dashboards app: the school dashboard and the county roll-up.

alice is allowed, bob is a colleague whose role does not allow the page, charlie belongs to
another school or county."""

import re

import pytest

from students.models import Category, Identification, Role
from tests import factories
from tests.conftest import login
from tests.helpers import login_redirect, table_row, text
from visits.duties import monday_of
from visits.duty_store import duty_status_rebuild
from visits.models import ActivityLog, DutyRule, HolidayWeek, Kind

pytestmark = pytest.mark.django_db


def identified(school, semester, category=Category.LEFT_BEHIND, **kwargs):
    student = factories.StudentFactory(school=school, **kwargs)
    factories.IdentificationFactory(student=student, semester=semester, category=category)
    return student


# Dashboard


@pytest.fixture
def coverage_fixture(school, semester, other_school):
    """3 students identified left-behind, 2 of them paired; 1 poor student, paired then
    the pairing ended; 1 proposal not yet approved; noise at another school."""
    left_behind = [identified(school, semester) for _ in range(3)]
    for student in left_behind[:2]:
        factories.PairingFactory(school=school, student=student)
    poor = identified(school, semester, Category.POOR)
    factories.PairingFactory(
        school=school,
        student=poor,
        category=Category.POOR,
        start=semester.start,
        end=semester.start,
        end_reason="other",
    )
    factories.IdentificationFactory(
        student=factories.StudentFactory(school=school),
        semester=semester,
        category=Category.PROBLEM,
        state=Identification.State.PROPOSED,
        approved_at=None,
    )
    foreign = identified(other_school, factories.SemesterFactory(school=other_school))
    factories.PairingFactory(school=other_school, student=foreign)
    return school


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_dashboard_shows_coverage_per_category(coverage_fixture, role):
    # given 3 left-behind students identified, 2 paired; 1 poor student whose pairing ended
    alice = factories.make_user(role, school=coverage_fixture)
    # when a manager opens the dashboard
    response = login(alice).get("/dashboard/")
    # then the coverage table reads identified / paired / unpaired per category
    assert response.status_code == 200
    assert table_row(response, "cat-left_behind")[:3] == ["3", "2", "1"]
    assert table_row(response, "cat-poor")[:3] == ["1", "0", "1"]
    assert table_row(response, "cat-problem")[:3] == ["0", "0", "0"]
    assert "67%" in text(response)


def test_dashboard_counts_enrolled_students_of_own_school_only(coverage_fixture):
    response = login(factories.make_user(Role.OFFICE, school=coverage_fixture)).get("/dashboard/")
    assert response.context["enrolled"] == 5


def test_dashboard_tells_office_about_pending_identifications(coverage_fixture):
    response = login(factories.make_user(Role.OFFICE, school=coverage_fixture)).get("/dashboard/")
    assert "1 条类别认定待审核" in text(response)


def test_dashboard_lists_helpers_of_own_school_only(school, semester, other_school):
    # given a pairing at each school
    mine = factories.PairingFactory(school=school)
    theirs = factories.PairingFactory(school=other_school)
    # when alice opens her dashboard
    response = login(factories.make_user(Role.OFFICE, school=school)).get("/dashboard/")
    # then only her school's helper is listed
    assert mine.teacher.profile.name in text(response)
    assert theirs.teacher.profile.name not in text(response)


def test_dashboard_without_semester_says_what_to_do(school):
    response = login(factories.make_user(Role.OFFICE, school=school)).get("/dashboard/")
    assert response.status_code == 200
    assert "还没有学期" in text(response)
    assert 'href="/semesters/"' in text(response)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COUNTY])
def test_dashboard_refuses_other_roles(school, role):
    # bob: a teacher of the school; or a county viewer
    bob = factories.make_user(role, school=school if role != Role.COUNTY else None)
    assert login(bob).get("/dashboard/").status_code == 403


def test_dashboard_sends_anonymous_to_login(client):
    assert client.get("/dashboard/")["Location"] == login_redirect("/dashboard/")


DASHBOARD_QUERIES = 26


@pytest.mark.parametrize("size", [3, 24])
def test_dashboard_query_count_does_not_grow_with_students(
    school, semester, size, django_assert_num_queries
):
    # given a school with `size` identified and paired students
    for _ in range(size):
        factories.PairingFactory(school=school, student=identified(school, semester))
    client = login(factories.make_user(Role.OFFICE, school=school))
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild(schools=[school])
    # when the dashboard is opened, then the number of queries is fixed
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get("/dashboard/").status_code == 200


# County


@pytest.fixture
def county_fixture(school, semester, other_school):
    """Two schools in one county, one school elsewhere."""
    county = school.county
    second = factories.SchoolFactory(county=county, name="第二中学")
    second_semester = factories.SemesterFactory(school=second)
    # first school: 2 left-behind identified (1 paired), 1 poor, 1 not aided
    first_students = [identified(school, semester, name=f"甲{i}") for i in range(2)]
    factories.PairingFactory(school=school, student=first_students[0])
    identified(school, semester, Category.POOR, name="甲贫")
    factories.StudentFactory(school=school, name="甲普")
    # second school: 1 struggling identified and paired
    struggling = identified(second, second_semester, Category.STRUGGLING, name="乙学")
    factories.PairingFactory(school=second, student=struggling, category=Category.STRUGGLING)
    # another county's school
    identified(other_school, factories.SemesterFactory(school=other_school), name="丙外")
    other_school.name = "外县中学"
    other_school.save()
    return county


def test_county_shows_one_row_per_school_with_counts(county_fixture, school):
    # given the county's two schools
    alice = factories.make_user(Role.COUNTY, county=county_fixture)
    # when the county viewer opens the roll-up
    response = login(alice).get("/county/")
    # then each school has its counts: enrolled, the four categories, identified, paired, rate,
    # logs, incidents and approved sheets
    assert response.status_code == 200
    # (the duty-completion cell depends on today's place in the semester; the hand-computed
    # rates are in test_dashboard)
    first_row = table_row(response, school.name)
    assert first_row[:8] + first_row[9:] == [
        *["4", "2", "1", "0", "0", "3", "1", "33%"],
        *["0", "0", "—"],
    ]
    second_row = table_row(response, "第二中学")
    assert second_row[:8] + second_row[9:] == [
        *["1", "0", "0", "1", "0", "1", "1", "100%"],
        *["0", "0", "—"],
    ]
    assert re.fullmatch(r"\d+%|—", first_row[8]) and re.fullmatch(r"\d+%|—", second_row[8])


def test_county_hides_student_names_and_other_counties(county_fixture):
    response = login(factories.make_user(Role.COUNTY, county=county_fixture)).get("/county/")
    page = text(response)
    for name in ("甲0", "甲1", "甲贫", "甲普", "乙学", "丙外"):
        assert name not in page
    assert "外县中学" not in page


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL, Role.TEACHER])
def test_county_refuses_school_roles(school, role):
    assert login(factories.make_user(role, school=school)).get("/county/").status_code == 403


def test_county_sends_anonymous_to_login(client):
    assert client.get("/county/")["Location"] == login_redirect("/county/")


COUNTY_QUERIES = 18


@pytest.mark.parametrize("schools", [1, 8])
def test_county_query_count_does_not_grow_with_schools(schools, django_assert_num_queries):
    # given a county with `schools` schools, each with one paired student, a log, a holiday
    # week and a rule of its own
    county = factories.CountyFactory()
    for _ in range(schools):
        school = factories.SchoolFactory(county=county)
        semester = factories.SemesterFactory(school=school)
        pairing = factories.PairingFactory(
            school=school, student=identified(school, semester), start=semester.start
        )
        ActivityLog.objects.create(
            pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=semester.start
        )
        HolidayWeek.objects.create(school=school, monday=monday_of(semester.start))
        DutyRule.objects.create(
            school=school, category=pairing.category, kind=Kind.TALK, period="month", count=1
        )
    client = login(factories.make_user(Role.COUNTY, county=county))
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild()
    # then the roll-up costs the same number of queries
    with django_assert_num_queries(COUNTY_QUERIES):
        assert client.get("/county/").status_code == 200
