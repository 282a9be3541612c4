"""Nothing a user typed is lost, and nothing is saved twice.

Once: every POST form carries a key made when its page was rendered (`{% form_key %}`). The
first POST with a key claims it, in a row committed before the view runs; a second POST with
the same key (a double tap, a retry on a weak network) waits for the first and is answered
with the first one's result, its redirect, so one record is stored. A form the view refuses
(no redirect) frees its key: the corrected form is sent with the same key again.

Kept through a re-login: a form sent after the session ended (idle or absolute timeout) is kept,
fields and files, in the new logged-out session. When the same user has logged in again and
comes back to the form's address (the login page sends them there), the form is submitted as
it was sent, with its key, so at most once. The POST had passed the CSRF check before it was
kept; nothing else can put a form there.
"""

import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

from aidcase.models import FormSubmission
from aidcase.stored_files import stored_files_older_than

FORM_KEY = "_form_key"
_KEY_SHAPE = re.compile(r"[0-9a-f]{32}")

# A second request waits this long for the first to finish before it is told to try again.
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1
# A claim this old without a result belongs to a request that died (a killed worker).
STALE_SECONDS = 120

PENDING = "aidcase_pending_form"
PENDING_DIR = "pending-forms"
# A form kept through a logout is submitted only within this time of being sent.
PENDING_SECONDS = 24 * 60 * 60
# A form with a password is never kept in the session store.
_PASSWORD = re.compile(r"password", re.IGNORECASE)


def form_key_field() -> SafeString:
    """The hidden field of a newly rendered form's key."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FORM_KEY, secrets.token_hex(16)
    )


def _key_of(request: HttpRequest, form_key: str) -> str:
    # The key is random, and bound to the user and the address it was sent to: a key seen
    # by someone else answers nothing of theirs.
    user = request.user if hasattr(request, "user") else None
    owner = str(user.pk) if user is not None and user.is_authenticated else "-"
    raw = f"{owner}\x00{request.path}\x00{form_key}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _claim(key: str) -> FormSubmission | None:
    """The new claim of the key, or None when another request holds it."""
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(key=key)
    except IntegrityError:
        return None


def _replay(submission: FormSubmission, request: HttpRequest) -> HttpResponse:
    if submission.via_htmx and getattr(request, "htmx", False):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = submission.location
        return response
    return HttpResponseRedirect(submission.location)


def submission_begin(request: HttpRequest) -> FormSubmission | HttpResponse | None:
    """Claims the POST's form key. Returns the claim (the view runs), the first submission's
    answer (the view does not run), or None for a POST without a key."""
    form_key = request.POST.get(FORM_KEY, "")
    if not _KEY_SHAPE.fullmatch(form_key):
        return None
    key = _key_of(request, form_key)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        claim = _claim(key)
        if claim is not None:
            return claim
        held = FormSubmission.objects.filter(key=key).first()
        if held is None:
            continue  # the first one was refused and let go of the key: run this one
        if held.done:
            return _replay(held, request)
        age = (timezone.now() - held.created_at).total_seconds()
        if age > STALE_SECONDS:
            FormSubmission.objects.filter(pk=held.pk, done=False).delete()
            continue
        if time.monotonic() > deadline:
            return render(request, "submission_busy.html", status=409)
        time.sleep(POLL_SECONDS)


def submission_end(claim: FormSubmission, response: HttpResponse) -> None:
    """Keeps the answer of a form that was accepted (a redirect), frees the key otherwise."""
    location = response.get("HX-Redirect") or (
        response.get("Location") if 300 <= response.status_code < 400 else None
    )
    if location:
        FormSubmission.objects.filter(pk=claim.pk).update(
            done=True, location=location[:2000], via_htmx="HX-Redirect" in response
        )
    else:
        FormSubmission.objects.filter(pk=claim.pk).delete()


def submissions_prune(*, now: dt.datetime, dry_run: bool = False) -> int:
    """Retention: forgets the answers of forms sent over a day ago (a form rendered that long
    ago is a new one), and deletes the files of forms kept through a logout that nobody came
    back for. Returns how many rows and files went (or would go)."""
    cutoff = now - dt.timedelta(seconds=PENDING_SECONDS)
    old = FormSubmission.objects.filter(created_at__lt=cutoff)
    files = stored_files_older_than(PENDING_DIR, cutoff)
    count = old.count() + len(files)
    if not dry_run:
        old.delete()
        for name in files:
            default_storage.delete(name)
    return count


class SubmitOnceMiddleware:
    """See the module's docstring. Placed after every middleware that may refuse a request
    (CSRF, timeouts, forced password change): only a POST that reaches its view claims a key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        claim = getattr(request, "_form_claim", None)
        if claim is not None:
            submission_end(claim, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST":
            return None
        outcome = submission_begin(request)
        if isinstance(outcome, FormSubmission):
            request._form_claim = outcome  # type: ignore[attr-defined]
            return None
        return outcome


# Kept through a re-login ---------------------------------------------------------------


def pending_keep(request: HttpRequest, *, user_pk: int) -> dict[str, Any] | None:
    """The POST as a session value (its files stored privately), or None for one that is not
    kept: a password form, or an htmx request (it is part of a page, not a page)."""
    if request.method != "POST" or getattr(request, "htmx", False):
        return None
    if any(_PASSWORD.search(name) for name in request.POST):
        return None
    fields = [
        [name, values] for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"
    ]
    files = []
    for name, uploads in request.FILES.lists():
        for upload in uploads:
            stored = default_storage.save(
                f"{PENDING_DIR}/{secrets.token_hex(16)}", ContentFile(upload.read())
            )
            files.append([name, stored, upload.name or "", upload.content_type or ""])
    return {
        "user": user_pk,
        "path": request.path,
        "at": int(time.time()),
        "fields": fields,
        "files": files,
    }


def pending_forget(pending: dict[str, Any]) -> None:
    for _name, stored, *_ in pending.get("files", []):
        default_storage.delete(stored)


def pending_resume(request: HttpRequest) -> bool:
    """Turns this GET into the POST kept for it through the re-login, if there is one for this
    user and address. Returns whether it did."""
    session = getattr(request, "session", None)
    if session is None or PENDING not in session or request.method != "GET":
        return False
    pending = session[PENDING]
    if not isinstance(pending, dict):
        del session[PENDING]
        return False
    too_old = time.time() - pending.get("at", 0) > PENDING_SECONDS
    other_user = pending.get("user") != request.user.pk
    if too_old or other_user:
        del session[PENDING]
        pending_forget(pending)
        return False
    if pending.get("path") != request.path:
        return False  # not there yet: the user went elsewhere first
    del session[PENDING]
    data = QueryDict(mutable=True)
    for name, values in pending.get("fields", []):
        data.setlist(name, values)
    files: MultiValueDict[str, Any] = MultiValueDict()
    for name, stored, filename, content_type in pending.get("files", []):
        if not default_storage.exists(stored):
            continue
        with default_storage.open(stored) as handle:
            files.appendlist(name, SimpleUploadedFile(filename, handle.read(), content_type))
        default_storage.delete(stored)
    data._mutable = False
    request.method = "POST"
    request.META["REQUEST_METHOD"] = "POST"
    request._post = data  # type: ignore[attr-defined]
    request._files = files  # type: ignore[attr-defined]
    # The CSRF check was made when the form was first sent, before it was kept.
    request.csrf_processing_done = True  # type: ignore[attr-defined]
    return True
