"""Lockouts after failed logins (django-axes) and their lifting by the aid office.

django-axes keeps the lockout state in `AccessAttempt` rows (one per username, address and
browser); a username and address pair is locked while its failures within the cool-off time
reach the limit.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Sum
from django.http import Http404
from django.utils import timezone

from aidcase.audit import access_record
from aidcase.models import AccessLog
from aidcase.permissions import person_label, school_id_of
from aidcase.roles import Role
from students.models import School

User = get_user_model()


@dataclass
class Lockout:
    """A locked account: the addresses it is locked on and when the last lock lifts."""

    user: Any
    addresses: list[str] = field(default_factory=list)
    failures: int = 0
    until: dt.datetime | None = None

    @property
    def unlockable(self) -> bool:
        # Office and principal accounts are managed by the system administrator, as their
        # passwords are (students.selectors.teacher_get_for_user).
        profile = getattr(self.user, "profile", None)
        return profile is not None and profile.role == Role.TEACHER


def _cool_off() -> dt.timedelta:
    cool_off = get_cool_off()
    if cool_off is None:
        raise ValueError("AXES_COOLOFF_TIME must be set")
    return cool_off


def lockouts_of(*, school: School) -> list[Lockout]:
    """The school's accounts that are locked now, by name. Attempts on usernames of other
    schools, or on no account at all, are never part of the answer."""
    cool_off = _cool_off()
    usernames = User.objects.filter(profile__school=school).values("username")
    locked = (
        AccessAttempt.objects.filter(
            username__in=usernames, attempt_time__gte=timezone.now() - cool_off
        )
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("username", "ip_address")
    )
    by_username: dict[str, Lockout] = {}
    for row in locked:
        lockout = by_username.setdefault(row["username"], Lockout(user=None))
        lockout.addresses.append(row["ip_address"] or "")
        lockout.failures += row["failures"]
        until = row["last"] + cool_off
        lockout.until = max(lockout.until or until, until)
    if not by_username:
        return []
    users = User.objects.filter(profile__school=school, username__in=by_username).select_related(
        "profile"
    )
    for user in users:
        by_username[user.username].user = user
    lockouts = [lockout for lockout in by_username.values() if lockout.user is not None]
    return sorted(lockouts, key=lambda lockout: (lockout.user.profile.name, lockout.user.username))


def unlockable_user_get_for_office(*, user: Any, pk: int) -> Any:
    """A teacher account of the office's own school; 404 for anyone else."""
    profile = getattr(user, "profile", None)
    school_id = profile.school_id if profile is not None else None
    target = (
        User.objects.filter(pk=pk, profile__school_id=school_id or 0, profile__role=Role.TEACHER)
        .select_related("profile")
        .first()
    )
    if target is None:
        raise Http404
    return target


@transaction.atomic
def account_unlock(*, user: Any, by: Any) -> int:
    """Lifts every lockout of the account, on every address, before its cool-off ends, and
    returns how many attempt records were cleared. The failures are forgotten: the account
    gets the full number of attempts again. `by` is who lifted it, kept in the access log."""
    cleared = axes_reset(username=user.get_username())
    access_record(
        user=by,
        action=AccessLog.Action.UNLOCK,
        school=School(pk=school_id_of(by)) if school_id_of(by) else None,
        what=person_label(user),
    )
    return cleared
