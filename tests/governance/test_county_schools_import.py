"""The county administrator imports the county's list of schools (学校名单) on the page 学校与账号:
upload → preview → confirm, each new school with its two accounts, whose one-time passwords
join the page's one download. Files as LibreOffice saves them (tests/data/spreadsheets)."""

import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client

from aidcase.spreadsheets import MAX_BYTES
from governance.passwords import SESSION_KEY
from students.models import County, Profile, Role, School
from students.services import school_accounts_create
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, messages_of, text

pytestmark = pytest.mark.django_db

FOLDER = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
SCHOOLS_XLS = MANIFEST["files"]["schools.xls"]
HEADER = "学校代码,学校名称,乡镇,学段,校长姓名,资助办负责人"


@pytest.fixture(autouse=True)
def _private_media(media):
    """Uploads waiting for their confirmation go to the test's own MEDIA_ROOT."""


@pytest.fixture
def county():
    return factories.CountyFactory(name="青溪县")


@pytest.fixture
def admin(county):
    return factories.make_user(Role.COUNTY_ADMIN, county=county, name="青溪县管理员")


@pytest.fixture
def client(admin) -> Client:
    return login(admin)


@pytest.fixture
def school(county):
    school = factories.SchoolFactory(code="Q001", name="青溪一小", county=county, town="城关镇")
    school_accounts_create(school=school, office_name="王主任", principal_name="赵校长", by=None)
    return school


def xls() -> SimpleUploadedFile:
    return SimpleUploadedFile("学校名单.xls", (FOLDER / "schools.xls").read_bytes())


def csv_file(*rows: str, name: str = "学校名单.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join((HEADER, *rows)).encode())


def upload(client: Client, file: SimpleUploadedFile):
    return client.post("/county/schools/import/", {"file": file})


def token_of(response) -> str:
    return response.context["token"]


def confirm(client: Client, token: str):
    return client.post("/county/schools/import/confirm/", {"token": token})


def stored_files(media: Path) -> list[str]:
    folder = media / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def passwords_of(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "学校代码")
    return [row for row in rows[header + 1 :] if any(row)]


def logs_in(username: str, password: str) -> bool:
    return Client().login(request=HttpRequest(), username=username, password=password)


def county_state() -> tuple:
    return (
        sorted(School.objects.values_list("code", "name", "county_id")),
        User.objects.count(),
        County.objects.count(),
    )


# The page offers the upload and the template


def test_the_page_offers_the_upload_of_the_schools_sheet_and_its_template(client):
    page = client.get("/county/schools/")
    body = text(page)
    assert 'action="/county/schools/import/"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'accept=".xlsx,.xls,.ods,.csv,' in body
    assert 'href="/county/schools/template.xlsx"' in body
    # A county without schools is offered it unfolded
    assert '<details class="card schools-import" id="schools-import" open>' in body


def test_the_template_has_the_schools_sheets_columns(client):
    response = client.get("/county/schools/template.xlsx")
    assert response.status_code == 200
    assert "schools-template.xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert [h.rstrip("*") for h in headers] == [
        "学校代码",
        "学校名称",
        "乡镇",
        "学段",
        "校长姓名",
        "资助办负责人",
    ]


def test_the_upload_page_explains_the_columns(client, county):
    page = client.get("/county/schools/import/")
    body = text(page)
    assert page.status_code == 200
    assert "导入学校名单" in body and "资助办负责人" in body and "青溪县" in body


# Upload → preview → confirm, with the file LibreOffice saved


def test_libreoffice_xls_previews_then_imports_the_county_schools_with_their_accounts(
    client, admin, county, media
):
    # When the administrator uploads the county's list (.xls, a title row above the header)
    preview = upload(client, xls())
    # Then the preview counts seven new schools, says how the sheet was read, lists the rows,
    # and nothing is saved yet
    assert preview.status_code == 200
    assert preview.context["counts"] == {"new": 7, "changed": 0, "unchanged": 0}
    body = text(preview)
    assert 'id="count-new"><b>7</b>' in body
    assert preview.context["changes"][0].key == "2152010101"
    assert "2152010501" in body and "确认导入" in body
    assert not School.objects.exists()
    assert len(stored_files(media)) == 1
    # When they confirm
    done = confirm(client, token_of(preview))
    # Then the schools are the county's, each with its two accounts, made by the
    # administrator, and the stored file is gone
    assert done.status_code == 302
    assert done["Location"] == "/county/schools/"
    records = SCHOOLS_XLS["records"]
    schools = School.objects.filter(county=county).order_by("code")
    assert [(s.code, s.name, s.town, s.stage) for s in schools] == sorted(
        (r["学校代码"], r["学校名称"], r["乡镇"], r["学段"]) for r in records
    )
    first = School.objects.get(code="2152010101")
    assert first.history.get().history_user == admin
    office = Profile.objects.get(user__username="office-2152010101")
    principal = Profile.objects.get(user__username="principal-2152010101")
    assert (office.role, office.school, office.name) == (Role.OFFICE, first, "陈丽")
    assert (principal.role, principal.name) == (Role.PRINCIPAL, "王建华")
    assert office.must_change_password and principal.must_change_password
    assert office.history.get().history_user == admin
    assert stored_files(media) == []
    # and the page says so, with the fourteen passwords waiting for the download
    page = client.get("/county/schools/")
    assert "已导入学校名单：新增 7 所学校，并建立其资助办账号和校长账号。" in text(page)
    assert len(page.context["waiting"]) == 14
    assert "14 个账号的一次性密码待下载" in text(page)


