from django.urls import path

from aidcase import audit_views, retention_views

urlpatterns = [
    path("audit/", audit_views.audit_home, name="audit_home"),
    path("students/<id:pk>/history/", audit_views.student_history, name="student_history"),
    path("students/<id:pk>/erase/", retention_views.student_erase, name="student_erase"),
]
