from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from aidcase import views


def _clearing_the_phone(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A logout also tells the browser to drop what it keeps of the site (a teacher's pages
    and unsent records kept for offline use), besides the page's own script wiping them."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return wrapped


admin.site.site_header = _("AidCase 结对帮扶")
admin.site.site_title = "AidCase"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path(
        "accounts/logout/",
        _clearing_the_phone(auth_views.LogoutView.as_view()),
        name="logout",
    ),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/alive/", views.session_alive, name="session_alive"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("dashboards.urls")),
    path("", include("visits.urls")),
    path("", include("visits.office_urls")),
    path("", include("students.urls")),
    path("", include("pairing.urls")),
    path("", include("imports.urls")),
    path("", include("ledgers.urls")),
    path("", include("governance.urls")),
    path("", include("assessment.urls")),
    path("", include("assessment.questionnaire_urls")),
    path("admin/", admin.site.urls),
]
