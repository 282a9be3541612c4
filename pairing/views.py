from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from aidcase.forms import add_service_errors
from aidcase.params import query_choice, query_text
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    SCHOOL_ROLES,
    AuthedRequest,
    is_office,
    request_school,
    role_required,
)
from pairing import services
from pairing.forms import PairingEndForm, PairingForm, PlanForm
from pairing.selectors import pairing_get_for_user, pairing_matching, pairings_of_school
from students.models import Category, Role
from students.selectors import student_get_for_user, today


@role_required(*SCHOOL_MANAGERS)
def pairing_list(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    state = query_choice(request.GET, "state", ("active", "ended", "all"), "active")
    active = {"active": True, "ended": False}.get(state)
    pairings = pairings_of_school(school=school, active=active)
    category = query_choice(request.GET, "category", Category.values, "")
    if category:
        pairings = pairings.filter(category=category)
    query = query_text(request.GET, "q")
    if query:
        pairings = pairings.filter(pairing_matching(query))
    page = Paginator(pairings.order_by("teacher__profile__name", "student__name"), 30).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "state": state,
        "category": category,
        "q": query,
        "categories": Category.choices,
        "query": params.urlencode(),
        "can_manage": is_office(request.user),
    }
    return render(request, "pairing/pairing_list.html", context)


@role_required(Role.OFFICE)
def pairing_create(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_get_for_user(user=request.user, pk=pk)
    school = request_school(request)
    form = PairingForm(
        request.POST or None,
        school=school,
        initial={
            "start": today(),
            "category": query_choice(request.GET, "category", Category.values, ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.pairing_create(
                school=school, student=student, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已结对：%(teacher)s 帮扶 %(student)s（%(category)s）")
                % {
                    "teacher": pairing.teacher.profile.name,
                    "student": student.name,
                    "category": pairing.get_category_display(),
                },
            )
            return redirect("student_detail", pk=student.pk)
    return render(request, "pairing/pairing_form.html", {"form": form, "student": student})


@role_required(Role.OFFICE)
def pairing_end(request: AuthedRequest, pk: int) -> HttpResponse:
    pairing = pairing_get_for_user(user=request.user, pk=pk)
    form = PairingEndForm(request.POST or None, initial={"end": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.pairing_end(
                pairing=pairing,
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            pairing.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("结对已结束"))
            return redirect("student_detail", pk=pairing.student_id)
    return render(request, "pairing/pairing_end.html", {"form": form, "pairing": pairing})


@role_required(*SCHOOL_ROLES)
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """The pairing's plan (goals and measures), edited by its teacher or the aid office."""
    pairing = pairing_get_for_user(user=request.user, pk=pk)
    if pairing.teacher_id != request.user.pk and not is_office(request.user):
        raise PermissionDenied
    initial = {"goals": pairing.goals, "measures": pairing.measures}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.pairing_update_plan(pairing=pairing, by=request.user, **form.cleaned_data)
        messages.success(request, _("帮扶计划已保存"))
        return redirect("student_detail", pk=pairing.student_id)
    return render(request, "pairing/plan_form.html", {"form": form, "pairing": pairing})
