from django.urls import path

from governance import county_views, views

urlpatterns = [
    path("audit/", views.audit_home, name="audit_home"),
    path("students/<id:pk>/history/", views.student_history, name="student_history"),
    path("students/<id:pk>/erase/", views.student_erase, name="student_erase"),
    path("staff/lockouts/", views.lockout_list, name="lockout_list"),
    path("staff/lockouts/<id:pk>/unlock/", views.lockout_unlock, name="lockout_unlock"),
    # The county administrator's schools and their accounts.
    path("county/schools/", county_views.county_schools, name="county_schools"),
    path("county/schools/new/", county_views.county_school_create, name="county_school_create"),
    # The county's list of schools from one sheet: upload → preview → confirm.
    path(
        "county/schools/import/", county_views.county_schools_import, name="county_schools_import"
    ),
    path(
        "county/schools/import/confirm/",
        county_views.county_schools_import_confirm,
        name="county_schools_import_confirm",
    ),
    path(
        "county/schools/template.xlsx",
        county_views.county_schools_template,
        name="county_schools_template",
    ),
    path(
        "county/accounts/<id:pk>/reset/",
        county_views.county_account_reset,
        name="county_account_reset",
    ),
    path(
        "county/accounts/<id:pk>/active/",
        county_views.county_account_set_active,
        name="county_account_set_active",
    ),
    path("county/schools/passwords/", county_views.county_passwords, name="county_passwords"),
]
