"""The aid office's import and export pages: upload → preview → confirm, templates, exports
and the one-time password sheet of imported teachers.

alice is the school's aid office, bob a colleague whose role may not import, charlie the aid
office of another school."""

import io
import re
import stat

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client

from aidcase.spreadsheets import MAX_BYTES, workbook_bytes
from imports import views as import_views
from imports.services import SHEETS, sheet_for
from students.models import Category, Identification, Role, SchoolClass, Student
from tests import factories
from tests.conftest import login
from tests.helpers import MISSING_COLUMN, login_redirect, messages_of, text

pytestmark = pytest.mark.django_db

HEADER = "学籍号,姓名,性别,出生日期,入学年份,班级"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


def csv_file(*rows: str, header: str = HEADER, name: str = "名册.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join((header, *rows)).encode())


def upload(client: Client, file: SimpleUploadedFile, kind: str = "students", semester: str = ""):
    return client.post(f"/imports/{kind}/", {"file": file, "semester": semester})


def found(pattern: str, response) -> str:
    match = re.search(pattern, text(response))
    assert match, pattern
    return match[1]


def counts(response) -> dict[str, int]:
    return {
        action: int(found(rf'id="count-{action}"><b>(\d+)</b>', response))
        for action in ("new", "changed", "unchanged")
    }


def token_of(response) -> str:
    return found(r'name="token" value="([^"]+)"', response)


def confirm(client: Client, token: str, kind: str = "students"):
    return client.post(f"/imports/{kind}/confirm/", {"token": token})


def stored_files(media) -> list[str]:
    folder = media / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


# Upload → preview → confirm


def test_office_previews_then_confirms_and_the_records_are_saved(school, alice, media):
    # Given one student already on the roster and a file with that student moved to a class
    # and two new ones
    factories.StudentFactory(school=school, student_no="A001", name="王小明")
    client = login(alice)
    file = csv_file(
        "A001,王小明,女,2012-01-01,2024,七年级(1)班",
        "A002,李小红,女,2012-03-15,2024,七年级(1)班",
        "A003,张小刚,男,2012-05-20,2024,七年级(2)班",
    )
    # When alice uploads it
    preview = upload(client, file)
    # Then the preview counts and lists the rows, and nothing is saved yet
    assert preview.status_code == 200
    assert counts(preview) == {"new": 2, "changed": 1, "unchanged": 0}
    page = text(preview)
    assert "A002" in page and "班级" in page and "确认导入" in page
    assert "班级：2024级 七年级(1)班" in page  # created on the way
    assert Student.objects.filter(school=school).count() == 1
    # When she confirms
    done = confirm(client, token_of(preview))
    # Then the students are saved and the stored file is gone
    assert done.status_code == 200
    assert counts(done) == {"new": 2, "changed": 1, "unchanged": 0}
    assert set(Student.objects.filter(school=school).values_list("student_no", flat=True)) == {
        "A001",
        "A002",
        "A003",
    }
    assert Student.objects.get(student_no="A001").school_class.name == "七年级(1)班"
    assert stored_files(media) == []


def test_preview_saves_nothing_and_keeps_the_file_private(school, alice, media):
    # When alice uploads a valid file and never confirms
    client = login(alice)
    preview = upload(client, csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班"))
    # Then nothing is saved: no student, no class
    assert counts(preview)["new"] == 1
    assert not Student.objects.exists()
    assert not SchoolClass.objects.filter(school=school).exists()
    # And the bytes wait in private storage; the session holds only the token and a digest
    token = token_of(preview)
    assert stored_files(media) == [f"{token}.bin"]
    assert stat.S_IMODE((media / "imports" / f"{token}.bin").stat().st_mode) == 0o600
    entry = client.session["pending_imports"][token]
    assert set(entry) == {"kind", "school", "semester", "name", "sha256", "at"}


def test_a_file_with_errors_lists_every_error_and_saves_nothing(school, alice, media):
    # Given a file with a bad gender on row 2 and a missing name and a bad date on row 3
    file = csv_file(
        "A001,王小明,X,2012-01-01,2024,七年级(1)班",
        "A002,,女,2012-13-45,2024,七年级(1)班",
        "A003,张小刚,男,2012-05-20,2024,七年级(2)班",
    )
    # When alice uploads it
    response = upload(login(alice), file)
    # Then every error is listed with its row and column, and nothing is kept
    page = text(response)
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="keep">(.*?)</td><td>.*?</td></tr>',
        page[page.index('id="import-errors"') :],
    )
    assert rows == [("2", "性别"), ("3", "姓名"), ("3", "出生日期")]
    assert "未导入任何数据" in page
    assert "确认导入" not in page
    assert not Student.objects.exists()
    assert stored_files(media) == []


def test_a_missing_required_column_is_reported_on_row_1(alice):
    response = upload(login(alice), csv_file("A001,王小明", header="学籍号,姓名"))
    page = text(response)
    for column in ("性别", "出生日期", "入学年份", "班级"):
        assert (
            f'<td class="num">1</td><td class="keep">{column}</td><td>{MISSING_COLUMN}</td>' in page
        )


def test_the_token_is_single_use(school, alice, media):
    # Given a confirmed import
    client = login(alice)
    token = token_of(upload(client, csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班")))
    confirm(client, token)
    Student.objects.filter(student_no="A002").update(name="改过的名字")
    # When the same token is posted again
    again = confirm(client, token, kind="students")
    # Then it is refused and the import does not run a second time
    assert again.status_code == 302
    assert again["Location"] == "/imports/students/"
    assert "已确认过或已过期" in messages_of(again)[0]
    assert Student.objects.get(student_no="A002").name == "改过的名字"


def test_an_expired_token_is_refused_and_its_file_deleted(alice, media):
    # Given a preview older than an hour
    client = login(alice)
    token = token_of(upload(client, csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班")))
    session = client.session
    session["pending_imports"][token]["at"] -= import_views.TOKEN_SECONDS + 1
    session.save()
    # When alice confirms
    response = confirm(client, token)
    # Then nothing is imported and the file is gone
    assert response.status_code == 302
    assert not Student.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_another_session_cannot_confirm(school, alice, charlie, who):
    # Given alice's preview
    client = login(alice)
    token = token_of(upload(client, csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班")))
    # When another office user (same school, other session; or another school) posts her token
    other = factories.make_user(Role.OFFICE, school=school) if who == "colleague" else charlie
    response = confirm(login(other), token)
    # Then it is refused, nothing is saved, and alice can still confirm
    assert response.status_code == 302
    assert not Student.objects.exists()
    assert confirm(client, token).status_code == 200
    assert Student.objects.filter(school=school, student_no="A002").exists()


def test_the_import_is_checked_again_on_confirm(school, alice, other_school):
    # Given alice's preview of a new student
    client = login(alice)
    token = token_of(upload(client, csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班")))
    # And, before she confirms, another school takes that student number
    factories.StudentFactory(school=other_school, student_no="A002")
    # When she confirms
    response = confirm(client, token)
    # Then the new error is shown and nothing is saved
    assert "已属于其他学校的学生" in text(response)
    assert "预览之后数据已有变化" in text(response)
    assert not Student.objects.filter(school=school).exists()


def test_the_semester_chosen_is_used_for_the_categories(school, alice):
    # Given two semesters
    factories.SemesterFactory(school=school, code="2024-2025-1")
    current = factories.SemesterFactory(school=school)
    client = login(alice)
    file = csv_file("A002,李小红,女,2012-03-15,2024,七年级(1)班,留守", header=HEADER + ",类别")
    # When alice imports for the earlier one
    token = token_of(upload(client, file, semester="2024-2025-1"))
    confirm(client, token)
    # Then the category is identified in that semester only
    identification = Identification.objects.get(student__student_no="A002")
    assert identification.semester.code == "2024-2025-1"
    assert identification.semester != current


def test_the_upload_page_offers_the_schools_semesters(school, alice, other_school):
    factories.SemesterFactory(school=school, code="2024-2025-2")
    factories.SemesterFactory(school=other_school, code="2023-2024-1")
    page = text(login(alice).get("/imports/students/"))
    assert 'accept=".xlsx,.xls,.ods,.csv,' in page
    assert 'value="2024-2025-2"' in page
    assert 'value="2023-2024-1"' not in page
    assert "学籍号" in page and "全县唯一" in page  # the columns are explained


# Files that are refused


XLSX_HEAD_ONLY = b"PK\x03\x04" + b"\x00" * 100


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名册.xlsx", "这不是表格，只是一段文字".encode(), "不是 Excel 表格"),
        ("名册.xlsx", XLSX_HEAD_ONLY, "已损坏"),
        ("名册.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "已加密"),
        ("名册.csv", b"", "文件是空的"),
    ],
    ids=["text-renamed", "corrupt-zip", "password-protected", "empty"],
)
def test_unreadable_files_are_refused_beside_the_field(alice, media, name, content, message):
    response = upload(login(alice), SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["file"])
    assert 'id="id_file_error"' in text(response)
    assert stored_files(media) == []


def test_a_workbook_damaged_inside_is_refused(alice):
    # Given a real workbook whose sheet data is damaged half-way through
    columns = sheet_for("students").columns
    rows = [[f"A{i:04d}", "王小明", "女", "2012-01-01", 2024, "1班"] for i in range(3000)]
    data = bytearray(workbook_bytes(title="学生名册", columns=columns, rows=rows))
    start = data.index(b"xl/worksheets/sheet1.xml") + 200
    for i in range(start + 5000, start + 5100):
        data[i] ^= 0xFF
    # When it is uploaded, then it is refused with a message, not a server error
    response = upload(login(alice), SimpleUploadedFile("名册.xlsx", bytes(data)))
    assert response.status_code == 200
    assert "损坏" in str(response.context["form"].errors["file"])


def test_a_file_over_20_mb_is_refused(alice):
    big = SimpleUploadedFile("名册.csv", b"a" * (MAX_BYTES + 1))
    response = upload(login(alice), big)
    assert "超过 20 MB" in str(response.context["form"].errors["file"])


def test_no_file_is_refused(alice):
    response = login(alice).post("/imports/students/", {"semester": ""})
    assert "请选择要导入的文件" in str(response.context["form"].errors["file"])


# Who may use the pages


PAGES = [
    ("get", "/imports/"),
    ("get", "/imports/students/"),
    ("post", "/imports/students/"),
    ("post", "/imports/students/confirm/"),
    ("get", "/imports/students/template.xlsx"),
    ("get", "/imports/students/export.xlsx"),
    ("post", "/imports/passwords.xlsx"),
]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL, Role.COUNTY])
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_everyone_but_the_office_is_refused(school, role, method, path):
    user = factories.make_user(role, school=school)
    assert getattr(login(user), method)(path).status_code == 403


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_anonymous_visitors_are_sent_to_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(path)


def test_an_unknown_kind_is_404(alice):
    assert login(alice).get("/imports/parents/").status_code == 404


def test_the_home_page_offers_the_five_kinds(alice):
    page = text(login(alice).get("/imports/"))
    for kind in SHEETS:
        assert f'href="/imports/{kind}/"' in page
        assert f'href="/imports/{kind}/template.xlsx"' in page
        assert f"/imports/{kind}/export.xlsx" in page


# Templates and exports


@pytest.mark.parametrize("kind", list(SHEETS))
def test_the_template_marks_required_headers_and_explains_each_column(alice, kind):
    response = login(alice).get(f"/imports/{kind}/template.xlsx")
    assert response["Content-Disposition"].startswith("attachment;")
    book = workbook(response)
    columns = sheet_for(kind).columns
    headers = [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]
    assert headers == [c.header + ("*" if c.required else "") for c in columns]
    explained = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert all(c.header in explained for c in columns)


def test_the_students_export_holds_only_the_offices_school(school, alice, other_school, semester):
    # Given a student here, identified as left-behind, and one at another school
    mine = factories.StudentFactory(school=school, student_no="A001", name="王小明")
    factories.IdentificationFactory(student=mine, semester=semester, category=Category.LEFT_BEHIND)
    factories.StudentFactory(school=other_school, student_no="B001", name="外校生")
    # When alice exports the roster
    response = login(alice).get("/imports/students/export.xlsx")
    # Then it is an attachment named after the school and the day, with unmarked headers
    assert re.fullmatch(
        rf'attachment; filename="students-{school.code}-\d{{4}}-\d{{2}}-\d{{2}}\.xlsx"',
        response["Content-Disposition"],
    )
    rows = list(workbook(response).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in sheet_for("students").columns]
    assert [(r[0], r[1], r[8]) for r in rows[1:]] == [("A001", "王小明", "留守")]


def test_the_export_says_who_made_it(alice, school):
    response = login(alice).get("/imports/students/export.xlsx")
    notes = workbook(response)["填写说明"]["A1"].value
    assert alice.username in notes and school.name in notes


def test_an_unknown_export_semester_is_404(alice):
    assert login(alice).get("/imports/students/export.xlsx?semester=1999-2000-1").status_code == 404


def test_export_then_import_changes_nothing(school, alice, semester):
    # Given a roster with classes, categories and optional fields
    for number in ("A001", "A002"):
        student = factories.StudentFactory(
            school=school,
            student_no=number,
            school_class=factories.SchoolClassFactory(school=school, name=f"{number}班"),
            guardian_name="王大山",
            guardian_phone="13800000000",
            boarding=number == "A002",
        )
        factories.IdentificationFactory(student=student, semester=semester, category="poor")
    client = login(alice)
    # When alice exports it and uploads the file again
    exported = client.get("/imports/students/export.xlsx")
    preview = upload(client, SimpleUploadedFile("export.xlsx", exported.content))
    # Then the preview reports no change
    assert counts(preview) == {"new": 0, "changed": 0, "unchanged": 2}


@pytest.mark.parametrize("kind", list(SHEETS))
def test_every_kind_exports_with_the_import_headers(alice, kind):
    response = login(alice).get(f"/imports/{kind}/export.xlsx")
    assert response.status_code == 200
    headers = next(workbook(response).worksheets[0].iter_rows(max_row=1, values_only=True))
    assert list(headers) == [c.header for c in sheet_for(kind).columns]


# Teachers and their one-time passwords


def test_imported_teachers_get_a_password_sheet_downloadable_once(school, alice, media):
    # Given alice confirmed an import of two new teachers
    client = login(alice)
    file = csv_file("T9001,周老师", "T9002,吴老师", header="工号,姓名", name="教师.csv")
    preview = upload(client, file, kind="teachers")
    assert counts(preview)["new"] == 2
    done = confirm(client, token_of(preview), kind="teachers")
    page = text(done)
    assert "下载一次性密码" in page and "首次登录" in page
    # When she downloads the password sheet
    download = client.post("/imports/passwords.xlsx", {"token": token_of(done)})
    # Then it lists 工号, 姓名 and a password that logs the teacher in
    assert download["Content-Disposition"].startswith("attachment;")
    rows = list(workbook(download).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "一次性密码")
    assert sorted(r[:2] for r in rows[1:]) == [("T9001", "周老师"), ("T9002", "吴老师")]
    assert Client().login(request=HttpRequest(), username=rows[1][0], password=rows[1][2])
    # And the sheet is gone: a second download is refused
    again = client.post("/imports/passwords.xlsx", {"token": token_of(done)})
    assert again.status_code == 302
    assert "已下载过或已过期" in messages_of(again)[0]
    assert stored_files(media) == []
