from django.urls import path

from governance import views

urlpatterns = [
    path("audit/", views.audit_home, name="audit_home"),
    path("students/<id:pk>/history/", views.student_history, name="student_history"),
    path("students/<id:pk>/erase/", views.student_erase, name="student_erase"),
    path("staff/lockouts/", views.lockout_list, name="lockout_list"),
    path("staff/lockouts/<id:pk>/unlock/", views.lockout_unlock, name="lockout_unlock"),
]
