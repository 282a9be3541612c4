"""Backup and restore (`manage.py backup` / `restore`, governance.backup): the restore drill
(backup → empty database and media → restore → every table and file identical) and the
refusals that must leave the database and MEDIA_ROOT exactly as they were.

"Identical" is compared through the ORM, field by field: the ID number column holds AES-GCM
ciphertext with a fresh nonce per write (students.fields), so the restored ciphertext differs
while the number it opens to is the same."""

import datetime as dt
import gzip
import hashlib
import io
import json
import re
import secrets
import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from aidcase.audit import access_record
from aidcase.models import AccessLog
from assessment.models import (
    AssessmentRule,
    Questionnaire,
    Score,
    Sheet,
    SheetEvent,
    SheetExport,
)
from governance import backup, backup_file
from governance.backup import SKIPPED_MODELS, value_dump, value_load
from governance.backup_file import CHUNK_SIZE, FRAME, HEADER, backup_key_generate
from governance.models import Erasure
from pairing.models import Pairing
from students.models import Category, County, Identification, Role, Student
from students.selectors import previous_semester_code
from tests import factories
from tests.helpers import id_number
from visits.duty_store import duty_status_rebuild
from visits.models import (
    ActivityLog,
    DutyRule,
    Exam,
    HolidayWeek,
    Incident,
    IncidentType,
    Kind,
    Reminder,
    State,
)
from visits.photos import photos_add

# Tests that empty the database or need the restore's own transaction are transactional;
# the refusals run inside the test's transaction (cheaper to undo on PostgreSQL).
pytestmark = pytest.mark.django_db
transactional = pytest.mark.django_db(transaction=True)

OUR_APPS = ("students", "pairing", "visits", "assessment", "governance", "aidcase")
# Models the fixture leaves empty, each with the reason. Empty today.
NOT_FILLED: dict[str, str] = {}
ID_NUMBER = id_number("52010120120101123")
NAME = "龙小芸"
STUDENT_NO = "G520101201201019876"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def key(settings) -> str:
    settings.BACKUP_KEY = backup_key_generate()
    return settings.BACKUP_KEY


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder / "aidcase.bak"


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("家访.jpg", buffer.getvalue(), content_type="image/jpeg")


