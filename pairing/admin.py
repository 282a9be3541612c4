from django.contrib import admin

from pairing.models import Pairing


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ("student", "teacher", "category", "start", "end")
    list_filter = ("category", "school")
    search_fields = ("student__name", "student__student_no", "teacher__username")
    raw_id_fields = ("student", "teacher", "created_by")
