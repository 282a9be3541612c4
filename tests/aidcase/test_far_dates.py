"""One school's impossible dates never break the county, nor that school's own pages.

The rule keeps a semester inside its school year, but a database may still hold a row
written before it or by hand: a semester ending 9999-12-31 or starting 0001-01-01, a pairing
from 0001-01-01 to 9999-12-31, holiday weeks and exams at the first and last days a date can
hold. Such a row once made the county roll-up, the school's dashboard and its teachers' /me/
answer 500 (OverflowError in the duty evaluators). School A holds those rows; school B of the
same county is ordinary, and its figures must stay what they were.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from dashboards.selectors import county_rollup
from pairing.models import Pairing
from students.models import Category, Role, Semester
from tests import factories
from tests.conftest import login
from tests.factories import current_code
from visits.duties import monday_of
from visits.models import ActivityLog, Exam, HolidayWeek, Kind

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date.min, dt.date.max


def _school_with_a_pairing(code: str, county) -> dict:
    school = factories.SchoolFactory(code=code, county=county)
    semester = factories.SemesterFactory(school=school)
    teacher = factories.make_user(school=school)
    pairing = factories.PairingFactory(school=school, teacher=teacher, start=semester.start)
    ActivityLog.objects.create(
        pairing=pairing, author=teacher, kind=Kind.TALK, date=semester.start, content="谈心"
    )
    return {"school": school, "semester": semester, "teacher": teacher, "pairing": pairing}


@pytest.fixture
def county():
    return factories.CountyFactory(name="远县")


@pytest.fixture
def ordinary(county):
    return _school_with_a_pairing("B", county)


@pytest.fixture
def broken(county, ordinary, unchecked_semester_dates):
    """School A, made as any school is, then given dates no page could have saved."""
    a = _school_with_a_pairing("A", county)
    far = factories.PairingFactory(
        school=a["school"],
        teacher=a["teacher"],
        category=Category.POOR,
        start=a["semester"].start,
    )
    Pairing.objects.filter(pk=far.pk).update(start=FIRST, end=LAST, end_reason="other")
    factories.PairingFactory(
        school=a["school"],
        teacher=a["teacher"],
        category=Category.STRUGGLING,
        start=a["semester"].start,
    )
    HolidayWeek.objects.create(school=a["school"], monday=FIRST)  # 1 Jan of year 1: a Monday
    HolidayWeek.objects.create(school=a["school"], monday=dt.date(9999, 12, 27))
    for day in (FIRST, LAST):
        Exam.objects.create(school=a["school"], semester=a["semester"], name="远考", date=day)
    return a


def _rows(county) -> dict:
    return {
        row["school"].code: {k: v for k, v in row.items() if k != "school"}
        for row in county_rollup(county=county, semester_code=current_code())
    }


@pytest.mark.parametrize(
    "dates",
    [{"end": dt.date(9999, 12, 31)}, {"start": dt.date(1, 1, 1)}, {"start": FIRST, "end": LAST}],
    ids=["ends-9999-12-31", "starts-0001-01-01", "both"],
)
def test_pages_answer_and_the_other_schools_figures_stay(county, ordinary, broken, dates):
    # given the county's figures, then school A's semester written past its school year
    before = _rows(county)
    Semester.objects.filter(pk=broken["semester"].pk).update(**dates)

    # when the county, and school A's own people, open their pages
    viewer = factories.make_user(Role.COUNTY, county=county)
    office = factories.make_user(Role.OFFICE, school=broken["school"])
    principal = factories.make_user(Role.PRINCIPAL, school=broken["school"])
    pages = [
        (viewer, "/county/"),
        (viewer, f"/county/schools/{broken['school'].pk}/"),
        (broken["teacher"], "/me/"),
        (broken["teacher"], f"/students/{broken['pairing'].student_id}/"),
        (principal, "/dashboard/"),
        (office, "/dashboard/"),
        (office, f"/calendar/?semester={broken['semester'].pk}"),
    ]
    answers = {url: login(user).get(url) for user, url in pages}

    # then every page answers, the county page names both schools, and school B's row is
    # what it was
    assert {url: r.status_code for url, r in answers.items()} == {url: 200 for _u, url in pages}
    county_page = answers["/county/"].content.decode()
    assert broken["school"].name in county_page
    assert ordinary["school"].name in county_page
    after = _rows(county)
    assert after["B"] == before["B"]
    assert after["B"]["duties_due"] > 0


def test_reminders_are_sent_to_the_ordinary_school_and_the_broken_one(county, ordinary, broken):
    # given school A's semester ending in year 9999
    Semester.objects.filter(pk=broken["semester"].pk).update(end=dt.date(9999, 12, 31))

    # when the daily reminders run
    out = StringIO()
    call_command("send_reminders", stdout=out)

    # then both schools' teachers got their digest (a pairing with nothing logged this week
    # has its weekly talk due or overdue)
    assert broken["teacher"].reminders.exists()
    assert ordinary["teacher"].reminders.exists()


def test_the_office_still_marks_weeks_and_exams_in_the_broken_semester(county, broken):
    # given school A's semester ending in year 9999
    semester = broken["semester"]
    Semester.objects.filter(pk=semester.pk).update(end=dt.date(9999, 12, 31))
    office = login(factories.make_user(Role.OFFICE, school=broken["school"]))
    here = f"/calendar/?semester={semester.pk}"
    day = semester.start + dt.timedelta(days=30)

    # when the office marks a holiday week and an exam inside it, and one far past it
    marked = office.post(here, {"action": "holiday", "holiday-day": day.isoformat()})
    examined = office.post(
        here, {"action": "exam", "exam-name": "期中考试", "exam-date": day.isoformat()}
    )
    refused = office.post(here, {"action": "holiday", "holiday-day": "9999-12-30"})

    # then the first two are saved and the far one is refused beside its field, naming the
    # dates the semester counts (up to 31 Aug of its school year's second year)
    assert (marked.status_code, examined.status_code) == (302, 302)
    assert HolidayWeek.objects.filter(school=broken["school"], monday=monday_of(day)).exists()
    assert Exam.objects.filter(semester=semester, date=day).exists()
    assert refused.status_code == 200
    year = int(semester.code[:4])
    assert f"至 {year + 1}-08-31）内" in refused.content.decode()
