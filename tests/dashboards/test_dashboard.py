"""The school dashboard's numbers against a hand-computed school, its filters, and its
query count.

The school runs 2025-2026-1 (1 Sep 2025, a Monday – 31 Jan 2026) and the dashboard is read
on Wednesday 15 Oct 2025. 汤 helps 甲 of 七(1) (left behind) since 1 Sep: talks in the weeks
of 1, 8 and 15 Sep and a parent call in Sep. 蒂 helps 乙 of 七(2) (poor) since 1 Sep, with
nothing logged.

- left behind: weekly talks owed for the 6 weeks before the current one (3 met, 3 missed),
  the September call met: 4 of 7; the talk is overdue since Mon 13 Oct (the week of 6 Oct
  went unmet).
- poor: the September talk missed: 0 of 1, overdue since 1 Oct.
"""

import datetime as dt

import pytest
from django.template import Context, Template

from dashboards.selectors import Completion, DashboardFilter, school_dashboard
from students.models import Category, Role
from tests import factories
from tests.conftest import login
from visits.models import ActivityLog, Incident, IncidentType, Kind

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 10, 15)
START = dt.date(2025, 9, 1)


@pytest.fixture
def term(school):
    return factories.SemesterFactory(school=school, code="2025-2026-1")


@pytest.fixture
def board_school(school, term):
    first = factories.SchoolClassFactory(school=school, name="七(1)班")
    second = factories.SchoolClassFactory(school=school, name="七(2)班", cohort=first.cohort)
    tom = factories.make_user(school=school, user__username="T1", name="汤老师")
    tina = factories.make_user(school=school, user__username="T2", name="蒂老师")
    jia = factories.StudentFactory(
        school=school, name="甲", school_class=first, cohort=first.cohort
    )
    yi = factories.StudentFactory(
        school=school, name="乙", school_class=second, cohort=first.cohort
    )
    for student, category in ((jia, Category.LEFT_BEHIND), (yi, Category.POOR)):
        factories.IdentificationFactory(student=student, semester=term, category=category)
    left = factories.PairingFactory(
        school=school, student=jia, teacher=tom, start=START, identified=False
    )
    factories.PairingFactory(
        school=school,
        student=yi,
        teacher=tina,
        category=Category.POOR,
        start=START,
        identified=False,
    )
    for day, kind in (
        ("2025-09-02", Kind.TALK),
        ("2025-09-03", Kind.PARENT_CONTACT),
        ("2025-09-10", Kind.TALK),
        ("2025-09-17", Kind.TALK),
    ):
        ActivityLog.objects.create(
            pairing=left, author=tom, kind=kind, date=dt.date.fromisoformat(day), content="谈心"
        )
    Incident.objects.create(
        student=yi, date=dt.date(2025, 10, 9), type=IncidentType.TRUANCY, recorded_by=tom
    )
    return {"first": first, "second": second, "tom": tom, "tina": tina}


def test_completion_per_category_teacher_and_class(school, term, board_school):
    board = school_dashboard(school=school, semester=term, chosen=DashboardFilter(), on=DAY)
    assert board["running"]
    assert [(c.key, c.met, c.due, c.rate, c.overdue) for c in board["by_category"]] == [
        ("left_behind", 4, 7, 57, 1),
        ("poor", 0, 1, 0, 1),
    ]
    assert [(c.label, c.met, c.due) for c in board["by_teacher"]] == [
        ("蒂老师", 0, 1),
        ("汤老师", 4, 7),
    ]
    assert [(c.label, c.met, c.due) for c in board["by_class"]] == [
        ("七(1)班", 4, 7),
        ("七(2)班", 0, 1),
    ]


def test_the_completion_tables_write_each_group_s_row(school, term, board_school):
    board = school_dashboard(school=school, semester=term, chosen=DashboardFilter(), on=DAY)
    rows = Template(
        "{% load dashboard_tables %}"
        "{% completion_rows by_category running=True badges=True %}|"
        "{% completion_rows by_teacher running=False %}"
    ).render(Context(board))
    assert rows == (
        '<tr><td><span class="badge cat-left_behind">留守</span></td><td class="num">1</td>'
        '<td class="num">4/7</td><td class="num">57%</td><td class="num">1</td></tr>'
        '<tr><td><span class="badge cat-poor">贫困</span></td><td class="num">1</td>'
        '<td class="num">0/1</td><td class="num">0%</td><td class="num">1</td></tr>|'
        '<tr><td>蒂老师</td><td class="num">1</td><td class="num">0/1</td>'
        '<td class="num">0%</td></tr>'
        '<tr><td>汤老师</td><td class="num">1</td><td class="num">4/7</td>'
        '<td class="num">57%</td></tr>'
    )


def test_a_completion_row_escapes_its_label_and_shows_no_rate_before_anything_is_due():
    rows = Template("{% load dashboard_tables %}{% completion_rows groups running=True %}")
    assert rows.render(Context({"groups": [Completion("<b>王</b>", pairings=2)]})) == (
        '<tr><td>&lt;b&gt;王&lt;/b&gt;</td><td class="num">2</td><td class="num">0/0</td>'
        '<td class="num">—</td><td class="num">0</td></tr>'
    )


