"""The assessment pages: the semester's sheets, one sheet and its workflow, the PDF, the
Excel summary, the ZIP built by the task worker and the scoring rules.

alice is the school's aid office, paula its principal, tom a teacher with pairings, tina a
teacher colleague; charlie is the aid office of another school (404), cora a county viewer
(403)."""

import io
import zipfile

import pytest
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker

from assessment import services
from assessment.models import AssessmentRule, Sheet, SheetExport
from students.models import Category, Role
from tests import factories
from tests.assessment.test_assess import NOW, pair
from tests.assessment.test_assess import setting as setting
from tests.conftest import login
from tests.helpers import field_errors, login_redirect, messages_of, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def paula(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")


@pytest.fixture
def tom(school):
    return factories.make_user(school=school, user__username="T9", name="汤老师")


@pytest.fixture
def tina(school):
    return factories.make_user(school=school, user__username="T8", name="蒂老师")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def sheets(school, setting, tom, tina):
    s1, s2, s3 = setting["students"]
    pair(school, s1, Category.LEFT_BEHIND, teacher=tom)
    pair(school, s2, Category.STRUGGLING, teacher=tom)
    pair(school, s3, Category.POOR, teacher=tina)
    return {
        s.teacher.username: s
        for s in services.sheets_compute(school=school, semester=setting["now"], by=None)
    }


def list_url(setting) -> str:
    return f"{reverse('sheet_list')}?semester={setting['now'].pk}"


def test_the_office_sees_the_semesters_sheets(alice, setting, sheets):
    page = text(login(alice).get(list_url(setting)))
    assert "汤老师" in page and "蒂老师" in page
    assert "生成考核表" in page or "重新计算" in page


def test_a_teacher_sees_only_their_own_sheets(tom, setting, sheets):
    page = text(login(tom).get(reverse("sheet_list")))
    assert reverse("sheet_detail", args=[sheets["T9"].pk]) in page
    assert reverse("sheet_detail", args=[sheets["T8"].pk]) not in page


def test_a_county_viewer_is_refused(setting, sheets):
    cora = factories.make_user(Role.COUNTY)
    assert login(cora).get(reverse("sheet_list")).status_code == 403


def test_a_sheet_page_shows_the_pairings_with_their_reasons(tom, sheets):
    page = text(login(tom).get(reverse("sheet_detail", args=[sheets["T9"].pk])))
    assert "有效" in page and "无效" in page
    assert "进步比例低于标准" in page
    assert "1.1000" in page and "0.9000" in page


@pytest.mark.parametrize("who", ["alice", "paula", "tom"])
def test_the_owner_and_the_managers_open_a_sheet(request, sheets, who):
    user = request.getfixturevalue(who)
    assert login(user).get(reverse("sheet_detail", args=[sheets["T9"].pk])).status_code == 200


@pytest.mark.parametrize("who", ["tina", "charlie"])
@pytest.mark.parametrize("name", ["sheet_detail", "sheet_pdf"])
def test_a_colleague_and_an_outsider_get_404(request, sheets, who, name):
    user = request.getfixturevalue(who)
    assert login(user).get(reverse(name, args=[sheets["T9"].pk])).status_code == 404


def test_the_office_computes_and_submits_and_the_principal_approves(alice, paula, setting, sheets):
    office = login(alice)
    response = office.post(reverse("sheets_compute", args=[setting["now"].pk]))
    assert response.status_code == 302
    assert any("2 份考核表" in m for m in messages_of(response))

    sheet = sheets["T9"]
    response = office.post(reverse("sheet_submit", args=[sheet.pk]), {"submit-comment": "记录齐全"})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.state, sheet.office_comment) == ("submitted", "记录齐全")

    response = login(paula).post(
        reverse("sheet_approve", args=[sheet.pk]), {"approve-comment": "同意"}
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.state, sheet.approved_by, sheet.principal_comment) == ("approved", paula, "同意")
    assert "已审批" in text(login(paula).get(reverse("sheet_detail", args=[sheet.pk])))


def test_reopening_without_a_reason_shows_the_error_beside_the_field(alice, paula, sheets):
    sheet = sheets["T9"]
    services.sheet_submit(sheet=sheet, by=alice)
    services.sheet_approve(sheet=sheet, by=paula)
    response = login(paula).post(reverse("sheet_reopen", args=[sheet.pk]), {"reopen-reason": ""})
    assert response.status_code == 400
    assert "请填写原因" in field_errors(response, "reopen-reason")
    sheet.refresh_from_db()
    assert sheet.state == "approved"


