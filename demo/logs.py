"""The demo's activity logs: per pairing, the duties of the rules done with the uneven
diligence of real teachers, on plausible days, entered on plausible evenings."""

import datetime as dt
from itertools import accumulate
from typing import Any

from django.utils import timezone

from demo.log_texts import Helping, LogText
from demo.school import DemoSchool, demo_bulk_create
from demo.school_calendar import MIDTERM, ONE_DAY, semester_festivals
from demo.texts import strings, texts
from students.models import Category, Semester
from visits import duties
from visits.models import ActivityLog, Kind, State

# Share of teachers who keep up with half of their duties only.
SLOPPY_SHARE = 0.12
# Of the logs, about this share was entered twice and the copy withdrawn.
WITHDRAWN_SHARE = 0.005
WITHDRAWN_REASONS = strings(texts("logs")["withdrawn_reasons"])
# Mon…Sun: school-day activities, home visits (mostly weekends) and calls to parents who work
# far away (evenings, any day).
WEEKDAY_WEIGHTS = {
    "school": (10, 10, 10, 10, 8, 0, 1),
    "home": (1, 1, 1, 1, 3, 10, 8),
    "call": (5, 5, 5, 5, 6, 6, 8),
}
KIND_STYLE = {Kind.HOME_VISIT: "home", Kind.PARENT_CONTACT: "call"}
DURATIONS = {
    Kind.TALK: (15, 40),
    Kind.PARENT_CONTACT: (8, 25),
    Kind.HOME_VISIT: (60, 150),
    Kind.TUTORING: (30, 60),
    Kind.EXAM_GUIDANCE: (30, 50),
    Kind.MATERIAL_AID: (15, 30),
    Kind.LETTER: (30, 45),
    Kind.FESTIVAL: (60, 180),
    Kind.EXCHANGE: (10, 20),
    Kind.PROGRESS_REVIEW: (20, 40),
    Kind.OTHER: (20, 90),
}
# Where a pairing's student starts (0 poor, 1 fair, 2 good): study, life, mood.
BASE_STATES = {
    Category.LEFT_BEHIND: (1.2, 1.3, 1.0),
    Category.POOR: (1.2, 0.9, 1.2),
    Category.STRUGGLING: (0.4, 1.4, 1.2),
    Category.PROBLEM: (0.5, 1.2, 0.7),
}


