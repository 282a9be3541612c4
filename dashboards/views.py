"""The school's dashboard for its principal and aid office, and the county's roll-up of its
schools (aggregates only) with a read-only page per school."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.params import query_choice, query_match
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    AuthedRequest,
    is_office,
    request_county,
    request_school,
    role_required,
)
from aidcase.roles import COUNTY_ROLES, Role
from dashboards.charts import Bar, bar_chart
from dashboards.selectors import DashboardFilter, county_rollup, school_dashboard
from pairing.selectors import teacher_loads, unpaired_students
from students.forms import DashboardFilterForm, PairingCapForm
from students.models import (
    CATEGORY_SHORT_LABELS,
    SEMESTER_CODE_RE,
    Category,
    School,
    Semester,
    Student,
)
from students.selectors import (
    category_coverage,
    county_semester_choices,
    current_semester,
    identifications_pending,
    semester_code_for,
    today,
)
from visits.selectors import reminders_unread

UNPAIRED_SHOWN = 30
LOADS_SHOWN = 15


@role_required(*SCHOOL_MANAGERS)
def dashboard(request: AuthedRequest) -> HttpResponse:
    """The school's pairing aid at a glance for a semester, narrowed by class, category and
    teacher; htmx swaps the results when a filter changes."""
    school = request_school(request)
    form = DashboardFilterForm(request.GET or None, school=school)
    data = form.cleaned_data if form.is_valid() else {}
    semester = data.get("semester") or current_semester(school=school)
    chosen = DashboardFilter(
        school_class=data.get("school_class"),
        category=data.get("category") or None,
        teacher=data.get("teacher"),
    )
    context: dict[str, Any] = {
        "school": school,
        "form": form,
        "semester": semester,
        "is_office": is_office(request.user),
        "cap_form": PairingCapForm(instance=school),
        "reminders": reminders_unread(user=request.user),
    }
    if semester is not None:
        coverage = category_coverage(
            school=school, semester=semester, school_class=chosen.school_class
        )
        if chosen.category:
            coverage = [row for row in coverage if row["category"] == chosen.category]
        board = school_dashboard(school=school, semester=semester, chosen=chosen)
        loads = teacher_loads(school=school)
        if chosen != DashboardFilter():
            loads = [t for t in loads if t.pk in board["teacher_ids"]]
        context.update(
            {
                "coverage": coverage,
                "unpaired": unpaired_students(
                    school=school,
                    semester=semester,
                    school_class=chosen.school_class,
                    category=chosen.category,
                )[:UNPAIRED_SHOWN],
                "enrolled": Student.objects.filter(
                    school=school, status=Student.Status.ENROLLED
                ).count(),
                "loads": loads[:LOADS_SHOWN],
                "over_cap": sum(1 for t in loads if t.load > school.pairing_cap),
                "pending": identifications_pending(school=school).count(),
                "board": board,
                "chart": _weeks_chart(board),
                "filtered": chosen != DashboardFilter(),
            }
        )
    template = "dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def _weeks_chart(board: dict[str, Any]) -> SafeString:
    return bar_chart(
        key="weeks",
        title=_("每周帮扶记录条数"),
        bars=[
            Bar(
                label=f"{monday.month}/{monday.day}",
                value=n,
                title=_("%(day)s 起的一周") % {"day": monday.isoformat()},
            )
            for monday, n in board["weeks"]
        ],
    )


@role_required(Role.OFFICE)
@require_POST
def pairing_cap(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    form = PairingCapForm(request.POST, instance=school)
    if form.is_valid():
        form.save()
        messages.success(request, _("每位教师结对上限已设为 %(n)s") % {"n": school.pairing_cap})
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("pairing_cap", [])))
    return redirect("dashboard")


SORT_KEYS = {
    "name": lambda row: row["school"].code,
    "enrolled": lambda row: -row["enrolled"],
    "identified": lambda row: -row["identified"],
    "rate": lambda row: row["rate"] if row["rate"] is not None else 101,
    "duties": lambda row: row["duty_rate"] if row["duty_rate"] is not None else 101,
    "logs": lambda row: -row["logs"],
    "incidents": lambda row: -row["incidents"],
}


@role_required(*COUNTY_ROLES)
def county(request: AuthedRequest) -> HttpResponse:
    county = request_county(request)
    code = query_match(request.GET, "semester", SEMESTER_CODE_RE) or semester_code_for(today())
    rows = county_rollup(county=county, semester_code=code)
    sort = query_choice(request.GET, "sort", SORT_KEYS, "name")
    rows.sort(key=SORT_KEYS[sort])
    totals = {
        "enrolled": sum(r["enrolled"] for r in rows),
        "identified": sum(r["identified"] for r in rows),
        "paired": sum(r["paired"] for r in rows),
        "logs": sum(r["logs"] for r in rows),
        "incidents": sum(r["incidents"] for r in rows),
        "duties_met": sum(r["duties_met"] for r in rows),
        "duties_due": sum(r["duties_due"] for r in rows),
        "sheets": sum(r["sheets"] for r in rows),
        "approved": sum(r["approved"] for r in rows),
        "categories": [sum(r["categories"][i] for r in rows) for i in range(len(Category))],
    }
    totals["rate"] = (
        round(100 * totals["paired"] / totals["identified"]) if totals["identified"] else None
    )
    totals["duty_rate"] = (
        round(100 * totals["duties_met"] / totals["duties_due"]) if totals["duties_due"] else None
    )
    context = {
        "county": county,
        "rows": rows,
        "totals": totals,
        "code": code,
        "semesters": county_semester_choices(county=county, current=code),
        "sort": sort,
        "categories": [CATEGORY_SHORT_LABELS[c] for c in Category],
    }
    return render(request, "county.html", context)


@role_required(*COUNTY_ROLES)
def county_school(request: AuthedRequest, pk: int) -> HttpResponse:
    """One school of the county, read-only and in aggregates: coverage, duty completion per
    category and class, logs per week, incidents and the assessment's progress. No names of
    students or teachers."""
    county = request_county(request)
    school = get_object_or_404(School, pk=pk, county=county)
    code = query_match(request.GET, "semester", SEMESTER_CODE_RE) or semester_code_for(today())
    semester = Semester.objects.filter(school=school, code=code).first()
    context: dict[str, Any] = {"school": school, "code": code, "semester": semester}
    if semester is not None:
        board = school_dashboard(school=school, semester=semester, chosen=DashboardFilter())
        context.update(
            {
                "coverage": category_coverage(school=school, semester=semester),
                "board": board,
                "chart": _weeks_chart(board),
            }
        )
    return render(request, "county_school.html", context)
