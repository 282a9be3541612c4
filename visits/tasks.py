"""Background work of visits: counting a school's stored duty status again after its rules
or calendar changed (`visits.duty_store`), run by the task worker (`manage.py db_worker`)."""

from django.db import transaction
from django.tasks import task

from students.models import School
from visits.duty_store import duty_status_rebuild


@task()
def rebuild_duty_status(*, school_id: int) -> int:
    """Counts again the school's pairings whose stored status is missing or stale. Reads
    never wait for it: they count what is stale themselves."""
    return duty_status_rebuild(schools=School.objects.filter(pk=school_id), force=False)


def rebuild_duty_status_later(*, school_id: int) -> None:
    """Queues counting the school's stale stored status again once the change commits: after
    a change of its rules or calendar."""
    transaction.on_commit(lambda: rebuild_duty_status.enqueue(school_id=school_id))
