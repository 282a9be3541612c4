from typing import Any

from django import forms
from django.contrib import admin

from students import services
from students.forms import with_leaving_day
from students.models import (
    Cohort,
    County,
    Identification,
    Profile,
    School,
    SchoolClass,
    Semester,
    Student,
)


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "county")
    list_filter = ("county",)
    search_fields = ("code", "name")


@admin.register(Semester)
class SemesterAdmin(admin.ModelAdmin):
    list_display = ("code", "school", "start", "end")
    list_filter = ("school",)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("entry_year", "school")
    list_filter = ("school",)


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ("name", "cohort", "school", "homeroom_teacher")
    list_filter = ("school",)
    raw_id_fields = ("homeroom_teacher",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "role", "school", "county")
    list_filter = ("role", "school")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)


class StudentAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        with_leaving_day(self, data)
        return data


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    form = StudentAdminForm
    list_display = ("student_no", "name", "school", "school_class", "status")
    list_filter = ("school", "status")
    search_fields = ("student_no", "name")
    raw_id_fields = ("school_class", "cohort")
    # The ID number is shown and revealed only through the school pages, which log it.
    exclude = ("id_number", "id_number_hash")

    def save_model(self, request, obj, form, change):
        # Through the service, as on the school's pages: a student who leaves gets the day
        # and their pairings end.
        services.student_save(student=obj, entry_year=obj.cohort.entry_year, by=request.user)


@admin.register(Identification)
class IdentificationAdmin(admin.ModelAdmin):
    list_display = ("student", "category", "semester", "state", "source")
    list_filter = ("category", "state", "semester__school")
    raw_id_fields = ("student", "proposed_by", "approved_by")
