from django.urls import path

from assessment import questionnaire_views as views

urlpatterns = [
    path(
        "assessment/semesters/<id:pk>/questionnaires/",
        views.questionnaire_list,
        name="questionnaire_list",
    ),
    path(
        "assessment/semesters/<id:pk>/questionnaires/issue/",
        views.questionnaire_issue,
        name="questionnaire_issue",
    ),
    path(
        "assessment/semesters/<id:pk>/questionnaires/<id:pairing_pk>/enter/",
        views.questionnaire_enter,
        name="questionnaire_enter",
    ),
    # Public: the one-time link printed on the slip (no login, the token is the key).
    path("q/thanks/", views.questionnaire_thanks, name="questionnaire_thanks"),
    path("q/<str:token>/", views.questionnaire_answer, name="questionnaire_answer"),
]
