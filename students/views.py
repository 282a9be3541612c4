from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.audit import access_record
from aidcase.forms import add_service_errors
from aidcase.models import AccessLog
from aidcase.permissions import (
    SCHOOL_ROLES,
    AuthedRequest,
    is_office,
    request_school,
    role_required,
)
from students import services
from students.forms import (
    IdentificationForm,
    SchoolClassForm,
    SemesterDatesForm,
    SemesterForm,
    StaffEditForm,
    StaffForm,
    StudentFilterForm,
    StudentForm,
)
from students.models import Identification, Profile, Role, Student
from students.selectors import (
    classes_of,
    current_semester,
    identification_get_for_user,
    identifications_pending,
    pairing_active_on,
    school_class_get_for_user,
    semester_get_for_user,
    semesters_of,
    staff_list_of,
    student_get_for_user,
    student_search,
    students_visible_to,
    teacher_get_for_user,
    today,
)

PAGE_SIZE = 30


@role_required(*SCHOOL_ROLES)
def student_list(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    semester = current_semester(school=school)
    form = StudentFilterForm(request.GET or None, school=school)
    data = form.cleaned_data if form.is_valid() else {}
    students = student_search(
        students=students_visible_to(user=request.user),
        query=data.get("q", "").strip(),
        category=data.get("category", ""),
        school_class_id=data["school_class"].pk if data.get("school_class") else None,
        status=data.get("status", ""),
        paired=data.get("paired", ""),
        semester=semester,
    )
    day = today()
    students = (
        students.select_related("school_class", "cohort")
        .prefetch_related(
            Prefetch(
                "identifications",
                queryset=Identification.objects.filter(
                    semester=semester, state=Identification.State.APPROVED
                ),
                to_attr="current_identifications",
            ),
        )
        .annotate(
            helpers=Count(
                "pairings", filter=pairing_active_on(day, prefix="pairings__"), distinct=True
            )
        )
    )
    # The annotation groups rows, which drops the model's default ordering.
    students = students.order_by("-cohort__entry_year", "school_class__name", "student_no")
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "semester": semester,
        "query": query.urlencode(),
        "can_manage": is_office(request.user),
    }
    template = "students/student_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@role_required(Role.OFFICE)
def student_create(request: AuthedRequest) -> HttpResponse:
    return _student_form(request, Student(school=request_school(request)))


@role_required(Role.OFFICE)
def student_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _student_form(request, student_get_for_user(user=request.user, pk=pk))


