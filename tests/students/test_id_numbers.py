"""ID numbers (身份证号) at rest: encrypted in the database (and in its history), found by
exact search through a keyed hash, masked on every page, revealed to the aid office only on
purpose, and logged."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from aidcase.models import AccessLog
from students import fields
from students.models import Role, Student
from tests import factories
from tests.conftest import login
from tests.helpers import id_number, text

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number("52010120120101123")  # born 2012-01-01, the factory's birth date
OTHER_NUMBER = id_number("52010120120101456")


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def student(school):
    return factories.StudentFactory(
        school=school, name="王小明", id_number=ID_NUMBER, student_no="S2024001"
    )


def raw_dump() -> str:
    """Every value of every table, as a database dump would show them."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [str(v) for row in cursor.fetchall() for v in row]
    return "\n".join(values)


def test_the_number_is_unreadable_in_a_raw_dump_and_its_history(student):
    # given a student with an ID number, changed once (two history rows)
    student.guardian_name = "王奶奶"
    student.save()
    # then neither the number nor its last digits in the clear appear anywhere in the database
    dump = raw_dump()
    assert ID_NUMBER not in dump
    assert ID_NUMBER[:14] not in dump
    assert student.history.count() == 2
    # and the column holds ciphertext that the model reads back
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM students_student WHERE id = %s", [student.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith(fields.PREFIX)
    assert Student.objects.get(pk=student.pk).id_number == ID_NUMBER


def test_the_same_number_encrypts_differently_each_time():
    assert fields.encrypt(ID_NUMBER) != fields.encrypt(ID_NUMBER)
    assert fields.decrypt(fields.encrypt(ID_NUMBER)) == ID_NUMBER


def test_a_wrong_key_cannot_open_a_number(settings):
    sealed = fields.encrypt(ID_NUMBER)
    settings.ID_NUMBER_KEY = fields.generate_key()
    with pytest.raises(fields.UnreadableIdNumber):
        fields.decrypt(sealed)


def test_bulk_writes_keep_the_lookup_hash_in_step(school):
    # given students created and changed in bulk, as imports do
    cohort = factories.CohortFactory(school=school)
    made = Student.objects.bulk_create(
        [
            factories.StudentFactory.build(
                school=school, cohort=cohort, id_number=ID_NUMBER, student_no="B1"
            )
        ]
    )
    made[0].id_number = OTHER_NUMBER
    Student.objects.bulk_update(made, ["id_number", "id_number_hash"])
    # then the hash follows the number
    assert Student.objects.get(id_number_hash=fields.lookup_hash(OTHER_NUMBER)).pk == made[0].pk
    assert not Student.objects.filter(id_number_hash=fields.lookup_hash(ID_NUMBER)).exists()


@pytest.mark.parametrize("typed", [ID_NUMBER, ID_NUMBER.lower(), f" {ID_NUMBER} "])
def test_the_student_list_finds_a_student_by_the_whole_number(office, student, school, typed):
    # given another student of the school
    factories.StudentFactory(school=school, name="李小红", id_number=OTHER_NUMBER)
    # when the office searches the whole number
    page = text(login(office).get("/students/", {"q": typed}))
    # then only that student is listed
    assert "王小明" in page
    assert "李小红" not in page


def test_a_partial_number_finds_nobody(office, student):
    page = text(login(office).get("/students/", {"q": ID_NUMBER[:10]}))
    assert "王小明" not in page.split('<div id="results">', 1)[1]


def test_a_teacher_cannot_find_a_student_they_do_not_help_by_number(school, student):
    teacher = factories.make_user(Role.TEACHER, school=school)
    page = text(login(teacher).get("/students/", {"q": ID_NUMBER}))
    assert "王小明" not in page


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
def test_other_roles_see_the_number_masked_and_no_reveal_button(school, student, role):
    user = factories.make_user(role, school=school)
    factories.PairingFactory(school=school, student=student, teacher=user)
    page = text(login(user).get(f"/students/{student.pk}/"))
    assert ID_NUMBER not in page
    assert student.masked_id_number in page
    assert "/id-number/" not in page


def test_the_office_reveals_a_number_on_purpose_and_it_is_logged(office, student):
    client = login(office)
    # when the office asks for the whole number (htmx swaps it into the page)
    response = client.post(f"/students/{student.pk}/id-number/", HTTP_HX_REQUEST="true")
    # then it is shown, and the reveal is in the access log, after the page view
    assert response.status_code == 200
    assert ID_NUMBER in text(response)
    assert "<html" not in text(response)
    entry = AccessLog.objects.get(action=AccessLog.Action.ID_REVEAL)
    assert (entry.user, entry.student, entry.school) == (office, student, student.school)
    assert ID_NUMBER not in entry.what
    # and without htmx a page shows it, never the URL
    page = client.post(f"/students/{student.pk}/id-number/")
    assert ID_NUMBER in text(page) and ID_NUMBER not in page.request["PATH_INFO"]
    assert AccessLog.objects.filter(action=AccessLog.Action.ID_REVEAL).count() == 2


def test_a_reveal_is_a_post(office, student):
    assert login(office).get(f"/students/{student.pk}/id-number/").status_code == 405


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
def test_other_roles_cannot_reveal(school, student, role):
    user = factories.make_user(role, school=school)
    factories.PairingFactory(school=school, student=student, teacher=user)
    response = login(user).post(f"/students/{student.pk}/id-number/")
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action=AccessLog.Action.ID_REVEAL).exists()


