"""Several hosts, no state on one of them (DESIGN "Scale"): two web processes and two task
workers against one PostgreSQL database and one shared file storage, as two web hosts behind
a proxy and two worker hosts would run.

- a teacher logs in through web host A and goes on through B with the same session;
- a photo uploaded through A is served by B;
- export ZIPs requested through A and B are each built exactly once, by one of the two workers
  (the task queue locks a task's row while a worker claims it), and downloaded from the other
  web host.

The processes use the test database itself: the test's rows are committed (transaction=True)
so that they see them. PostgreSQL only: SQLite is a file of one machine."""

import io
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image

from assessment.models import SheetExport
from tests import factories
from tests.aidcase.test_sqlite_concurrency import (
    WAIT,
    Browser,
    _listening,
    form_fields,
    logged_in,
    page_path,
)
from tests.assessment.test_assess import setting as setting
from tests.assessment.test_sheet_views import paula as paula
from tests.assessment.test_sheet_views import sheets as sheets
from tests.assessment.test_sheet_views import tina as tina
from tests.assessment.test_sheet_views import tom as tom
from tests.helpers import stop
from visits.models import VisitPhoto

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("worker-host-1", "worker-host-2")
# Exports asked for at once, through both web hosts: the two workers compete for them.
EXPORTS = 6

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="several hosts share one PostgreSQL server; SQLite is a file of one machine "
        "(run with DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
]


@dataclass
class Cluster:
    web: tuple[str, str]
    storage: Path
    logs: list[Path]

    def log_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in self.logs)


def database_url() -> str:
    """The test database, as the other processes reach it."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = urllib.parse.quote(db["PASSWORD"] or "")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}:{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(storage: Path) -> dict[str, str]:
    """What every host of the site is given alike: the database, the keys, the storage."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AIDCASE_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="tests.live_sqlite_settings",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        # The key the test's rows were written with.
        AIDCASE_ID_KEY=settings.ID_NUMBER_KEY,
        # A shared mount (NFS…) on real hosts; one folder here.
        DJANGO_MEDIA_ROOT=str(storage),
        DJANGO_CONN_MAX_AGE="0",
    )
    return env


