"""The records-governance pages: the audit pages of the aid office and the principal (the
school's recorded changes and access log, and one student's history; read-only, the trail has no
edit or delete route), the office's erasure of a student who has left, on a justified request
(governance.retention: the confirmation page shows what will go before anything does), and the
office's page of locked accounts (登录锁定: its own school's staff only)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.audit import access_record
from aidcase.forms import add_service_errors
from aidcase.models import AccessLog
from aidcase.params import query_choice, query_datetime
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    AuthedRequest,
    person_label,
    request_school,
    role_required,
)
from aidcase.roles import Role
from governance import history, retention
from governance.forms import ErasureForm
from governance.lockouts import account_unlock, lockouts_of, unlockable_user_get_for_office
from governance.models import ERASED_KINDS
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


@role_required(Role.OFFICE)
def student_erase(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_get_for_user(user=request.user, pk=pk)
    refusal = retention.erasure_refusal(student=student)
    form = ErasureForm(request.POST or None, expected_no=student.student_no)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            erasure = retention.student_erase(
                student=student, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("该生的资料已全部删除，删除编号 %(reference)s，可在“审计 → 删除记录”中查看。")
                % {"reference": erasure.reference},
            )
            return redirect("student_list")
    context: dict[str, object] = {"student": student, "form": form, "refusal": refusal}
    if refusal is None:
        counts = retention.erasure_footprint(student=student).counts
        context["counts"] = [(label, counts[kind]) for kind, label in ERASED_KINDS.items()]
    status = 400 if request.method == "POST" else 200
    return render(request, "aidcase/student_erase.html", context, status=status)


@role_required(Role.OFFICE)
def lockout_list(request: AuthedRequest) -> HttpResponse:
    context = {
        "lockouts": lockouts_of(school=request_school(request)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "aidcase/lockouts.html", context)


@role_required(Role.OFFICE)
@require_POST
def lockout_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    user = unlockable_user_get_for_office(user=request.user, pk=pk)
    if account_unlock(user=user, by=request.user):
        messages.success(request, _("已解锁 %(name)s，可以重新登录") % {"name": person_label(user)})
    else:
        messages.info(request, _("%(name)s 当前没有被锁定") % {"name": person_label(user)})
    return redirect("lockout_list")
