from django.urls import path

from assessment import views

urlpatterns = [
    path("assessment/", views.sheet_list, name="sheet_list"),
    path("assessment/rules/", views.assessment_rules, name="assessment_rules"),
    path("assessment/semesters/<id:pk>/compute/", views.sheets_compute, name="sheets_compute"),
    path("assessment/semesters/<id:pk>/summary/", views.summary_xlsx, name="summary_xlsx"),
    path("assessment/semesters/<id:pk>/export/", views.export_start, name="export_start"),
    path("assessment/exports/<id:pk>/", views.export_detail, name="export_detail"),
    path("assessment/exports/<id:pk>/download/", views.export_download, name="export_download"),
    path("assessment/sheets/<id:pk>/", views.sheet_detail, name="sheet_detail"),
    path("assessment/sheets/<id:pk>/pdf/", views.sheet_pdf, name="sheet_pdf"),
    path("assessment/sheets/<id:pk>/submit/", views.sheet_submit, name="sheet_submit"),
    path("assessment/sheets/<id:pk>/approve/", views.sheet_approve, name="sheet_approve"),
    path("assessment/sheets/<id:pk>/return/", views.sheet_return, name="sheet_return"),
    path("assessment/sheets/<id:pk>/reopen/", views.sheet_reopen, name="sheet_reopen"),
]