def test_another_schools_office_gets_404(student, other_school):
    outsider = factories.make_user(Role.OFFICE, school=other_school)
    assert login(outsider).post(f"/students/{student.pk}/id-number/").status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.ID_REVEAL).exists()


def edit_data(student, **overrides):
    data = {
        "student_no": student.student_no,
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "id_number": "",
        "entry_year": str(student.cohort.entry_year),
        "school_class": "",
        "status": "enrolled",
        "guardian_name": "",
        "guardian_relation": "",
        "guardian_phone": "",
        "address": "",
        "parents_workplace": "",
    }
    return {**data, **overrides}


def test_the_edit_form_never_shows_the_full_number(office, student):
    page = text(login(office).get(f"/students/{student.pk}/edit/"))
    assert ID_NUMBER not in page
    assert student.masked_id_number in page


def test_an_empty_number_field_keeps_the_registered_number(office, student):
    response = login(office).post(f"/students/{student.pk}/edit/", edit_data(student))
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.id_number == ID_NUMBER


def test_a_typed_number_replaces_it_and_removal_clears_it(office, student):
    client = login(office)
    client.post(f"/students/{student.pk}/edit/", edit_data(student, id_number=OTHER_NUMBER))
    student.refresh_from_db()
    assert student.id_number == OTHER_NUMBER
    client.post(f"/students/{student.pk}/edit/", edit_data(student, remove_id_number="on"))
    student.refresh_from_db()
    assert (student.id_number, student.id_number_hash) == ("", "")


def test_id_key_checks_that_the_key_opens_every_number(student, settings):
    # the student's number and its copy in the student's history
    out = io.StringIO()
    call_command("id_key", stdout=out)
    assert "2 个身份证号（含修改记录中的）均可用当前密钥解密" in out.getvalue()
    # with another key, it says how many it cannot open
    settings.ID_NUMBER_KEY = fields.generate_key()
    with pytest.raises(CommandError, match="有 2 / 2 个身份证号（含修改记录中的）无法用当前的"):
        call_command("id_key", stdout=io.StringIO())


# Rotating the key


def raw_numbers() -> list[str]:
    """The stored ciphertexts of the students and of their history."""
    history = Student.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {Student._meta.db_table} WHERE id_number <> ''")  # noqa: S608
        rows = [value for (value,) in cursor.fetchall()]
        cursor.execute(f"SELECT id_number FROM {history} WHERE id_number <> ''")  # noqa: S608
        return rows + [value for (value,) in cursor.fetchall()]


def test_rotating_the_key_re_encrypts_every_number_and_its_history(student, office, settings):
    # given numbers sealed with the old key, one of them changed once (two history rows)
    old = settings.ID_NUMBER_KEY
    second = factories.StudentFactory(school=student.school, id_number=OTHER_NUMBER)
    second.name = "改过名"
    second.save()
    before = raw_numbers()
    # when the server gets a new key and the numbers are rotated from the old one
    settings.ID_NUMBER_KEY = new = fields.generate_key()
    out = io.StringIO()
    call_command("id_key", f"--rotate-from={old}", stdout=out)
    # then every stored number, history included, opens with the new key only
    assert "已用当前密钥重新加密 5 个身份证号" in out.getvalue()
    after = raw_numbers()
    assert len(after) == len(before) == 5
    assert set(after).isdisjoint(before)
    assert sorted(fields.decrypt(value, master=new) for value in after) == sorted(
        fields.decrypt(value, master=old) for value in before
    )
    with pytest.raises(fields.UnreadableIdNumber):
        fields.decrypt(after[0], master=old)
    # and the search by the whole number finds the student through the new hash
    page = text(login(office).get("/students/", {"q": OTHER_NUMBER}))
    assert second.student_no in page
    assert student.student_no not in page
    # and the check agrees
    check = io.StringIO()
    call_command("id_key", stdout=check)
    assert "5 个身份证号（含修改记录中的）均可用当前密钥解密" in check.getvalue()


@pytest.mark.parametrize(
    ("old_key", "message"),
    [
        ("wrong", "旧密钥格式不对"),
        (fields.generate_key(), "有 2 个身份证号无法用旧密钥解密，未做任何更改"),
        ("same", "旧密钥与当前的 AIDCASE_ID_KEY 相同"),
    ],
)
def test_a_rotation_that_cannot_be_done_changes_nothing(student, settings, old_key, message):
    # given the stored numbers
    before = raw_numbers()
    old_key = settings.ID_NUMBER_KEY if old_key == "same" else old_key
    # when the rotation is asked with a malformed, a wrong or the current key
    with pytest.raises(CommandError, match=message):
        call_command("id_key", f"--rotate-from={old_key}", stdout=io.StringIO())
    # then nothing was written
    assert raw_numbers() == before


def test_id_key_generates_a_usable_key(settings):
    out = io.StringIO()
    call_command("id_key", "--generate", stdout=out)
    settings.ID_NUMBER_KEY = out.getvalue().strip()
    assert fields.decrypt(fields.encrypt(ID_NUMBER)) == ID_NUMBER
