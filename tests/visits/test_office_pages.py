"""The aid office's duty rules and school calendar: the services in `visits.rules` and the
pages /duty-rules/ and /calendar/.

alice is the school's aid office (she may do everything here), the principal and a teacher of
the same school are refused (403), charlie is the aid office of another school (404: he must
not learn that alice's records exist)."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, form_errors, login_redirect, messages_of, text
from visits import duties
from visits.models import DutyRule, Exam, HolidayWeek
from visits.rules import (
    duty_rules_reset,
    duty_rules_save,
    exam_add,
    holiday_week_add,
)
from visits.selectors import calendar_for, rules_for

pytestmark = pytest.mark.django_db


def d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def term(school):
    """2025-2026-1 with its default teaching dates, 1 Sep 2025 (a Monday) – 31 Jan 2026."""
    return factories.SemesterFactory(school=school, code="2025-2026-1")


def weekly_talk(**changes: Any) -> dict[str, Any]:
    row = {
        "category": "left_behind",
        "kind": "talk",
        "period": "week",
        "count": 1,
        "title": "每周谈心",
    }
    return {**row, **changes}


MONTHLY_CALL = weekly_talk(kind="parent_contact", period="month", title="每月电话")


def as_rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, int, str]]:
    return [(r["category"], r["kind"], r["period"], r["count"], r["title"]) for r in rows]


def effective(school) -> list[tuple[str, str, str, int, str]]:
    return [
        (r.category, r.kind, r.period.value, r.count, str(r.title))
        for r in rules_for(school=school)
    ]


# Services: duty rules


def test_first_save_writes_the_schools_own_copy(school, other_school, alice):
    # given a school on the shipped defaults
    assert rules_for(school=school) == list(duties.DEFAULT_RULES)
    # when its office saves a rule set of two rules
    duty_rules_save(school=school, rules=[weekly_talk(count=2), MONTHLY_CALL], by=alice)
    # then the school uses its own rows, and other schools keep the defaults
    assert sorted(effective(school)) == sorted(as_rules([weekly_talk(count=2), MONTHLY_CALL]))
    assert rules_for(school=other_school) == list(duties.DEFAULT_RULES)


def test_saving_again_replaces_the_whole_set(school, alice):
    # given a school with its own two rules
    duty_rules_save(school=school, rules=[weekly_talk(), MONTHLY_CALL], by=alice)
    # when it saves a set of one
    duty_rules_save(school=school, rules=[weekly_talk(count=3)], by=alice)
    # then only that one is left
    assert effective(school) == as_rules([weekly_talk(count=3)])


def test_reset_returns_the_school_to_the_defaults(school, alice):
    # given a school with its own rules
    duty_rules_save(school=school, rules=[weekly_talk()], by=alice)
    # when it resets them
    deleted = duty_rules_reset(school=school, by=alice)
    # then its rows are gone and the defaults apply again
    assert deleted == 1
    assert not DutyRule.objects.filter(school=school).exists()
    assert rules_for(school=school) == list(duties.DEFAULT_RULES)


def test_duplicate_rule_is_refused_and_nothing_is_written(school, alice):
    # given a school with its own weekly talk
    duty_rules_save(school=school, rules=[weekly_talk()], by=alice)
    # when a set with two rules for the same category, kind and period is saved
    with pytest.raises(ValidationError) as caught:
        duty_rules_save(
            school=school, rules=[MONTHLY_CALL, weekly_talk(), weekly_talk(count=2)], by=alice
        )
    # then the later row is named on its kind, and the old set is untouched
    assert caught.value.message_dict["kind"] == [
        "第 3 条：类别、措施类型和周期与第 2 条相同，请合并为一条"
    ]
    assert (caught.value.error_dict["kind"][0].params or {})["row"] == 3
    assert effective(school) == as_rules([weekly_talk()])


@pytest.mark.parametrize("count", [0, 21, None])
def test_count_outside_1_to_20_is_refused(school, alice, count):
    # when a rule asks for a count outside 1–20, then the count is named and nothing written
    with pytest.raises(ValidationError) as caught:
        duty_rules_save(school=school, rules=[MONTHLY_CALL, weekly_talk(count=count)], by=alice)
    assert list(caught.value.message_dict) == ["count"]
    assert caught.value.message_dict["count"][0].startswith("第 2 条：")
    assert not DutyRule.objects.exists()


def test_empty_title_is_refused(school, alice):
    # when a rule's title is only blanks, then the title is named and nothing written
    with pytest.raises(ValidationError) as caught:
        duty_rules_save(school=school, rules=[weekly_talk(title="  ")], by=alice)
    assert list(caught.value.message_dict) == ["title"]
    assert not DutyRule.objects.exists()


def test_unknown_period_is_refused(school, alice):
    with pytest.raises(ValidationError) as caught:
        duty_rules_save(school=school, rules=[weekly_talk(period="fortnight")], by=alice)
    assert list(caught.value.message_dict) == ["period"]


def test_an_empty_rule_set_is_refused(school, alice):
    # given a school with its own rules
    duty_rules_save(school=school, rules=[weekly_talk()], by=alice)
    # when an empty set is saved, then it is refused (resetting is the way back to defaults)
    with pytest.raises(ValidationError) as caught:
        duty_rules_save(school=school, rules=[], by=alice)
    assert "恢复默认" in caught.value.message_dict["rules"][0]
    assert effective(school) == as_rules([weekly_talk()])


# Services: calendar


@pytest.mark.parametrize("day", ["2025-09-29", "2025-10-01", "2025-10-05"])
def test_holiday_is_stored_as_the_monday_of_its_week(school, alice, day):
    # when any day of National Day week is marked, then the week's Monday is stored
    holiday = holiday_week_add(school=school, day=d(day), note=" 国庆节 ", by=alice)
    assert holiday.monday == d("2025-09-29")
    assert holiday.note == "国庆节"


def test_second_day_of_a_marked_week_is_refused_on_day(school, alice):
    # given National Day week marked by its Wednesday
    holiday_week_add(school=school, day=d("2025-10-01"), note="国庆节", by=alice)
    # when its Sunday is marked, then the day is named and there is still one row
    with pytest.raises(ValidationError) as caught:
        holiday_week_add(school=school, day=d("2025-10-05"), note="", by=alice)
    assert "已经标记为不计周" in caught.value.message_dict["day"][0]
    assert HolidayWeek.objects.filter(school=school).count() == 1


def test_the_same_week_can_be_marked_by_two_schools(school, other_school, alice):
    holiday_week_add(school=school, day=d("2025-10-01"), note="", by=alice)
    holiday_week_add(school=other_school, day=d("2025-10-01"), note="", by=alice)
    assert HolidayWeek.objects.count() == 2


@pytest.mark.parametrize("day", ["2025-08-31", "2026-02-01"])
def test_exam_outside_the_semester_is_refused(term, alice, day):
    # when an exam is dated outside the semester's teaching dates, then the date is named
    with pytest.raises(ValidationError) as caught:
        exam_add(semester=term, name="期中考试", date=d(day), by=alice)
    assert caught.value.message_dict["date"] == ["考试日期不在该学期的教学日期内"]
    assert not Exam.objects.exists()


def test_second_exam_on_a_day_is_refused(term, alice):
    exam_add(semester=term, name="期中考试", date=d("2025-11-10"), by=alice)
    with pytest.raises(ValidationError) as caught:
        exam_add(semester=term, name="月考", date=d("2025-11-10"), by=alice)
    assert "期中考试" in caught.value.message_dict["date"][0]
    assert Exam.objects.count() == 1


def test_exams_come_into_the_duty_calendar(term, alice):
    # given two exams of the semester
    exam_add(semester=term, name="期末考试", date=d("2026-01-20"), by=alice)
    exam_add(semester=term, name="期中考试", date=d("2025-11-10"), by=alice)
    # then the evaluators' calendar holds both
    assert sorted(calendar_for(semester=term).exams) == [d("2025-11-10"), d("2026-01-20")]


# Pages: who may open them

PAGES = ["/duty-rules/", "/calendar/"]


@pytest.fixture
def holiday(school):
    return HolidayWeek.objects.create(school=school, monday=d("2025-09-29"), note="国庆节")


@pytest.fixture
def exam(school, term):
    return Exam.objects.create(school=school, semester=term, name="期中考试", date=d("2025-11-10"))


def post_urls(holiday: HolidayWeek, exam: Exam) -> list[str]:
    return [
        reverse("duty_rules_reset"),
        reverse("holiday_week_remove", args=[holiday.pk]),
        reverse("exam_remove", args=[exam.pk]),
    ]


def test_urls_are_named():
    assert reverse("duty_rules") == "/duty-rules/"
    assert reverse("school_calendar") == "/calendar/"


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client, path):
    assert client.get(path)["Location"] == login_redirect(path)


def test_anonymous_is_sent_to_login_from_the_post_actions(client, holiday, exam):
    # a GET too: the login check comes before the method check
    for path in post_urls(holiday, exam):
        assert client.get(path)["Location"] == login_redirect(path)
        assert client.post(path)["Location"] == login_redirect(path)
    assert HolidayWeek.objects.count() == 1
    assert Exam.objects.count() == 1


@pytest.mark.parametrize("role", [Role.PRINCIPAL, Role.TEACHER])
def test_colleague_without_office_role_gets_403(school, role, holiday, exam):
    # given the principal or a teacher of alice's school
    client = login(factories.make_user(role, school=school))
    # then every page and action is refused, and nothing changes
    for path in PAGES:
        assert client.get(path).status_code == 403
    for path in [*post_urls(holiday, exam), reverse("duty_rules")]:
        assert client.post(path).status_code == 403
    assert HolidayWeek.objects.count() == 1
    assert Exam.objects.count() == 1


def test_county_viewer_gets_403():
    client = login(factories.make_user(Role.COUNTY))
    for path in PAGES:
        assert client.get(path).status_code == 403


def test_outsider_gets_404_removing_alices_holiday_and_exam(charlie, holiday, exam):
    # when the office of another school tries to remove alice's holiday week and exam
    client = login(charlie)
    responses = [
        client.post(reverse("holiday_week_remove", args=[holiday.pk])),
        client.post(reverse("exam_remove", args=[exam.pk])),
    ]
    # then both are not found, and both are still there
    assert [r.status_code for r in responses] == [404, 404]
    assert HolidayWeek.objects.filter(pk=holiday.pk).exists()
    assert Exam.objects.filter(pk=exam.pk).exists()


def test_outsider_gets_404_on_alices_semester(charlie, term):
    assert login(charlie).get(f"/calendar/?semester={term.pk}").status_code == 404


def test_remove_actions_refuse_get(alice, holiday, exam):
    client = login(alice)
    for path in post_urls(holiday, exam):
        assert client.get(path).status_code == 405


# Pages: /duty-rules/


def test_office_sees_the_default_rules_grouped_by_category(school, alice):
    # when alice opens the rules of a school on the defaults
    response = login(alice).get("/duty-rules/")
    page = text(response)
    # then the defaults are shown as such, grouped by category, with kind, period and count
    assert response.status_code == 200
    assert "使用默认规则（方案一）" in page
    for category in ("left_behind", "poor", "struggling", "problem"):
        assert f'<span class="badge cat-{category}">' in page
    assert "谈心交流（学习、生活、假期活动、交友）" in page
    assert "谈心谈话 · 每周至少 1 次" in page
    assert "考试指导 · 每次考试至少 1 次" in page
    # and the form has a row per default rule and one blank row
    formset = response.context["formset"]
    assert formset.total_form_count() == len(duties.DEFAULT_RULES) + 1
    assert 'name="form-0-count"' in page
    assert 'inputmode="numeric"' in page
    assert 'name="form-0-DELETE"' in page
    assert "恢复默认" not in page.split('id="edit"')[1].split("</form>")[1]


def test_office_sees_the_schools_own_rules(school, alice):
    duty_rules_save(school=school, rules=[weekly_talk(count=3, title="每周谈心三次")], by=alice)
    page = text(login(alice).get("/duty-rules/"))
    assert "本校自定规则" in page
    assert "使用默认规则（方案一）" not in page
    assert "每周谈心三次" in page
    assert "每周至少 3 次" in page
    assert "该类别没有帮扶措施要求" in page  # poor, struggling and problem have none now
    assert reverse("duty_rules_reset") in page


def formset_data(response, **rows: dict[str, Any]) -> dict[str, Any]:
    """The rule formset as the browser would post it back, rows changed by index
    (`row_0={...}`); `DELETE=True` in a row ticks its delete box."""
    formset = response.context["formset"]
    data: dict[str, Any] = {
        "form-TOTAL_FORMS": str(formset.total_form_count()),
        "form-INITIAL_FORMS": str(formset.initial_form_count()),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, form in enumerate(formset.forms):
        values = {name: form.initial.get(name, "") for name in ("category", "kind", "period")}
        values |= {name: form.initial.get(name, "") for name in ("count", "title")}
        values |= rows.get(f"row_{index}", {})
        if values.pop("DELETE", False):
            data[f"form-{index}-DELETE"] = "on"
        data |= {f"form-{index}-{name}": value for name, value in values.items()}
    return data


def test_office_edits_the_rules_through_the_formset(school, alice):
    # given alice on the rules page of a school on the defaults
    client = login(alice)
    page = client.get("/duty-rules/")
    last = len(duties.DEFAULT_RULES)
    # when she doubles the first rule, deletes the second and adds a monthly letter
    data = formset_data(
        page,
        row_0={"count": "2"},
        row_1={"DELETE": True},
        row_14={
            "category": "left_behind",
            "kind": "letter",
            "period": "month",
            "count": "1",
            "title": "每月写一封信",
        },
    )
    assert f"form-{last}-title" in data
    response = client.post("/duty-rules/", data)
    # then she is sent back with a message, and the school's rule set is the edited one
    assert response.status_code == 302
    assert messages_of(response) == ["已保存本校的帮扶措施要求，共 14 条"]
    rules = {(r.category, r.kind, r.period.value): r for r in rules_for(school=school)}
    assert len(rules) == 14
    assert rules["left_behind", "talk", "week"].count == 2
    assert ("left_behind", "parent_contact", "month") not in rules
    assert rules["left_behind", "letter", "month"].title == "每月写一封信"
    assert ("struggling", "exam_guidance", "exam") in rules
    # and the page now shows the school's own rules
    assert "本校自定规则" in text(client.get("/duty-rules/"))


def test_blank_extra_row_is_skipped(school, alice):
    client = login(alice)
    response = client.post("/duty-rules/", formset_data(client.get("/duty-rules/")))
    assert response.status_code == 302
    assert len(rules_for(school=school)) == len(duties.DEFAULT_RULES)
    assert DutyRule.objects.filter(school=school).count() == len(duties.DEFAULT_RULES)


def test_bad_count_is_shown_beside_the_field_with_the_typed_values(school, alice):
    # when alice types 21 as a count and a new title elsewhere
    client = login(alice)
    data = formset_data(
        client.get("/duty-rules/"), row_0={"count": "21"}, row_2={"title": "写一封家书"}
    )
    response = client.post("/duty-rules/", data)
    # then the error is beside that count, what she typed is kept, and nothing is saved
    assert response.status_code == 200
    assert "20" in field_errors(response, "form-0-count")
    assert 'value="21"' in text(response)
    assert 'value="写一封家书"' in text(response)
    assert not DutyRule.objects.exists()


def test_duplicate_rule_is_shown_beside_the_later_rows_kind(school, alice):
    # when alice sets the second rule to the first one's kind and period
    client = login(alice)
    data = formset_data(client.get("/duty-rules/"), row_1={"kind": "talk", "period": "week"})
    response = client.post("/duty-rules/", data)
    # then the second row's kind says which row it repeats, and nothing is saved
    assert response.status_code == 200
    assert "第 2 条：类别、措施类型和周期与第 1 条相同" in field_errors(response, "form-1-kind")
    assert not DutyRule.objects.exists()


def test_duplicate_rows_are_numbered_as_on_the_page_after_a_deleted_row(school, alice):
    # given a deleted first row, the service sees the duplicate as its row 2
    client = login(alice)
    data = formset_data(
        client.get("/duty-rules/"),
        row_0={"DELETE": True},
        row_2={"kind": "parent_contact", "period": "month"},
    )
    response = client.post("/duty-rules/", data)
    # then the error is numbered as the page numbers the row
    assert "第 3 条：类别、措施类型和周期与第 2 条相同" in field_errors(response, "form-2-kind")


def test_deleting_every_rule_is_refused_at_the_top(school, alice):
    client = login(alice)
    page = client.get("/duty-rules/")
    rows = {f"row_{i}": {"DELETE": True} for i in range(len(duties.DEFAULT_RULES))}
    response = client.post("/duty-rules/", formset_data(page, **rows))
    assert response.status_code == 200
    assert "至少保留一条帮扶措施要求" in text(response)
    assert not DutyRule.objects.exists()


def test_office_resets_the_rules(school, alice):
    # given a school with its own rules
    duty_rules_save(school=school, rules=[weekly_talk()], by=alice)
    # when alice presses 恢复默认
    response = login(alice).post(reverse("duty_rules_reset"))
    # then the defaults apply again
    assert response["Location"] == "/duty-rules/"
    assert messages_of(response) == ["已恢复默认规则（方案一）"]
    assert rules_for(school=school) == list(duties.DEFAULT_RULES)


def test_reset_leaves_other_schools_rules_alone(school, other_school, alice):
    duty_rules_save(school=other_school, rules=[weekly_talk()], by=alice)
    login(alice).post(reverse("duty_rules_reset"))
    assert DutyRule.objects.filter(school=other_school).count() == 1


# Pages: /calendar/


def test_calendar_shows_the_current_semester_by_default(school, semester, alice, term):
    response = login(alice).get("/calendar/")
    assert response.status_code == 200
    assert response.context["semester"] == semester


def test_calendar_without_semesters_says_to_add_one(school, alice):
    response = login(alice).get("/calendar/")
    assert response.status_code == 200
    assert reverse("semester_list") in text(response)


def test_calendar_shows_holiday_weeks_and_exams_of_the_semester(alice, term, holiday, exam):
    # given National Day week, another week after the semester, and an exam
    HolidayWeek.objects.create(school=term.school, monday=d("2026-03-02"), note="春季")
    # when alice opens the calendar of the semester
    page = text(login(alice).get(f"/calendar/?semester={term.pk}"))
    # then the week is shown as its range with its note, the exam with its date
    assert "9月29日—10月5日" in page
    assert "国庆节" in page
    assert "春季" not in page
    assert "期中考试" in page
    assert "2025-11-10" in page
    assert reverse("holiday_week_remove", args=[holiday.pk]) in page
    assert reverse("exam_remove", args=[exam.pk]) in page


def test_holiday_added_through_the_page_counts_for_the_duties(alice, term):
    # when alice marks the week of 1 October from the calendar page
    client = login(alice)
    response = client.post(
        f"/calendar/?semester={term.pk}",
        {"action": "holiday", "holiday-day": "2025-10-01", "holiday-note": "国庆节"},
    )
    # then she comes back to the semester's calendar, which shows the week
    assert response["Location"] == f"/calendar/?semester={term.pk}"
    assert messages_of(response) == ["已将 2025-09-29—2025-10-05 标记为不计周"]
    assert "9月29日—10月5日" in text(client.get(response["Location"]))
    # and the evaluators' calendar skips that week
    calendar = calendar_for(semester=term)
    assert calendar.holidays == frozenset({d("2025-09-29")})
    assert calendar.is_holiday(d("2025-10-03"))


def test_duplicate_week_on_the_page_is_shown_beside_the_day(alice, term, holiday):
    response = login(alice).post(
        f"/calendar/?semester={term.pk}",
        {"action": "holiday", "holiday-day": "2025-10-02", "holiday-note": "又一次"},
    )
    assert response.status_code == 200
    assert "已经标记为不计周" in field_errors(response, "holiday-day")
    assert 'value="又一次"' in text(response)
    assert HolidayWeek.objects.count() == 1


def test_week_outside_the_semester_is_refused_on_the_page(alice, term):
    response = login(alice).post(
        f"/calendar/?semester={term.pk}", {"action": "holiday", "holiday-day": "2026-03-04"}
    )
    assert "不在" in field_errors(response, "holiday-day")
    assert not HolidayWeek.objects.exists()


def test_office_adds_an_exam_through_the_page(alice, term):
    client = login(alice)
    response = client.post(
        f"/calendar/?semester={term.pk}",
        {"action": "exam", "exam-name": "期中考试", "exam-date": "2025-11-10"},
    )
    assert response["Location"] == f"/calendar/?semester={term.pk}"
    assert calendar_for(semester=term).exams == (d("2025-11-10"),)


def test_exam_outside_the_semester_is_shown_beside_the_date(alice, term):
    response = login(alice).post(
        f"/calendar/?semester={term.pk}",
        {"action": "exam", "exam-name": "补考", "exam-date": "2026-02-10"},
    )
    assert response.status_code == 200
    assert "不在该学期的教学日期内" in field_errors(response, "exam-date")
    assert 'value="补考"' in text(response)
    assert form_errors(response) == ""
    assert not Exam.objects.exists()


def test_office_removes_a_holiday_week_and_an_exam(alice, term, holiday, exam):
    client = login(alice)
    removed_week = client.post(
        reverse("holiday_week_remove", args=[holiday.pk]), {"semester": term.pk}
    )
    removed_exam = client.post(reverse("exam_remove", args=[exam.pk]))
    assert removed_week["Location"] == f"/calendar/?semester={term.pk}"
    assert removed_exam["Location"] == f"/calendar/?semester={term.pk}"
    assert not HolidayWeek.objects.exists()
    assert not Exam.objects.exists()
    assert calendar_for(semester=term).holidays == frozenset()


# Query counts

RULES_PAGE_QUERIES = 5
CALENDAR_PAGE_QUERIES = 8


@pytest.mark.parametrize("own", [False, True])
def test_rules_page_query_count_is_fixed(school, alice, own, django_assert_num_queries):
    # given a school on the defaults, or with its own copy of them
    if own:
        rows = [
            {
                "category": r.category,
                "kind": r.kind,
                "period": r.period.value,
                "count": r.count,
                "title": str(r.title),
            }
            for r in duties.DEFAULT_RULES
        ]
        duty_rules_save(school=school, rules=rows, by=alice)
    client = login(alice)
    # then the page costs the same
    with django_assert_num_queries(RULES_PAGE_QUERIES):
        assert client.get("/duty-rules/").status_code == 200


@pytest.mark.parametrize("size", [1, 10])
def test_calendar_page_query_count_is_fixed(school, alice, term, size, django_assert_num_queries):
    # given `size` holiday weeks and exams in the semester
    for week in range(size):
        monday = term.start + dt.timedelta(weeks=week)
        HolidayWeek.objects.create(school=school, monday=monday, note=f"第{week}周")
        Exam.objects.create(school=school, semester=term, name=f"考试{week}", date=monday)
    client = login(alice)
    # then the page costs the same
    with django_assert_num_queries(CALENDAR_PAGE_QUERIES):
        response = client.get(f"/calendar/?semester={term.pk}")
    assert len(response.context["holidays"]) == size
