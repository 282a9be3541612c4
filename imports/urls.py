from django.urls import path

from imports import views
from imports.services import SHEETS

urlpatterns = [
    path("imports/", views.import_home, name="import_home"),
    path("imports/passwords.xlsx", views.import_passwords, name="import_passwords"),
]
# One route per kind rather than a <kind> converter: an unknown kind is a 404 before any view
# runs, and every route stays concrete. Reverse with the kind, e.g. {% url 'import_upload'
# kind='students' %}.
for kind in SHEETS:
    urlpatterns += [
        path(f"imports/{kind}/", views.import_upload, {"kind": kind}, name="import_upload"),
        path(
            f"imports/{kind}/confirm/", views.import_confirm, {"kind": kind}, name="import_confirm"
        ),
        path(
            f"imports/{kind}/template.xlsx",
            views.import_template,
            {"kind": kind},
            name="import_template",
        ),
        path(
            f"imports/{kind}/export.xlsx", views.import_export, {"kind": kind}, name="import_export"
        ),
    ]
