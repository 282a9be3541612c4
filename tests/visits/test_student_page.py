"""Incidents recorded by the homeroom teacher and the office, and the student's page with its
plan (people and records: see test_views.py's docstring and conftest.py)."""

import datetime as dt

import pytest

from pairing.models import Pairing
from students.models import Category
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, messages_of, text, today
from tests.visits.records import (
    LB_TALK,
    STATUS_WORDS,
    make_log,
    page_duty,
    require_teaching_week,
)
from visits.duties import DEFAULT_RULES
from visits.duty_store import duty_status_rebuild
from visits.models import ActivityLog, Incident, IncidentType, Kind, VisitPhoto

pytestmark = pytest.mark.django_db

# Incidents


def incident(**changes) -> dict[str, str]:
    return {
        "date": today().isoformat(),
        "type": IncidentType.TRUANCY,
        "note": "上午未到校，家长不知情",
        **changes,
    }


@pytest.mark.parametrize("who", ["homeroom", "office"])
def test_homeroom_teacher_and_office_record_an_incident(request, student, who):
    user = request.getfixturevalue(who)
    client = login(user)
    form = client.get(f"/students/{student.pk}/incidents/new/")
    assert form.status_code == 200
    assert form.context["form"]["date"].value() == today()
    response = client.post(f"/students/{student.pk}/incidents/new/", incident())
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    assert messages_of(response) == ["已记录违纪事件"]
    recorded = Incident.objects.get()
    assert (recorded.student, recorded.recorded_by, recorded.type) == (student, user, "truancy")


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "principal", "charlie", "other_teacher"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_others_cannot_record_an_incident(request, student, pairing, bobs_pairing, who, method):
    # given alice and bob help the student but are not the homeroom teacher
    client = login(request.getfixturevalue(who))
    url = f"/students/{student.pk}/incidents/new/"
    response = client.get(url) if method == "get" else client.post(url, incident())
    assert response.status_code == 404
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": (today() + dt.timedelta(days=1)).isoformat()}, "date", "日期不能晚于今天"),
        ({"type": ""}, "type", "这个字段是必填项。"),
        ({"type": "smoking"}, "type", "不在可用的选项中"),
    ],
    ids=["future date", "no type", "unknown type"],
)
def test_bad_incident_is_explained_and_kept(homeroom, student, changes, field, message):
    response = login(homeroom).post(f"/students/{student.pk}/incidents/new/", incident(**changes))
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert "上午未到校，家长不知情" in text(response)
    assert not Incident.objects.exists()


@pytest.mark.parametrize(("who", "shown"), [("homeroom", True), ("office", True), ("alice", False)])
def test_incident_link_is_shown_to_those_who_may_record(request, student, pairing, who, shown):
    page = text(login(request.getfixturevalue(who)).get(f"/students/{student.pk}/"))
    assert (f"/students/{student.pk}/incidents/new/" in page) is shown


def test_incident_is_shown_to_the_students_helper(alice, homeroom, student, pairing):
    login(homeroom).post(f"/students/{student.pk}/incidents/new/", incident())
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert "逃学" in page
    assert "上午未到校，家长不知情" in page
    assert "班主任丁 记录" in page


# The student's page and the plan


@pytest.mark.parametrize(
    ("who", "shown"),
    [("alice", True), ("office", True), ("bob", False), ("principal", False), ("homeroom", False)],
)
def test_plan_edit_link_is_for_the_pairings_teacher_and_the_office(
    request, student, pairing, bobs_pairing, who, shown
):
    page = text(login(request.getfixturevalue(who)).get(f"/students/{student.pk}/"))
    assert (f"/pairings/{pairing.pk}/plan/" in page) is shown


@pytest.mark.parametrize("who", ["alice", "office"])
def test_pairings_teacher_and_office_save_the_plan(request, pairing, who):
    client = login(request.getfixturevalue(who))
    form = client.get(f"/pairings/{pairing.pk}/plan/")
    assert form.status_code == 200
    response = client.post(
        f"/pairings/{pairing.pk}/plan/",
        {"goals": "  期末数学及格  ", "measures": "每周两次面批作业\n每月与父母视频"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/students/{pairing.student_id}/"
    assert messages_of(response) == ["帮扶计划已保存"]
    pairing.refresh_from_db()
    assert (pairing.goals, pairing.measures) == ("期末数学及格", "每周两次面批作业\n每月与父母视频")
    page = text(client.get(f"/students/{pairing.student_id}/"))
    assert "期末数学及格" in page
    assert "每周两次面批作业<br>每月与父母视频" in page


@pytest.fixture
def alice_plan(pairing) -> Pairing:
    Pairing.objects.filter(pk=pairing.pk).update(goals="不因家庭经济困难辍学")
    pairing.refresh_from_db()
    return pairing


def test_plan_form_shows_the_plan_as_it_is(alice, alice_plan):
    page = text(login(alice).get(f"/pairings/{alice_plan.pk}/plan/"))
    assert "不因家庭经济困难辍学" in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bob", 403),
        ("principal", 403),
        ("homeroom", 403),
        ("carol", 404),
        ("charlie", 404),
        ("other_teacher", 404),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_others_cannot_edit_the_plan(request, alice_plan, bobs_pairing, who, status, method):
    client = login(request.getfixturevalue(who))
    url = f"/pairings/{alice_plan.pk}/plan/"
    response = (
        client.get(url) if method == "get" else client.post(url, {"goals": "改掉", "measures": ""})
    )
    assert response.status_code == status
    alice_plan.refresh_from_db()
    assert alice_plan.goals == "不因家庭经济困难辍学"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alice", 200),
        ("bob", 200),
        ("homeroom", 200),
        ("office", 200),
        ("principal", 200),
        ("carol", 404),
        ("charlie", 404),
        ("other_teacher", 404),
    ],
)
def test_student_page_is_for_those_who_may_see_the_student(
    request, student, pairing, bobs_pairing, who, status
):
    response = login(request.getfixturevalue(who)).get(f"/students/{student.pk}/")
    assert response.status_code == status


