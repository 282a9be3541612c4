"""Login protection: lockouts after failed logins (django-axes), their lifting by the aid office,
and the end of sessions (timeouts, deactivated accounts, reset passwords).

django-axes keeps the lockout state in `AccessAttempt` rows (one per username, address and
browser); a username and address pair is locked while its failures within the cool-off time
reach the limit.
"""

import datetime as dt
import ipaddress
import time
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import Http404, HttpRequest
from django.utils import timezone

from aidcase.audit import access_record
from aidcase.models import AccessLog
from aidcase.permissions import person_label, school_id_of
from students.models import Role, School

User = get_user_model()

# Epoch seconds kept in the session: when the user logged in and when they were last seen.
SESSION_LOGIN_AT = "aidcase_login_at"
SESSION_SEEN_AT = "aidcase_seen_at"


@receiver(user_logged_in, dispatch_uid="aidcase.security.session_stamp")
def _stamp_session_on_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    # Connected as soon as the middleware is loaded, which the WSGI handler does at start-up;
    # aidcase.middleware.SessionTimeoutMiddleware copes with a session left without times.
    session = getattr(request, "session", None)
    if session is not None:
        session_stamp(session, login_at=int(time.time()))


def session_stamp(session: Any, *, login_at: int, seen_at: int | None = None) -> None:
    session[SESSION_LOGIN_AT] = login_at
    session[SESSION_SEEN_AT] = login_at if seen_at is None else seen_at


def sessions_end_for(user: Any) -> int:
    """Deletes every session of the user and returns how many there were.

    Django keeps no index from users to sessions, so every live session is decoded: a few
    thousand rows at most for a county, and this runs only when the office deactivates an
    account or resets its password."""
    engine = import_module(settings.SESSION_ENGINE)
    decoder = engine.SessionStore()
    user_id = str(user.pk)
    keys = [
        key
        for key, data in Session.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
        if str(decoder.decode(data).get(SESSION_KEY)) == user_id
    ]
    for key in keys:
        # Through the session engine, so that a cached_db engine forgets its copy too.
        engine.SessionStore(session_key=key).delete()
    return len(keys)


def client_ip_behind_proxy(request: HttpRequest) -> str | None:
    """The client's address behind one reverse proxy (nginx with `proxy_set_header
    X-Forwarded-For $proxy_add_x_forwarded_for`): the last entry of X-Forwarded-For, the one
    the proxy appended itself. Entries before it come from the client and may be forged."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


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