class _LogWriter:
    """Writes a school's activity logs: per pairing, per owed period of each duty rule, done
    with the teacher's diligence on a plausible day, never after the last day."""

    def __init__(self, demo: DemoSchool) -> None:
        self.demo = demo
        self.rng = demo.rng("logs")
        self.last_day = min(demo.today, timezone.localdate())
        self.now = timezone.now().replace(microsecond=0)
        self.zone = timezone.get_current_timezone()
        self.logs: list[ActivityLog] = []
        # Many pairings share their dates: the owed periods are worked out once for each.
        self.owed: dict[tuple[dt.date, duties.Period, dt.date, dt.date | None], Any] = {}
        self.candidates: dict[tuple[Any, ...], tuple[list[dt.date], list[float]]] = {}
        self.holiday_days = {
            monday + dt.timedelta(days=n)
            for calendar in demo.calendars.values()
            for monday in calendar.holidays
            for n in range(7)
        }

    # The teachers' diligence, then every pairing's duties.
    def write(self) -> list[ActivityLog]:
        rng = self.rng
        teachers = self.demo.teachers
        sloppy = {t.pk for t in rng.sample(teachers, max(1, round(SLOPPY_SHARE * len(teachers))))}
        diligence = {
            t.pk: rng.uniform(0.4, 0.6) if t.pk in sloppy else rng.uniform(0.8, 0.95)
            for t in teachers
        }
        pupils = {p.student.pk: p for p in self.demo.pupils if p.student is not None}
        rules = [r for r in duties.DEFAULT_RULES if r.period is not duties.Period.YEAR]
        for pairing in self.demo.pairings:
            pupil = pupils[pairing.student_id]
            assert pupil.student is not None  # noqa: S101 — set by _create_students
            base = BASE_STATES[Category(pairing.category)]
            helping = Helping(
                pairing=pairing,
                pupil=pupil,
                student=pupil.student,
                diligence=min(1.0, diligence[pairing.teacher_id] + rng.uniform(-0.05, 0.05)),
                base=(
                    base[0] + rng.uniform(-0.4, 0.4),
                    base[1] + rng.uniform(-0.4, 0.4),
                    base[2] + rng.uniform(-0.4, 0.4),
                ),
                drift=rng.uniform(-0.2, 0.8),
                homeroom=pupil.school_class.homeroom_teacher,
            )
            span = duties.Span(pairing.start, pairing.end)
            for semester in (self.demo.previous, self.demo.current):
                calendar = self.demo.calendars[semester.pk]
                for rule in rules:
                    if rule.category == pairing.category:
                        self._rule(helping, semester, calendar, span, rule)
                if rng.random() < 0.3:
                    window = duties.Window(semester.start, semester.end)
                    day = self._day(window, span, calendar, Kind.OTHER)
                    if day is not None:
                        self._add(helping, semester, Kind.OTHER, day)
            if pairing.category == Category.LEFT_BEHIND:
                self._festivals(helping, span)
        self._withdraw_some()
        return self.logs

    def _rule(
        self,
        helping: Helping,
        semester: Semester,
        calendar: duties.Calendar,
        span: duties.Span,
        rule: duties.Rule,
    ) -> None:
        rng = self.rng
        kind = Kind(rule.kind)
        if rule.period is duties.Period.EXAM:
            self._exam_guidance(helping, semester, calendar, span)
            return
        chance = helping.diligence
        if rule.period is duties.Period.SEMESTER:
            # Concrete, checked at the assessment: even the sloppy mostly manage these.
            chance = min(1.0, chance + 0.08)
        # Which periods are owed depends on the days of the semester the pairing ran: its
        # span cut to the semester, shared by most pairings, gives the same periods.
        within = duties.Span(
            max(span.start, calendar.start),
            None if span.end is None or span.end >= calendar.end else span.end,
        )
        key = (calendar.start, rule.period, within.start, within.end)
        if key not in self.owed:
            self.owed[key] = duties.owed_periods(rule.period, calendar=calendar, span=within)
        for window in self.owed[key]:
            if rng.random() >= chance:
                continue
            early = rule.period is duties.Period.SEMESTER
            day = self._day(window, span, calendar, kind, early=early)
            if day is not None:
                self._add(helping, semester, kind, day)
            # Now and then a second one in the same week.
            if rule.period is duties.Period.WEEK and rng.random() < 0.05:
                day = self._day(window, span, calendar, kind)
                if day is not None:
                    self._add(helping, semester, kind, day)

    def _exam_guidance(
        self,
        helping: Helping,
        semester: Semester,
        calendar: duties.Calendar,
        span: duties.Span,
    ) -> None:
        """Review before each exam and, mostly, the paper's analysis after it."""
        rng = self.rng
        previous: dt.date | None = None
        for exam in sorted(calendar.exams):
            earliest = max(semester.start, span.start, (previous or exam) + ONE_DAY)
            previous = exam
            if exam not in span or rng.random() >= helping.diligence:
                continue
            name = self.demo.exam_names.get(exam, MIDTERM)
            before = exam - dt.timedelta(days=rng.randint(1, 6))
            if before >= earliest and before <= self.last_day and rng.random() < 0.85:
                self._add(helping, semester, Kind.EXAM_GUIDANCE, before, exam=name, after=False)
            after = exam + dt.timedelta(days=rng.randint(2, 8))
            analysed = rng.random() < 0.8
            if analysed and after in span and semester.contains(after) and after <= self.last_day:
                self._add(helping, semester, Kind.EXAM_GUIDANCE, after, exam=name, after=True)

    def _festivals(self, helping: Helping, span: duties.Span) -> None:
        """One festival a school year spent with a left-behind student, on or just before
        the day (the day itself is often a holiday)."""
        rng = self.rng
        by_year: dict[str, list[tuple[dt.date, str, Semester]]] = {}
        for semester in (self.demo.previous, self.demo.current):
            for day, name in semester_festivals(semester):
                day -= dt.timedelta(days=rng.choice((0, 0, 1)))
                if day in span and semester.contains(day):
                    by_year.setdefault(semester.code[:9], []).append((day, name, semester))
        for candidates in by_year.values():
            if rng.random() >= min(1.0, helping.diligence + 0.05):
                continue
            weights = [{"中秋节": 5, "元旦": 3, "春节": 2}.get(n, 1) for _d, n, _s in candidates]
            day, name, semester = rng.choices(candidates, weights)[0]
            if day <= self.last_day:
                self._add(helping, semester, Kind.FESTIVAL, day, festival=name)

    def _day(
        self,
        window: duties.Window,
        span: duties.Span,
        calendar: duties.Calendar,
        kind: Kind,
        *,
        early: bool = False,
    ) -> dt.date | None:
        """A plausible day in the window while the pairing ran (school days for school
        activities, weekends for home visits), or None when it falls after the last day:
        the period's duty is still to come. Semester duties lean to the first half."""
        style = KIND_STYLE.get(kind, "school")
        # Only where the window is cut by the pairing or the semester do the candidates
        # differ: most pairings share them, worked out once.
        first = max(window.start, span.start, calendar.start)
        last = min(window.end, calendar.end, span.end or window.end)
        key = (window, first, last, style, early)
        if key not in self.candidates:
            self.candidates[key] = self._candidates(window, first, last, style, early=early)
        days, cumulative = self.candidates[key]
        if not days:
            return None
        # The same draw as rng.choices(days, weights), its running sums made once.
        day = self.rng.choices(days, cum_weights=cumulative)[0]
        return day if day <= self.last_day else None

    def _candidates(
        self, window: duties.Window, first: dt.date, last: dt.date, style: str, *, early: bool
    ) -> tuple[list[dt.date], list[float]]:
        """The days from `first` to `last` that may be drawn in the window, with the running
        sums of their weights."""
        weights = WEEKDAY_WEIGHTS[style]
        days: list[dt.date] = []
        scores: list[float] = []
        length = max(1, (window.end - window.start).days)
        for day in window.days():
            if not first <= day <= last:
                continue
            weight: float = weights[day.weekday()]
            if style == "school" and day in self.holiday_days:
                weight = 0.1
            if early:
                weight *= 1.3 - (day - window.start).days / length
            if weight > 0:
                days.append(day)
                scores.append(weight)
        return days, list(accumulate(scores))

    def _add(
        self,
        helping: Helping,
        semester: Semester,
        kind: Kind,
        day: dt.date,
        *,
        exam: str = "",
        after: bool = False,
        festival: str = "",
    ) -> None:
        rng = self.rng
        pairing = helping.pairing
        low, high = DURATIONS[kind]
        progress = (day - pairing.start).days / 300
        study, life, mood = (
            _state(level + helping.drift * progress + rng.gauss(0, 0.45)) for level in helping.base
        )
        log = ActivityLog(
            pairing=pairing,
            author=pairing.teacher,
            kind=kind,
            date=day,
            duration_minutes=rng.randint(low, high) if rng.random() < 0.9 else None,
        )
        text = LogText(
            rng=rng, helping=helping, semester=semester, day=day, study=study, life=life, mood=mood
        )
        text.fill(log, exam=exam, after=after, festival=festival)
        log.created_at = self._entered(day)
        log.updated_at = log.created_at
        self.logs.append(log)

    def _entered(self, day: dt.date) -> dt.datetime:
        """Entered the same evening, now and then a day or two later; never after now."""
        rng = self.rng
        later = rng.choice((1, 2)) if rng.random() < 0.15 else 0
        moment = dt.datetime.combine(
            day + dt.timedelta(days=later),
            dt.time(rng.randint(18, 22), rng.randint(0, 59)),
            tzinfo=self.zone,
        )
        if moment > self.now:
            moment = self.now - dt.timedelta(minutes=rng.randint(1, 90))
        return moment

    def _withdraw_some(self) -> None:
        """A handful of logs were entered twice (or with a wrong date) and the copy withdrawn
        by its author within the edit window."""
        rng = self.rng
        if not self.logs:
            return
        count = max(1, round(WITHDRAWN_SHARE * len(self.logs)))
        for original in rng.sample(self.logs, min(count, len(self.logs))):
            reason = rng.choice(WITHDRAWN_REASONS)
            copy = ActivityLog(
                **{
                    f.attname: getattr(original, f.attname)
                    for f in ActivityLog._meta.concrete_fields
                    if not f.primary_key
                }
            )
            if "重新录入" in reason:
                # The faulty one came first; withdrawn just before entering it again.
                entered = original.created_at - dt.timedelta(minutes=rng.randint(6, 40))
                withdrawn = original.created_at - dt.timedelta(minutes=rng.randint(1, 5))
                pairing = original.pairing
                wrong = original.date + dt.timedelta(days=rng.choice((-1, 1)))
                if "日期" in reason and wrong in duties.Span(pairing.start, pairing.end):
                    copy.date = min(wrong, self.last_day)
            else:
                entered = min(
                    self.now, original.created_at + dt.timedelta(minutes=rng.randint(1, 30))
                )
                withdrawn = min(self.now, entered + dt.timedelta(minutes=rng.randint(5, 600)))
            copy.created_at, copy.updated_at = entered, withdrawn
            copy.withdrawn_at, copy.withdrawn_reason = withdrawn, reason
            self.logs.append(copy)


def _state(level: float) -> str:
    if level < 0.67:
        return State.POOR
    if level < 1.34:
        return State.FAIR
    return State.GOOD


def create_logs(demo: DemoSchool) -> None:
    """Activity logs for every pairing, over the part of both semesters it ran, up to today,
    following the duty rules as real teachers do: most keep up with 80–95% of their duties,
    a few with about half. The times they were entered follow the dates (evenings), so the
    7-day edit window looks as it would."""
    logs = _LogWriter(demo).write()
    demo_bulk_create(ActivityLog, logs, given_times=True)
