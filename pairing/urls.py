from django.urls import path

from pairing import views

urlpatterns = [
    path("pairings/", views.pairing_list, name="pairing_list"),
    path("students/<id:pk>/pair/", views.pairing_create, name="pairing_create"),
    path("pairings/<id:pk>/end/", views.pairing_end, name="pairing_end"),
    path("pairings/<id:pk>/plan/", views.plan_edit, name="plan_edit"),
]