def test_student_page_lists_each_active_pairings_duties(office, student, pairing, bobs_pairing):
    # given the student has an ended pairing too
    factories.PairingFactory(
        school=student.school,
        student=student,
        category=Category.PROBLEM,
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=1),
        end_reason=Pairing.EndReason.LEFT_CATEGORY,
    )
    # when the office opens the student's page
    response = login(office).get(f"/students/{student.pk}/")
    # then every duty of both active pairings is listed with its status in words, and none
    # of the ended one's
    listed = [item["pairing"] for item in response.context["active_pairings"]]
    assert sorted(p.pk for p in listed) == sorted([pairing.pk, bobs_pairing.pk])
    shown = [str(r.title) for r in DEFAULT_RULES if r.category in ("left_behind", "poor")]
    ended = [str(r.title) for r in DEFAULT_RULES if r.category == "problem"]
    assert {page_duty(response, title) for title in shown} <= STATUS_WORDS
    assert [t for t in ended if f'<span class="duty-title">{t}</span>' in text(response)] == []
    assert "已结束的结对" in text(response)


STUDENT_PAGE_QUERIES = 17


@pytest.mark.parametrize("helpers", [1, 6])
def test_student_page_query_count_does_not_grow_with_helpers_and_logs(
    school, semester, office, student, helpers, django_assert_num_queries, media
):
    # given `helpers` pairings of the student, each with a home visit and a photo, and as
    # many incidents
    categories = list(Category)
    for n in range(helpers):
        helping = factories.PairingFactory(
            school=school, student=student, category=categories[n % len(categories)]
        )
        log = make_log(helping, kind=Kind.HOME_VISIT, visit_place="家中")
        VisitPhoto.objects.create(log=log, image="photos/x.jpg", width=1, height=1)
        Incident.objects.create(
            student=student, date=today(), type=IncidentType.TRUANCY, recorded_by=helping.teacher
        )
    client = login(office)
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild(schools=[school])
    # when the office opens the student's page, then the number of queries is fixed
    with django_assert_num_queries(STUDENT_PAGE_QUERIES):
        response = client.get(f"/students/{student.pk}/")
    assert response.context["page"].paginator.count == 2 * helpers


def test_student_page_shows_a_done_duty(alice, pairing, semester):
    require_teaching_week(semester, pairing, weeks_ago=0)
    make_log(pairing)
    response = login(alice).get(f"/students/{pairing.student_id}/")
    assert page_duty(response, LB_TALK) == "已完成"


def test_timeline_lists_every_helpers_logs_and_incidents_newest_first(
    alice, student, pairing, bobs_pairing, homeroom
):
    # given logs by alice and by bob, and an incident, on three different days
    make_log(pairing, date=today(), content="甲今天的谈话")
    make_log(
        bobs_pairing,
        kind=Kind.HOME_VISIT,
        date=today() - dt.timedelta(days=2),
        content="乙的家访",
        visit_place="家中",
    )
    Incident.objects.create(
        student=student,
        date=today() - dt.timedelta(days=1),
        type=IncidentType.GANG_FIGHT,
        note="课间与同学打架",
        recorded_by=homeroom,
    )
    make_log(pairing, date=today() - dt.timedelta(days=3), content="甲更早的谈话")
    # when alice opens the student's page
    page = text(login(alice).get(f"/students/{student.pk}/"))
    # then all four are there, newest first, each with who wrote it
    positions = [
        page.index(m) for m in ("甲今天的谈话", "课间与同学打架", "乙的家访", "甲更早的谈话")
    ]
    assert positions == sorted(positions)
    assert "鲍勃老师" in page
    assert "结伙打架" in page


def test_timeline_of_another_student_is_not_mixed_in(alice, school, student, pairing):
    other = factories.PairingFactory(school=school, teacher=alice)
    make_log(other, content="另一个学生的记录")
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert "另一个学生的记录" not in page


def test_long_timelines_are_paged_newest_first(office, pairing, student):
    # given 25 talks on 25 different days
    first = pairing.start
    for n in range(25):
        make_log(pairing, date=min(first + dt.timedelta(days=n), today()))
    client = login(office)
    # when the student's page is opened, then the newest 20 show, and the rest on page 2
    page_one = client.get(f"/students/{student.pk}/").context["page"]
    page_two = client.get(f"/students/{student.pk}/?page=2").context["page"]
    assert (len(page_one.object_list), len(page_two.object_list)) == (20, 5)
    assert page_one.object_list[0][0] >= page_two.object_list[0][0]


def test_field_and_record_problems_are_reported_together(alice, pairing):
    # given a material-aid log with no items (a rule of the record) and a negative amount (a
    # rule of the field), dated before the pairing started (a rule of the record)
    response = login(alice).post(
        "/logs/new/",
        {
            "pairing": pairing.pk,
            "kind": "material_aid",
            "date": (pairing.start - dt.timedelta(days=1)).isoformat(),
            "channel": "in_person",
            "content": "送了书包",
            "aid_amount": "-5",
        },
    )
    # then all three are shown at once, beside their fields, and nothing is saved
    assert response.status_code == 200
    assert "日期不在结对期间" in field_errors(response, "date")
    assert "须填写资助物品" in field_errors(response, "aid_items")
    assert field_errors(response, "aid_amount")
    assert not ActivityLog.objects.exists()
