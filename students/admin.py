from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

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
from students.student_resource import StudentResource


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


def _school_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=School.objects.all(), label=_("学校"), **kwargs)


class SchoolImportForm(ImportForm):
    """The import names its school: the rows are checked against it, saved into it, and
    never touch another school's records."""

    school = _school_field()
    field_order = ["school", "resource", "import_file", "format"]


class SchoolConfirmImportForm(ConfirmImportForm):
    school = _school_field(widget=forms.HiddenInput())


class SchoolExportForm(ExportForm):
    school = _school_field()


class SchoolScopedImportExportAdmin(ImportExportModelAdmin):
    """The superuser's import and export (django-import-export) as a school's own import:
    the resource is given the school chosen in the forms and the superuser, every row is
    checked, and the import is all or nothing. The resource scopes the rows to the school
    and names the superuser in the history."""

    import_form_class = SchoolImportForm
    confirm_form_class = SchoolConfirmImportForm
    export_form_class = SchoolExportForm

    def get_import_resource_kwargs(self, request: Any, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        school = None
        if form is not None and form.is_bound and form.is_valid():
            school = form.cleaned_data["school"]
        return {"school": school, "by": request.user}

    def get_confirm_form_initial(self, request: Any, import_form: Any) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["school"] = import_form.cleaned_data["school"].pk
        return initial

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # All or nothing even when the records changed between the preview and the
        # confirmation: a row that no longer passes rolls the whole import back.
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    def get_export_resource_kwargs(self, request: Any, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("export_form")
        school = form.cleaned_data["school"] if form is not None else None
        return {"school": school, "by": request.user}


@admin.register(Student)
class StudentAdmin(SchoolScopedImportExportAdmin):
    """The school's roster import and export, through StudentResource."""

    resource_classes = [StudentResource]
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
