"""The aid office's pages for the duty rules (帮扶措施要求) and the school calendar (不计周
and exams)."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidcase.forms import add_service_errors
from aidcase.params import query_id
from aidcase.permissions import AuthedRequest, request_school, role_required
from students.forms import DATE_INPUT
from students.models import Category, Role, Semester
from students.selectors import current_semester, semester_get_for_user, semesters_of
from visits import rules as services
from visits.duties import DEFAULT_RULES, PERIOD_LABELS
from visits.models import Kind
from visits.selectors import rules_for

BLANK: list[tuple[str, Any]] = [("", "——")]
CATEGORY_ORDER = {value: index for index, value in enumerate(Category.values)}


class DutyRuleForm(forms.Form):
    """One row of the rule set. The blank choices let the extra row stay empty (and be
    skipped) until the office fills it in."""

    category = forms.ChoiceField(label=gettext_lazy("类别"), choices=BLANK + Category.choices)
    kind = forms.ChoiceField(label=gettext_lazy("帮扶措施"), choices=BLANK + Kind.choices)
    period = forms.ChoiceField(
        label=gettext_lazy("周期"),
        choices=BLANK + [(p.value, label) for p, label in PERIOD_LABELS.items()],
    )
    count = forms.IntegerField(
        label=gettext_lazy("至少次数"),
        min_value=1,
        max_value=20,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    title = forms.CharField(label=gettext_lazy("要求"), max_length=200)


# A school keeps a few dozen rules; the cap keeps a forged form count (Django allows 2,000
# forms by default) from tying a worker up for many seconds.
MAX_DUTY_RULES = 100
DutyRuleFormSet = forms.formset_factory(
    DutyRuleForm,
    extra=1,
    can_delete=True,
    max_num=MAX_DUTY_RULES,
    absolute_max=MAX_DUTY_RULES,
    validate_max=True,
)


class HolidayWeekForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("该周任意一天"),
        widget=DATE_INPUT,
        help_text=gettext_lazy("这一周（周一至周日）的帮扶措施不计"),
    )
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如：国庆节、期中考试周")}),
    )

    def __init__(self, *args: Any, semester: Semester, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.semester = semester

    def clean_day(self) -> dt.date:
        # A week outside the semester shown would vanish from this page once added.
        day: dt.date = self.cleaned_data["day"]
        start, end = self.semester.teaching_dates
        if not start - dt.timedelta(days=6) <= day <= end + dt.timedelta(days=6):
            raise ValidationError(
                _("该周不在%(label)s（%(start)s 至 %(end)s）内")
                % {
                    "label": self.semester.label,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                }
            )
        return day


class ExamForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("考试名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如：期中考试")}),
    )
    date = forms.DateField(label=gettext_lazy("考试日期"), widget=DATE_INPUT)


@role_required(Role.OFFICE)
def duty_rules(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    effective = sorted(rules_for(school=school), key=lambda r: CATEGORY_ORDER[r.category])
    page_errors: list[str] = []
    if request.method == "POST":
        formset = DutyRuleFormSet(request.POST)
        if formset.is_valid():
            # Blank extra rows have empty cleaned_data; ticked rows are dropped.
            kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data["DELETE"]]
            try:
                saved = services.duty_rules_save(
                    school=school, rules=[f.cleaned_data for f in kept], by=request.user
                )
            except ValidationError as error:
                page_errors = _show_row_errors(error, kept, formset.forms)
            else:
                messages.success(
                    request, _("已保存本校的帮扶措施要求，共 %(n)s 条") % {"n": len(saved)}
                )
                return redirect("duty_rules")
    else:
        formset = DutyRuleFormSet(
            initial=[
                {
                    "category": r.category,
                    "kind": r.kind,
                    "period": r.period.value,
                    "count": r.count,
                    "title": str(r.title),
                }
                for r in effective
            ]
        )
    groups = [
        {
            "category": category,
            "label": label,
            "rules": [
                {
                    "title": r.title,
                    "kind": Kind(r.kind).label,
                    "period": PERIOD_LABELS[r.period],
                    "count": r.count,
                }
                for r in effective
                if r.category == category
            ],
        }
        for category, label in Category.choices
    ]
    context = {
        "groups": groups,
        "is_default": all(r in DEFAULT_RULES for r in effective),
        "formset": formset,
        "page_errors": page_errors,
    }
    return render(request, "visits/duty_rules.html", context)


def _show_row_errors(
    error: ValidationError, kept: Sequence[forms.BaseForm], rows: Sequence[forms.BaseForm]
) -> list[str]:
    """Puts the service's errors beside the field of the row they name, with the row numbers
    renumbered as the page numbers its rows (the service numbers only the rows it was given,
    not the deleted or blank ones). Returns the errors that name no row."""
    unplaced: list[str] = []
    by_field = error.error_dict if hasattr(error, "error_dict") else {"": error.error_list}
    for field, errors in by_field.items():
        for item in errors:
            row = (item.params or {}).get("row")
            if row is None or field not in DutyRuleForm.base_fields:
                unplaced.extend(item.messages)
                continue
            params = dict(item.params or {})
            for name in ("row", "other"):
                if name in params:
                    params[name] = rows.index(kept[params[name] - 1]) + 1
            form = kept[row - 1]
            form.add_error(field, ValidationError(item.message, code=item.code, params=params))
    return unplaced


@role_required(Role.OFFICE)
@require_POST
def duty_rules_reset(request: AuthedRequest) -> HttpResponse:
    services.duty_rules_reset(school=request_school(request), by=request.user)
    messages.success(request, _("已恢复默认规则（方案一）"))
    return redirect("duty_rules")


@role_required(Role.OFFICE)
def school_calendar(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    semester = _chosen_semester(request)
    if semester is None:
        return render(request, "visits/school_calendar.html", {"semester": None})
    action = request.POST.get("action") if request.method == "POST" else None
    holiday_form = HolidayWeekForm(
        request.POST if action == "holiday" else None, semester=semester, prefix="holiday"
    )
    exam_form = ExamForm(request.POST if action == "exam" else None, prefix="exam")
    here = f"{reverse('school_calendar')}?semester={semester.pk}"
    if action == "holiday" and holiday_form.is_valid():
        data = holiday_form.cleaned_data
        try:
            holiday = services.holiday_week_add(
                school=school, day=data["day"], note=data["note"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(holiday_form, error)
        else:
            messages.success(
                request,
                _("已将 %(start)s—%(end)s 标记为不计周")
                % {
                    "start": holiday.monday.isoformat(),
                    "end": (holiday.monday + dt.timedelta(days=6)).isoformat(),
                },
            )
            return redirect(here)
    if action == "exam" and exam_form.is_valid():
        data = exam_form.cleaned_data
        try:
            exam = services.exam_add(
                semester=semester, name=data["name"], date=data["date"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(exam_form, error)
        else:
            messages.success(request, _("已添加考试：%(name)s") % {"name": exam.name})
            return redirect(here)
    holidays = [
        {"holiday": h, "sunday": h.monday + dt.timedelta(days=6)}
        for h in services.holiday_weeks_of(school=school, semester=semester)
    ]
    context = {
        "semester": semester,
        "semesters": semesters_of(school=school),
        "holidays": holidays,
        "exams": services.exams_of(semester=semester),
        "holiday_form": holiday_form,
        "exam_form": exam_form,
    }
    return render(request, "visits/school_calendar.html", context)


def _chosen_semester(request: AuthedRequest) -> Semester | None:
    """The semester named by `?semester=`, else the current one (None when the school has
    none yet)."""
    pk = query_id(request.GET, "semester")
    if pk is None:
        return current_semester(school=request_school(request))
    return semester_get_for_user(user=request.user, pk=pk)


def _back_to_calendar(request: AuthedRequest) -> HttpResponse:
    url = reverse("school_calendar")
    try:
        semester = query_id(request.POST, "semester")
    except Http404:
        semester = None  # the removal is done: the current semester's calendar will do
    return redirect(f"{url}?semester={semester}" if semester else url)


@role_required(Role.OFFICE)
@require_POST
def holiday_week_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    holiday = services.holiday_get_for_user(user=request.user, pk=pk)
    services.holiday_week_remove(holiday=holiday, by=request.user)
    messages.success(
        request,
        _("已取消不计周：%(start)s—%(end)s")
        % {
            "start": holiday.monday.isoformat(),
            "end": (holiday.monday + dt.timedelta(days=6)).isoformat(),
        },
    )
    return _back_to_calendar(request)


@role_required(Role.OFFICE)
@require_POST
def exam_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    exam = services.exam_get_for_user(user=request.user, pk=pk)
    services.exam_remove(exam=exam, by=request.user)
    messages.success(request, _("已删除考试：%(name)s") % {"name": exam.name})
    return redirect(f"{reverse('school_calendar')}?semester={exam.semester_id}")