def test_the_overdue_list_says_who_what_and_since_when(school, term, board_school):
    board = school_dashboard(school=school, semester=term, chosen=DashboardFilter(), on=DAY)
    assert [
        (row["pairing"].student_name, row["teacher"], row["rule"].kind, row["since"])
        for row in board["overdue"]
    ] == [
        ("乙", "蒂老师", "talk", dt.date(2025, 10, 1)),
        ("甲", "汤老师", "talk", dt.date(2025, 10, 13)),
    ]


def test_logs_per_week_and_incidents(school, term, board_school):
    board = school_dashboard(school=school, semester=term, chosen=DashboardFilter(), on=DAY)
    weeks = dict(board["weeks"])
    assert len(weeks) == 7  # 1 Sep … 13 Oct
    assert (weeks[START], weeks[dt.date(2025, 9, 8)], weeks[dt.date(2025, 9, 22)]) == (2, 1, 0)
    assert board["logs"] == 4
    assert (board["incident_total"], [n for _label, n in board["incidents"]]) == (1, [1])


def test_a_class_filter_narrows_every_part(school, term, board_school):
    chosen = DashboardFilter(school_class=board_school["first"])
    board = school_dashboard(school=school, semester=term, chosen=chosen, on=DAY)
    assert [c.label for c in board["by_teacher"]] == ["汤老师"]
    assert [row["pairing"].student_name for row in board["overdue"]] == ["甲"]
    assert (board["pairings"], board["incident_total"]) == (1, 0)


def test_a_teacher_and_category_filter(school, term, board_school):
    chosen = DashboardFilter(teacher=board_school["tina"], category="poor")
    board = school_dashboard(school=school, semester=term, chosen=chosen, on=DAY)
    assert [(c.key, c.met, c.due) for c in board["by_category"]] == [("poor", 0, 1)]
    chosen = DashboardFilter(teacher=board_school["tina"], category="left_behind")
    board = school_dashboard(school=school, semester=term, chosen=chosen, on=DAY)
    assert board["pairings"] == 0 and board["by_category"] == []


def test_a_finished_semester_counts_every_period_and_lists_no_overdue(school, term, board_school):
    board = school_dashboard(
        school=school, semester=term, chosen=DashboardFilter(), on=dt.date(2026, 3, 1)
    )
    assert not board["running"] and board["overdue"] == []
    left_behind = board["by_category"][0]
    assert left_behind.met == 4 and left_behind.due > 7


