from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from aidcase import views

admin.site.site_header = _("AidCase 结对帮扶")
admin.site.site_title = "AidCase"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
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
