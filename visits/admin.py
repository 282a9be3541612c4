"""The Django admin of the visits app, for the system administrator."""

from django.contrib import admin

from students.admin import SchoolScopedImportExportAdmin
from visits.models import Incident
from visits.resources import IncidentResource


@admin.register(Incident)
class IncidentAdmin(SchoolScopedImportExportAdmin):
    """The school's incidents import and export, through IncidentResource: the superuser
    records the new incidents."""

    resource_classes = [IncidentResource]
    list_display = ("date", "type", "student", "recorded_by")
    list_filter = ("type", "student__school")
    search_fields = ("student__student_no", "student__name")
    raw_id_fields = ("student", "recorded_by")
