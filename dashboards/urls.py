from django.urls import path

from dashboards import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/cap/", views.pairing_cap, name="pairing_cap"),
    path("county/", views.county, name="county"),
    path("county/schools/<id:pk>/", views.county_school, name="county_school"),
]
