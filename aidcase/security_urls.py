from django.urls import path

from aidcase import security_views as views

urlpatterns = [
    path("staff/lockouts/", views.lockout_list, name="lockout_list"),
    path("staff/lockouts/<id:pk>/unlock/", views.lockout_unlock, name="lockout_unlock"),
]