def test_the_preview_says_how_the_sheet_was_read(client):
    preview = upload(client, xls())
    assert "如何读取了这个表格" in text(preview)
    assert any("表头在第 2 行" in note for note in preview.context["plan"].notes)


def test_the_imported_passwords_download_once_and_log_in(client, admin):
    confirm(client, token_of(upload(client, xls())))
    # When the administrator downloads the passwords
    response = client.post("/county/schools/passwords/")
    # Then each school's two accounts are there, with the school and the person, and open
    rows = passwords_of(response)
    assert len(rows) == 14
    assert rows[:2] == [
        ("2152010101", "青溪县第一中学", "office-2152010101", "学校资助办", "陈丽", rows[0][5]),
        ("2152010101", "青溪县第一中学", "principal-2152010101", "校长", "王建华", rows[1][5]),
    ]
    for row in rows:
        assert logs_in(row[2], row[5])
    # and they have left the session
    assert SESSION_KEY not in client.session
    # When they try again, the passwords are gone
    again = client.post("/county/schools/passwords/", follow=True)
    assert "一次性密码表已经下载过" in text(again)
    assert again.context["waiting"] == []


def test_imported_passwords_join_those_already_waiting(client, school):
    office = Profile.objects.get(user__username="office-Q001")
    client.post(f"/county/accounts/{office.pk}/reset/")
    confirm(client, token_of(upload(client, csv_file("Q002,河口中学,河口乡,初中,刘校长,陈主任"))))
    rows = passwords_of(client.post("/county/schools/passwords/"))
    assert [row[2] for row in rows] == ["office-Q001", "office-Q002", "principal-Q002"]


def test_a_changed_school_is_updated_and_keeps_its_accounts(client, school):
    file = csv_file("Q001,青溪县第一小学,城关镇,小学,,", "Q002,河口中学,河口乡,初中,刘校长,陈主任")
    preview = upload(client, file)
    assert preview.context["counts"] == {"new": 1, "changed": 1, "unchanged": 0}
    [changed] = [c for c in preview.context["changes"] if c.action == "changed"]
    assert (changed.key, changed.fields) == ("Q001", ["学校名称", "学段"])
    response = confirm(client, token_of(preview))
    school.refresh_from_db()
    assert (school.name, school.stage) == ("青溪县第一小学", "小学")
    assert messages_of(response) == [
        "已导入学校名单：新增 1 所学校并建立其资助办账号和校长账号，更新 1 所。"
        "请下载一次性密码表（只能下载一次）。"
    ]
    # The school's accounts are those it had: only the new school's passwords wait
    waiting = client.get("/county/schools/").context["waiting"]
    assert waiting == ["office-Q002", "principal-Q002"]


def test_a_sheet_that_changes_nothing_says_so(client, school):
    preview = upload(client, csv_file("Q001,青溪一小,城关镇,,,"))
    assert preview.context["counts"] == {"new": 0, "changed": 0, "unchanged": 1}
    assert "表格与现有数据完全相同" in text(preview)
    response = confirm(client, token_of(preview))
    assert messages_of(response) == ["学校名单与本县现有学校完全相同，没有任何改变。"]
    assert SESSION_KEY not in client.session


# Errors: nothing saved


def test_a_bad_row_lists_every_error_and_saves_nothing(client, school, media):
    before = county_state()
    file = csv_file(
        "X101,新中学,,,,", "X 2,坏代码中学,,,,", "X101,重复中学,,,,", ",没有代码中学,,,,"
    )
    response = upload(client, file)
    assert response.status_code == 200
    assert response.templates[0].name == "governance/county_schools_errors.html"
    errors = [(int(e.row), e.column) for e in response.context["errors"]]
    assert (3, "学校代码") in errors and (4, "学校代码") in errors and (5, "学校代码") in errors
    body = text(response)
    assert "未导入任何数据" in body and 'id="import-errors"' in body
    assert county_state() == before
    assert stored_files(media) == []
    assert "pending_county_imports" not in client.session


