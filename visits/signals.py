"""What visits does when its inputs change in another app or outside its services: keeping
the stored duty status (`visits.duty_store`) current. Connected in `VisitsConfig.ready`."""

from typing import Any

from django.db.models.signals import post_delete, post_save

from pairing.services import pairings_imported
from students.models import School, Semester
from visits.duty_store import duty_status_mark_stale
from visits.models import ActivityLog
from visits.tasks import rebuild_duty_status_later


def log_changed(sender: Any, instance: ActivityLog, **kwargs: Any) -> None:
    """Any save or delete of a log, the admin's too: the pairing's stored status is stale
    until it is counted again (by the log services at once, else by the next read)."""
    if instance.pairing_id is not None and not kwargs.get("raw"):
        duty_status_mark_stale(pairing_ids=[instance.pairing_id])


def semester_changed(sender: Any, instance: Semester, **kwargs: Any) -> None:
    """A semester's dates changed (students cannot call visits): reads see it by the digest
    and count again what they read; the task worker counts the school again meanwhile."""
    if not kwargs.get("raw"):
        rebuild_duty_status_later(school_id=instance.school_id)


def pairings_were_imported(sender: Any, school: School, **kwargs: Any) -> None:
    """Pairings written in bulk: reads would count them themselves; the task worker does
    it first."""
    rebuild_duty_status_later(school_id=school.pk)


def connect() -> None:
    post_save.connect(log_changed, sender=ActivityLog, dispatch_uid="duty_store_log_saved")
    post_delete.connect(log_changed, sender=ActivityLog, dispatch_uid="duty_store_log_deleted")
    post_save.connect(semester_changed, sender=Semester, dispatch_uid="duty_store_semester")
    pairings_imported.connect(pairings_were_imported, dispatch_uid="duty_store_pairings")
