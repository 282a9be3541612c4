from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from aidcase.permissions import (
    SCHOOL_MANAGERS,
    AuthedRequest,
    is_office,
    profile_of,
    request_county,
    request_school,
    role_required,
)
from aidcase.selectors import county_rollup
from pairing.selectors import teacher_loads
from students.models import CATEGORY_SHORT_LABELS, Category, Role, Student
from students.selectors import (
    category_coverage,
    current_semester,
    identifications_pending,
    semester_code_for,
    semesters_of,
    today,
)

HOMES = {
    Role.TEACHER: "me",
    Role.OFFICE: "dashboard",
    Role.PRINCIPAL: "dashboard",
    Role.COUNTY: "county",
}


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    profile = profile_of(request.user)
    if profile is not None:
        return redirect(HOMES[Role(profile.role)])
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "no_role.html", status=403)


@login_required
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            profile = profile_of(user)
            if profile is not None and profile.must_change_password:
                profile.must_change_password = False
                profile.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改"))
        return redirect("home")
    profile = profile_of(request.user)
    forced = profile is not None and profile.must_change_password
    return render(request, "registration/password_change.html", {"form": form, "forced": forced})


@role_required(*SCHOOL_MANAGERS)
def dashboard(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    semesters = list(semesters_of(school=school))
    chosen = request.GET.get("semester", "")
    semester = next((s for s in semesters if str(s.pk) == chosen), None) or current_semester(
        school=school
    )
    coverage = category_coverage(school=school, semester=semester) if semester else []
    context = {
        "school": school,
        "semesters": semesters,
        "semester": semester,
        "coverage": coverage,
        "enrolled": Student.objects.filter(school=school, status=Student.Status.ENROLLED).count(),
        "loads": list(teacher_loads(school=school)[:10]),
        "pending": identifications_pending(school=school).count(),
        "is_office": is_office(request.user),
    }
    return render(request, "dashboard.html", context)


SORT_KEYS = {
    "name": lambda row: row["school"].code,
    "enrolled": lambda row: -row["enrolled"],
    "identified": lambda row: -row["identified"],
    "rate": lambda row: row["rate"] if row["rate"] is not None else 101,
}


@role_required(Role.COUNTY)
def county(request: AuthedRequest) -> HttpResponse:
    county = request_county(request)
    code = request.GET.get("semester") or semester_code_for(today())
    rows = county_rollup(county=county, semester_code=code)
    sort = request.GET.get("sort", "name")
    rows.sort(key=SORT_KEYS.get(sort, SORT_KEYS["name"]))
    totals = {
        "enrolled": sum(r["enrolled"] for r in rows),
        "identified": sum(r["identified"] for r in rows),
        "paired": sum(r["paired"] for r in rows),
        "categories": [sum(r["categories"][i] for r in rows) for i in range(len(Category))],
    }
    totals["rate"] = (
        round(100 * totals["paired"] / totals["identified"]) if totals["identified"] else None
    )
    context = {
        "county": county,
        "rows": rows,
        "totals": totals,
        "code": code,
        "sort": sort,
        "categories": [CATEGORY_SHORT_LABELS[c] for c in Category],
    }
    return render(request, "county.html", context)
