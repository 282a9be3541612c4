import datetime as dt
from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.audit import access_record
from aidcase.forms import add_service_errors
from aidcase.models import AccessLog
from aidcase.params import query_choice, query_id, query_local_url
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    SCHOOL_ROLES,
    AuthedRequest,
    is_office,
    request_school,
    role_of,
    role_required,
)
from pairing.selectors import pairings_of_teacher
from students.models import Role
from students.selectors import identifications_of, student_get_for_user, today
from visits import reminders, services
from visits.duties import STATUS_ORDER, Status, monday_of
from visits.forms import KIND_FIELDS, IncidentForm, LogForm, WithdrawForm
from visits.models import ActivityLog, Incident, Kind
from visits.offline_views import written_at_of
from visits.photos import photo_file_response, photo_get_for_user
from visits.selectors import (
    can_record_incident,
    duties_for_pairings,
    log_get_for_user,
    pairing_for_logging,
    reminder_get_for_user,
    reminders_unread,
    student_for_incident,
    timeline_of,
)

TIMELINE_PAGE = 20


@role_required(*SCHOOL_ROLES)
def me(request: AuthedRequest) -> HttpResponse:
    """The teacher's home: their unread reminders and a live count of what is due this week
    and overdue, then each student they help, with every duty's status this period, students
    with something overdue first."""
    pairings = list(pairings_of_teacher(teacher=request.user))
    duties = duties_for_pairings(pairings=pairings, school=request_school(request))
    students: OrderedDict[int, dict[str, Any]] = OrderedDict()
    for pairing in pairings:
        entry = students.setdefault(
            pairing.student_id, {"student": pairing.student, "pairings": [], "urgency": 9}
        )
        pairing_duties = duties.get(pairing.pk)
        entry["pairings"].append({"pairing": pairing, "duties": pairing_duties})
        if pairing_duties and pairing_duties.statuses:
            entry["urgency"] = min(
                entry["urgency"], STATUS_ORDER[pairing_duties.statuses[0].status]
            )
    ordered = sorted(students.values(), key=lambda e: e["urgency"])
    overdue = sum(d.overdue for d in duties.values())
    due = sum(d.due for d in duties.values())
    week_end = monday_of(today()) + dt.timedelta(days=6)
    due_this_week = sum(
        1
        for d in duties.values()
        for s in d.statuses
        if s.status is Status.DUE and s.deadline is not None and s.deadline <= week_end
    )
    context = {
        "students": ordered,
        "overdue": overdue,
        "due": due,
        "due_this_week": due_this_week,
        "reminders": reminders_unread(user=request.user),
        "today": today(),
    }
    return render(request, "visits/me.html", context)


def _next_url(request: AuthedRequest, default: str) -> str:
    return query_local_url(request.POST, "next") or query_local_url(request.GET, "next") or default


