from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aidcase.permissions import AuthedRequest, profile_of
from aidcase.roles import Role

HOMES = {
    Role.TEACHER: "me",
    Role.OFFICE: "dashboard",
    Role.PRINCIPAL: "dashboard",
    Role.COUNTY: "county",
    Role.COUNTY_ADMIN: "county",
}


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a username longer than the column: Django only skips
    normalising one, and the failed attempt it leads to is recorded (by axes) in a column
    of 255 characters, which PostgreSQL enforces."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.CharField, self.fields["username"])
        field.validators.append(MaxLengthValidator(field.max_length))


class LogoutView(auth_views.LogoutView):
    """Logging out also tells the browser to drop what it keeps of the site (a teacher's
    pages and unsent records kept for offline use), besides the page's own script wiping
    them."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


class LoginView(auth_views.LoginView):
    """Django's login page, which sends a user already logged in on to `next`: never to
    the login page itself (Django raises on that loop), home instead."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        url = super().get_redirect_url(request)
        return "" if url == (request or self.request).path else url


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    profile = profile_of(request.user)
    if profile is not None:
        return redirect(HOMES[Role(profile.role)])
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "no_role.html", status=403)


@login_required
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            profile = profile_of(user)
            if profile is not None and profile.must_change_password:
                profile.must_change_password = False
                profile.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改"))
        return redirect("home")
    profile = profile_of(request.user)
    forced = profile is not None and profile.must_change_password
    return render(request, "registration/password_change.html", {"form": form, "forced": forced})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused CSRF check (a page open too long, cookies cleared, a login in another tab):
    what happened and what to do, instead of Django's page in English."""
    return render(request, "csrf_failure.html", status=403)


@login_required
@require_GET
def session_alive(request: AuthedRequest) -> HttpResponse:
    """Asked by the page while a form is being filled in: the request itself keeps the session
    from timing out (aidcase.middleware.SessionTimeoutMiddleware)."""
    return HttpResponse(status=204)
