from django.contrib import admin

from assessment.models import Score
from assessment.resources import ScoreResource
from students.admin import SchoolScopedImportExportAdmin


@admin.register(Score)
class ScoreAdmin(SchoolScopedImportExportAdmin):
    """The school's scores import and export, through ScoreResource."""

    resource_classes = [ScoreResource]
    list_display = ("student", "semester", "subject", "score")
    list_filter = ("semester__school", "semester__code")
    search_fields = ("student__student_no", "student__name")
    raw_id_fields = ("student", "semester")
