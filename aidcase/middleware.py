from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from aidcase.permissions import profile_of


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
