"""The questionnaire (问卷调查反馈评价): one-time slips issued by the aid office, answered
through the link without an account (once, before it expires, showing nothing else of the
school) or typed in from paper, and summarised on the sheets.

alice is the school's aid office, bob a teacher holding the pairings, the principal may read
the list, charlie is the aid office of another school (404: he must not learn that alice's
records exist)."""

import datetime as dt
import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessment.models import QUESTIONS, Questionnaire
from assessment.services import (
    questionnaire_answer,
    questionnaire_enter,
    questionnaires_issue,
    sheets_compute,
)
from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, form_errors, messages_of, text

pytestmark = pytest.mark.django_db

ANSWER = {
    "respondent": "parent",
    "q1": "5",
    "q2": "4",
    "q3": "4",
    "q4": "3",
    "q5": "5",
    "comment": "老师很负责",
}


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def bob(school):
    return factories.make_user(Role.TEACHER, school=school, name="李红", user__username="T0042")


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def ming(school):
    return factories.StudentFactory(school=school, name="王小明", student_no="G520101201201019876")


@pytest.fixture
def pairing(school, semester, bob, ming):
    return factories.PairingFactory(school=school, teacher=bob, student=ming)


def issue(semester, alice, **kwargs) -> dict[int, str]:
    """The raw tokens of the slips issued now, by pairing."""
    issued = questionnaires_issue(school=semester.school, semester=semester, by=alice, **kwargs)
    return {questionnaire.pairing_id: token for questionnaire, token in issued}


def link(token: str) -> str:
    return reverse("questionnaire_answer", args=[token])


def stored(pairing) -> Questionnaire:
    return Questionnaire.objects.get(pairing=pairing)


def expire(pairing) -> None:
    Questionnaire.objects.filter(pairing=pairing).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def list_url(semester) -> str:
    return reverse("questionnaire_list", args=[semester.pk])


def enter_url(semester, pairing) -> str:
    return reverse("questionnaire_enter", args=[semester.pk, pairing.pk])


# Services


def test_issuing_stores_only_the_hash_of_the_token(semester, alice, pairing):
    # when alice issues the semester's slips
    before = timezone.now()
    token = issue(semester, alice)[pairing.pk]
    # then the questionnaire keeps the token's sha256, never the token, for 30 days
    questionnaire = stored(pairing)
    assert questionnaire.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Questionnaire.objects.values().get())
    assert questionnaire.expires_at - questionnaire.issued_at == dt.timedelta(days=30)
    assert questionnaire.issued_at >= before
    assert questionnaire.answered_at is None


def test_issuing_again_voids_the_earlier_slip(client, semester, alice, pairing):
    # given a slip issued, then issued again
    old = issue(semester, alice)[pairing.pk]
    new = issue(semester, alice)[pairing.pk]
    # then only the new link opens the questionnaire, and there is still one questionnaire
    assert old != new
    assert client.get(link(old)).status_code == 404
    assert client.get(link(new)).status_code == 200
    assert Questionnaire.objects.count() == 1


def test_issuing_skips_answered_and_inactive_pairings(school, semester, alice, pairing):
    # given an answered questionnaire, another open pairing, and one that ended last semester
    other = factories.PairingFactory(school=school)
    ended = factories.PairingFactory(
        school=school,
        start=semester.start - dt.timedelta(days=200),
        end=semester.start - dt.timedelta(days=1),
        end_reason="graduated",
        identified=False,
    )
    token = issue(semester, alice)[pairing.pk]
    questionnaire_answer(token=token, respondent="student", ratings=[5] * 5, comment="")
    # when alice issues again, then only the unanswered pairing of the semester gets a slip
    assert list(issue(semester, alice)) == [other.pk]
    assert not Questionnaire.objects.filter(pairing=ended).exists()
    assert stored(pairing).ratings == [5] * 5