def test_approving_a_draft_is_refused_with_a_message(paula, sheets):
    sheet = sheets["T9"]
    response = login(paula).post(reverse("sheet_approve", args=[sheet.pk]), {})
    assert response.status_code == 400
    assert "只有待审批的考核表可以审批" in text(response)
    sheet.refresh_from_db()
    assert sheet.state == "draft"


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("tom", "sheet_submit"),
        ("paula", "sheet_submit"),
        ("alice", "sheet_approve"),
        ("alice", "sheet_reopen"),
        ("tom", "sheet_approve"),
        ("alice", "sheet_return"),
    ],
)
def test_other_roles_cannot_move_a_sheet(request, sheets, who, name):
    user = request.getfixturevalue(who)
    response = login(user).post(reverse(name, args=[sheets["T9"].pk]), {})
    assert response.status_code == 403
    assert Sheet.objects.get(pk=sheets["T9"].pk).state == "draft"


def test_the_office_of_another_school_cannot_submit(charlie, sheets):
    response = login(charlie).post(reverse("sheet_submit", args=[sheets["T9"].pk]), {})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["paula", "tom", "charlie"])
def test_only_the_schools_office_computes(request, setting, sheets, who):
    user = request.getfixturevalue(who)
    response = login(user).post(reverse("sheets_compute", args=[setting["now"].pk]))
    assert response.status_code == (404 if who == "charlie" else 403)


def test_the_sheet_downloads_as_a_pdf(tom, sheets):
    response = login(tom).get(reverse("sheet_pdf", args=[sheets["T9"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_the_summary_downloads_as_excel(paula, setting, sheets):
    from openpyxl import load_workbook

    response = login(paula).get(reverse("summary_xlsx", args=[setting["now"].pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) >= 2


def test_teachers_cannot_download_the_summary(tom, setting, sheets):
    assert login(tom).get(reverse("summary_xlsx", args=[setting["now"].pk])).status_code == 403


def run_worker() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_the_zip_of_all_sheets_is_built_by_the_worker(school, setting, sheets, paula, charlie):
    client = login(paula)
    response = client.post(reverse("export_start", args=[setting["now"].pk]))
    export = SheetExport.objects.get()
    assert response["Location"] == reverse("export_detail", args=[export.pk])
    assert export.state == "queued"
    assert "排队中" in text(client.get(response["Location"]))

    run_worker()

    export.refresh_from_db()
    assert (export.state, export.done, export.total) == ("done", 2, 2)
    page = client.get(reverse("export_detail", args=[export.pk]), headers={"HX-Request": "true"})
    assert reverse("export_download", args=[export.pk]) in text(page)
    assert "hx-trigger" not in text(page)  # finished: no more polling
    download = client.get(reverse("export_download", args=[export.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 2

    outsider = login(charlie)
    assert outsider.get(reverse("export_detail", args=[export.pk])).status_code == 404
    assert outsider.get(reverse("export_download", args=[export.pk])).status_code == 404


def test_a_running_export_polls_its_progress(paula, setting, sheets):
    export = SheetExport.objects.create(
        school=setting["now"].school, semester=setting["now"], requested_by=paula, total=4, done=1
    )
    page = text(
        login(paula).get(reverse("export_detail", args=[export.pk]), headers={"HX-Request": "true"})
    )
    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page
    assert "<html" not in page  # only the progress part
    assert login(paula).get(reverse("export_download", args=[export.pk])).status_code == 404


def test_the_office_edits_the_points_and_thresholds(alice, school):
    client = login(alice)
    data = {}
    for category in Category.values:
        data[f"{category}-points"] = "2"
        data[f"{category}-threshold"] = "1.05"
    data["problem-points"] = "6"
    response = client.post(reverse("assessment_rules"), data)
    assert response.status_code == 302
    assert AssessmentRule.objects.get(school=school, category="problem").points == 6
    assert AssessmentRule.objects.filter(school=school).count() == 4


def test_a_bad_threshold_is_shown_beside_its_field_and_nothing_saved(alice, school):
    data = {f"{c}-points": "1" for c in Category.values}
    data |= {f"{c}-threshold": "1.05" for c in Category.values}
    data["poor-threshold"] = "5"
    response = login(alice).post(reverse("assessment_rules"), data)
    assert response.status_code == 200
    assert field_errors(response, "poor-threshold")
    assert not AssessmentRule.objects.exists()


@pytest.mark.parametrize("who", ["paula", "tom"])
def test_only_the_office_edits_rules(request, who):
    user = request.getfixturevalue(who)
    assert login(user).get(reverse("assessment_rules")).status_code == 403


def test_anonymous_visitors_go_to_login(client, setting):
    path = reverse("sheet_list")
    assert client.get(path)["Location"] == login_redirect(path)


def test_semester_of_another_school_is_404(alice, other_school):
    semester = factories.SemesterFactory(school=other_school, code=NOW)
    response = login(alice).get(f"{reverse('sheet_list')}?semester={semester.pk}")
    assert response.status_code == 404
