"""The semester assessment in the browser: the sheets of a semester, one sheet with its
workflow (submit → approve, return, reopen), its PDF, the Excel summary and the ZIP of all
sheets built in the background."""

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.audit import access_record
from aidcase.forms import add_service_errors
from aidcase.models import AccessLog
from aidcase.params import query_id
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    SCHOOL_ROLES,
    AuthedRequest,
    person_label,
    request_school,
    role_of,
    role_required,
)
from aidcase.workbooks import XLSX
from assessment import reports, rules, scoring, services, tasks
from assessment.forms import AssessmentRuleForm, CommentForm, ReasonForm
from assessment.models import (
    QUESTIONS,
    REASON_LABELS,
    STATUS_LABELS,
    AssessmentRule,
    Sheet,
    SheetExport,
)
from assessment.selectors import (
    export_get_for_user,
    sheet_get_for_user,
    sheets_of,
    sheets_visible_to,
)
from students.models import CATEGORY_SHORT_LABELS, Category, Role, Semester
from students.selectors import current_semester, semester_get_for_user, semesters_of


def _semester_of(request: AuthedRequest) -> Semester | None:
    """The semester picked in the query string, else the current one."""
    pk = query_id(request.GET, "semester")
    if pk is not None:
        return semester_get_for_user(user=request.user, pk=pk)
    return current_semester(school=request_school(request))


@role_required(*SCHOOL_ROLES)
def sheet_list(request: AuthedRequest) -> HttpResponse:
    """Managers: the chosen semester's sheets with their states and the actions on them.
    Teachers: their own sheets, semester by semester."""
    if role_of(request.user) not in SCHOOL_MANAGERS:
        own = sheets_visible_to(user=request.user).order_by("-semester__start")
        return render(request, "assessment/my_sheets.html", {"sheets": own})
    school = request_school(request)
    semester = _semester_of(request)
    sheets: list[Sheet] = list(sheets_of(school=school, semester=semester)) if semester else []
    states = dict.fromkeys(Sheet.State.values, 0)
    for sheet in sheets:
        states[sheet.state] += 1
    latest_export = (
        SheetExport.objects.filter(school=school, semester=semester).first() if semester else None
    )
    context = {
        "semester": semester,
        "semesters": semesters_of(school=school),
        "sheets": sheets,
        "states": [(Sheet.State(state).label, state, n) for state, n in states.items()],
        "points": sum(sheet.points for sheet in sheets),
        "latest_export": latest_export,
        "is_office": role_of(request.user) == Role.OFFICE,
        "is_principal": role_of(request.user) == Role.PRINCIPAL,
    }
    return render(request, "assessment/sheet_list.html", context)


@role_required(Role.OFFICE)
@require_POST
def sheets_compute(request: AuthedRequest, pk: int) -> HttpResponse:
    semester = semester_get_for_user(user=request.user, pk=pk)
    try:
        sheets = services.sheets_compute(
            school=request_school(request), semester=semester, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已根据当前记录生成 %(n)s 份考核表；已提交和已审批的考核表保持不变。")
            % {"n": len(sheets)},
        )
    return redirect(f"{reverse('sheet_list')}?semester={semester.pk}")


def _sheet_context(sheet: Sheet) -> dict[str, Any]:
    content = sheet.content
    pairings = [
        {
            **line,
            "category_label": CATEGORY_SHORT_LABELS.get(Category(line["category"]), ""),
            "status_label": STATUS_LABELS.get(line["status"], line["status"]),
            "reason_labels": [REASON_LABELS.get(r, r) for r in line["reasons"]],
        }
        for line in content.get("pairings", [])
    ]
    questionnaire = content.get("questionnaire") or {}
    means = questionnaire.get("means") or [None] * len(QUESTIONS)
    return {
        "sheet": sheet,
        "pairings": pairings,
        "totals": content.get("totals", {}),
        "questionnaire": questionnaire,
        "questions": list(zip(QUESTIONS, means, strict=False)),
        "events": sheet.events.select_related("by__profile"),
    }


@role_required(*SCHOOL_ROLES)
def sheet_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    sheet = sheet_get_for_user(user=request.user, pk=pk)
    return _render_sheet(request, sheet)


def _render_sheet(
    request: AuthedRequest, sheet: Sheet, *, failed: tuple[str, Any] | None = None
) -> HttpResponse:
    """The sheet with the forms the user's role may use in its state; a form that failed
    comes back with its errors and typed text."""
    role = role_of(request.user)
    forms: dict[str, Any] = {}
    if role == Role.OFFICE and sheet.state == Sheet.State.DRAFT:
        forms["submit"] = CommentForm(prefix="submit")
    if role == Role.PRINCIPAL and sheet.state == Sheet.State.SUBMITTED:
        forms["approve"] = CommentForm(prefix="approve")
        forms["return"] = ReasonForm(prefix="return")
    if role == Role.PRINCIPAL and sheet.state == Sheet.State.APPROVED:
        forms["reopen"] = ReasonForm(prefix="reopen")
    if failed:
        forms[failed[0]] = failed[1]
    context = _sheet_context(sheet)
    context["forms"] = forms
    return render(request, "assessment/sheet_detail.html", context, status=400 if failed else 200)


