from django.urls import path

from students import views

urlpatterns = [
    path("students/", views.student_list, name="student_list"),
    path("students/new/", views.student_create, name="student_create"),
    path("students/<id:pk>/edit/", views.student_edit, name="student_edit"),
    path("students/<id:pk>/id-number/", views.student_id_reveal, name="student_id_reveal"),
    path("students/<id:pk>/identify/", views.identification_create, name="identification_create"),
    path("identifications/", views.identification_list, name="identification_list"),
    path(
        "identifications/<id:pk>/approve/",
        views.identification_approve,
        name="identification_approve",
    ),
    path(
        "identifications/<id:pk>/reject/",
        views.identification_reject,
        name="identification_reject",
    ),
    path("semesters/", views.semester_list, name="semester_list"),
    path("semesters/<id:pk>/edit/", views.semester_edit, name="semester_edit"),
    path("classes/", views.class_list, name="class_list"),
    path("classes/<id:pk>/edit/", views.class_edit, name="class_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<id:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<id:pk>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
    path("staff/<id:pk>/active/", views.staff_set_active, name="staff_set_active"),
]
