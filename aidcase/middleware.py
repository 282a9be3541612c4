import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from aidcase.permissions import profile_of
from aidcase.security import SESSION_LOGIN_AT, SESSION_SEEN_AT, session_stamp
from aidcase.submissions import PENDING, pending_keep, pending_resume


class NoStoreForAuthenticatedMiddleware:
    """Pages seen by a logged-in user hold children's data: no browser or proxy may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class ForcePasswordChangeMiddleware:
    """Accounts created by an import or reset by the office carry a one-time password: until
    it is changed, every page leads to the password form."""

    ALLOWED = ("password_change", "logout", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated or request.resolver_match is None:
            return None
        if request.resolver_match.url_name in self.ALLOWED:
            return None
        profile = profile_of(request.user)
        if profile is not None and profile.must_change_password:
            return redirect("password_change")
        return None


class SessionTimeoutMiddleware:
    """Ends a session after `SESSION_IDLE_SECONDS` without a request and `SESSION_COOKIE_AGE`
    after the login, however busy the user was in between.

    The login and last-seen times are epoch seconds in the session (set at login by
    aidcase.security). Every save of a session pushes Django's own expiry forward, so the
    absolute limit counts from the stored login time; and the last-seen time is rewritten at
    most once a minute, so that most requests read the session without saving it.

    The check runs in `process_view`, once every middleware has prepared the request: the
    message shown on the login page needs the message storage. A form sent after the session
    ended is kept and submitted once the same user has logged in again (aidcase.submissions).
    """

    # Pages open to anyone: after a timeout they are shown to the visitor, logged out.
    PUBLIC = ("login", "questionnaire_answer", "questionnaire_thanks")
    # Sent again after a new login, these would do harm or nothing: they are not kept.
    NOT_KEPT = ("logout", "set_language", "password_change")
    SEEN_RESOLUTION = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        session = request.session
        now = int(time.time())
        login_at = session.get(SESSION_LOGIN_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        if login_at is None or seen_at is None:
            # A session from before these times were kept (or one made by a test client
            # before the login signal had a receiver): the account's last login stands in.
            last_login = request.user.last_login
            login_at = int(last_login.timestamp()) if last_login else now
            seen_at = login_at
        if now - login_at > settings.SESSION_COOKIE_AGE:
            hours = settings.SESSION_COOKIE_AGE // 3600
            reason = _("登录已超过 %(hours)d 小时，请重新登录。") % {"hours": hours}
        elif now - seen_at > settings.SESSION_IDLE_SECONDS:
            reason = _("长时间未操作，已自动退出，请重新登录。")
        else:
            if now - seen_at >= self.SEEN_RESOLUTION:
                session_stamp(session, login_at=login_at, seen_at=now)
            pending_resume(request)
            return None
        match = request.resolver_match
        public = match is not None and match.url_name in self.PUBLIC
        # What the user had just typed is kept through the new login, never thrown away.
        kept = not public and match is not None and match.url_name not in self.NOT_KEPT
        pending = pending_keep(request, user_pk=request.user.pk) if kept else None
        logout(request)
        messages.warning(request, reason)
        if public:
            return None
        login_url = resolve_url(settings.LOGIN_URL)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(login_url)
        if pending is not None:
            request.session[PENDING] = pending
            messages.info(
                request, _("您刚才填写的内容已保留：重新登录后会自动提交，无需重新填写。")
            )
            return redirect_to_login(request.get_full_path(), login_url)
        if request.method == "GET":
            return redirect_to_login(request.get_full_path(), login_url)
        return redirect(login_url)


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH padding) for what compresses: pages, JSON,
    CSV, SVG and scripts. Photos, PDFs and ZIP exports are compressed already; squeezing them
    again as they stream costs the server and drops their Content-Length."""

    COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if not response.get("Content-Type", "").startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)