def _student_form(request: AuthedRequest, student: Student) -> HttpResponse:
    school = request_school(request)
    form = StudentForm(request.POST or None, instance=student, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_save(
                student=form.save(commit=False),
                entry_year=form.cleaned_data["entry_year"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存学生 %(name)s 的信息") % {"name": student.name})
            return redirect("student_detail", pk=student.pk)
    return render(request, "students/student_form.html", {"form": form, "student": student})


@role_required(Role.OFFICE)
@require_POST
def student_id_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """Shows one student's full ID number to the aid office, on purpose (a POST, never a link)
    and logged; everywhere else the number is masked."""
    student = student_get_for_user(user=request.user, pk=pk)
    access_record(user=request.user, action=AccessLog.Action.ID_REVEAL, student=student)
    template = "students/id_number.html"
    if request.htmx:
        template += "#number"
    return render(request, template, {"student": student})


@role_required(Role.OFFICE)
def identification_create(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_get_for_user(user=request.user, pk=pk)
    school = request_school(request)
    semester = current_semester(school=school)
    form = IdentificationForm(request.POST or None, school=school, initial={"semester": semester})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.identification_propose(
                student=student,
                semester=data["semester"],
                category=data["category"],
                source=data["source"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已提交认定，待审核"))
            return redirect("student_detail", pk=student.pk)
    return render(request, "students/identification_form.html", {"form": form, "student": student})


@role_required(Role.OFFICE)
def identification_list(request: AuthedRequest) -> HttpResponse:
    pending = identifications_pending(school=request_school(request))
    return render(request, "students/identification_list.html", {"pending": pending})


@role_required(Role.OFFICE)
@require_POST
def identification_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    identification = identification_get_for_user(user=request.user, pk=pk)
    services.identification_approve(identification=identification, by=request.user)
    messages.success(
        request,
        _("已认定：%(name)s · %(category)s")
        % {"name": identification.student.name, "category": identification.get_category_display()},
    )
    if request.POST.get("next") == "student":
        return redirect("student_detail", pk=identification.student_id)
    return redirect("identification_list")


@role_required(Role.OFFICE)
@require_POST
def identification_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    identification = identification_get_for_user(user=request.user, pk=pk)
    try:
        services.identification_reject(identification=identification, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已驳回该认定申请"))
    return redirect("identification_list")


@role_required(Role.OFFICE)
def semester_list(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    form = SemesterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            semester = services.semester_create(
                school=school, code=data["code"].strip(), start=data["start"], end=data["end"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加学期 %(label)s") % {"label": semester.label})
            return redirect("semester_list")
    context = {
        "form": form,
        "semesters": semesters_of(school=school),
        "current": current_semester(school=school),
    }
    return render(request, "students/semester_list.html", context)


@role_required(Role.OFFICE)
def semester_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    semester = semester_get_for_user(user=request.user, pk=pk)
    form = SemesterDatesForm(
        request.POST or None, initial={"start": semester.start, "end": semester.end}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.semester_update(semester=semester, **form.cleaned_data)
        except ValidationError as error:
            semester.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, _("已更新 %(label)s 的日期") % {"label": semester.label})
            return redirect("semester_list")
    return render(request, "students/semester_form.html", {"form": form, "semester": semester})


@role_required(Role.OFFICE)
def class_list(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    form = SchoolClassForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            school_class = services.school_class_save(school=school, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加班级 %(name)s") % {"name": school_class.name})
            return redirect("class_list")
    return render(
        request, "students/class_list.html", {"form": form, "classes": classes_of(school=school)}
    )


@role_required(Role.OFFICE)
def class_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    school_class = school_class_get_for_user(user=request.user, pk=pk)
    school = request_school(request)
    initial = {
        "entry_year": school_class.cohort.entry_year,
        "name": school_class.name,
        "homeroom_teacher": school_class.homeroom_teacher,
    }
    form = SchoolClassForm(request.POST or None, school=school, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.school_class_save(
                school=school, school_class=school_class, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已更新班级 %(name)s") % {"name": school_class.name})
            return redirect("class_list")
    return render(request, "students/class_form.html", {"form": form, "school_class": school_class})


@role_required(Role.OFFICE)
def staff_list(request: AuthedRequest) -> HttpResponse:
    staff = staff_list_of(school=request_school(request))
    return render(request, "students/staff_list.html", {"staff": staff})


@role_required(Role.OFFICE)
def staff_create(request: AuthedRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.staff_create(
                school=request_school(request), by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _show_one_time_password(request, user.profile, password, created=True)
    return render(request, "students/staff_form.html", {"form": form})


@role_required(Role.OFFICE)
def staff_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = teacher_get_for_user(user=request.user, pk=pk)
    initial = {"name": profile.name, "phone": profile.phone, "subjects": profile.subjects}
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(profile=profile, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存 %(name)s 的信息") % {"name": profile.name})
            return redirect("staff_list")
    return render(request, "students/staff_form.html", {"form": form, "member": profile})


@role_required(Role.OFFICE)
@require_POST
def staff_reset_password(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = teacher_get_for_user(user=request.user, pk=pk)
    password = services.staff_reset_password(profile=profile, by=request.user)
    return _show_one_time_password(request, profile, password, created=False)


@role_required(Role.OFFICE)
@require_POST
def staff_set_active(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = teacher_get_for_user(user=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.staff_set_active(profile=profile, active=active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = _("已启用 %(name)s 的账号") if active else _("已停用 %(name)s 的账号")
        messages.success(request, done % {"name": profile.name})
    return redirect("staff_list")


def _show_one_time_password(
    request: AuthedRequest, profile: Profile, password: str, *, created: bool
) -> HttpResponse:
    # Rendered straight from the POST, never stored: the password exists only on this page.
    context = {"member": profile, "password": password, "created": created}
    return render(request, "students/staff_password.html", context)
