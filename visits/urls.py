from django.urls import path

from visits import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("students/<int:pk>/", views.student_detail, name="student_detail"),
    path("students/<int:pk>/incidents/new/", views.incident_create, name="incident_create"),
    path("logs/new/", views.log_create, name="log_create"),
    path("logs/<int:pk>/", views.log_detail, name="log_detail"),
    path("logs/<int:pk>/edit/", views.log_edit, name="log_edit"),
    path("logs/<int:pk>/withdraw/", views.log_withdraw, name="log_withdraw"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("reminders/<int:pk>/read/", views.reminder_read, name="reminder_read"),
]
