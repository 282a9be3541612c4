from django.contrib import admin

from assessment.models import Score


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("student", "semester", "subject", "score")
    list_filter = ("semester__school", "semester__code")
    search_fields = ("student__student_no", "student__name")
    raw_id_fields = ("student", "semester")
