"""Reads for the assessment: which sheets a user may see."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from aidcase.permissions import SCHOOL_MANAGERS, role_of, school_id_of
from assessment.models import Sheet, SheetExport
from students.models import Role, School, Semester


def sheets_visible_to(*, user: Any) -> QuerySet[Sheet]:
    """The aid office and the principal see the school's sheets; a teacher sees their own;
    nobody else sees any."""
    role = role_of(user)
    school_id = school_id_of(user)
    sheets = Sheet.objects.select_related("semester", "teacher__profile", "school")
    if school_id is None:
        return sheets.none()
    if role in SCHOOL_MANAGERS:
        return sheets.filter(school_id=school_id)
    if role == Role.TEACHER:
        return sheets.filter(teacher=user, school_id=school_id)
    return sheets.none()


def sheet_get_for_user(*, user: Any, pk: int) -> Sheet:
    sheet = sheets_visible_to(user=user).filter(pk=pk).first()
    if sheet is None:
        raise Http404
    return sheet


def sheets_of(*, school: School, semester: Semester) -> QuerySet[Sheet]:
    return Sheet.objects.filter(school=school, semester=semester).select_related("teacher__profile")


def export_get_for_user(*, user: Any, pk: int) -> SheetExport:
    """A bulk export is seen by the managers of its school only."""
    school_id = school_id_of(user)
    if role_of(user) not in SCHOOL_MANAGERS or school_id is None:
        raise Http404
    export = SheetExport.objects.filter(pk=pk, school_id=school_id).first()
    if export is None:
        raise Http404
    return export
