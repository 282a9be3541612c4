"""A form is stored once however often it is sent, and a form sent after the session ended is
saved once its user has logged in again (aidcase.submissions). The browser journeys are in
tests/browser/test_nothing_lost.py; these cover every create form and the edge cases."""

import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from aidcase.models import FormSubmission
from aidcase.security import SESSION_LOGIN_AT, SESSION_SEEN_AT
from aidcase.submissions import PENDING, STALE_SECONDS, submissions_prune
from assessment.models import Sheet
from pairing.models import Pairing
from students.models import Category, Identification, Role
from students.selectors import today
from tests import factories
from tests.conftest import login
from tests.helpers import messages_of, template_files, text
from visits.models import ActivityLog, Incident, Kind, VisitPhoto

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
KEY = re.compile(r'name="_form_key" value="([0-9a-f]{32})"')


def form_key(client: Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return KEY.search(text(page)).group(1)


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def teacher(school):
    return factories.make_user(Role.TEACHER, school=school, name="王老师")


@pytest.fixture
def student(school, semester, teacher):
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=teacher)
    student = factories.StudentFactory(school=school, name="王小明", school_class=school_class)
    factories.IdentificationFactory(student=student, semester=semester)
    return student


@pytest.fixture
def pairing(school, student, teacher):
    return factories.PairingFactory(
        school=school, student=student, teacher=teacher, start=today() - dt.timedelta(days=30)
    )


def talk(pairing, **changes) -> dict:
    return {
        "pairing": pairing.pk,
        "kind": Kind.TALK,
        "date": today().isoformat(),
        "channel": "in_person",
        "content": "聊了本周的学习和生活",
        **changes,
    }


# Sent twice, stored once


def test_a_log_sent_twice_is_stored_once_and_both_answers_agree(teacher, pairing):
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    key = form_key(client, path)
    # when the same filled-in form is sent twice
    first = client.post(path, {**talk(pairing), "_form_key": key})
    second = client.post(path, {**talk(pairing), "_form_key": key})
    # then both answers send the teacher to the same page, and one log is stored
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/me/"
    assert ActivityLog.objects.count() == 1


def test_a_refused_form_frees_its_key_for_the_corrected_one(teacher, pairing):
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    key = form_key(client, path)
    # given a first sending refused (no content), shown again with the same key
    refused = client.post(path, {**talk(pairing, content=""), "_form_key": key})
    assert refused.status_code == 200
    assert f'value="{key}"' in text(refused) or KEY.search(text(refused))
    # when the corrected form is sent with the key it was first rendered with
    saved = client.post(path, {**talk(pairing), "_form_key": key})
    # then it is saved
    assert saved.status_code == 302
    assert ActivityLog.objects.count() == 1


def test_a_key_answers_only_its_own_user(school, teacher, pairing):
    colleague = factories.make_user(Role.TEACHER, school=school)
    other = factories.PairingFactory(school=school, teacher=colleague)
    key = form_key(login(teacher), f"/logs/new/?pairing={pairing.pk}")
    login(teacher).post("/logs/new/", {**talk(pairing), "_form_key": key})
    # when a colleague's form happens to carry the same key, it is still their own new form
    response = login(colleague).post("/logs/new/", {**talk(other), "_form_key": key})
    assert response.status_code == 302
    assert ActivityLog.objects.count() == 2


def test_a_claim_left_by_a_dead_request_is_taken_over(teacher, pairing, monkeypatch):
    client = login(teacher)
    key = form_key(client, f"/logs/new/?pairing={pairing.pk}")
    client.post("/logs/new/", {**talk(pairing), "_form_key": key})
    ActivityLog.objects.all().delete()
    # given the claim looks like one whose worker was killed before it answered
    FormSubmission.objects.update(
        done=False, created_at=timezone.now() - dt.timedelta(seconds=STALE_SECONDS + 1)
    )
    # when the form is sent again, it is run, not waited for
    response = client.post("/logs/new/", {**talk(pairing), "_form_key": key})
    assert response.status_code == 302
    assert ActivityLog.objects.count() == 1


