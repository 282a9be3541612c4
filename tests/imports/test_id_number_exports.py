"""Which files carry whole ID numbers (身份证号). DESIGN: the aid office's roster export keeps
them whole for its round trip, and is a reveal, logged as one; every other export leaves them
out or masks them.

alice is the school's aid office, paula its principal, bob a teacher."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aidcase.models import AccessLog
from assessment.services import sheets_compute
from imports.services import SHEETS
from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import id_number, text

pytestmark = pytest.mark.django_db

NUMBERS = [id_number("52010120120101123"), id_number("52010120120101145")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def roster(school, semester):
    """Three students in a class, two of them with an ID number, all paired."""
    school_class = factories.SchoolClassFactory(school=school, name="七年级(1)班")
    students = [
        factories.StudentFactory(school=school, school_class=school_class, id_number=number)
        for number in [*NUMBERS, ""]
    ]
    for student in students:
        factories.PairingFactory(school=school, student=student)
    return students


def cells(content: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


def test_the_roster_export_keeps_whole_numbers_and_is_logged_as_a_reveal(school, alice, roster):
    # When alice exports the roster
    response = login(alice).get("/imports/students/export.xlsx")
    # Then the file carries the whole numbers, for the round trip
    assert response.status_code == 200
    assert set(NUMBERS) <= set(cells(response.content))
    # And one entry of the access log says who revealed how many numbers of which school, in
    # which file
    entry = AccessLog.objects.get()
    filename = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert (entry.action, entry.user, entry.school) == (
        AccessLog.Action.ID_EXPORT,
        alice,
        school,
    )
    assert entry.what == f"含 2 个完整身份证号：{filename}"
    assert entry.get_action_display() == "导出完整身份证号"


def test_a_roster_without_id_numbers_is_an_ordinary_export(school, alice):
    factories.StudentFactory(school=school)
    login(alice).get("/imports/students/export.xlsx")
    entry = AccessLog.objects.get()
    assert entry.action == AccessLog.Action.EXPORT
    assert entry.what.endswith(".xlsx")


def test_the_audit_page_shows_the_reveal(school, alice, roster):
    # Given alice exported the roster
    client = login(alice)
    client.get("/imports/students/export.xlsx")
    principal = factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")
    # When the principal reads the access log, all of it or only ID-number exports
    for query in ("?view=access", "?view=access&action=id_export"):
        page = text(login(principal).get(f"/audit/{query}"))
        # Then the entry names the action, the exporter, the file and the count
        assert "导出完整身份证号" in page
        assert f"资助办甲（{alice.username}）" in page
        assert "含 2 个完整身份证号" in page
        assert "（资料已删除）" not in page  # it is about a file, not one erased student


def test_the_import_page_says_the_roster_export_is_logged(alice):
    page = text(login(alice).get("/imports/"))
    assert page.count("含完整身份证号") == 1


def test_the_whole_numbers_make_the_round_trip(school, alice, roster):
    client = login(alice)
    exported = client.get("/imports/students/export.xlsx")
    preview = client.post(
        "/imports/students/",
        {"file": SimpleUploadedFile("export.xlsx", exported.content), "semester": ""},
    )
    page = text(preview)
    assert re.search(r'id="count-unchanged"><b>3</b>', page), page


def test_no_other_export_carries_a_whole_number_or_reveals_one(school, semester, alice, roster):
    # Given the semester's assessment sheets
    sheets_compute(school=school, semester=semester, by=None)
    client = login(alice)
    # When alice downloads every other kind of export, the ledgers and the summary
    paths = [f"/imports/{kind}/export.xlsx" for kind in SHEETS if kind != "students"]
    paths += [f"/ledgers/{kind}/" for kind in ("pairings", "logs", "aid", "changes")]
    paths.append(reverse("summary_xlsx", args=[semester.pk]))
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        found = "\n".join(cells(response.content))
        # Then none holds a number, whole or masked to its last four characters
        for number in NUMBERS:
            assert number not in found, path
            assert number[-4:] not in found, path
    # And none was logged as a reveal
    assert not AccessLog.objects.filter(action=AccessLog.Action.ID_EXPORT).exists()
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT).count() == len(paths)
