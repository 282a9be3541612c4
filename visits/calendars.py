"""The inputs of the duty evaluators that a school keeps: its rule set and its calendar
(the semester's teaching dates, holiday weeks, exams and the school year)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from students.models import Semester, semester_default_dates
from visits import duties
from visits.models import DutyRule, Exam, HolidayWeek

# A week that starts up to six days before the semester reaches into it.
WEEK_BACK = dt.timedelta(days=6)


def rules_by_school(school_ids: Iterable[int]) -> dict[int, list[duties.Rule]]:
    """Each school's rule set (its own when edited, else the defaults). One query."""
    school_ids = list(school_ids)
    own: dict[int, list[duties.Rule]] = defaultdict(list)
    for r in DutyRule.objects.filter(school__in=school_ids):
        own[r.school_id].append(
            duties.Rule(
                category=r.category,
                kind=r.kind,
                period=duties.Period(r.period),
                count=r.count,
                title=r.title,
                key=str(r.pk),
            )
        )
    return {pk: own.get(pk) or list(duties.DEFAULT_RULES) for pk in school_ids}


def _school_year(semester: Semester) -> str | None:
    try:
        semester_default_dates(semester.code)
    except ValueError:
        return None
    return semester.code[:9]


def _year_bounds(
    semester: Semester, terms: dict[tuple[int, str], Semester]
) -> tuple[dt.date, dt.date]:
    """The school year of a semester: from its term 1's start to its term 2's end (`terms` by
    school and code), using the default dates for a term the school has not entered. Each
    term's dates as `Semester.teaching_dates` holds them inside the school year."""
    year = _school_year(semester)
    if year is None:
        return semester.teaching_dates
    first = terms.get((semester.school_id, f"{year}-1"))
    second = terms.get((semester.school_id, f"{year}-2"))
    start = first.teaching_dates[0] if first else semester_default_dates(f"{year}-1")[0]
    end = second.teaching_dates[1] if second else semester_default_dates(f"{year}-2")[1]
    return start, end


def calendars_for(semesters: Iterable[Semester]) -> dict[int, duties.Calendar]:
    """`calendar_for` for several semesters (of one school or many) at once, by semester
    pk. Three queries, however many semesters."""
    semesters = list(semesters)
    if not semesters:
        return {}
    # One condition per school year and one date range, not one per school: a county's
    # schools share a few school years, and each semester keeps its own weeks below.
    schools_by_year: dict[str, set[int]] = defaultdict(set)
    for semester in semesters:
        year = _school_year(semester)
        if year is not None:
            schools_by_year[year].add(semester.school_id)
    same_year = Q(pk__in=[])
    for year, school_ids in schools_by_year.items():
        same_year |= Q(school_id__in=sorted(school_ids), code__startswith=year)
    terms = {(s.school_id, s.code): s for s in Semester.objects.filter(same_year).order_by()}
    dates = [semester.teaching_dates for semester in semesters]
    holidays: dict[int, set[dt.date]] = defaultdict(set)
    for school_id, monday in (
        HolidayWeek.objects.filter(
            school_id__in={semester.school_id for semester in semesters},
            monday__range=(
                min(start for start, _end in dates) - WEEK_BACK,
                max(e for _s, e in dates),
            ),
        )
        .values_list("school_id", "monday")
        .order_by()
    ):
        holidays[school_id].add(monday)
    exams: dict[int, list[dt.date]] = defaultdict(list)
    for semester_id, date in (
        Exam.objects.filter(semester__in=semesters).values_list("semester_id", "date").order_by()
    ):
        exams[semester_id].append(date)
    calendars = {}
    for semester in semesters:
        year_start, year_end = _year_bounds(semester, terms)
        start, end = semester.teaching_dates
        window = (start - WEEK_BACK, end)
        calendars[semester.pk] = duties.Calendar(
            start=start,
            end=end,
            holidays=frozenset(
                m for m in holidays[semester.school_id] if window[0] <= m <= window[1]
            ),
            exams=tuple(exams[semester.pk]),
            year_start=year_start,
            year_end=year_end,
        )
    return calendars