@role_required(*SCHOOL_ROLES)
def log_create(request: AuthedRequest) -> HttpResponse:
    pk = query_id(request.POST, "pairing") or query_id(request.GET, "pairing")
    if pk is None:
        raise Http404
    pairing = pairing_for_logging(user=request.user, pk=pk)
    initial = {"date": today(), "kind": query_choice(request.GET, "kind", Kind.values, Kind.TALK)}
    # An instance with its pairing, so that the model's rules (a date inside the pairing,
    # items for material aid…) are checked with the fields, in one round.
    instance = ActivityLog(pairing=pairing, author=request.user)
    form = LogForm(request.POST or None, request.FILES or None, initial=initial, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            log = services.log_create(
                pairing=pairing,
                by=request.user,
                data=data,
                photos=data.get("photos") or [],
                written_at=written_at_of(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已记录：%(kind)s · %(name)s")
                % {"kind": log.get_kind_display(), "name": pairing.student.name},
            )
            return redirect(_next_url(request, "/me/"))
    context = {
        "form": form,
        "pairing": pairing,
        "kind_fields": KIND_FIELDS,
        "next": _next_url(request, ""),
    }
    return render(request, "visits/log_form.html", context)


@role_required(*SCHOOL_ROLES)
def log_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    log = log_get_for_user(user=request.user, pk=pk)
    context = {
        "log": log,
        "photos": list(log.photos.all()),
        "can_edit": services.log_can_edit(log=log, user=request.user),
    }
    return render(request, "visits/log_detail.html", context)


@role_required(*SCHOOL_ROLES)
def log_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    log = log_get_for_user(user=request.user, pk=pk)
    refusal = services.log_edit_refusal(log=log, user=request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("log_detail", pk=log.pk)
    form = LogForm(request.POST or None, request.FILES or None, instance=log)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.log_update(
                log=log, by=request.user, data=data, photos=data.get("photos") or []
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("记录已更新"))
            return redirect("log_detail", pk=log.pk)
    context = {"form": form, "pairing": log.pairing, "log": log, "kind_fields": KIND_FIELDS}
    return render(request, "visits/log_form.html", context)


@role_required(*SCHOOL_ROLES)
def log_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    log = log_get_for_user(user=request.user, pk=pk)
    refusal = services.log_edit_refusal(log=log, user=request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("log_detail", pk=log.pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.log_withdraw(log=log, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("记录已撤回，原记录仍保留"))
            return redirect("log_detail", pk=log.pk)
    return render(request, "visits/log_withdraw.html", {"form": form, "log": log})


@role_required(*SCHOOL_ROLES)
def photo(request: AuthedRequest, pk: int) -> HttpResponseBase:
    found = photo_get_for_user(user=request.user, pk=pk)
    access_record(
        user=request.user,
        action=AccessLog.Action.PHOTO_VIEW,
        student=found.log.pairing.student,
        what=f"photo-{found.pk}",
    )
    return photo_file_response(found)


@role_required(*SCHOOL_ROLES)
def student_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The student's page: details, helpers with their plans and this period's duties, the
    identifications, and a timeline of every helper's logs and the incidents."""
    student = student_get_for_user(user=request.user, pk=pk)
    office = is_office(request.user)
    pairings = list(student.pairings.select_related("teacher__profile").order_by("end", "-start"))
    day = today()
    active = [p for p in pairings if p.start <= day and (p.end is None or p.end >= day)]
    duties = duties_for_pairings(pairings=active, school=student.school)
    context = {
        "student": student,
        "identifications": identifications_of(student=student),
        "active_pairings": [{"pairing": p, "duties": duties.get(p.pk)} for p in active],
        "past_pairings": [p for p in pairings if p.end is not None and p.end < day],
        "future_pairings": [p for p in pairings if p.start > day],
        "page": Paginator(timeline_of(student=student), TIMELINE_PAGE).get_page(
            request.GET.get("page")
        ),
        "can_manage": office,
        "can_audit": role_of(request.user) in SCHOOL_MANAGERS,
        "can_record_incident": can_record_incident(user=request.user, student=student),
    }
    access_record(user=request.user, action=AccessLog.Action.STUDENT_VIEW, student=student)
    return render(request, "visits/student_detail.html", context)


@role_required(Role.TEACHER, Role.OFFICE, Role.PRINCIPAL)
def incident_create(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_for_incident(user=request.user, pk=pk)
    instance = Incident(student=student, recorded_by=request.user)
    form = IncidentForm(request.POST or None, initial={"date": today()}, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_create(
                student=student,
                by=request.user,
                written_at=written_at_of(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已记录违纪事件"))
            return redirect(_next_url(request, reverse("student_detail", args=[student.pk])))
    return render(request, "visits/incident_form.html", {"form": form, "student": student})


@role_required(*SCHOOL_ROLES)
@require_POST
def reminder_read(request: AuthedRequest, pk: int) -> HttpResponse:
    """Marks one of the user's own reminders read; anyone else's is a 404."""
    reminder = reminder_get_for_user(user=request.user, pk=pk)
    reminders.reminder_mark_read(reminder=reminder, by=request.user)
    return redirect(_next_url(request, "/me/"))