def _workflow(
    request: AuthedRequest, pk: int, name: str, form_class: type, action: Any, done: str
) -> HttpResponse:
    sheet = sheet_get_for_user(user=request.user, pk=pk)
    form = form_class(request.POST, prefix=name)
    field = next(iter(form.fields))
    if form.is_valid():
        try:
            action(sheet=sheet, by=request.user, **{field: form.cleaned_data[field]})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("sheet_detail", pk=sheet.pk)
    sheet.refresh_from_db()
    return _render_sheet(request, sheet, failed=(name, form))


@role_required(Role.OFFICE)
@require_POST
def sheet_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "submit", CommentForm, services.sheet_submit, _("已提交校长审批"))


@role_required(Role.PRINCIPAL)
@require_POST
def sheet_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    return _workflow(
        request, pk, "approve", CommentForm, services.sheet_approve, _("已审批，考核表已锁定")
    )


@role_required(Role.PRINCIPAL)
@require_POST
def sheet_return(request: AuthedRequest, pk: int) -> HttpResponse:
    return _workflow(
        request, pk, "return", ReasonForm, services.sheet_return, _("已退回资助办修改")
    )


@role_required(Role.PRINCIPAL)
@require_POST
def sheet_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    return _workflow(
        request,
        pk,
        "reopen",
        ReasonForm,
        services.sheet_reopen,
        _("已重新打开，考核表回到草稿"),
    )


@role_required(*SCHOOL_ROLES)
def sheet_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    sheet = sheet_get_for_user(user=request.user, pk=pk)
    pdf = reports.sheet_pdf(sheet=sheet, exported_by=person_label(request.user), at=timezone.now())
    filename = reports.sheet_filename(sheet)
    access_record(
        user=request.user, action=AccessLog.Action.PDF, school=sheet.school, what=filename
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


@role_required(*SCHOOL_MANAGERS)
def summary_xlsx(request: AuthedRequest, pk: int) -> HttpResponse:
    school = request_school(request)
    semester = semester_get_for_user(user=request.user, pk=pk)
    data = reports.summary_xlsx(
        school=school,
        semester=semester,
        sheets=sheets_of(school=school, semester=semester),
        exported_by=person_label(request.user),
    )
    filename = _("%(semester)s考核汇总.xlsx") % {"semester": semester.code}
    access_record(user=request.user, action=AccessLog.Action.EXPORT, school=school, what=filename)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = _attachment(filename)
    return response


@role_required(*SCHOOL_MANAGERS)
@require_POST
def export_start(request: AuthedRequest, pk: int) -> HttpResponse:
    semester = semester_get_for_user(user=request.user, pk=pk)
    export = tasks.sheets_export_start(
        school=request_school(request), semester=semester, by=request.user
    )
    return redirect("export_detail", pk=export.pk)


@role_required(*SCHOOL_MANAGERS)
def export_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The progress of a bulk export; while it runs, htmx refreshes the progress part."""
    export = export_get_for_user(user=request.user, pk=pk)
    template = "assessment/export_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"export": export})


@role_required(*SCHOOL_MANAGERS)
def export_download(request: AuthedRequest, pk: int) -> FileResponse:
    export = export_get_for_user(user=request.user, pk=pk)
    if export.state != SheetExport.State.DONE or not export.file:
        raise Http404
    # Streamed from the shared storage: whichever host built the ZIP, any host serves it.
    storage = tasks.export_storage()
    if not storage.exists(export.file):
        raise Http404
    try:
        file = storage.open(export.file, "rb")
    except FileNotFoundError:  # deleted in between (retention)
        raise Http404 from None
    filename = _("%(semester)s考核表.zip") % {"semester": export.semester.code}
    access_record(
        user=request.user, action=AccessLog.Action.DOWNLOAD, school=export.school, what=filename
    )
    return FileResponse(file, as_attachment=True, filename=filename, content_type="application/zip")


@role_required(Role.OFFICE)
def assessment_rules(request: AuthedRequest) -> HttpResponse:
    """The school's points and progress thresholds per category (DESIGN's 2/1/1/5 and
    1.05/1.10 until the office changes them)."""
    school = request_school(request)
    current = services.rules_for(school=school)
    own = {rule.category: rule for rule in AssessmentRule.objects.filter(school=school)}
    data = request.POST if request.method == "POST" else None
    forms = [
        (
            category,
            label,
            AssessmentRuleForm(
                data,
                prefix=category,
                instance=own.get(category) or AssessmentRule(school=school, category=category),
                initial={
                    "points": current[category].points,
                    "threshold": current[category].threshold,
                },
            ),
        )
        for category, label in Category.choices
    ]
    if request.method == "POST":
        if "reset" in request.POST:
            rules.assessment_rules_reset(school=school, by=request.user)
            messages.success(request, _("已恢复默认计分规则"))
            return redirect("assessment_rules")
        if all(form.is_valid() for _category, _label, form in forms):
            rules.assessment_rules_save(
                school=school,
                rules={
                    category: scoring.CategoryRule(
                        form.cleaned_data["points"], form.cleaned_data["threshold"]
                    )
                    for category, _label, form in forms
                },
                by=request.user,
            )
            messages.success(request, _("已保存计分规则；重新计算考核表后生效。"))
            return redirect("assessment_rules")
    context = {"forms": forms, "is_default": not own, "defaults": scoring.DEFAULT_RULES}
    return render(request, "assessment/rules.html", context)
