"""A teacher's phone without signal (F12): the installable app's manifest, the service worker
that keeps the teacher's own pages for offline use, and the list of those pages.

What the phone keeps, and when it is wiped, is decided on the phone by static/js/offline.js
from what these views say; the server side of an offline record is the ordinary form (its
one-time key makes a record sent twice stored once) with the time it was written.
"""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aidcase.permissions import AuthedRequest, role_of, role_required
from pairing.selectors import pairings_of_teacher
from students.models import Role, Student
from students.selectors import students_visible_to
from visits.selectors import can_record_incident

# A page kept on the phone is shown offline for this long after it was fetched, never later.
PAGE_DAYS = 7
# The field of an offline record's form that says when it was written on the phone.
WRITTEN_AT = "offline_written_at"
# How far ahead of the server's clock a phone's clock may run.
CLOCK_SKEW = dt.timedelta(minutes=10)
THEME = "#1d6b57"

# What the service worker keeps from the start: every page's own stylesheet, scripts and
# icons (their hashed names, so a new release is a new worker).
STATIC_FILES = (
    "css/aidcase.css",
    "js/aidcase.js",
    "js/offline.js",
    "django_htmx/htmx-2.min.js",
    "img/icons.svg",
    "img/favicon.svg",
    "img/app-icon.svg",
    "img/app-icon-192.png",
    "img/app-icon-512.png",
)


def is_offline_user(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only a teacher's phone keeps pages: the other roles' pages are never kept."""
    return bool(user.is_authenticated) and role_of(user) == Role.TEACHER


def owner_stamp(user: AbstractBaseUser) -> str:
    """Who the phone's kept pages and unsent records belong to: the user and a digest of
    their password (the session's own), so that another login or a changed password on the
    phone is seen, and what was kept is wiped."""
    digest = salted_hmac(
        "aidcase.offline.owner", user.get_session_auth_hash(), algorithm="sha256"
    ).hexdigest()
    return f"{user.pk}-{digest[:16]}"


def written_at_of(request: HttpRequest) -> dt.datetime | None:
    """When an offline record was written on the phone, from its form; None for a form sent
    as it was filled in, or a time that cannot be (the future, or before the late window)."""
    raw = request.POST.get(WRITTEN_AT, "").strip()
    if not raw or len(raw) > 40:
        return None
    try:
        written = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if written.tzinfo is None:
        return None
    now = timezone.now()
    if written > now + CLOCK_SKEW or written < now - dt.timedelta(days=settings.LATE_DAYS + 1):
        return None
    return written


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The installable app: it opens on the teacher's home page. Linked from teachers' pages
    only."""
    data = {
        "name": _("AidCase 结对帮扶"),
        "short_name": _("结对帮扶"),
        "lang": get_language(),
        "start_url": "/me/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {"src": static("img/app-icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("img/app-icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/app-icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/app-icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the site's root so that it serves /me/, /students/… and
    /logs/new/. Rendered with the static files' hashed names; asked for again on every
    visit (no-cache), so that a new release replaces it."""
    static_urls = [static(name) for name in STATIC_FILES]
    version = hashlib.sha256("\n".join(static_urls).encode()).hexdigest()[:12]
    context = {
        "version": version,
        "static_urls": mark_safe(json.dumps(static_urls)),  # noqa: S308 — the app's own URLs
        "page_ms": PAGE_DAYS * 24 * 60 * 60 * 1000,
    }
    response = render(
        request, "visits/offline_sw.js", context, content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response


@role_required(Role.TEACHER)
@require_GET
def offline_pages(request: AuthedRequest) -> JsonResponse:
    """The pages a teacher's phone keeps for offline use, from the selectors that decide who
    sees what: their home, their own students' pages, the log form of each of their pairings
    and, for a homeroom teacher, the incident form of those of their class. With a fresh
    CSRF token for the records sent from the phone's outbox."""
    user = request.user
    pairings = list(pairings_of_teacher(teacher=user))
    visible = set(
        students_visible_to(user=user)
        .filter(pk__in=[p.student_id for p in pairings])
        .values_list("pk", flat=True)
    )
    pages = ["/me/"]
    students: dict[int, Student] = {}
    for pairing in pairings:
        if pairing.student_id in visible:
            students.setdefault(pairing.student_id, pairing.student)
            pages.append(f"/logs/new/?pairing={pairing.pk}")
    for pk, student in students.items():
        pages.append(f"/students/{pk}/")
        if can_record_incident(user=user, student=student):
            pages.append(f"/students/{pk}/incidents/new/")
    return JsonResponse(
        {
            "owner": owner_stamp(user),
            "csrf": get_token(request),
            "pages": pages,
            "page_days": PAGE_DAYS,
        }
    )


@role_required(Role.TEACHER)
@require_GET
def offline_sent(request: AuthedRequest) -> HttpResponse:
    """Where a record sent from the outbox is redirected once stored (its form's `next`): an
    empty answer, so that the phone tells a stored record from one that met the login page,
    without loading a page for each. A record that met the login page is kept through it
    (aidcase.submissions) and sent as a page once she logs in: that one is shown her home."""
    if request.headers.get("Sec-Fetch-Mode") == "navigate":
        return redirect("me")
    return HttpResponse(status=204)
