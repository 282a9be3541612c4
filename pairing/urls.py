from django.urls import path

from pairing import views

urlpatterns = [
    path("pairings/", views.pairing_list, name="pairing_list"),
    path("students/<int:pk>/pair/", views.pairing_create, name="pairing_create"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairing_end"),
    path("pairings/<int:pk>/plan/", views.plan_edit, name="plan_edit"),
]