def build_school(media: Path) -> None:
    """One school with a record of every kind, through the models (history rows come from
    django-simple-history's signals), plus rows in the tables of Django and the libraries."""
    now = timezone.now()
    today = timezone.localdate()
    county = factories.CountyFactory(name="备份县")
    school = factories.SchoolFactory(county=county)
    current = factories.SemesterFactory(school=school)
    previous = factories.SemesterFactory(school=school, code=previous_semester_code(current.code))
    office = factories.make_user(Role.OFFICE, school=school, phone="13800000000")
    factories.make_user(Role.PRINCIPAL, school=school)
    factories.make_user(Role.COUNTY, county=county)
    homeroom = factories.make_user(Role.TEACHER, school=school)
    cohort = factories.CohortFactory(school=school, entry_year=2024)
    school_class = factories.SchoolClassFactory(
        school=school, cohort=cohort, homeroom_teacher=homeroom
    )
    student = factories.StudentFactory(
        school=school,
        cohort=cohort,
        school_class=school_class,
        student_no=STUDENT_NO,
        name=NAME,
        id_number=ID_NUMBER,
        guardian_name="龙奶奶",
        guardian_relation="祖母",
        guardian_phone="13900000000",
        address="平寨镇龙家村3组",
        parents_workplace="广东东莞",
        boarding=True,
    )
    other = factories.StudentFactory(school=school, cohort=cohort, name="杨晓东")
    pairing = factories.PairingFactory(school=school, student=student)
    teacher = pairing.teacher
    struggling = factories.PairingFactory(
        school=school,
        student=other,
        teacher=teacher,
        category=Category.STRUGGLING,
        subject="数学",
        goals="数学及格",
        measures="每周辅导两次",
    )
    factories.PairingFactory(
        school=school,
        student=other,
        teacher=homeroom,
        category=Category.POOR,
        start=previous.start,
        end=previous.end,
        end_reason=Pairing.EndReason.LEFT_CATEGORY,
        identified=False,
    )
    factories.IdentificationFactory(
        student=other,
        semester=previous,
        category=Category.POOR,
        source=Identification.Source.SUBSISTENCE,
        state=Identification.State.PROPOSED,
        approved_at=None,
        note="待核实",
    )
    ActivityLog.objects.create(
        pairing=pairing,
        author=teacher,
        kind=Kind.TALK,
        date=today,
        content="谈学习、生活和假期安排",
        duration_minutes=30,
        study_state=State.GOOD,
        mood=State.FAIR,
    )
    ActivityLog.objects.create(
        pairing=pairing,
        author=teacher,
        kind=Kind.MATERIAL_AID,
        date=today,
        content="送去冬衣",
        aid_items="棉衣一件、文具一套",
        aid_amount=Decimal("123.45"),
        withdrawn_at=now,
        withdrawn_reason="重复记录",
    )
    visit = ActivityLog.objects.create(
        pairing=struggling,
        author=teacher,
        kind=Kind.HOME_VISIT,
        date=today,
        content="家访",
        visit_place="家中",
        visit_present="祖母",
        family_situation="父母在外务工",
    )
    photos_add(log=visit, uploads=[jpeg()], by=teacher)
    Incident.objects.create(
        student=other,
        date=today,
        type=IncidentType.SKIPPING,
        note="下午缺课",
        recorded_by=homeroom,
    )
    DutyRule.objects.create(
        school=school,
        category=Category.LEFT_BEHIND,
        kind=Kind.TALK,
        period="week",
        count=1,
        title="每周谈心一次",
        position=1,
    )
    monday = current.start + dt.timedelta(days=(7 - current.start.weekday()) % 7 + 28)
    HolidayWeek.objects.create(school=school, monday=monday, note="国庆")
    Exam.objects.create(
        school=school, semester=current, name="期中考试", date=current.start + dt.timedelta(60)
    )
    Reminder.objects.create(
        user=teacher,
        kind=Reminder.Kind.TEACHER_DIGEST,
        period=today,
        subject="今日帮扶提醒",
        body="龙小芸：谈心谈话逾期",
        overdue=1,
        due=2,
        run=uuid.uuid4(),
        emailed_at=now,
    )
    Score.objects.create(student=student, semester=previous, score=Decimal("87.50"))
    Score.objects.create(student=other, semester=current, subject="数学", score=Decimal("59.05"))
    AssessmentRule.objects.create(
        school=school, category=Category.STRUGGLING, points=1, threshold=Decimal("1.10")
    )
    sheet = Sheet.objects.create(
        school=school,
        semester=current,
        teacher=teacher,
        state=Sheet.State.SUBMITTED,
        points=2,
        effective=1,
        incomplete=1,
        content={"pairings": [{"ratio": "1.0833", "reasons": []}], "x": 1.5, "none": None},
        computed_at=now,
        office_comment="记录完整",
        submitted_by=office,
        submitted_at=now,
    )
    SheetEvent.objects.create(sheet=sheet, action=SheetEvent.Action.SUBMITTED, by=office)
    Questionnaire.objects.create(
        pairing=pairing,
        semester=current,
        answered_at=now,
        source=Questionnaire.Source.PAPER,
        respondent=Questionnaire.Respondent.PARENT,
        q1=5,
        q2=4,
        q3=5,
        q4=3,
        q5=5,
        comment="感谢老师",
        entered_by=office,
    )
    Questionnaire.objects.create(
        pairing=struggling,
        semester=current,
        token_hash=hashlib.sha256(b"token").hexdigest(),
        issued_at=now,
        expires_at=now + dt.timedelta(days=30),
    )
    # A file of several chunks, beside the photo: random bytes, so nothing compresses it.
    export_file = media / "exports" / "sheets-1.zip"
    export_file.parent.mkdir(parents=True, exist_ok=True)
    export_file.write_bytes(secrets.token_bytes(2 * CHUNK_SIZE + 12345))
    SheetExport.objects.create(
        school=school,
        semester=current,
        requested_by=office,
        finished_at=now,
        state=SheetExport.State.DONE,
        done=1,
        total=1,
        file="exports/sheets-1.zip",
    )
    access_record(user=office, action=AccessLog.Action.ID_REVEAL, student=student, what="身份证号")
    Erasure.objects.create(
        user=office,
        user_label="资助办",
        school=school,
        reference="SC20260101-ABCDEF",
        reason="监护人 2026-01-01 书面申请",
        counts={"pairings": 1, "logs": 3},
    )

    group = Group.objects.create(name="资助办")
    group.permissions.add(Permission.objects.get(codename="view_student"))
    office.groups.add(group)
    office.user_permissions.add(Permission.objects.get(codename="change_student"))
    LogEntry.objects.create(
        user=office,
        content_type=ContentType.objects.get_for_model(Student),
        object_id=str(student.pk),
        object_repr="学生",
        action_flag=ADDITION,
        change_message="[]",
    )
    DBTaskResult.objects.create(
        enqueued_at=now,
        args_kwargs={"args": [1, "二"], "kwargs": {"school": school.pk}},
        task_path="assessment.tasks.build_sheets_zip",
        backend_name="default",
        run_after=now,
        return_value={"done": True},
        worker_ids=["worker-1"],
        exception_class_path="",
        traceback="",
    )
    attempt = AccessAttempt.objects.create(
        user_agent="Mozilla/5.0",
        ip_address="10.0.0.7",
        username=teacher.username,
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=now,
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttemptExpiration.objects.create(
        access_attempt=attempt, expires_at=now + dt.timedelta(minutes=30)
    )
    AxesAccessLog.objects.create(
        user_agent="Mozilla/5.0",
        ip_address="10.0.0.8",
        username=office.username,
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=now,
    )
    AccessFailureLog.objects.create(
        user_agent="Mozilla/5.0",
        ip_address="10.0.0.7",
        username=teacher.username,
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=now,
        locked_out=False,
    )
    SessionStore().create()
    # and the stored duty status of its pairings (visits.DutyStamp, DutyPeriod)
    duty_status_rebuild()


def table_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def without_rows(candidates: list[type[models.Model]]) -> list[str]:
    return [
        model._meta.label
        for model in candidates
        if model._meta.label not in NOT_FILLED and not model._base_manager.exists()
    ]


def plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, FieldFile):
        return value.name
    return value