def test_answering_spends_the_link(semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    questionnaire = questionnaire_answer(
        token=token, respondent="parent", ratings=[5, 4, 4, 3, 5], comment=" 很好 "
    )
    questionnaire.refresh_from_db()
    assert questionnaire.ratings == [5, 4, 4, 3, 5]
    assert questionnaire.source == Questionnaire.Source.LINK
    assert questionnaire.respondent == Questionnaire.Respondent.PARENT
    assert questionnaire.comment == "很好"
    assert questionnaire.answered_at is not None
    assert questionnaire.token_hash is None
    assert questionnaire.entered_by is None


@pytest.mark.parametrize("case", ["unknown", "spent", "expired"])
def test_a_bad_token_is_refused_with_one_message(semester, alice, pairing, case):
    # given a link that is unknown, already answered, or expired
    token = issue(semester, alice)[pairing.pk]
    if case == "unknown":
        token = "no-such-token"
    elif case == "spent":
        questionnaire_answer(token=token, respondent="student", ratings=[3] * 5, comment="")
    else:
        expire(pairing)
    # when it is answered, then it is refused without saying why
    with pytest.raises(ValidationError) as caught:
        questionnaire_answer(token=token, respondent="parent", ratings=[1] * 5, comment="")
    assert caught.value.messages == ["此问卷链接无效、已过期或已填写"]
    assert stored(pairing).ratings == ([3] * 5 if case == "spent" else [None] * 5)


@pytest.mark.parametrize(
    ("ratings", "respondent", "comment", "fields"),
    [
        ([5, 4, 0, 3, 5], "parent", "", ["q3"]),
        ([5, 4, 4, 3, 6], "parent", "", ["q5"]),
        ([5, 4, 4], "parent", "", ["q4", "q5"]),
        ([5] * 5, "uncle", "", ["respondent"]),
        ([5] * 5, "student", "字" * 501, ["comment"]),
    ],
)
def test_an_incomplete_answer_is_refused_field_by_field(
    semester, alice, pairing, ratings, respondent, comment, fields
):
    token = issue(semester, alice)[pairing.pk]
    with pytest.raises(ValidationError) as caught:
        questionnaire_answer(token=token, respondent=respondent, ratings=ratings, comment=comment)
    assert sorted(caught.value.message_dict) == fields
    # and the link still works
    assert stored(pairing).token_hash is not None


def test_paper_entry_is_saved_as_paper_and_spends_the_link(semester, alice, pairing):
    # given a slip whose link was never used
    token = issue(semester, alice)[pairing.pk]
    # when alice types in the paper slip
    questionnaire_enter(
        pairing=pairing,
        semester=semester,
        respondent="student",
        ratings=[4, 4, 5, 5, 4],
        comment="",
        by=alice,
    )
    # then it is answered on paper by alice, and the link no longer works
    questionnaire = stored(pairing)
    assert questionnaire.source == Questionnaire.Source.PAPER
    assert questionnaire.entered_by == alice
    assert questionnaire.ratings == [4, 4, 5, 5, 4]
    with pytest.raises(ValidationError):
        questionnaire_answer(token=token, respondent="parent", ratings=[1] * 5, comment="")


def test_paper_entry_of_an_answered_questionnaire_is_refused(semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    questionnaire_answer(token=token, respondent="parent", ratings=[5] * 5, comment="")
    with pytest.raises(ValidationError) as caught:
        questionnaire_enter(
            pairing=pairing,
            semester=semester,
            respondent="student",
            ratings=[1] * 5,
            comment="",
            by=alice,
        )
    assert caught.value.messages == ["该结对本学期的问卷已填写，不能重复录入"]
    assert stored(pairing).ratings == [5] * 5


def test_the_sheet_summarises_the_answers(school, semester, alice, bob, pairing):
    # given bob's two pairings, one answered by link and one on paper, and a third unanswered
    second = factories.PairingFactory(school=school, teacher=bob)
    factories.PairingFactory(school=school, teacher=bob)
    token = issue(semester, alice)[pairing.pk]
    questionnaire_answer(token=token, respondent="parent", ratings=[5, 4, 4, 3, 5], comment="好")
    questionnaire_enter(
        pairing=second,
        semester=semester,
        respondent="student",
        ratings=[4, 4, 5, 4, 4],
        comment="",
        by=alice,
    )
    # when the sheets are computed
    sheets = sheets_compute(school=school, semester=semester, by=alice)
    # then bob's sheet shows the issued and answered counts and each question's mean
    summary = next(s for s in sheets if s.teacher == bob).content["questionnaire"]
    assert summary["issued"] == 3
    assert summary["answered"] == 2
    assert summary["means"] == ["4.50", "4.00", "4.50", "3.50", "4.50"]
    assert summary["overall"] == "4.20"
    assert summary["comments"] == ["好"]


# The public page of the link


def test_the_link_works_without_login(client, semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    # when an anonymous visitor opens the link
    page = client.get(link(token))
    # then the form names the semester and the teacher
    assert page.status_code == 200
    assert semester.label in text(page)
    assert "请对 李红 老师本学期的结对帮扶工作进行评价" in text(page)
    for question in QUESTIONS:
        assert str(question) in text(page)
    # and answering it shows the thanks and saves the answer
    response = client.post(link(token), ANSWER, follow=True)
    assert response.redirect_chain == [(reverse("questionnaire_thanks"), 302)]
    assert "感谢您的反馈" in text(response)
    questionnaire = stored(pairing)
    assert questionnaire.ratings == [5, 4, 4, 3, 5]
    assert questionnaire.respondent == "parent"
    assert questionnaire.source == "link"
    assert questionnaire.comment == "老师很负责"


def test_a_second_answer_is_refused_and_the_first_stays(client, semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    client.post(link(token), ANSWER)
    # when the link is opened and answered again
    again = client.get(link(token))
    second = client.post(link(token), {**ANSWER, "q1": "1", "comment": "改一下"})
    # then both are the invalid page, and the first answer is kept
    assert again.status_code == second.status_code == 404
    assert "此问卷链接无效、已过期或已填写" in text(second)
    questionnaire = stored(pairing)
    assert questionnaire.q1 == 5
    assert questionnaire.comment == "老师很负责"


def test_an_expired_link_is_refused(client, semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    expire(pairing)
    assert client.get(link(token)).status_code == 404
    assert client.post(link(token), ANSWER).status_code == 404
    assert stored(pairing).answered_at is None


def test_every_invalid_link_gets_the_same_page(client, semester, alice, pairing):
    # given a spent, an expired, an unknown and a malformed token
    spent, expired = (factories.PairingFactory(school=semester.school) for _ in range(2))
    tokens = issue(semester, alice)
    client.post(link(tokens[spent.pk]), ANSWER)
    expire(expired)
    cases = [tokens[spent.pk], tokens[expired.pk], "A" * 32, "%E2%9C%93", "x" * 300]
    # when each is opened, then each gets the same neutral 404 page
    responses = [client.get(link(token)) for token in cases]
    assert {r.status_code for r in responses} == {404}
    assert len({r.content for r in responses}) == 1
    assert "此问卷链接无效、已过期或已填写" in text(responses[0])


def test_the_public_pages_show_nothing_else_of_the_school(client, school, semester, alice, ming):
    # given ming's pairing, and the teacher's 工号
    pairing = factories.PairingFactory(school=school, student=ming)
    token = issue(semester, alice)[pairing.pk]
    form = client.get(link(token))
    invalid = client.post(link(token), {**ANSWER, "q1": ""})
    thanks = client.post(link(token), ANSWER, follow=True)
    spent = client.get(link(token))
    for response in (form, invalid, thanks, spent):
        page = text(response)
        # then no page holds the student's name or 学籍号, the school, or the teacher's 工号
        assert ming.name not in page
        assert ming.student_no not in page
        assert school.name not in page
        assert pairing.teacher.username not in page
        # and no page links anywhere: the only address is the stylesheet
        assert "<a " not in page
        assert "<nav" not in page
        assert re.findall(r'(?:href|src)="([^"]*)"', page) == ["/static/css/aidcase.css"]
        assert re.findall(r'action="([^"]*)"', page) == []


def test_the_public_pages_are_not_kept_indexed_or_referred(client, semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    responses = [client.get(link(token)), client.post(link(token), ANSWER)]
    responses += [client.get(reverse("questionnaire_thanks")), client.get(link(token))]
    assert [r.status_code for r in responses] == [200, 302, 200, 404]
    for response in responses:
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Robots-Tag"] == "noindex"


def test_the_answer_needs_no_cookie_and_no_referer(semester, alice, pairing):
    # given a phone browser that sends no cookie and, as the page asks, no Referer: Chromium
    # then posts with `Origin: null`
    token = issue(semester, alice)[pairing.pk]
    parent = Client(enforce_csrf_checks=True)
    # when the parent answers
    response = parent.post(link(token), ANSWER, HTTP_ORIGIN="null")
    # then the answer is taken (the token is the key, a forger would need it too)
    assert response.status_code == 302
    assert stored(pairing).answered_at is not None


def test_a_double_tap_stores_one_answer_and_both_taps_thank(client, semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    page = text(client.get(link(token)))
    form_key = re.search(r'name="_form_key" value="([0-9a-f]{32})"', page).group(1)
    # when the same filled-in form is sent twice
    first = client.post(link(token), {**ANSWER, "_form_key": form_key})
    second = client.post(link(token), {**ANSWER, "_form_key": form_key})
    # then both end on the thank-you page and one answer is stored
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("questionnaire_thanks")
    assert Questionnaire.objects.filter(answered_at__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"q2": ""}, "q2", "请选择 1—5 中的一项"),
        ({"q4": "6"}, "q4", "请选择 1—5 中的一项"),
        ({"respondent": ""}, "respondent", "请选择填写人"),
        ({"comment": "很" * 501}, "comment", "意见和建议最多 500 字（现在 501 字）"),
    ],
)
def test_mistakes_are_shown_beside_the_field(
    client, semester, alice, pairing, change, field, message
):
    token = issue(semester, alice)[pairing.pk]
    response = client.post(link(token), {**ANSWER, **change})
    # then the page is the form again, the message beside the field, the other values kept
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert re.search(r'name="q5" value="5"[^>]* checked', text(response))
    assert stored(pairing).answered_at is None
    assert client.get(link(token)).status_code == 200


# The aid office's pages: who may open them


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COUNTY])
def test_the_list_refuses_teachers_and_county(school, semester, role):
    user = factories.make_user(role, school=school if role == Role.TEACHER else None)
    assert login(user).get(list_url(semester)).status_code == 403


def test_principal_reads_the_list_without_actions(semester, principal, pairing):
    issue(semester, principal)
    response = login(principal).get(list_url(semester))
    assert response.status_code == 200
    assert "王小明" in text(response)
    assert reverse("questionnaire_issue", args=[semester.pk]) not in text(response)
    assert enter_url(semester, pairing) not in text(response)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
def test_only_the_office_issues_and_enters(school, semester, pairing, role):
    client = login(factories.make_user(role, school=school))
    assert client.post(reverse("questionnaire_issue", args=[semester.pk])).status_code == 403
    assert client.get(enter_url(semester, pairing)).status_code == 403
    assert client.post(enter_url(semester, pairing), ANSWER).status_code == 403
    assert not Questionnaire.objects.exists()


def test_outsider_gets_404_on_alices_semester_and_pairing(charlie, other_school, semester, pairing):
    client = login(charlie)
    own = factories.SemesterFactory(school=other_school)
    responses = [
        client.get(list_url(semester)),
        client.post(reverse("questionnaire_issue", args=[semester.pk])),
        client.post(enter_url(semester, pairing), ANSWER),
        # his own semester with alice's pairing
        client.post(enter_url(own, pairing), ANSWER),
        client.post(reverse("questionnaire_issue", args=[own.pk]), {"pairing": pairing.pk}),
    ]
    assert [r.status_code for r in responses] == [404] * 5
    assert not Questionnaire.objects.exists()


def test_issue_refuses_get(alice, semester):
    assert login(alice).get(reverse("questionnaire_issue", args=[semester.pk])).status_code == 405


def test_urls_are_named(semester, pairing):
    assert list_url(semester) == f"/assessment/semesters/{semester.pk}/questionnaires/"
    assert (
        reverse("questionnaire_issue", args=[semester.pk])
        == f"/assessment/semesters/{semester.pk}/questionnaires/issue/"
    )
    assert (
        enter_url(semester, pairing)
        == f"/assessment/semesters/{semester.pk}/questionnaires/{pairing.pk}/enter/"
    )
    assert link("abc") == "/q/abc/"


# The aid office's pages


def test_list_shows_each_pairings_state_and_the_counts(school, semester, alice, pairing):
    # given four pairings: answered on paper, pending, expired and not issued
    pending, expired = (factories.PairingFactory(school=school) for _ in range(2))
    issue(semester, alice)
    expire(expired)
    questionnaire_enter(
        pairing=pairing,
        semester=semester,
        respondent="parent",
        ratings=[5, 4, 4, 3, 5],
        comment="",
        by=alice,
    )
    factories.PairingFactory(school=school)
    # when alice opens the list
    response = login(alice).get(list_url(semester))
    page = text(response)
    # then the counts and each state are shown in words
    assert response.status_code == 200
    assert response.context["counts"] == {
        "total": 4,
        "answered": 1,
        "pending": 1,
        "not_issued": 2,
    }
    states = {row["pairing"].pk: row["state"] for row in response.context["rows"]}
    assert states[pairing.pk] == "answered"
    assert states[pending.pk] == "pending"
    assert states[expired.pk] == "expired"
    assert "纸质录入 · 家长 · 平均 4.2 分" in page
    expires = stored(pending).expires_at
    assert f"链接有效期至 {timezone.localdate(expires).isoformat()}" in page
    assert "已过期" in page
    assert "未发放" in page
    assert enter_url(semester, pending) in page
    assert enter_url(semester, pairing) not in page


def test_list_is_searchable_by_name_and_state(school, semester, alice, pairing):
    factories.PairingFactory(school=school, student__name="赵小红")
    client = login(alice)
    found = client.get(list_url(semester), {"q": "小明"})
    assert [row["pairing"] for row in found.context["rows"]] == [pairing]
    by_teacher = client.get(list_url(semester), {"q": "李红"})
    assert [row["pairing"] for row in by_teacher.context["rows"]] == [pairing]
    issue(semester, alice, pairing=pairing)
    pending = client.get(list_url(semester), {"state": "pending"})
    assert [row["pairing"] for row in pending.context["rows"]] == [pairing]
    assert len(client.get(list_url(semester), {"state": "not_issued"}).context["rows"]) == 1


def test_an_empty_semester_says_what_to_do(semester, alice):
    page = text(login(alice).get(list_url(semester)))
    assert "建立结对后才能发放问卷" in page
    assert reverse("questionnaire_issue", args=[semester.pk]) not in page


def test_issuing_shows_the_printable_slips(school, semester, alice, pairing):
    # given a second pairing
    other = factories.PairingFactory(school=school)
    # when alice issues the slips
    response = login(alice).post(reverse("questionnaire_issue", args=[semester.pk]))
    page = text(response)
    # then every slip names the semester, the teacher and the student, with a QR code and a
    # link that opens the pairing's questionnaire, and the expiry date
    assert response.status_code == 200
    assert len(response.context["slips"]) == 2
    assert page.count('<article class="slip">') == 2
    assert page.count('<svg viewBox="0 0 ') == 2
    assert "<?xml" not in page
    assert semester.label in page
    assert "李红" in page
    assert "王小明" in page
    assert other.student.name in page
    urls = re.findall(r"http://testserver/q/([A-Za-z0-9_-]+)/", page)
    assert len(set(urls)) == 2
    hashes = {hashlib.sha256(token.encode()).hexdigest() for token in urls}
    assert hashes == set(Questionnaire.objects.values_list("token_hash", flat=True))
    expires = timezone.localdate(stored(pairing).expires_at).isoformat()
    assert f"有效期至 {expires}" in page
    for question in QUESTIONS:
        assert str(question) in page
    assert "作废" in page
    assert "打印" in page
    assert "style=" not in page
    assert "<script" not in page.split("</head>")[1]


def test_reissuing_one_slip_leaves_the_others_alone(school, semester, alice, pairing):
    other = factories.PairingFactory(school=school)
    tokens = issue(semester, alice)
    response = login(alice).post(
        reverse("questionnaire_issue", args=[semester.pk]), {"pairing": pairing.pk}
    )
    assert len(response.context["slips"]) == 1
    client = Client()
    assert client.get(link(tokens[pairing.pk])).status_code == 404
    assert client.get(link(tokens[other.pk])).status_code == 200


def test_issuing_when_everything_is_answered_says_so(semester, alice, pairing):
    questionnaire_enter(
        pairing=pairing,
        semester=semester,
        respondent="parent",
        ratings=[5] * 5,
        comment="",
        by=alice,
    )
    response = login(alice).post(reverse("questionnaire_issue", args=[semester.pk]))
    assert response["Location"] == list_url(semester)
    assert messages_of(response) == ["没有需要发放问卷的结对：本学期的问卷都已填写"]


def test_office_enters_a_paper_slip(semester, alice, pairing):
    client = login(alice)
    assert client.get(enter_url(semester, pairing)).status_code == 200
    response = client.post(enter_url(semester, pairing), {**ANSWER, "respondent": "student"})
    assert response["Location"] == list_url(semester)
    assert messages_of(response) == ["已录入 王小明 的纸质问卷"]
    questionnaire = stored(pairing)
    assert questionnaire.source == Questionnaire.Source.PAPER
    assert questionnaire.respondent == Questionnaire.Respondent.STUDENT
    assert questionnaire.entered_by == alice
    assert questionnaire.ratings == [5, 4, 4, 3, 5]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"q1": ""}, "q1", "请选择 1—5 中的一项"),
        ({"q3": "6"}, "q3", "请选择 1—5 中的一项"),
        ({"comment": "很" * 501}, "comment", "意见和建议最多 500 字"),
    ],
)
def test_paper_entry_mistakes_are_shown_beside_the_field(
    semester, alice, pairing, change, field, message
):
    response = login(alice).post(enter_url(semester, pairing), {**ANSWER, **change})
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert form_errors(response) == ""
    assert not Questionnaire.objects.exists()


