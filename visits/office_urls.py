from django.urls import path

from visits import office_views as views

urlpatterns = [
    path("duty-rules/", views.duty_rules, name="duty_rules"),
    path("duty-rules/reset/", views.duty_rules_reset, name="duty_rules_reset"),
    path("calendar/", views.school_calendar, name="school_calendar"),
    path(
        "calendar/holidays/<id:pk>/remove/",
        views.holiday_week_remove,
        name="holiday_week_remove",
    ),
    path("calendar/exams/<id:pk>/remove/", views.exam_remove, name="exam_remove"),
]
