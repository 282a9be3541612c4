"""The superuser's import and export in the Django admin (students.admin's
SchoolScopedImportExportAdmin), as the Resource tests use them
(tests/students/test_student_resource.py, tests/assessment/test_score_resource.py,
tests/pairing/test_pairing_resource.py, tests/visits/test_incident_resource.py): log in, upload
a CSV for a school to the import page, confirm the preview, export a school's rows as CSV.

`admin` is the model's admin address, such as "/admin/students/student/"."""

import io
import re
from typing import Any

import tablib
from django.contrib.auth.models import User
from django.test import Client

from students.models import School
from tests import factories


def log_in_superuser(client: Client) -> User:
    superuser: User = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    return superuser


def csv_upload(data: tablib.Dataset, *, name: str) -> io.BytesIO:
    """A CSV file with the dataset's headers and rows, as a school would upload it."""
    upload = io.BytesIO(data.export("csv").encode())
    upload.name = name
    return upload


def csv_format(page: Any) -> str:
    choices = page.context["form"].fields["format"].choices
    return next(value for value, label in choices if label.lower() == "csv")


def preview(client: Client, admin: str, *, school: School, upload: io.BytesIO) -> Any:
    """The import page's answer to a file uploaded for the school: the preview."""
    page = client.get(f"{admin}import/")
    assert page.status_code == 200
    return client.post(
        f"{admin}import/",
        {"school": school.pk, "resource": "0", "format": csv_format(page), "import_file": upload},
    )


def confirm(client: Client, admin: str, preview: Any) -> Any:
    """The preview's confirmation, sent back as the page's form would send it."""
    form = preview.context["confirm_form"]
    return client.post(
        f"{admin}process_import/", {name: form[name].value() for name in form.fields}
    )


def export_lines(client: Client, admin: str, *, school: School) -> list[str]:
    """The lines of the school's rows exported as CSV, the header first."""
    page = client.get(f"{admin}export/")
    response = client.post(
        f"{admin}export/", {"school": school.pk, "format": csv_format(page), "resource": "0"}
    )
    content = response.content.decode("utf-8-sig")
    return [line for line in re.split(r"\r?\n", content) if line]
