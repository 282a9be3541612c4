"""No state on one web host (DESIGN "Scale"): uploaded photos, forms kept through a re-login
and export ZIPs go through Django's storage API, so a shared folder or a bucket can hold them.

The tests swap the file storage for Django's InMemoryStorage: whatever still wrote to a local
path under MEDIA_ROOT would leave a file there (or fail to find its own), and the tests check
that MEDIA_ROOT stays absent. The settings of several hosts (DJANGO_STORAGE, REDIS_URL) are
read by processes of their own, as a server would read them."""

import io
import json
import secrets
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, storages
from django.urls import reverse

from assessment.models import SheetExport
from assessment.tasks import build_sheets_zip, exports_delete
from governance import backup
from governance.backup_file import BackupError, backup_key_generate
from tests.aidcase.test_submissions import form_key, jpeg, log_in_again, talk, timed_out
from tests.aidcase.test_submissions import pairing as pairing
from tests.aidcase.test_submissions import student as student
from tests.aidcase.test_submissions import teacher as teacher
from tests.assessment.test_assess import setting as setting
from tests.assessment.test_sheet_views import paula as paula
from tests.assessment.test_sheet_views import sheets as sheets
from tests.assessment.test_sheet_views import tina as tina
from tests.assessment.test_sheet_views import tom as tom
from tests.conftest import login
from tests.helpers import manage_py
from visits.models import ActivityLog, Kind, VisitPhoto


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT points at a folder that must never appear."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bucket(settings, media) -> InMemoryStorage:
    """A file storage that is no folder of this host, as a bucket is not."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    storage = storages["default"]
    assert isinstance(storage, InMemoryStorage)
    return storage


def files_in(storage: InMemoryStorage, folder: str) -> list[str]:
    """Every file under `folder` of the storage, by name, recursively."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" for name in files]
    for directory in directories:
        names += files_in(storage, f"{folder}/{directory}")
    return sorted(names)


@pytest.mark.django_db
def test_a_kept_form_and_its_photo_live_in_the_storage_and_are_served_from_it(
    bucket, media, teacher, pairing
):
    client = login(teacher)
    path = f"/logs/new/?pairing={pairing.pk}"
    key = form_key(client, path)
    timed_out(client)
    visit = talk(pairing, kind=Kind.HOME_VISIT, visit_place="家中", content="家访")
    # when a home visit with a photo is sent after the session ended
    assert client.post(path, {**visit, "photos": [jpeg()], "_form_key": key}).status_code == 302
    # then its photo is kept in the storage, not in a folder of this host
    assert len(files_in(bucket, "pending-forms")) == 1
    # and after the next login the visit is saved with the photo, stored in the storage
    log_in_again(client, teacher)
    assert client.get(path).status_code == 302
    photo = VisitPhoto.objects.get(log=ActivityLog.objects.get())
    assert files_in(bucket, "pending-forms") == []
    assert files_in(bucket, "photos") == [photo.image.name]
    # and the photo page streams it from there
    response = client.get(reverse("photo", args=[photo.pk]))
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    with bucket.open(photo.image.name) as stored:
        assert served == stored.read()
    assert served.startswith(b"\xff\xd8")  # a JPEG
    assert not media.exists()


@pytest.mark.django_db
def test_an_export_zip_is_built_once_into_the_storage_and_downloaded_from_it(
    bucket, media, school, setting, sheets, paula, django_capture_on_commit_callbacks
):
    export = SheetExport.objects.create(school=school, semester=setting["now"], requested_by=paula)
    # when the worker builds it
    build_sheets_zip.call(export_id=export.pk)
    export.refresh_from_db()
    assert (export.state, export.done, export.total) == ("done", 2, 2)
    assert files_in(bucket, "exports") == [export.file]
    # then a second run of the same task (a retry, a second worker) builds nothing again
    build_sheets_zip.call(export_id=export.pk)
    again = SheetExport.objects.get(pk=export.pk)
    assert (again.state, again.file, again.finished_at) == ("done", export.file, export.finished_at)
    assert files_in(bucket, "exports") == [export.file]
    # and the download streams the stored ZIP, with its name and headers
    response = login(paula).get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len([name for name in archive.namelist() if name.endswith(".pdf")]) == 2
    # and deleting the export deletes its ZIP from the storage once the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_delete(SheetExport.objects.filter(pk=export.pk)) == 1
    assert files_in(bucket, "exports") == []
    assert not media.exists()