def canonical_dump() -> dict[str, list[list[tuple[str, str]]]]:
    """Every row of every table (sessions aside), by primary key, every field as repr()."""
    dump = {}
    for model in table_models():
        if model._meta.label in SKIPPED_MODELS:
            continue
        fields = model._meta.local_concrete_fields
        dump[model._meta.label] = [
            [(field.attname, repr(plain(field.value_from_object(obj)))) for field in fields]
            for obj in model._base_manager.order_by("pk")
        ]
    return dump


def media_hashes(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run(command: str, *args: str) -> str:
    stdout = io.StringIO()
    call_command(command, *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def refused(command: str, *args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(command, *args)
    message = str(error.value)
    assert CHINESE.search(message), message
    return message


def empty_everything(media: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media)


def frames(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each chunk frame of a backup file."""
    spans = []
    position = HEADER.size
    while position < len(data):
        (length,) = FRAME.unpack_from(data, position)
        spans.append((position, position + FRAME.size + length))
        position += FRAME.size + length
    return spans


@transactional
def test_restore_drill_brings_back_every_row_and_every_file(media, key, out):
    # Given a school with a record in every table and files in MEDIA_ROOT
    build_school(media)
    ours = [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.label not in SKIPPED_MODELS
    ]
    assert without_rows(ours) == []
    assert without_rows([m for m in table_models() if m._meta.label not in SKIPPED_MODELS]) == []
    before = canonical_dump()
    files = media_hashes(media)
    assert len(files) == 2
    last_county = County.objects.order_by("-pk")[0].pk
    last_student = Student.objects.order_by("-pk")[0].pk
    last_history = Student.history.order_by("-history_id")[0].history_id

    # When it is backed up, the database and media are emptied, and the backup restored
    report = run("backup", str(out))
    empty_everything(media)
    # (a fresh install may have made the upload folders already)
    (media / "photos").mkdir(parents=True)
    (media / "exports").mkdir()
    assert Student.objects.count() == 0
    assert media_hashes(media) == {}
    restored = run("restore", str(out))

    # Then every row and every file is back, the same
    assert canonical_dump() == before
    assert media_hashes(media) == files
    assert "张表" in report and "恢复完成" in restored
    assert NAME not in report + restored and ID_NUMBER not in report + restored
    assert Student.objects.get(student_no=STUDENT_NO).id_number == ID_NUMBER
    # sessions are not restored: everybody logs in again
    assert not Session.objects.exists()
    # and new rows get fresh ids (sequences reset on PostgreSQL)
    new = factories.StudentFactory()
    assert new.pk > last_student
    assert new.history.get().history_id > last_history
    assert new.school.county.pk > last_county


def test_backup_file_shows_nothing_in_plain_text(media, key, out):
    build_school(media)
    photo = next(media.joinpath("photos").rglob("*.jpg")).read_bytes()

    run("backup", str(out))

    data = out.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o600
    for secret in (ID_NUMBER, NAME, STUDENT_NO, "平寨镇龙家村", "13900000000", key):
        assert secret.encode() not in data, secret
    assert photo[:200] not in data
    assert b"manifest" not in data and b"jsonl" not in data


def test_wrong_key_is_refused_and_nothing_changes(media, key, out, settings):
    build_school(media)
    run("backup", str(out))
    before, files = canonical_dump(), media_hashes(media)
    settings.BACKUP_KEY = backup_key_generate()

    message = refused("restore", str(out), "--force")

    assert "密钥不对" in message
    assert canonical_dump() == before
    assert media_hashes(media) == files


def flip_middle(data: bytes) -> bytes:
    position = len(data) // 2
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def flip_last_chunk(data: bytes) -> bytes:
    position = len(data) - 20
    return data[:position] + bytes([data[position] ^ 0x80]) + data[position + 1 :]


def flip_salt(data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 0x01]) + data[11:]


def cut_short(data: bytes) -> bytes:
    return data[:-100]


def drop_last_chunk(data: bytes) -> bytes:
    return data[: frames(data)[-1][0]]


def swap_first_chunks(data: bytes) -> bytes:
    (a, b), (c, d) = frames(data)[:2]
    return data[:a] + data[c:d] + data[a:b] + data[d:]


def not_a_backup(data: bytes) -> bytes:
    return b"PK\x03\x04" + data[4:]


@pytest.mark.parametrize(
    "damage",
    [
        flip_middle,
        flip_last_chunk,
        flip_salt,
        cut_short,
        drop_last_chunk,
        swap_first_chunks,
        not_a_backup,
    ],
)
def test_damaged_file_is_refused_and_nothing_changes(media, key, out, damage):
    # Given a backup and a database that has changed since (--force would overwrite it)
    build_school(media)
    run("backup", str(out))
    assert len(frames(out.read_bytes())) >= 3
    out.write_bytes(damage(out.read_bytes()))
    factories.CountyFactory(name="后来的县")
    before, files = canonical_dump(), media_hashes(media)

    # When the damaged file is restored, then it is refused and nothing changes
    message = refused("restore", str(out), "--force")

    assert "未做任何更改" in message
    assert canonical_dump() == before
    assert media_hashes(media) == files
    assert not list(media.parent.glob(".aidcase-restore-*"))


@transactional
def test_failure_while_loading_rolls_everything_back(media, key, out, monkeypatch):
    # Given a backup, and a database that fails at the very end of the restore
    build_school(media)
    run("backup", str(out))
    factories.CountyFactory(name="后来的县")
    (media / "late.txt").write_text("written after the backup")
    before, files = canonical_dump(), media_hashes(media)
    monkeypatch.setattr(
        connection.ops, "sequence_reset_sql", lambda style, models: ["SELECT * FROM no_such"]
    )

    message = refused("restore", str(out), "--force")

    # Then every row loaded so far is rolled back, and MEDIA_ROOT is untouched
    assert "已全部撤销" in message
    assert canonical_dump() == before
    assert media_hashes(media) == files


def test_restore_over_data_needs_force(media, key, out):
    build_school(media)
    run("backup", str(out))
    before, files = canonical_dump(), media_hashes(media)

    message = refused("restore", str(out))

    assert "--force" in message
    assert canonical_dump() == before
    assert media_hashes(media) == files


@transactional
def test_restore_into_empty_database_over_leftover_files_needs_force(media, key, out):
    build_school(media)
    run("backup", str(out))
    empty_everything(media)
    (media / "leftover.txt").parent.mkdir(parents=True)
    (media / "leftover.txt").write_text("left over")

    message = refused("restore", str(out))

    assert "MEDIA_ROOT" in message
    assert not Student.objects.exists()


@transactional
def test_force_replaces_changed_data_and_files(media, key, out):
    # Given a backup, after which records and files changed
    build_school(media)
    run("backup", str(out))
    before, files = canonical_dump(), media_hashes(media)
    factories.CountyFactory(name="后来的县")
    Student.objects.filter(student_no=STUDENT_NO).update(name="改过的名字")
    Reminder.objects.all().delete()
    (media / "late.txt").write_text("written after the backup")

    # When it is restored with --force, then the backup's state is back, and only it
    run("restore", str(out), "--force")

    assert canonical_dump() == before
    assert media_hashes(media) == files


@transactional
def test_backup_of_another_schema_is_refused(media, key, out, monkeypatch):
    build_school(media)
    run("backup", str(out))
    empty_everything(media)
    monkeypatch.setattr(
        backup, "migration_state", lambda connection: {"students": ["0001_initial", "0099_later"]}
    )

    message = refused("restore", str(out))

    assert "migrate" in message and "0099_later" in message
    assert not Student.objects.exists()
    assert media_hashes(media) == {}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "未设置环境变量 AIDCASE_BACKUP_KEY"),
        ("  ", "未设置环境变量 AIDCASE_BACKUP_KEY"),
        ("not a key", "无效"),
        ("c2hvcnQ=", "无效"),
        ("secret-key", "不能与 DJANGO_SECRET_KEY"),
    ],
)
def test_missing_or_bad_key_is_refused_and_nothing_is_written(media, out, settings, value, words):
    build_school(media)
    settings.BACKUP_KEY = settings.SECRET_KEY if value == "secret-key" else value

    message = refused("backup", str(out))

    assert words in message
    assert list(out.parent.iterdir()) == []


def test_unreadable_records_stop_the_backup_and_nothing_is_written(media, key, out, settings):
    # Given ID numbers sealed with another AIDCASE_ID_KEY than the server's
    build_school(media)
    settings.ID_NUMBER_KEY = backup_key_generate()

    message = refused("backup", str(out))

    assert "读取数据表 students." in message
    assert list(out.parent.iterdir()) == []


def test_backup_does_not_overwrite_a_file(media, key, out):
    out.write_bytes(b"an older backup")

    message = refused("backup", str(out))

    assert "已存在" in message
    assert out.read_bytes() == b"an older backup"


@transactional
def test_generated_key_is_fresh_and_usable(media, out, settings):
    first = run("backup", "--generate-key").strip()
    second = run("backup", "--generate-key").strip()
    assert first != second
    build_school(media)
    settings.BACKUP_KEY = first

    run("backup", str(out))
    empty_everything(media)
    run("restore", str(out))

    assert Student.objects.filter(student_no=STUDENT_NO).exists()


class Holder:
    """Stands in for a model instance: value_from_object() reads an attribute."""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (models.DateTimeField(), dt.datetime(2026, 5, 1, 2, 3, 4, 567891, tzinfo=dt.UTC)),
        (models.DateField(), dt.date(2012, 2, 29)),
        (models.TimeField(), dt.time(7, 30, 0, 123456)),
        (models.DurationField(), dt.timedelta(days=2, microseconds=5)),
        (models.DecimalField(max_digits=9, decimal_places=2), Decimal("0.10")),
        (models.BinaryField(), b"\x00\xff binary \x80"),
        (models.UUIDField(), uuid.UUID("12345678-1234-5678-1234-567812345678")),
        (models.JSONField(), {"a": [1, 2.5, None, "二"], "b": {"c": True}}),
        (models.JSONField(), "a JSON string"),
        (models.FloatField(), 0.1 + 0.2),
        (models.CharField(), "龙小芸"),
        (models.CharField(null=True), None),
        (models.BooleanField(), False),
        (models.BigIntegerField(), 2**62),
    ],
)
def test_field_values_survive_the_round_trip_exactly(field, value):
    field.set_attributes_from_name("value")
    holder = Holder()
    holder.value = value

    loaded = value_load(field, json.loads(json.dumps(value_dump(field, holder))))

    assert plain(loaded) == value
    assert type(plain(loaded)) is type(value)


def test_id_numbers_stay_sealed_inside_the_backup(media, key, out):
    # Given a backup, opened with the backup key
    build_school(media)
    run("backup", str(out))
    tables = b""
    reader = backup_file.DecryptingReader(out.open("rb"), backup_file.key_bytes(key))
    tar = backup._open_tar(reader)
    for member in backup._members(tar):
        raw = backup._read_member(tar, member)
        tables += gzip.decompress(raw) if member.name.endswith(".gz") else raw
    # Then the rows are readable but the ID number is not: it needs AIDCASE_ID_KEY too
    assert NAME.encode() in tables
    assert ID_NUMBER.encode() not in tables
