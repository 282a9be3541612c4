"""Login protection: the end of sessions (timeouts, deactivated accounts, reset passwords) and
the client's address behind the proxy that django-axes counts failed logins by. Lockouts and
their lifting by the aid office are governance.lockouts."""

import ipaddress
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

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
