from django.urls import path

from visits import offline_views, views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/offline.json", offline_views.offline_pages, name="offline_pages"),
    path("me/offline/sent/", offline_views.offline_sent, name="offline_sent"),
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path("students/<id:pk>/", views.student_detail, name="student_detail"),
    path("students/<id:pk>/incidents/new/", views.incident_create, name="incident_create"),
    path("logs/new/", views.log_create, name="log_create"),
    path("logs/<id:pk>/", views.log_detail, name="log_detail"),
    path("logs/<id:pk>/edit/", views.log_edit, name="log_edit"),
    path("logs/<id:pk>/withdraw/", views.log_withdraw, name="log_withdraw"),
    path("photos/<id:pk>/", views.photo, name="photo"),
    path("reminders/<id:pk>/read/", views.reminder_read, name="reminder_read"),
]