@pytest.fixture
def cluster(tmp_path) -> Iterator[Cluster]:
    storage = tmp_path / "shared-storage"
    env = environment(storage)
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(name: str, *command: str) -> Path:
        log = tmp_path / f"{name}.log"
        logs.append(log)
        with log.open("w") as out:
            processes.append(
                subprocess.Popen(  # noqa: S603 — our own programs with fixed arguments
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            )
        return log

    try:
        web_logs = [
            start(
                f"web-{host}",
                *(sys.executable, "-m", "gunicorn", "aidcase.wsgi:application"),
                *("--bind", "127.0.0.1:0", "--workers", "1", "--threads", "4"),
                *("--timeout", str(WAIT), "--graceful-timeout", "5"),
            )
            for host in ("a", "b")
        ]
        for worker in WORKERS:
            start(
                worker,
                *(sys.executable, "manage.py", "db_worker", "--no-reload"),
                *("--interval", "0.2", "--worker-id", worker),
            )
        web = (
            _listening(processes[0], web_logs[0]),
            _listening(processes[1], web_logs[1]),
        )
        assert web[0] != web[1]
        yield Cluster(web, storage, logs)
    finally:
        for process in processes:
            stop(process)


def get_bytes(browser: Browser, path: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(browser.url + path)  # noqa: S310 — our server
    try:
        with browser.opener.open(request, timeout=WAIT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_multipart(
    browser: Browser, path: str, fields: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> tuple[int, str]:
    """A form with files, posted as a browser posts it. Returns the status and Location."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(browser.url + path, data=body, method="POST")  # noqa: S310
    request.add_header("Origin", browser.url)
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    try:
        with browser.opener.open(request, timeout=WAIT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def form_posting_to(page: str, action: str) -> dict[str, str]:
    """The fields of the page's form whose action is `action`."""
    found = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S)
    assert found, f"no form posting to {action}"
    return form_fields(found[0], holding="csrfmiddlewaretoken")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_photo_uploaded_through_one_web_host_is_served_by_the_other(cluster, school, tom):
    factories.SemesterFactory(school=school)
    pairing = factories.PairingFactory(school=school, teacher=tom)
    a, b = cluster.web
    browser = Browser(a)
    logged_in(browser, tom.username)
    # when the teacher saves a home visit with a photo through host A
    path = f"/logs/new/?pairing={pairing.pk}&kind=home_visit&next=/me/"
    page = browser.get(path)
    assert page.status == 200, page.body[:500]
    fields = {
        **form_fields(page.body, holding="content"),
        "kind": "home_visit",
        "channel": "in_person",
        "visit_place": "家中",
        "content": "家访，了解家庭情况",
    }
    status, location = post_multipart(
        browser, page_path(path), fields, {"photos": ("photo.jpg", jpeg())}
    )
    assert (status, location) == (302, "/me/"), cluster.log_text()
    photo = VisitPhoto.objects.get(log__pairing=pairing)
    # then host B, with the same session (kept in the database), serves it
    browser.url = b
    status, headers, body = get_bytes(browser, f"/photos/{photo.pk}/")
    assert status == 200, cluster.log_text()
    assert headers["Content-Type"] == "image/jpeg"
    assert body == (cluster.storage / photo.image.name).read_bytes()
    assert body.startswith(b"\xff\xd8")


def test_exports_are_built_once_by_one_of_two_workers_and_served_by_either_host(
    cluster, setting, sheets, paula
):
    a, b = cluster.web
    semester = setting["now"]
    list_path = f"{reverse('sheet_list')}?semester={semester.pk}"
    action = reverse("export_start", args=[semester.pk])
    hosts = [Browser(a), Browser(b)]
    for host in hosts:
        logged_in(host, paula.username)
    # when the principal asks for exports through both hosts, A first
    asked = []
    for n in range(EXPORTS):
        host = hosts[n % 2]
        page = host.get(list_path)
        assert page.status == 200, page.body[:500]
        response = host.post(action, form_posting_to(page.body, action))
        assert response.status == 302, cluster.log_text()
        found = re.fullmatch(r"/assessment/exports/(\d+)/", response.location)
        assert found, response.location
        asked.append(int(found[1]))
    assert len(set(asked)) == EXPORTS
    # then the workers build them all
    deadline = time.monotonic() + 4 * WAIT
    while SheetExport.objects.filter(pk__in=asked, state__in=["queued", "running"]).exists():
        assert time.monotonic() < deadline, cluster.log_text()
        time.sleep(0.2)
    exports = list(SheetExport.objects.filter(pk__in=asked).order_by("pk"))
    assert [export.state for export in exports] == ["done"] * EXPORTS, cluster.log_text()
    # each by one worker, once: one task each, claimed by one worker, one ZIP in the storage
    tasks = DBTaskResult.objects.filter(task_path="assessment.tasks.build_sheets_zip")
    by_export = {task.args_kwargs["kwargs"]["export_id"]: task for task in tasks}
    assert sorted(by_export) == asked
    for task in by_export.values():
        assert task.status == "SUCCESSFUL", task.traceback
        assert len(task.worker_ids) == 1 and task.worker_ids[0] in WORKERS
    stored = sorted(
        p.relative_to(cluster.storage).as_posix() for p in cluster.storage.rglob("*.zip")
    )
    assert stored == sorted(export.file for export in exports)
    # and the first one, asked for through A, downloads from B
    first = exports[0]
    status, headers, body = get_bytes(hosts[1], f"/assessment/exports/{first.pk}/download/")
    assert status == 200, cluster.log_text()
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert len([name for name in archive.namelist() if name.endswith(".pdf")]) == len(sheets)
    assert body == (cluster.storage / first.file).read_bytes()
