"""Background work of the assessment: the ZIP of every teacher's PDF sheet, built by the
task worker (`manage.py db_worker`, started by `make run`) while the page shows progress.

The ZIP is built once, by whichever worker takes the task (on any host), and kept in the file
storage (storages["default"]: a shared folder or a bucket), from which any web host streams it.
"""

import datetime as dt
import logging
import tempfile
import uuid

from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.tasks import task
from django.utils import timezone

from aidcase.permissions import person_label
from assessment import reports
from assessment.models import SheetExport
from assessment.services import sheets_compute
from students.models import School, Semester

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"
# A finished ZIP is a copy of children's data: it is kept only long enough to be fetched.
KEEP_EXPORTS = dt.timedelta(days=1)


def export_storage() -> Storage:
    """Where the ZIPs are kept: the private file storage every web and worker host shares."""
    return storages["default"]


def expired_exports() -> Q:
    return Q(created_at__lt=timezone.now() - KEEP_EXPORTS)


def exports_delete(exports: QuerySet[SheetExport]) -> int:
    """Deletes the exports and, once the transaction commits, their ZIP files."""
    doomed = list(exports)
    names = [export.file for export in doomed if export.file]
    SheetExport.objects.filter(pk__in=[export.pk for export in doomed]).delete()

    def unlink() -> None:
        storage = export_storage()
        for name in names:
            storage.delete(name)

    transaction.on_commit(unlink)
    return len(doomed)


@transaction.atomic
def sheets_export_start(*, school: School, semester: Semester, by: User) -> SheetExport:
    """Queues the ZIP of the semester's sheets and clears the school's expired ones."""
    exports_delete(SheetExport.objects.filter(school=school).filter(expired_exports()))
    export = SheetExport.objects.create(school=school, semester=semester, requested_by=by)
    transaction.on_commit(lambda: build_sheets_zip.enqueue(export_id=export.pk))
    return export


def _progress(export_id: int, done: int) -> None:
    SheetExport.objects.filter(pk=export_id).update(done=done)


@task()
def build_sheets_zip(*, export_id: int) -> None:
    # Taken once: a task run a second time (a worker that died and a retry, or the same
    # export queued twice) finds the export no longer queued and leaves it alone.
    taken = SheetExport.objects.filter(pk=export_id, state=SheetExport.State.QUEUED).update(
        state=SheetExport.State.RUNNING
    )
    if not taken:
        logger.warning("sheet export %s is not queued any more: not built again", export_id)
        return
    export = SheetExport.objects.select_related("school", "semester", "requested_by__profile").get(
        pk=export_id
    )
    storage = export_storage()
    try:
        sheets = sheets_compute(
            school=export.school, semester=export.semester, by=export.requested_by
        )
        SheetExport.objects.filter(pk=export.pk).update(total=len(sheets))
        # Built in a local temporary file, then stored whole: the storage may be a bucket,
        # and the export names its file only once it is complete.
        with tempfile.TemporaryFile(prefix="aidcase-export-") as out:
            reports.write_sheets_zip(
                sheets=sheets,
                exported_by=person_label(export.requested_by),
                out=out,
                on_progress=lambda done: _progress(export.pk, done),
            )
            out.seek(0)
            name = storage.save(
                f"{EXPORT_DIR}/{export.school_id}/{uuid.uuid4().hex}.zip", File(out, name="x.zip")
            )
    except Exception as error:
        # The class name only: messages may quote personal data.
        logger.error("sheet export %s failed: %s", export.pk, type(error).__name__)
        SheetExport.objects.filter(pk=export.pk).update(
            state=SheetExport.State.FAILED, finished_at=timezone.now(), error=type(error).__name__
        )
        raise
    SheetExport.objects.filter(pk=export.pk).update(
        state=SheetExport.State.DONE, file=name, finished_at=timezone.now()
    )
