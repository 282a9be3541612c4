from django.urls import path

from aidcase import audit_views

urlpatterns = [
    path("audit/", audit_views.audit_home, name="audit_home"),
    path("students/<int:pk>/history/", audit_views.student_history, name="student_history"),
]
