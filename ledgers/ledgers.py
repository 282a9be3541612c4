"""The four ledgers (台账) as Excel workbooks: 结对台账, 帮扶记录台账, 资助台账 and 对象异动台账.

Every row comes through the scoping selectors (`pairings_visible_to`, `logs_visible_to`,
`students_visible_to`), narrowed further for a teacher to their own pairings: a colleague's
pairing of a shared student is the colleague's to file. Totals are the database's aggregates,
and each ledger runs a fixed number of queries however large the school.

A ledger is a filed document: it is written in Chinese whatever the reader's interface
language, and carries the school, the period, who exported it and when in its first rows. No
ID numbers, masked or not: 学籍号 identifies a student well enough for the office.
"""

import datetime as dt
import itertools
import re
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import openpyxl
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.permissions import person_label, person_name, role_of
from aidcase.roles import Role
from aidcase.workbooks import ReportColumn, report_sheet, workbook_new, workbook_save
from pairing.models import Pairing
from pairing.selectors import pairings_visible_to
from students.models import (
    CATEGORY_SHORT_LABELS,
    Category,
    Identification,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.selectors import pairing_active_between, students_visible_to
from visits.models import ActivityLog, Kind, VisitPhoto
from visits.selectors import logs_visible_to

LANGUAGE = "zh-hans"
DATE = "yyyy-mm-dd"
MONEY = "0.00"
SUMMARY_LENGTH = 80
# Rows are streamed from the database into a write-only workbook, this many at a time.
CHUNK = 2000
# The periods a ledger may cover: two school years is what a review ever asks for.
MAX_YEARS = 2

LEDGER_TITLES = {
    "pairings": gettext_lazy("结对台账"),
    "logs": gettext_lazy("帮扶记录台账"),
    "aid": gettext_lazy("资助台账"),
    "changes": gettext_lazy("对象异动台账"),
}
LEDGER_NOTES = {
    "pairings": gettext_lazy("时段内进行中的结对，含每个结对在时段内的帮扶记录数。"),
    "logs": gettext_lazy("时段内的帮扶记录（不含已撤回的），另附按措施类型汇总。"),
    "aid": gettext_lazy("时段内的物质资助：物品与金额，另附按学生汇总；跨学期时按学期汇总。"),
    "changes": gettext_lazy(
        "时段内的类别认定（提出、审核通过）、学期复核未再认定，以及因毕业、转学、"
        "退出类别而结束的结对。"
    ),
}
# Ends of a pairing that say something happened to the student, not to the helper.
STUDENT_END_REASONS = {
    Pairing.EndReason.GRADUATED: gettext_lazy("毕业"),
    Pairing.EndReason.TRANSFERRED: gettext_lazy("转学"),
    Pairing.EndReason.LEFT_CATEGORY: gettext_lazy("退出类别"),
}
# An identification made already approved (an import, the office's own entry) is stamped
# with both times in the same moment; one that went through review was approved later.
SAME_MOMENT = dt.timedelta(minutes=1)
SUMMARY_FIELDS = ("content", "follow_up", "family_situation", "poverty_cause", "aid_needs")
UNSAFE = re.compile(r"[^\w-]+")


@dataclass(frozen=True)
class Period:
    """The days a ledger covers, both included; a semester's when one was chosen."""

    start: dt.date
    end: dt.date
    semester: Semester | None = None

    @property
    def label(self) -> str:
        span = _span(self.start, self.end)
        return f"{self.semester.label} ({span})" if self.semester else span

    @property
    def slug(self) -> str:
        if self.semester is not None:
            return self.semester.code
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def _span(start: dt.date, end: dt.date) -> str:
    return _("%(start)s 至 %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}


def period_of(semester: Semester) -> Period:
    return Period(start=semester.start, end=semester.end, semester=semester)


def period_too_long(*, start: dt.date, end: dt.date) -> bool:
    try:
        limit = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_YEARS, day=28)
    return end > limit


@dataclass(frozen=True)
class LedgerFilters:
    """The office's optional narrowing of a ledger: one class, one category, one helper."""

    school_class: SchoolClass | None = None
    category: str = ""
    teacher: Any = None

    def narrow[T: QuerySet[Any]](
        self, queryset: T, *, student: str, category: str, teacher: str = ""
    ) -> T:
        """`student` is the path to the student ("student", "pairing__student"); without a
        `teacher` path the helper is found through the student's pairings."""
        if self.school_class is not None:
            queryset = queryset.filter(**{f"{student}__school_class": self.school_class})
        if self.category:
            queryset = queryset.filter(**{category: self.category})
        if self.teacher is not None:
            if teacher:
                queryset = queryset.filter(**{teacher: self.teacher})
            else:
                helped = Pairing.objects.filter(teacher=self.teacher).values("student")
                queryset = queryset.filter(**{f"{student}__in": helped})
        return queryset

    def describe(self) -> str:
        parts = []
        if self.school_class is not None:
            parts.append(_("班级 %(name)s") % {"name": self.school_class.name})
        if self.category:
            parts.append(_("类别 %(name)s") % {"name": _category(self.category)})
        if self.teacher is not None:
            parts.append(_("教师 %(name)s") % {"name": person_label(self.teacher)})
        return "；".join(parts)


# ---------------------------------------------------------------------------------------
# Reads


def _is_teacher(user: Any) -> bool:
    return role_of(user) == Role.TEACHER


def ledger_pairings_base(*, user: Any) -> QuerySet[Pairing]:
    """The pairings a ledger may list: a teacher's own, the whole school's for the office
    and the principal."""
    pairings = pairings_visible_to(user=user)
    return pairings.filter(teacher=user) if _is_teacher(user) else pairings


def ledger_logs_base(*, user: Any, period: Period, filters: LedgerFilters) -> QuerySet[ActivityLog]:
    """Logs of the period that stand: withdrawn ones are no longer part of the record."""
    logs = logs_visible_to(user=user).filter(
        withdrawn_at__isnull=True, date__gte=period.start, date__lte=period.end
    )
    if _is_teacher(user):
        logs = logs.filter(pairing__teacher=user)
    return filters.narrow(
        logs, student="pairing__student", category="pairing__category", teacher="pairing__teacher"
    )


def ledger_students_base(*, user: Any) -> QuerySet[Student]:
    """Students whose changes a ledger may list: a teacher's paired students (not their whole
    homeroom class, which other ledgers do not show them either)."""
    students = students_visible_to(user=user)
    if _is_teacher(user):
        students = students.filter(pk__in=ledger_pairings_base(user=user).values("student"))
    return students


def pairings_in_period(*, user: Any, period: Period, filters: LedgerFilters) -> QuerySet[Pairing]:
    """Pairings active on some day of the period, each with `log_count`: its logs in the
    period that were not withdrawn. One query."""
    in_period = Q(
        logs__withdrawn_at__isnull=True,
        logs__date__gte=period.start,
        logs__date__lte=period.end,
    )
    pairings = ledger_pairings_base(user=user).filter(
        pairing_active_between(period.start, period.end)
    )
    pairings = filters.narrow(pairings, student="student", category="category", teacher="teacher")
    return pairings.annotate(log_count=Count("logs", filter=in_period)).order_by(
        "teacher__profile__name",
        "teacher__username",
        "student__school_class__name",
        "student__student_no",
        "category",
    )


def logs_in_period(*, user: Any, period: Period, filters: LedgerFilters) -> QuerySet[ActivityLog]:
    """The period's standing logs in date order, each with `has_photos`. One query."""
    photos = VisitPhoto.objects.filter(log=OuterRef("pk"))
    return (
        ledger_logs_base(user=user, period=period, filters=filters)
        .select_related("pairing__teacher__profile", "pairing__student__school_class")
        .annotate(has_photos=Exists(photos))
        .order_by("date", "pk")
    )


def log_counts_by_kind(*, logs: QuerySet[ActivityLog]) -> dict[str, int]:
    return dict(logs.order_by().values_list("kind").annotate(n=Count("pk")))


def aid_in_period(*, user: Any, period: Period, filters: LedgerFilters) -> QuerySet[ActivityLog]:
    """The period's standing material-aid logs."""
    return ledger_logs_base(user=user, period=period, filters=filters).filter(
        kind=Kind.MATERIAL_AID
    )


def aid_by_student(*, aid: QuerySet[ActivityLog]) -> list[Any]:
    """Per student: the number of aid records and the amount given. One query."""
    return list(
        aid.order_by()
        .values(
            "pairing__student",
            "pairing__student__name",
            "pairing__student__student_no",
            "pairing__student__school_class__name",
        )
        .annotate(n=Count("pk"), amount=Sum("aid_amount"))
        .order_by("pairing__student__school_class__name", "pairing__student__student_no")
    )


def aid_by_semester(
    *, aid: QuerySet[ActivityLog], semesters: list[Semester]
) -> dict[int | None, Any]:
    """Per semester (None: days between semesters): records and amount. One query."""
    term = Case(
        *[When(date__gte=s.start, date__lte=s.end, then=Value(s.pk)) for s in semesters],
        default=Value(None),
        output_field=IntegerField(),
    )
    rows = (
        aid.order_by()
        .annotate(term=term)
        .values("term")
        .annotate(n=Count("pk"), amount=Sum("aid_amount"))
    )
    return {row["term"]: row for row in rows}


def semesters_around(*, school: School) -> list[Semester]:
    """The school's semesters, earliest first."""
    return list(Semester.objects.filter(school=school).order_by("start"))


@dataclass(frozen=True)
class Change:
    day: dt.date
    student: Student
    category: str
    change: str
    source: str = ""
    by: str = ""


def changes_in_period(
    *, user: Any, school: School, period: Period, filters: LedgerFilters
) -> list[Change]:
    """What changed in the period about who is aided, oldest first. Three or four queries:
    identifications proposed or approved in the period; identifications of the semester
    before a semester starting in the period that its re-check (动态管理) did not renew,
    once that re-check has begun; pairings ended because the student graduated, transferred
    or left the category. Rejected proposals are deleted, and a student's status carries no
    date, so neither can be listed."""
    students = ledger_students_base(user=user)
    identifications = Identification.objects.filter(student__in=students).select_related(
        "student__school_class", "proposed_by__profile", "approved_by__profile"
    )
    identifications = filters.narrow(identifications, student="student", category="category")
    changes: list[Change] = []
    for identification in identifications.filter(
        _day_within("created_at", period) | _day_within("approved_at", period)
    ):
        changes += _identification_changes(identification, period)
    changes += _not_renewed(identifications, school=school, period=period)
    ended = filters.narrow(
        ledger_pairings_base(user=user).filter(
            end__gte=period.start, end__lte=period.end, end_reason__in=list(STUDENT_END_REASONS)
        ),
        student="student",
        category="category",
        teacher="teacher",
    )
    for pairing in ended:
        reason = STUDENT_END_REASONS[Pairing.EndReason(pairing.end_reason)]
        changes.append(
            Change(
                day=pairing.end,  # type: ignore[arg-type]  # filtered on end
                student=pairing.student,
                category=pairing.category,
                change=_("%(reason)s（结对结束）") % {"reason": reason},
            )
        )
    changes.sort(key=lambda c: (c.day, c.student.student_no, c.category, c.change))
    return changes


def _day_within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__date__gte": period.start, f"{field}__date__lte": period.end})


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _identification_changes(identification: Identification, period: Period) -> list[Change]:
    source = str(Identification.Source(identification.source).label)
    approved_at = identification.approved_at
    direct = (
        approved_at is not None
        and identification.proposed_by_id == identification.approved_by_id
        and abs(approved_at - identification.created_at) < SAME_MOMENT
    )
    changes = []
    created = _local_day(identification.created_at)
    if not direct and period.start <= created <= period.end:
        changes.append(
            Change(
                day=created,
                student=identification.student,
                category=identification.category,
                change=_("提出认定"),
                source=source,
                by=person_label(identification.proposed_by),
            )
        )
    if approved_at is not None and period.start <= _local_day(approved_at) <= period.end:
        changes.append(
            Change(
                day=_local_day(approved_at),
                student=identification.student,
                category=identification.category,
                change=_("新认定") if direct else _("审核通过"),
                source=source,
                by=person_label(identification.approved_by),
            )
        )
    return changes


def _not_renewed(
    identifications: QuerySet[Identification], *, school: School, period: Period
) -> list[Change]:
    """Approved identifications of a semester that the next semester's list, once it has
    any entry, does not hold again: the student left the category at the re-check."""
    semesters = semesters_around(school=school)
    condition = Q()
    starts: dict[int, Semester] = {}
    for previous, semester in itertools.pairwise(semesters):
        if not period.start <= semester.start <= period.end:
            continue
        renewed = Identification.objects.filter(
            student=OuterRef("student"), category=OuterRef("category"), semester=semester
        )
        begun = Identification.objects.filter(semester=semester)
        condition |= Q(semester=previous) & ~Exists(renewed) & Exists(begun)
        starts[previous.pk] = semester
    if not starts:
        return []
    dropped = identifications.filter(condition, state=Identification.State.APPROVED)
    return [
        Change(
            day=starts[i.semester_id].start,
            student=i.student,
            category=i.category,
            change=_("退出（%(semester)s未再认定）") % {"semester": starts[i.semester_id].label},
            source=str(Identification.Source(i.source).label),
        )
        for i in dropped
    ]


# ---------------------------------------------------------------------------------------
# Workbooks


def _category(code: str) -> str:
    return str(CATEGORY_SHORT_LABELS[Category(code)]) if code in Category.values else code


def _class_name(student: Student) -> str:
    return student.school_class.name if student.school_class else ""


def _summary(log: ActivityLog) -> str:
    """The first words of what was written, across the log's text fields, on one line."""
    texts = (" ".join(str(getattr(log, name)).split()) for name in SUMMARY_FIELDS)
    joined = "；".join(t for t in texts if t)
    return joined if len(joined) <= SUMMARY_LENGTH else joined[:SUMMARY_LENGTH] + "…"


def _money(amount: Decimal | None) -> Decimal:
    return amount if amount is not None else Decimal("0.00")


@dataclass(frozen=True)
class _Context:
    user: Any
    school: School
    period: Period
    filters: LedgerFilters
    lines: list[str]

    def title(self, ledger: str) -> str:
        return f"{self.school.name} {ledger}"


def _pairings_book(workbook: openpyxl.Workbook, context: _Context) -> None:
    pairings = list(
        pairings_in_period(user=context.user, period=context.period, filters=context.filters)
    )
    columns = [
        ReportColumn(_("教师"), 10),
        ReportColumn(_("工号"), 12),
        ReportColumn(_("学生"), 10),
        ReportColumn(_("学籍号"), 22),
        ReportColumn(_("班级"), 12),
        ReportColumn(_("类别"), 6),
        ReportColumn(_("学科"), 8),
        ReportColumn(_("开始日期"), 12, DATE),
        ReportColumn(_("结束日期"), 12, DATE),
        ReportColumn(_("结束原因"), 14),
        ReportColumn(_("帮扶记录数"), 12),
    ]
    rows = (
        [
            person_name(p.teacher),
            p.teacher.username,
            p.student.name,
            p.student.student_no,
            _class_name(p.student),
            _category(p.category),
            p.subject,
            p.start,
            p.end,
            p.get_end_reason_display() if p.end_reason else "",
            p.log_count,  # type: ignore[attr-defined]  # annotated
        ]
        for p in pairings
    )
    logs = sum(p.log_count for p in pairings)  # type: ignore[attr-defined]
    totals = [_("合计：%(n)s 个结对") % {"n": len(pairings)}, *[None] * 9, logs]
    title = str(LEDGER_TITLES["pairings"])
    report_sheet(
        workbook,
        name=title,
        title=context.title(title),
        lines=context.lines,
        columns=columns,
        rows=rows,
        totals=totals,
    )


def _logs_book(workbook: openpyxl.Workbook, context: _Context) -> None:
    base = ledger_logs_base(user=context.user, period=context.period, filters=context.filters)
    by_kind = log_counts_by_kind(logs=base)
    total = sum(by_kind.values())
    columns = [
        ReportColumn(_("日期"), 12, DATE),
        ReportColumn(_("教师"), 10),
        ReportColumn(_("学生"), 10),
        ReportColumn(_("班级"), 12),
        ReportColumn(_("类别"), 6),
        ReportColumn(_("措施类型"), 14),
        ReportColumn(_("方式"), 10),
        ReportColumn(_("内容摘要"), 60),
        ReportColumn(_("是否有照片"), 10),
    ]
    logs = cast(
        Generator[ActivityLog],
        logs_in_period(user=context.user, period=context.period, filters=context.filters).iterator(
            chunk_size=CHUNK
        ),
    )
    rows = (
        [
            log.date,
            person_name(log.pairing.teacher),
            log.pairing.student.name,
            _class_name(log.pairing.student),
            _category(log.pairing.category),
            log.get_kind_display(),
            log.get_channel_display(),
            _summary(log),
            _("是") if log.has_photos else _("否"),  # type: ignore[attr-defined]  # annotated
        ]
        for log in logs
    )
    title = str(LEDGER_TITLES["logs"])
    # Closed even when writing fails: on PostgreSQL the iterator holds a server-side cursor.
    with closing(logs):
        report_sheet(
            workbook,
            name=title,
            title=context.title(title),
            lines=context.lines,
            columns=columns,
            rows=rows,
            totals=[_("合计：%(n)s 条") % {"n": total}],
        )
    report_sheet(
        workbook,
        name=_("按措施类型汇总"),
        title=context.title(_("帮扶记录按措施类型汇总")),
        lines=context.lines,
        columns=[ReportColumn(_("措施类型"), 24), ReportColumn(_("记录数"), 10)],
        rows=([kind.label, by_kind.get(kind.value, 0)] for kind in Kind),
        totals=[_("合计"), total],
    )


def _aid_book(workbook: openpyxl.Workbook, context: _Context) -> None:
    aid = aid_in_period(user=context.user, period=context.period, filters=context.filters)
    by_student = aid_by_student(aid=aid)
    count = sum(row["n"] for row in by_student)
    amount = sum((_money(row["amount"]) for row in by_student), Decimal("0.00"))
    logs = cast(
        Generator[ActivityLog],
        aid.select_related("pairing__teacher__profile", "pairing__student__school_class")
        .order_by("date", "pk")
        .iterator(chunk_size=CHUNK),
    )
    rows = (
        [
            log.date,
            log.pairing.student.name,
            log.pairing.student.student_no,
            _class_name(log.pairing.student),
            person_name(log.pairing.teacher),
            log.aid_items,
            log.aid_amount,
        ]
        for log in logs
    )
    title = str(LEDGER_TITLES["aid"])
    with closing(logs):
        report_sheet(
            workbook,
            name=title,
            title=context.title(title),
            lines=context.lines,
            columns=[
                ReportColumn(_("日期"), 12, DATE),
                ReportColumn(_("学生"), 10),
                ReportColumn(_("学籍号"), 22),
                ReportColumn(_("班级"), 12),
                ReportColumn(_("教师"), 10),
                ReportColumn(_("资助物品"), 30),
                ReportColumn(_("金额(元)"), 12, MONEY),
            ],
            rows=rows,
            totals=[_("合计：%(n)s 次") % {"n": count}, *[None] * 5, amount],
        )
    report_sheet(
        workbook,
        name=_("按学生汇总"),
        title=context.title(_("资助按学生汇总")),
        lines=context.lines,
        columns=[
            ReportColumn(_("学生"), 10),
            ReportColumn(_("学籍号"), 22),
            ReportColumn(_("班级"), 12),
            ReportColumn(_("资助次数"), 10),
            ReportColumn(_("金额(元)"), 12, MONEY),
        ],
        rows=(
            [
                row["pairing__student__name"],
                row["pairing__student__student_no"],
                row["pairing__student__school_class__name"] or "",
                row["n"],
                _money(row["amount"]),
            ]
            for row in by_student
        ),
        totals=[_("合计：%(n)s 名学生") % {"n": len(by_student)}, None, None, count, amount],
    )
    semesters = [
        s
        for s in semesters_around(school=context.school)
        if s.start <= context.period.end and s.end >= context.period.start
    ]
    if len(semesters) > 1:
        _aid_semesters_sheet(workbook, context, aid=aid, semesters=semesters)


def _aid_semesters_sheet(
    workbook: openpyxl.Workbook,
    context: _Context,
    *,
    aid: QuerySet[ActivityLog],
    semesters: list[Semester],
) -> None:
    by_term = aid_by_semester(aid=aid, semesters=semesters)
    rows = []
    for semester in semesters:
        row = by_term.get(semester.pk, {})
        span = _span(semester.start, semester.end)
        rows.append([semester.label, span, row.get("n", 0), _money(row.get("amount"))])
    if None in by_term:
        between = by_term[None]
        rows.append([_("学期之外（假期）"), "", between["n"], _money(between["amount"])])
    report_sheet(
        workbook,
        name=_("按学期汇总"),
        title=context.title(_("资助按学期汇总")),
        lines=context.lines,
        columns=[
            ReportColumn(_("学期"), 24),
            ReportColumn(_("起止日期"), 26),
            ReportColumn(_("资助次数"), 10),
            ReportColumn(_("金额(元)"), 12, MONEY),
        ],
        rows=rows,
        totals=[
            _("合计"),
            None,
            sum(row[2] for row in rows),
            sum((row[3] for row in rows), Decimal("0.00")),
        ],
    )


def _changes_book(workbook: openpyxl.Workbook, context: _Context) -> None:
    changes = changes_in_period(
        user=context.user, school=context.school, period=context.period, filters=context.filters
    )
    title = str(LEDGER_TITLES["changes"])
    report_sheet(
        workbook,
        name=title,
        title=context.title(title),
        lines=context.lines,
        columns=[
            ReportColumn(_("日期"), 12, DATE),
            ReportColumn(_("学生"), 10),
            ReportColumn(_("学籍号"), 22),
            ReportColumn(_("班级"), 12),
            ReportColumn(_("类别"), 6),
            ReportColumn(_("变动"), 28),
            ReportColumn(_("认定来源"), 10),
            ReportColumn(_("经办人"), 16),
        ],
        rows=(
            [
                c.day,
                c.student.name,
                c.student.student_no,
                _class_name(c.student),
                _category(c.category),
                c.change,
                c.source,
                c.by,
            ]
            for c in changes
        ),
        totals=[_("合计：%(n)s 项") % {"n": len(changes)}],
    )


BUILDERS: dict[str, Callable[[openpyxl.Workbook, _Context], None]] = {
    "pairings": _pairings_book,
    "logs": _logs_book,
    "aid": _aid_book,
    "changes": _changes_book,
}


def ledger_xlsx(
    *,
    kind: str,
    user: Any,
    school: School,
    period: Period,
    filters: LedgerFilters | None = None,
    at: dt.datetime | None = None,
) -> bytes:
    """One ledger as an .xlsx file, scoped to the user: its title with the school, the
    period, the filters when any, the exporter and the export time (default: now) in the
    first rows, then the table and its totals."""
    filters = filters or LedgerFilters()
    with translation.override(LANGUAGE):
        lines = [
            _("统计时段：%(period)s") % {"period": period.label},
            _("导出人：%(who)s") % {"who": person_label(user)},
            _("导出时间：%(when)s")
            % {"when": timezone.localtime(at or timezone.now()).strftime("%Y-%m-%d %H:%M")},
        ]
        described = filters.describe()
        if described:
            lines.insert(1, _("筛选：%(filters)s") % {"filters": described})
        context = _Context(user=user, school=school, period=period, filters=filters, lines=lines)
        workbook = workbook_new()
        BUILDERS[kind](workbook, context)
    return workbook_save(workbook, creator=user.username)


def ledger_filename(*, kind: str, school: School, period: Period) -> str:
    """结对台账_平寨镇中学_2026-2027-1.xlsx: Chinese letters, digits, "-" and "_" only."""
    with translation.override(LANGUAGE):
        parts = [str(LEDGER_TITLES[kind]), school.name, period.slug]
    safe = (UNSAFE.sub("_", part).strip("_") for part in parts)
    return "_".join(part for part in safe if part) + ".xlsx"