def test_a_code_of_another_countys_school_is_refused(client, county):
    factories.SchoolFactory(code="Z009", name="别县中学", county=factories.CountyFactory())
    before = county_state()
    response = upload(client, csv_file("Z009,青溪县新中学,,,,"))
    [error] = response.context["errors"]
    assert (int(error.row), error.column) == (2, "学校代码")
    assert county_state() == before


def test_the_refusal_does_not_name_another_countys_school(client, county):
    factories.SchoolFactory(code="Z009", name="别县中学", county=factories.CountyFactory())
    response = upload(client, csv_file("Z009,青溪县新中学,,,,"))
    assert "别县中学" not in text(response)


def test_a_file_that_cannot_be_read_is_named_beside_the_field(client):
    before = county_state()
    response = upload(client, SimpleUploadedFile("学校名单.xlsx", b"this is not a workbook"))
    assert response.status_code == 200
    assert response.templates[0].name == "governance/county_schools_import.html"
    assert field_errors(response, "file")
    assert county_state() == before


def test_a_web_page_saved_as_xls_is_named_as_such(client):
    file = SimpleUploadedFile("学校名单.xls", (FOLDER / "webpage.xls").read_bytes())
    response = upload(client, file)
    assert "网页" in field_errors(response, "file")


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (None, "请选择要导入的文件"),
        (SimpleUploadedFile("空.xlsx", b""), "文件是空的"),
    ],
)
def test_a_missing_or_empty_file_is_named_beside_the_field(client, file, message):
    data = {"file": file} if file is not None else {}
    response = client.post("/county/schools/import/", data)
    assert message in field_errors(response, "file")


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, settings):
    big = SimpleUploadedFile("学校名单.csv", b"0" * (MAX_BYTES + 1))
    response = upload(client, big)
    assert "文件超过 20 MB" in field_errors(response, "file")


# The confirmation


def test_a_preview_is_confirmed_once(client, media):
    token = token_of(upload(client, xls()))
    confirm(client, token)
    again = confirm(client, token)
    assert again["Location"] == "/county/schools/import/"
    assert messages_of(again)[-1] == "这次导入已确认过或已过期，请重新上传文件。"
    assert School.objects.count() == SCHOOLS_XLS["data_rows"]


def test_a_token_of_another_session_opens_nothing(client, county, media):
    token = token_of(upload(client, xls()))
    other = login(factories.make_user(Role.COUNTY_ADMIN, county=county))
    response = confirm(other, token)
    assert response["Location"] == "/county/schools/import/"
    assert not School.objects.exists()
    assert len(stored_files(media)) == 1  # still the uploader's to confirm


def test_a_school_added_since_the_preview_is_seen_at_the_confirmation(client, county):
    preview = upload(client, csv_file("X101,新中学,,,,"))
    # Given the same code taken by another county's school meanwhile
    factories.SchoolFactory(code="X101", county=factories.CountyFactory())
    before = county_state()
    response = confirm(client, token_of(preview))
    assert response.status_code == 200
    assert "预览之后数据已有变化" in text(response)
    assert county_state() == before
    assert SESSION_KEY not in client.session


# Who may


@pytest.mark.parametrize("role", [Role.COUNTY, Role.OFFICE, Role.PRINCIPAL, Role.TEACHER])
def test_other_roles_are_refused_the_import(school, role):
    if role == Role.COUNTY:
        user = factories.make_user(role, county=school.county)
    else:
        user = factories.make_user(role, school=school)
    other = login(user)
    before = county_state()
    assert other.get("/county/schools/import/").status_code == 403
    assert other.post("/county/schools/import/", {"file": xls()}).status_code == 403
    assert other.post("/county/schools/import/confirm/", {"token": "x"}).status_code == 403
    assert other.get("/county/schools/template.xlsx").status_code == 403
    assert county_state() == before


def test_the_rows_go_to_the_administrators_own_county(client, county):
    other_county = factories.CountyFactory(name="别县")
    confirm(client, token_of(upload(client, csv_file("X101,新中学,,,,"))))
    assert School.objects.get(code="X101").county == county
    assert not School.objects.filter(county=other_county).exists()


def test_the_confirmation_only_takes_a_post(client):
    assert client.get("/county/schools/import/confirm/").status_code == 405