def test_the_page_filters_by_class_with_htmx(school, term, board_school):
    office = factories.make_user(Role.OFFICE, school=school)
    client = login(office)
    url = f"/dashboard/?semester={term.pk}&school_class={board_school['first'].pk}"
    response = client.get(url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<div id="results">' in page and "<html" not in page
    assert "<svg" in page and "每周帮扶记录条数" in page
    assert "汤老师" in page and "蒂老师" not in page


def test_a_bad_filter_value_falls_back_to_everything(school, term, board_school):
    office = factories.make_user(Role.OFFICE, school=school)
    response = login(office).get("/dashboard/?school_class=999999&category=nonsense")
    assert response.status_code == 200


def test_a_class_of_another_school_is_not_accepted(school, term, board_school, other_school):
    foreign = factories.SchoolClassFactory(school=other_school)
    office = factories.make_user(Role.OFFICE, school=school)
    response = login(office).get(f"/dashboard/?semester={term.pk}&school_class={foreign.pk}")
    assert "选择一个有效的选项" in response.content.decode() or response.status_code == 200
    assert "汤老师" in response.content.decode()


def test_teachers_over_the_cap_are_flagged(school, term, board_school):
    school.pairing_cap = 1
    school.save()
    tom = board_school["tom"]
    extra = factories.StudentFactory(school=school)
    factories.PairingFactory(school=school, student=extra, teacher=tom)
    office = factories.make_user(Role.OFFICE, school=school)
    page = login(office).get("/dashboard/").content.decode()
    assert "1 位教师超过结对上限 1 人" in page


def test_the_office_sets_the_cap_and_the_principal_cannot(school):
    office = factories.make_user(Role.OFFICE, school=school)
    assert login(office).post("/dashboard/cap/", {"pairing_cap": "5"}).status_code == 302
    school.refresh_from_db()
    assert school.pairing_cap == 5
    response = login(office).post("/dashboard/cap/", {"pairing_cap": "0"})
    school.refresh_from_db()
    assert (response.status_code, school.pairing_cap) == (302, 5)
    principal = factories.make_user(Role.PRINCIPAL, school=school)
    assert login(principal).post("/dashboard/cap/", {"pairing_cap": "9"}).status_code == 403


def test_the_county_drills_down_into_a_school_in_aggregates(school, term, board_school):
    viewer = factories.make_user(Role.COUNTY, county=school.county)
    client = login(viewer)
    rollup = client.get("/county/?semester=2025-2026-1").content.decode()
    assert f"/county/schools/{school.pk}/" in rollup
    page = client.get(f"/county/schools/{school.pk}/?semester=2025-2026-1").content.decode()
    assert "<svg" in page and "七(1)班" in page
    for name in ("甲", "乙", "汤老师", "蒂老师"):
        assert f">{name}<" not in page and name not in page.split("<main", 1)[1]


def test_the_county_cannot_open_a_school_of_another_county(school, other_school):
    viewer = factories.make_user(Role.COUNTY, county=school.county)
    assert login(viewer).get(f"/county/schools/{other_school.pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL, Role.TEACHER])
def test_school_roles_cannot_open_the_county_drill_down(school, role):
    user = factories.make_user(role, school=school)
    assert login(user).get(f"/county/schools/{school.pk}/").status_code == 403


def test_the_county_rollup_counts_logs_incidents_and_sheets(school, term, board_school):
    from dashboards.selectors import county_rollup

    (row,) = county_rollup(county=school.county, semester_code="2025-2026-1", on=DAY)
    assert (row["logs"], row["incidents"], row["sheets"]) == (4, 1, 0)


def test_the_county_rollup_rates_duty_completion_as_the_dashboard_does(school, term, board_school):
    from dashboards.selectors import county_rollup

    (row,) = county_rollup(county=school.county, semester_code="2025-2026-1", on=DAY)
    # left behind 4 of 7, poor 0 of 1 (see the module's docstring)
    assert (row["duties_met"], row["duties_due"], row["duty_rate"]) == (4, 8, 50)


def _dashboard_completion(school, semester, day):
    board = school_dashboard(school=school, semester=semester, chosen=DashboardFilter(), on=day)
    return sum(c.met for c in board["by_category"]), sum(c.due for c in board["by_category"])


@pytest.mark.parametrize("day", [DAY, dt.date(2025, 12, 3), dt.date(2026, 3, 2)])
def test_each_county_row_has_its_own_schools_rules_and_calendar(school, term, board_school, day):
    """A second school of the county that asks for a monthly talk only and takes the week
    of 6 Oct off: each row equals that school's own dashboard, running or finished."""
    from dashboards.selectors import county_rollup
    from visits.models import DutyRule, HolidayWeek

    other = factories.SchoolFactory(county=school.county, code="B")
    other_term = factories.SemesterFactory(school=other, code="2025-2026-1")
    DutyRule.objects.create(
        school=other, category=Category.LEFT_BEHIND, kind=Kind.TALK, period="month", count=1
    )
    HolidayWeek.objects.create(school=other, monday=dt.date(2025, 10, 6))
    pairing = factories.PairingFactory(school=other, start=START, identified=False)
    ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=START, content="谈心"
    )
    ended = factories.PairingFactory(
        school=other,
        start=START,
        end=dt.date(2025, 11, 20),
        end_reason="毕业",
        identified=False,
    )
    ActivityLog.objects.create(
        pairing=ended, author=ended.teacher, kind=Kind.TALK, date=START, content="谈心"
    )
    rows = {
        row["school"].pk: row
        for row in county_rollup(county=school.county, semester_code="2025-2026-1", on=day)
    }
    for s, semester in ((school, term), (other, other_term)):
        expected = _dashboard_completion(s, semester, day)
        assert (rows[s.pk]["duties_met"], rows[s.pk]["duties_due"]) == expected
        assert expected[1] > 0


def test_a_county_row_links_its_school_and_says_its_figures(school):
    row = {
        "school": school,
        "enrolled": 270,
        "categories": [10, 8, 0, 1],
        "identified": 19,
        "paired": 17,
        "rate": 89,
        "duty_rate": 75,
        "duties_met": 3,
        "duties_due": 4,
        "logs": 120,
        "incidents": 2,
        "sheets": 0,
        "approved": 0,
    }
    rows = Template("{% load dashboard_tables %}{% county_rows rows code=code %}")
    html = rows.render(
        Context(
            {
                "rows": [row, {**row, "rate": None, "duty_rate": None, "sheets": 5, "approved": 2}],
                "code": "2025-2026-1",
            }
        )
    )
    url = f"/county/schools/{school.pk}/?semester=2025-2026-1"
    cells = (
        '<td class="num">10</td><td class="num">8</td><td class="num">0</td><td class="num">1</td>'
    )
    assert html == (
        f'<tr><td><a href="{url}">{school.name}</a></td><td class="num">270</td>{cells}'
        '<td class="num">19</td><td class="num">17</td><td class="num">89%</td>'
        '<td class="num"><span title="3/4 个周期已完成">75%</span></td>'
        '<td class="num">120</td><td class="num">2</td><td class="num">—</td></tr>'
        f'<tr><td><a href="{url}">{school.name}</a></td><td class="num">270</td>{cells}'
        '<td class="num">19</td><td class="num">17</td><td class="num">—</td>'
        '<td class="num">—</td><td class="num">120</td><td class="num">2</td>'
        '<td class="num">2/5</td></tr>'
    )
