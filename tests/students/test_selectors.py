import datetime as dt

import pytest

from dashboards.selectors import county_rollup
from pairing.models import Pairing
from students.models import Category, Role
from students.selectors import (
    category_coverage,
    current_semester,
    previous_semester_code,
    semester_code_for,
    students_visible_to,
)
from tests import factories
from visits.duty_store import duty_status_rebuild


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2025, 9, 1), "2025-2026-1"),
        (dt.date(2025, 12, 31), "2025-2026-1"),
        (dt.date(2026, 1, 31), "2025-2026-1"),
        (dt.date(2026, 2, 1), "2025-2026-2"),
        (dt.date(2026, 8, 31), "2025-2026-2"),
    ],
)
def test_semester_code_for_a_day(day, code):
    assert semester_code_for(day) == code


@pytest.mark.parametrize(
    ("code", "previous"), [("2025-2026-2", "2025-2026-1"), ("2025-2026-1", "2024-2025-2")]
)
def test_previous_semester_code(code, previous):
    assert previous_semester_code(code) == previous


@pytest.mark.django_db
def test_current_semester_is_the_running_one_then_the_latest_started(school):
    term1 = factories.SemesterFactory(school=school, code="2025-2026-1")
    term2 = factories.SemesterFactory(school=school, code="2025-2026-2")
    assert current_semester(school=school, on=dt.date(2025, 10, 1)) == term1
    assert current_semester(school=school, on=dt.date(2026, 8, 15)) == term2
    assert current_semester(school=school, on=dt.date(2020, 1, 1)) == term1


@pytest.mark.django_db
class TestStudentsVisibleTo:
    def setup_method(self):
        self.school = factories.SchoolFactory()
        self.other = factories.SchoolFactory()
        self.pairing = factories.PairingFactory(school=self.school)
        self.homeroom = factories.make_user(school=self.school)
        school_class = factories.SchoolClassFactory(
            school=self.school, homeroom_teacher=self.homeroom
        )
        self.classmate = factories.StudentFactory(
            school=self.school, cohort=school_class.cohort, school_class=school_class
        )
        self.stranger = factories.StudentFactory(school=self.school)
        self.foreign = factories.StudentFactory(school=self.other)

    def visible(self, user):
        return set(students_visible_to(user=user))

    def test_teacher_sees_only_paired_students(self):
        assert self.visible(self.pairing.teacher) == {self.pairing.student}

    def test_homeroom_teacher_sees_their_class(self):
        assert self.visible(self.homeroom) == {self.classmate}

    def test_ended_pairing_no_longer_gives_access(self):
        Pairing.objects.filter(pk=self.pairing.pk).update(
            end=dt.date(2000, 1, 1), start=dt.date(1999, 1, 1), end_reason="other"
        )
        assert self.visible(self.pairing.teacher) == set()

    @pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
    def test_school_managers_see_their_whole_school(self, role):
        user = factories.make_user(role, school=self.school)
        assert self.visible(user) == {self.pairing.student, self.classmate, self.stranger}

    def test_county_viewer_sees_no_student_records(self):
        user = factories.make_user(Role.COUNTY, county=self.school.county)
        assert self.visible(user) == set()

    def test_user_without_profile_sees_nothing(self):
        assert self.visible(factories.UserFactory()) == set()


@pytest.mark.django_db
def test_category_coverage_counts_students_not_rows(school, semester):
    # Given 3 left-behind students (2 paired, one of them by two teachers) and 1 poor, unpaired
    paired = [factories.PairingFactory(school=school, student__school=school) for _ in range(2)]
    factories.PairingFactory(school=school, student=paired[0].student)
    factories.IdentificationFactory(student__school=school, semester=semester)
    factories.IdentificationFactory(
        student__school=school, semester=semester, category=Category.POOR
    )
    # When coverage is computed
    rows = {row["category"]: row for row in category_coverage(school=school, semester=semester)}
    # Then
    assert (rows["left_behind"]["identified"], rows["left_behind"]["paired"]) == (3, 2)
    assert rows["left_behind"]["unpaired"] == 1
    assert rows["left_behind"]["rate"] == 67
    assert (rows["poor"]["identified"], rows["poor"]["paired"], rows["poor"]["rate"]) == (1, 0, 0)
    assert rows["problem"]["rate"] is None


@pytest.mark.django_db
def test_county_rollup_has_one_row_per_school_of_the_county(django_assert_num_queries):
    county = factories.CountyFactory(name="示范县")
    first = factories.SchoolFactory(county=county, code="A")
    second = factories.SchoolFactory(county=county, code="B")
    factories.SchoolFactory()  # another county
    factories.PairingFactory(school=first)
    factories.IdentificationFactory(
        student__school=second,
        semester=factories.SemesterFactory(school=second),
        category=Category.PROBLEM,
    )
    # with their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild()
    with django_assert_num_queries(13):
        rows = county_rollup(county=county, semester_code=factories.current_code())
    by_code = {row["school"].code: row for row in rows}
    assert set(by_code) == {"A", "B"}
    assert (by_code["A"]["identified"], by_code["A"]["paired"], by_code["A"]["rate"]) == (1, 1, 100)
    assert (by_code["B"]["identified"], by_code["B"]["paired"], by_code["B"]["rate"]) == (1, 0, 0)
    assert by_code["B"]["categories"] == [0, 0, 0, 1]
