from django.urls import path

from students import views

urlpatterns = [
    path("students/", views.student_list, name="student_list"),
    path("students/new/", views.student_create, name="student_create"),
    path("students/<int:pk>/edit/", views.student_edit, name="student_edit"),
    path("students/<int:pk>/id-number/", views.student_id_reveal, name="student_id_reveal"),
    path("students/<int:pk>/identify/", views.identification_create, name="identification_create"),
    path("identifications/", views.identification_list, name="identification_list"),
    path(
        "identifications/<int:pk>/approve/",
        views.identification_approve,
        name="identification_approve",
    ),
    path(
        "identifications/<int:pk>/reject/",
        views.identification_reject,
        name="identification_reject",
    ),
    path("semesters/", views.semester_list, name="semester_list"),
    path("semesters/<int:pk>/edit/", views.semester_edit, name="semester_edit"),
    path("classes/", views.class_list, name="class_list"),
    path("classes/<int:pk>/edit/", views.class_edit, name="class_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
    path("staff/<int:pk>/active/", views.staff_set_active, name="staff_set_active"),
]
