"""The demo's school calendar: holiday weeks and exams for both semesters, and the festivals
a teacher may spend with a left-behind student."""

import datetime as dt

from demo.school import DemoSchool, demo_bulk_create
from demo.texts import texts
from students.models import Semester
from visits import duties
from visits.models import Exam, HolidayWeek
from visits.selectors import calendar_for


def _dates(table: dict[str, list[int]]) -> dict[int, tuple[int, int]]:
    return {int(year): (month, day) for year, (month, day) in table.items()}


# Lunar festivals move every year: (month, day) of 春节, 中秋节 and 端午节. Past the table the
# demo uses typical dates.
_CALENDAR = texts("calendar")
SPRING_FESTIVAL = _dates(_CALENDAR["spring_festival"])
MID_AUTUMN = _dates(_CALENDAR["mid_autumn"])
DRAGON_BOAT = _dates(_CALENDAR["dragon_boat"])
MIDTERM = "期中考试"
FINAL = "期末考试"
ONE_DAY = dt.timedelta(days=1)


def _lunar(table: dict[int, tuple[int, int]], year: int, usual: tuple[int, int]) -> dt.date:
    month, day = table.get(year, usual)
    return dt.date(year, month, day)


def _spring_festival(year: int) -> dt.date:
    return _lunar(SPRING_FESTIVAL, year, (2, 5))


def semester_festivals(semester: Semester) -> list[tuple[dt.date, str]]:
    """The festivals a teacher may spend with a left-behind student in a semester."""
    days = []
    for year in sorted({semester.start.year, semester.end.year}):
        spring = _spring_festival(year)
        days += [
            (dt.date(year, 1, 1), "元旦"),
            (spring, "春节"),
            (spring + dt.timedelta(days=14), "元宵节"),
            (_lunar(DRAGON_BOAT, year, (6, 10)), "端午节"),
            (_lunar(MID_AUTUMN, year, (9, 20)), "中秋节"),
            (dt.date(year, 10, 1), "国庆节"),
        ]
    return sorted((day, name) for day, name in days if semester.contains(day))


def _teaching_week(semester: Semester, number: int) -> dt.date:
    """The Monday of the semester's week `number` (week 1 holds the first weekday)."""
    first = duties.monday_of(semester.start)
    if semester.start.weekday() >= 5:
        first += dt.timedelta(days=7)
    return first + dt.timedelta(days=7 * (number - 1))


def create_calendar(demo: DemoSchool) -> None:
    """Both semesters' holiday weeks (National Day or 劳动节, 春节 when it falls in term, the
    mid-term exam week) and exams: a 月考 or two, 期中考试 in week 9–10, 期末考试 in the last
    two weeks. Weekly duties are not owed in holiday weeks; exam guidance falls due around
    each exam."""
    rng = demo.rng("calendar")
    holidays: dict[dt.date, str] = {}
    exams: list[Exam] = []
    for semester in (demo.previous, demo.current):
        if semester.code.endswith("-1"):
            holidays.setdefault(duties.monday_of(dt.date(semester.start.year, 10, 1)), "国庆节")
        else:
            holidays.setdefault(duties.monday_of(dt.date(semester.end.year, 5, 1)), "劳动节")
        for year in {semester.start.year, semester.end.year}:
            spring = _spring_festival(year)
            if semester.contains(spring):
                holidays.setdefault(duties.monday_of(spring), "春节")
        midterm_week = _teaching_week(semester, rng.choice((9, 10)))
        while midterm_week in holidays:
            midterm_week += dt.timedelta(days=7)
        holidays[midterm_week] = "期中考试周"
        days = [(midterm_week + dt.timedelta(days=rng.choice((2, 3))), MIDTERM)]
        last_days = [
            semester.end - dt.timedelta(days=n)
            for n in range(14)
            if (semester.end - dt.timedelta(days=n)).weekday() < 5
        ]
        final = rng.choice(last_days)
        days.append((final, FINAL))
        # After the final exams the students go home: weekly duties are not owed.
        monday = duties.monday_of(final) + dt.timedelta(days=7)
        while monday <= semester.end:
            holidays.setdefault(monday, "期末考试后放假")
            monday += dt.timedelta(days=7)
        monthly = [("第一次月考", (5, 6)), ("第二次月考", (14, 15))]
        for name, weeks in monthly[: rng.choice((1, 1, 2))]:
            monday = _teaching_week(semester, rng.choice(weeks))
            if monday not in holidays and rng.random() < 0.85:
                days.append((monday + dt.timedelta(days=rng.choice((3, 4))), name))
        for day, name in sorted(days):
            if semester.contains(day):
                exams.append(Exam(school=demo.school, semester=semester, name=name, date=day))
    demo_bulk_create(
        HolidayWeek,
        [HolidayWeek(school=demo.school, monday=m, note=n) for m, n in sorted(holidays.items())],
    )
    demo_bulk_create(Exam, exams)
    demo.exam_names = {exam.date: exam.name for exam in exams}
    demo.calendars = {s.pk: calendar_for(semester=s) for s in (demo.previous, demo.current)}
