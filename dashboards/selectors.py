"""Roll-ups for the dashboards: across schools for the county viewer (aggregates only, never
student records), and across a school's pairings for its principal and aid office."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from assessment.models import Sheet
from pairing.models import Pairing
from students.models import (
    CATEGORY_SHORT_LABELS,
    Category,
    County,
    Identification,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.selectors import (
    identified_and_paired,
    pairing_active_between,
    today,
)
from visits.duty_store import Overdue, SchoolFigures
from visits.models import ActivityLog, Incident, IncidentType
from visits.selectors import duty_completion_by_pairing, duty_figures_by_school


def county_rollup(
    *, county: County, semester_code: str, on: dt.date | None = None
) -> list[dict[str, Any]]:
    """One row per school of the county: enrolled students, students identified per category
    in the semester with that code, how many of those have a helper, the aid logged and the
    incidents so far in that semester, the duty periods met out of those come due (as the
    school's dashboard counts them), and the assessment sheets approved. Thirteen queries,
    however many schools, pairings and logs (logs and duties are added up from the stored
    duty status, `visits.duty_store`)."""
    day = on or today()
    schools = list(School.objects.filter(county=county))
    enrolled = dict(
        Student.objects.filter(school__county=county, status=Student.Status.ENROLLED)
        .values_list("school")
        .annotate(n=Count("pk"))
    )
    identifications = Identification.objects.filter(
        student__school__county=county,
        semester__code=semester_code,
        state=Identification.State.APPROVED,
    )
    counts = identified_and_paired(identifications, "student__school", "category", on=day)
    semesters = {
        semester.school_id: semester
        for semester in Semester.objects.filter(school__county=county, code=semester_code)
    }
    # One condition per span of dates, not per school: a county's schools mostly keep the
    # bureau's calendar, and 600 conditions took longer to build than to run.
    schools_by_span: dict[tuple[dt.date, dt.date], list[int]] = {}
    for semester in semesters.values():
        start, end = semester.teaching_dates
        schools_by_span.setdefault((start, min(end, day)), []).append(semester.school_id)
    incident_in_term = Q(pk__in=[])
    for span, school_ids in schools_by_span.items():
        incident_in_term |= Q(student__school_id__in=school_ids, date__range=span)
    incidents = dict(
        Incident.objects.filter(incident_in_term)
        .values_list("student__school")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sheets: dict[int, dict[str, int]] = {}
    for school_id, state, n in (
        Sheet.objects.filter(school__county=county, semester__code=semester_code)
        .values_list("school", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        sheets.setdefault(school_id, {})[state] = n
    figures = duty_figures_by_school(semesters.values(), on=day)
    by_school: dict[int, dict[str, tuple[int, int]]] = {}
    for school_id, category, identified, paired in counts:
        by_school.setdefault(school_id, {})[category] = (identified, paired)
    rows = []
    for school in schools:
        per_category = by_school.get(school.pk, {})
        identified = sum(v[0] for v in per_category.values())
        paired = sum(v[1] for v in per_category.values())
        counted = figures.get(school.pk, SchoolFigures())
        rows.append(
            {
                "school": school,
                "enrolled": enrolled.get(school.pk, 0),
                "categories": [per_category.get(c.value, (0, 0))[0] for c in Category],
                "identified": identified,
                "paired": paired,
                "rate": round(100 * paired / identified) if identified else None,
                "logs": counted.logs,
                "incidents": incidents.get(school.pk, 0),
                "duties_met": counted.met,
                "duties_due": counted.due,
                "duty_rate": round(100 * counted.met / counted.due) if counted.due else None,
                "sheets": sum(sheets.get(school.pk, {}).values()),
                "approved": sheets.get(school.pk, {}).get(Sheet.State.APPROVED, 0),
                "has_semester": school.pk in semesters,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------
# The school dashboard


@dataclass(frozen=True)
class DashboardFilter:
    """What the principal narrowed the dashboard to; None means all."""

    school_class: SchoolClass | None = None
    category: str | None = None
    teacher: Any = None


@dataclass
class Completion:
    """Duty periods met out of those that have come due, for a group of pairings."""

    label: str
    met: int = 0
    due: int = 0
    pairings: int = 0
    overdue: int = 0
    key: str = ""

    @property
    def rate(self) -> int | None:
        return round(100 * self.met / self.due) if self.due else None


@dataclass(frozen=True, slots=True)
class PairingRow:
    """What the dashboard shows of a pairing: a school of 2,000 students has 1,300
    pairings, whose model instances (with their teachers' accounts, profiles, students and
    classes) cost more than the page."""

    pk: int
    category: str
    start: dt.date
    end: dt.date | None
    teacher_id: int
    teacher_name: str
    student_id: int
    student_name: str
    class_id: int | None
    class_name: str | None


def _semester_pairings(
    *, school: School, semester: Semester, chosen: DashboardFilter
) -> QuerySet[Pairing]:
    pairings = Pairing.objects.filter(
        pairing_active_between(*semester.teaching_dates), school=school
    )
    if chosen.school_class is not None:
        pairings = pairings.filter(student__school_class=chosen.school_class)
    if chosen.category:
        pairings = pairings.filter(category=chosen.category)
    if chosen.teacher is not None:
        pairings = pairings.filter(teacher=chosen.teacher)
    return pairings


def _rows(pairings: QuerySet[Pairing]) -> list[PairingRow]:
    fields = ("pk", "category", "start", "end", "teacher_id")
    return [
        PairingRow(pk, category, start, end, teacher_id, name or username, *student)
        for pk, category, start, end, teacher_id, name, username, *student in (
            pairings.values_list(
                *fields,
                *("teacher__profile__name", "teacher__username"),
                *("student_id", "student__name"),
                *("student__school_class_id", "student__school_class__name"),
            ).order_by("teacher__profile__name", "student__name", "category")
        )
    ]


def school_dashboard(
    *, school: School, semester: Semester, chosen: DashboardFilter, on: dt.date | None = None
) -> dict[str, Any]:
    """Everything /dashboard/ shows for a semester, narrowed by class, category and teacher:
    duty completion per category, teacher and class; the overdue list (a running semester
    only); logs per week; incidents; the assessment's progress. A fixed number of queries,
    however large the school."""
    day = on or today()
    # The dates held inside the school year: a row written by hand must not turn the chart
    # into centuries of weeks.
    start, end = semester.teaching_dates
    running = start <= day <= end
    chosen_pairings = _semester_pairings(school=school, semester=semester, chosen=chosen)
    pairings = _rows(chosen_pairings)
    # In a running semester the duties of the pairings active that day; in a finished one
    # of every pairing of the semester.
    counted_pairings = chosen_pairings
    if running:
        counted_pairings = chosen_pairings.filter(pairing_active_between(day, day))
    completion, late = duty_completion_by_pairing(
        pairings=counted_pairings, semester=semester, on=day, overdue=running
    )
    late_by_pairing: dict[int, list[Overdue]] = {}
    for row in late:
        late_by_pairing.setdefault(row.pairing_id, []).append(row)
    counted = pairings
    if running:
        counted = [p for p in pairings if p.start <= day and (p.end is None or p.end >= day)]

    by_category = {
        c.value: Completion(str(CATEGORY_SHORT_LABELS[c]), key=c.value) for c in Category
    }
    by_teacher: dict[int, Completion] = {}
    by_class: dict[int | None, Completion] = {}
    overdue = []
    for pairing in counted:
        met, due = completion.get(pairing.pk, (0, 0))
        pairing_late = late_by_pairing.get(pairing.pk, [])
        groups = (
            by_category[pairing.category],
            by_teacher.setdefault(pairing.teacher_id, Completion(pairing.teacher_name)),
            by_class.setdefault(
                pairing.class_id, Completion(pairing.class_name or str(_("未分班")))
            ),
        )
        for group in groups:
            group.met += met
            group.due += due
            group.pairings += 1
            group.overdue += len(pairing_late)
        overdue += [
            {"pairing": pairing, "rule": s.rule, "since": s.since, "teacher": pairing.teacher_name}
            for s in pairing_late
        ]
    overdue.sort(key=lambda row: (row["since"] or day, row["teacher"]))

    logs = ActivityLog.objects.filter(
        pairing__in=chosen_pairings.order_by().values("pk"),
        withdrawn_at__isnull=True,
        date__range=(start, min(end, day)),
    )
    # Counted per day and added up per week here: a week of the database's own would turn
    # each log's date into a moment in the server's time zone first.
    per_week: dict[dt.date, int] = {}
    for date, n in logs.values_list("date").annotate(n=Count("pk")).order_by():
        monday = date - dt.timedelta(days=date.weekday())
        per_week[monday] = per_week.get(monday, 0) + n
    weeks = []
    monday = start - dt.timedelta(days=start.weekday())
    while monday <= min(end, day):
        weeks.append((monday, per_week.get(monday, 0)))
        monday += dt.timedelta(days=7)

    students = {p.student_id for p in pairings}
    incidents = Incident.objects.filter(student__school=school, date__range=(start, end))
    if chosen.school_class is not None or chosen.category or chosen.teacher is not None:
        incidents = incidents.filter(student__in=students)
    incident_counts = dict(incidents.values_list("type").annotate(n=Count("pk")).order_by())
    sheet_counts = dict(
        Sheet.objects.filter(semester=semester)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "running": running,
        "pairings": len(pairings),
        "students": len(students),
        "teacher_ids": {p.teacher_id for p in pairings},
        "by_category": [c for c in by_category.values() if c.pairings],
        "by_teacher": sorted(by_teacher.values(), key=lambda c: (c.rate is None, c.rate or 0)),
        "by_class": sorted(by_class.values(), key=lambda c: c.label),
        "overdue": overdue,
        "weeks": weeks,
        "logs": sum(n for _week, n in weeks),
        "incidents": [(IncidentType(kind).label, n) for kind, n in sorted(incident_counts.items())],
        "incident_total": sum(incident_counts.values()),
        "sheets": [
            (state.label, state.value, sheet_counts.get(state.value, 0)) for state in Sheet.State
        ],
        "sheet_total": sum(sheet_counts.values()),
    }
