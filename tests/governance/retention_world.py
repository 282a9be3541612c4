"""What the retention and erasure tests share: the constants of the student to erase, files
under MEDIA_ROOT, and dumps of every table."""

import datetime as dt
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.utils import timezone
from PIL import Image

from students.models import Student
from students.services import student_save
from tests.helpers import id_number

# The daily run as cron starts it: outside any transaction, so each step's files go when
# its own transaction commits, before the next step looks.
transactional = pytest.mark.django_db(transaction=True)

NAME = "欧阳测试娃"
STUDENT_NO = "G520101201299990777"
ID_NUMBER = id_number("52010120120101123")  # born 2012-01-01, the factory's birth date
CLASSMATE = "杨晓东"
REASON = "监护人于2026年11月20日书面申请删除，申请书存档号12"
REFERENCE = re.compile(r"^SC\d{8}-[0-9A-F]{6}$")
OLD = time.time() - 3 * 24 * 3600  # an mtime well past every grace period


def today() -> dt.date:
    return timezone.localdate()


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def write(path: Path, content: bytes = b"data", *, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime) if mtime is not None else None)
    return path


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("家访.jpg", buffer.getvalue(), content_type="image/jpeg")


def table_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def row_counts() -> dict[str, int]:
    """How many rows every table of every app holds."""
    return {model._meta.label: model._base_manager.count() for model in table_models()}


def raw_dump() -> str:
    """Every value of every table, as a database dump would show them."""
    tables = {model._meta.db_table for model in table_models()}
    tables |= set(connection.introspection.table_names())
    values = []
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [plain(v) for row in cursor.fetchall() for v in row]
    return "\n".join(values)


def plain(value: Any) -> str:
    if isinstance(value, memoryview | bytes):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def traces(value: str) -> list[str]:
    """The value as written, and as a JSON column may hold it (\\uXXXX escapes)."""
    return [value, json.dumps(value)[1:-1]]


def leave(student: Student, status: str = Student.Status.GRADUATED, *, by=None) -> Student:
    student.status = status
    return student_save(student=student, entry_year=student.cohort.entry_year, by=by)
