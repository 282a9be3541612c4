from django.contrib import admin

from pairing.models import Pairing
from pairing.resources import PairingResource
from students.admin import SchoolScopedImportExportAdmin


@admin.register(Pairing)
class PairingAdmin(SchoolScopedImportExportAdmin):
    """The school's pairings import and export (its teachers, students and pairings),
    through PairingResource."""

    resource_classes = [PairingResource]
    list_display = ("student", "teacher", "category", "start", "end")
    list_filter = ("category", "school")
    search_fields = ("student__name", "student__student_no", "teacher__username")
    raw_id_fields = ("student", "teacher", "created_by")