@pytest.mark.django_db
def test_a_download_of_a_zip_gone_from_the_storage_is_404(bucket, school, setting, sheets, paula):
    export = SheetExport.objects.create(school=school, semester=setting["now"], requested_by=paula)
    build_sheets_zip.call(export_id=export.pk)
    export.refresh_from_db()
    bucket.delete(export.file)
    assert login(paula).get(reverse("export_download", args=[export.pk])).status_code == 404


@pytest.mark.django_db
def test_an_export_taken_by_another_worker_is_left_alone(bucket, school, setting, sheets, paula):
    export = SheetExport.objects.create(
        school=school, semester=setting["now"], requested_by=paula, state="running"
    )
    build_sheets_zip.call(export_id=export.pk)
    export.refresh_from_db()
    assert (export.state, export.file, export.total) == ("running", "", 0)
    assert files_in(bucket, "exports") == []


@pytest.mark.django_db
def test_backup_and_restore_refuse_a_storage_that_is_not_a_folder(bucket, settings, tmp_path):
    settings.BACKUP_KEY = backup_key_generate()
    out = tmp_path / "aidcase.bak"
    with pytest.raises(BackupError, match="文件存储不是本机目录（InMemoryStorage）"):
        backup.backup_write(out=out, key=settings.BACKUP_KEY)
    assert list(tmp_path.iterdir()) == []
    out.write_bytes(b"AIDCBKP")
    with pytest.raises(BackupError, match="backup/restore 只支持文件系统存储"):
        backup.backup_restore(path=out, key=settings.BACKUP_KEY, force=True)


@pytest.mark.django_db
def test_backup_reads_the_folder_of_the_storage(settings, tmp_path):
    # A FileSystemStorage with its own location (a shared mount) rather than MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path / "unused"
    shared = tmp_path / "shared"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(shared)},
        },
    }
    assert backup.storage_folder() == shared


def test_stored_files_and_their_folders_are_the_applications_alone(media):
    name = storages["default"].save("photos/2026/a.jpg", ContentFile(b"\xff\xd8"))
    assert stat.S_IMODE((media / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((media / "photos" / "2026").stat().st_mode) == 0o700


# The settings of a host -------------------------------------------------------------------


def settings_of(**env: str) -> subprocess.CompletedProcess[str]:
    """The storage and cache settings of a process started with `env`."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'storage': settings.STORAGES['default'], "
        "'cache': settings.CACHES['default']['BACKEND'], "
        "'location': settings.CACHES['default'].get('LOCATION', '')}))"
    )
    return manage_py(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(48), **env},
        cleared=("DJANGO_", "AIDCASE_", "REDIS_", "DATABASE_"),
    )


def test_by_default_files_are_in_a_folder_and_the_cache_in_memory():
    result = settings_of()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "storage": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "location": "",
    }


def test_redis_url_makes_the_cache_one_for_every_host():
    result = settings_of(REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["cache"], found["location"]) == (
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/0",
    )


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"DJANGO_STORAGE": "ftp"}, "DJANGO_STORAGE 应为 filesystem 或 s3"),
        ({"DJANGO_STORAGE": "s3"}, "django-storages"),
    ],
    ids=["unknown", "s3-without-django-storages"],
)
def test_a_storage_that_cannot_work_stops_the_start(env, words):
    # django-storages is an optional extra, not installed here: the server says what to do
    # instead of failing at the first upload.
    result = settings_of(**env)
    assert result.returncode != 0
    assert words in result.stderr


def test_two_processes_share_one_cache_through_redis():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    key, value = f"scale-test-{secrets.token_hex(8)}", secrets.token_hex(8)

    def run(code: str) -> str:
        result = manage_py(
            "shell",
            "--no-imports",
            "-c",
            code,
            env={
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            },
            cleared=("DJANGO_", "REDIS_"),
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    prelude = "from django.core.cache import cache; "
    run(prelude + f"cache.set({key!r}, {value!r}, 60)")
    try:
        assert run(prelude + f"print(cache.get({key!r}))") == value
    finally:
        run(prelude + f"cache.delete({key!r})")
