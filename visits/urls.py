from django.urls import path

from visits import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("students/<id:pk>/", views.student_detail, name="student_detail"),
    path("students/<id:pk>/incidents/new/", views.incident_create, name="incident_create"),
    path("logs/new/", views.log_create, name="log_create"),
    path("logs/<id:pk>/", views.log_detail, name="log_detail"),
    path("logs/<id:pk>/edit/", views.log_edit, name="log_edit"),
    path("logs/<id:pk>/withdraw/", views.log_withdraw, name="log_withdraw"),
    path("photos/<id:pk>/", views.photo, name="photo"),
    path("reminders/<id:pk>/read/", views.reminder_read, name="reminder_read"),
]