def test_paper_entry_page_of_an_answered_questionnaire_has_no_form(semester, alice, pairing):
    token = issue(semester, alice)[pairing.pk]
    questionnaire_answer(token=token, respondent="parent", ratings=[5] * 5, comment="")
    client = login(alice)
    page = text(client.get(enter_url(semester, pairing)))
    assert "不能重复录入" in page
    assert 'name="q1"' not in page
    client.post(enter_url(semester, pairing), {**ANSWER, "q1": "1"})
    assert stored(pairing).q1 == 5


def test_paper_entry_of_a_pairing_outside_the_semester_is_404(school, semester, alice):
    ended = factories.PairingFactory(
        school=school,
        start=semester.start - dt.timedelta(days=200),
        end=semester.start - dt.timedelta(days=1),
        end_reason="graduated",
        identified=False,
    )
    assert login(alice).get(enter_url(semester, ended)).status_code == 404


# Query counts

LIST_QUERIES = 10


@pytest.mark.parametrize("size", [2, 12])
def test_list_query_count_is_fixed(school, semester, alice, size, django_assert_num_queries):
    # given `size` pairings, a third answered and a third with a link out
    pairings = [factories.PairingFactory(school=school) for _ in range(size)]
    issue(semester, alice)
    for pairing in pairings[::3]:
        questionnaire_enter(
            pairing=pairing,
            semester=semester,
            respondent="parent",
            ratings=[4] * 5,
            comment="",
            by=alice,
        )
    client = login(alice)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(list_url(semester))
    assert len(response.context["rows"]) == size
