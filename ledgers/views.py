"""The ledgers page (台账导出): a period and, for the office and the principal, optional
filters; each ledger downloads as an .xlsx file built by `ledgers.ledgers`."""

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import access_record
from aidcase.forms import DateField
from aidcase.models import AccessLog
from aidcase.permissions import (
    SCHOOL_MANAGERS,
    SCHOOL_ROLES,
    AuthedRequest,
    request_school,
    role_of,
    role_required,
)
from aidcase.workbooks import XLSX
from ledgers.ledgers import (
    LEDGER_NOTES,
    LEDGER_TITLES,
    LedgerFilters,
    Period,
    ledger_filename,
    ledger_xlsx,
    period_of,
    period_too_long,
)
from students.forms import DATE_INPUT, DashboardFilterForm
from students.models import School
from students.selectors import current_semester

FILTERS = ("school_class", "category", "teacher")


class LedgerForm(DashboardFilterForm):
    """A semester, or a date range that takes its place, and the dashboard's filters for
    those who see the whole school."""

    start = DateField(
        label=gettext_lazy("开始日期"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("填写起止日期时按日期导出，不按学期"),
    )
    end = DateField(label=gettext_lazy("结束日期"), required=False, widget=DATE_INPUT)
    field_order = ("semester", "start", "end", *FILTERS)

    def __init__(self, *args: Any, school: School, filters: bool, **kwargs: Any) -> None:
        super().__init__(*args, school=school, **kwargs)
        self.school = school
        if not filters:
            for name in FILTERS:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start and not end:
            self.add_error("end", _("请填写结束日期，或清空开始日期按学期导出"))
        elif end and not start:
            self.add_error("start", _("请填写开始日期，或清空结束日期按学期导出"))
        elif start and end and start > end:
            self.add_error("end", _("结束日期不能早于开始日期"))
        elif start and end and period_too_long(start=start, end=end):
            self.add_error("end", _("时间段不能超过两年"))
        elif not start and not data.get("semester"):
            data["semester"] = current_semester(school=self.school)
            if data["semester"] is None:
                self.add_error("start", _("本校还没有学期，请填写起止日期"))
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        if data.get("start"):
            return Period(start=data["start"], end=data["end"])
        return period_of(data["semester"])

    def filters(self) -> LedgerFilters:
        data = self.cleaned_data
        return LedgerFilters(
            school_class=data.get("school_class"),
            category=data.get("category") or "",
            teacher=data.get("teacher"),
        )


def _sees_school(request: AuthedRequest) -> bool:
    return role_of(request.user) in SCHOOL_MANAGERS


@role_required(*SCHOOL_ROLES)
def ledger_home(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    semester = current_semester(school=school)
    form = LedgerForm(
        school=school,
        filters=_sees_school(request),
        initial={"semester": semester.pk if semester else None},
    )
    return _home(request, form)


@role_required(*SCHOOL_ROLES)
def ledger_export(request: AuthedRequest, kind: str) -> HttpResponse:
    """The ledger for the period and filters of the query string; the page again, with the
    errors beside their fields, when they do not make a period."""
    school = request_school(request)
    form = LedgerForm(request.GET, school=school, filters=_sees_school(request))
    if not form.is_valid():
        return _home(request, form)
    period = form.period()
    data = ledger_xlsx(
        kind=kind, user=request.user, school=school, period=period, filters=form.filters()
    )
    response = HttpResponse(data, content_type=XLSX)
    filename = ledger_filename(kind=kind, school=school, period=period)
    access_record(user=request.user, action=AccessLog.Action.EXPORT, school=school, what=filename)
    # The Chinese name as RFC 6266 spells it, after a plain one for clients that lack it.
    plain = f"ledger-{kind}-{period.slug}.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _home(request: AuthedRequest, form: LedgerForm) -> HttpResponse:
    ledgers = [
        {"kind": kind, "title": title, "note": LEDGER_NOTES[kind]}
        for kind, title in LEDGER_TITLES.items()
    ]
    context = {
        "form": form,
        "ledgers": ledgers,
        "filtered": any(name in form.fields for name in FILTERS),
    }
    return render(request, "ledgers/home.html", context)
