"""The Django admin of the students app, for the system administrator."""

import datetime as dt

import pytest

from students.models import Semester
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    return client


def test_a_semester_past_its_school_year_is_refused_beside_the_field(admin_client, school):
    # when the administrator adds a semester ending in year 9999
    response = admin_client.post(
        "/admin/students/semester/add/",
        {"school": school.pk, "code": "2025-2026-1", "start": "2025-09-01", "end": "9999-12-31"},
    )
    # then the form comes back with the rule beside the end, and nothing is saved
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"end": ["学期 2025-2026-1 的日期应在 2025-08-01 至 2026-08-31 之间"]}
    assert not Semester.objects.exists()


def test_a_term_1_reaching_into_term_2_is_refused_beside_the_field(admin_client, school):
    # given term 2 of the school year
    factories.SemesterFactory(school=school, code="2025-2026-2")
    term1 = factories.SemesterFactory(school=school, code="2025-2026-1")
    # when the administrator moves term 1's end past term 2's start
    response = admin_client.post(
        f"/admin/students/semester/{term1.pk}/change/",
        {"school": school.pk, "code": "2025-2026-1", "start": "2025-09-01", "end": "2026-03-01"},
    )
    # then it is refused beside the end and term 1 keeps its dates
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "end": ["第一学期应在第二学期（2025-2026-2）开学日期 2026-02-01 之前结束"]
    }
    term1.refresh_from_db()
    assert term1.end == dt.date(2026, 1, 31)