def test_an_incident_sent_twice_is_stored_once(teacher, student):
    client = login(teacher)
    path = f"/students/{student.pk}/incidents/new/"
    data = {"date": today().isoformat(), "type": "truancy", "note": "上午未到校"}
    data["_form_key"] = form_key(client, path)
    answers = [client.post(path, data) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert Incident.objects.count() == 1


def test_a_pairing_sent_twice_is_stored_once(office, school, student):
    helper = factories.make_user(Role.TEACHER, school=school)
    client = login(office)
    path = f"/students/{student.pk}/pair/"
    data = {
        "teacher": helper.pk,
        "category": Category.LEFT_BEHIND,
        "start": today().isoformat(),
        "subject": "",
        "goals": "建立信任",
        "measures": "每月与家长通话",
        "_form_key": form_key(client, path),
    }
    answers = [client.post(path, data) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert "该学生已与该教师结对" not in " ".join(messages_of(answers[1]))
    assert Pairing.objects.count() == 1


def test_an_identification_sent_twice_is_stored_once(office, school, semester):
    student = factories.StudentFactory(school=school)
    client = login(office)
    path = f"/students/{student.pk}/identify/"
    data = {
        "semester": semester.pk,
        "category": Category.POOR,
        "source": "school",
        "note": "",
        "_form_key": form_key(client, path),
    }
    answers = [client.post(path, data) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert Identification.objects.filter(student=student).count() == 1


def test_a_sheet_submitted_twice_gets_the_first_answer(office, school, semester, pairing):
    from assessment.services import sheets_compute

    sheets_compute(school=school, semester=semester, by=office)
    sheet = Sheet.objects.get()
    client = login(office)
    key = form_key(client, f"/assessment/sheets/{sheet.pk}/")
    path = f"/assessment/sheets/{sheet.pk}/submit/"
    answers = [client.post(path, {"submit-comment": "齐全", "_form_key": key}) for _ in range(2)]
    # then the second is not told that a submitted sheet cannot be submitted
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    sheet.refresh_from_db()
    assert sheet.state == Sheet.State.SUBMITTED


def test_every_form_that_writes_carries_a_key():
    # Login, password and language forms are never replayed (aidcase.submissions).
    exempt = {"registration/login.html", "registration/password_change.html", "base.html"}
    missing = []
    for name, path in template_files().items():
        if name in exempt:
            continue
        for form in re.findall(r"<form[^>]*>.*?</form>", path.read_text(), re.S):
            if re.search(r'method="post"', form, re.I) and "{% form_key %}" not in form:
                missing.append(name)
    assert not missing, f"POST forms without {{% form_key %}}: {missing}"


def test_old_answers_are_forgotten_by_the_retention_run(teacher, pairing):
    client = login(teacher)
    key = form_key(client, f"/logs/new/?pairing={pairing.pk}")
    client.post("/logs/new/", {**talk(pairing), "_form_key": key})
    assert submissions_prune(now=timezone.now()) == 0
    assert submissions_prune(now=timezone.now() + dt.timedelta(days=2), dry_run=True) == 1
    assert FormSubmission.objects.count() == 1
    assert submissions_prune(now=timezone.now() + dt.timedelta(days=2)) == 1
    assert not FormSubmission.objects.exists()


# Sent after the session ended


def timed_out(client: Client) -> None:
    now = int(time.time())
    session = client.session
    session[SESSION_LOGIN_AT] = now - 3600
    session[SESSION_SEEN_AT] = now - 3600
    session.save()


def log_in_again(client: Client, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, text(response)


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "家访.jpg"
    return buffer


def test_a_form_sent_after_the_timeout_is_saved_after_the_next_login(
    teacher, pairing, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    key = form_key(client, path)
    timed_out(client)
    visit = talk(pairing, kind=Kind.HOME_VISIT, visit_place="家中", content="长长的家访记录")
    # when the home visit is sent after the session ended
    sent = client.post(path, {**visit, "photos": [jpeg()], "_form_key": key})
    # then the teacher is sent to log in, back to the form afterwards, and told it is kept
    assert sent.status_code == 302
    assert sent["Location"] == "/accounts/login/?next=/logs/new/%3Fpairing%3D" + str(pairing.pk)
    assert "您刚才填写的内容已保留：重新登录后会自动提交，无需重新填写。" in messages_of(sent)
    assert not ActivityLog.objects.exists()
    # when she logs in again and the login page sends her back
    log_in_again(client, teacher)
    back = client.get(path)
    # then the visit is saved as she sent it, with its photo, and the kept copy is gone
    assert back.status_code == 302
    assert back["Location"] == "/me/"
    log = ActivityLog.objects.get()
    assert (log.kind, log.content, log.visit_place) == (Kind.HOME_VISIT, "长长的家访记录", "家中")
    assert VisitPhoto.objects.filter(log=log).count() == 1
    assert PENDING not in client.session
    assert not list((tmp_path / "pending-forms").iterdir())
    # and coming back to the form later opens an empty form, saving nothing more
    assert client.get(path).status_code == 200
    assert ActivityLog.objects.count() == 1


def test_a_kept_form_that_is_refused_shows_again_with_what_was_typed(teacher, pairing):
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    timed_out(client)
    client.post(path, talk(pairing, date="", content="孩子说想念妈妈"))
    log_in_again(client, teacher)
    # when she comes back, the form is shown with her text and the error beside the date
    back = client.get(path)
    assert back.status_code == 200
    assert "孩子说想念妈妈" in text(back)
    assert not ActivityLog.objects.exists()


def test_someone_else_logging_in_does_not_get_the_kept_form(school, teacher, pairing):
    colleague = factories.make_user(Role.TEACHER, school=school)
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    timed_out(client)
    client.post(path, talk(pairing))
    # when another teacher logs in on the same phone and opens the same address
    log_in_again(client, colleague)
    client.get(path)
    # then nothing is saved in either name, and the kept form is dropped
    assert not ActivityLog.objects.exists()
    assert PENDING not in client.session


def test_a_password_form_is_never_kept(teacher):
    client = login(teacher)
    timed_out(client)
    client.post(
        "/accounts/password/",
        {"old_password": "x", "new_password1": "y", "new_password2": "y"},
    )
    assert PENDING not in client.session


def test_a_refused_csrf_check_explains_itself_in_chinese(teacher, pairing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teacher)
    response = client.post("/logs/new/", talk(pairing))
    assert response.status_code == 403
    page = text(response)
    assert "这次提交没有被接受" in page
    assert 'name="viewport"' in page
    assert "CSRF" not in page
    assert not ActivityLog.objects.exists()
