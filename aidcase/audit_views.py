"""The audit pages of the aid office and the principal: the school's recorded changes and
access log, and one student's history. Read-only: the trail has no edit or delete route."""

from django.http import HttpResponse
from django.shortcuts import render

from aidcase import history
from aidcase.audit import access_record
from aidcase.models import AccessLog
from aidcase.params import query_choice, query_datetime
from aidcase.permissions import SCHOOL_MANAGERS, AuthedRequest, request_school, role_required
from students.selectors import student_get_for_user


@role_required(*SCHOOL_MANAGERS)
def audit_home(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    view = query_choice(request.GET, "view", ("access", "erasures"), "changes")
    # The page's cursor: entries older than this moment (an ISO time from the "older" link).
    before = query_datetime(request.GET, "before")
    context: dict[str, object] = {"view": view, "before": before}
    if view == "erasures":
        erasures = history.erasures_of(school=school, before=before)
        context.update(
            {
                "erasures": erasures,
                "older": erasures[-1].at.isoformat() if len(erasures) == history.PAGE else "",
            }
        )
    elif view == "access":
        action = query_choice(request.GET, "action", AccessLog.Action.values, "")
        entries = history.access_log_of(school=school, action=action, before=before)
        context.update(
            {
                "entries": entries,
                "action": action,
                "actions": AccessLog.Action.choices,
                "older": entries[-1].at.isoformat() if len(entries) == history.PAGE else "",
            }
        )
    else:
        kind = query_choice(request.GET, "kind", history.KINDS, "")
        changes = history.school_changes(school=school, kind=kind, before=before)
        context.update(
            {
                "changes": changes,
                "kind": kind,
                "kinds": [(name, label) for name, (_m, label, _p) in history.KINDS.items()],
                "older": changes[-1].at.isoformat() if len(changes) == history.PAGE else "",
            }
        )
    return render(request, "aidcase/audit.html", context)


@role_required(*SCHOOL_MANAGERS)
def student_history(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_get_for_user(user=request.user, pk=pk)
    access_record(user=request.user, action=AccessLog.Action.HISTORY_VIEW, student=student)
    context = {
        "student": student,
        "changes": history.student_history(student=student),
        "entries": history.access_log_of_student(student=student),
    }
    return render(request, "aidcase/student_history.html", context)
