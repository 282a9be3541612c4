"""The stored duty status: each pairing's owed periods in a semester, each with the days an
activity was logged in it (`DutyStamp`, `DutyPeriod`), so that /me/, the student page, the
reminders, the school dashboard and the county page read duty status without reading logs,
and the dashboards add completeness up in SQL.

`visits.duties` stays the one definition of the rules: the rows are `duties.counted_periods`,
and a status on any day is `duties.status_of` over them, exactly what `duties.evaluate` gives.

Stored rows cannot go stale unseen:
- a stamp keeps a digest (`context`) of everything it was counted from other than the logs
  and the pairing: the semester's calendar (teaching dates, holiday weeks, exams, school
  year), the school's rules and this module's version; and the pairing's category, start
  and end. Every read builds the digest from the calendar and rules it reads anyway, and a
  stamp that is missing or whose digest or pairing fields differ is counted again before
  anything is read from it. Rules, calendars, semester dates and pairings (the pairings
  import's bulk writes too) need nothing more to stay right;
- logs: every save or delete of a log empties the context of its pairing's stamps (a signal,
  so the admin and any `save()` count); the log services count the pairing again at once;
  a bulk write that bypasses signals calls `duty_status_rebuild` (the demo seeder does);
- a change of a school's rules, holiday weeks, exams or semester dates queues
  `visits.tasks.rebuild_duty_status` for the school, so that the next read finds little to
  count again.
"""

import datetime as dt
import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pairing.models import Pairing
from students.models import School, Semester
from students.selectors import pairing_active_between, today
from visits import duties
from visits.calendars import calendars_for, rules_by_school
from visits.models import ActivityLog, DutyPeriod, DutyStamp

# Part of every digest: a change to how periods are counted makes every stamp stale.
VERSION = "1"
# An open pairing's end, for comparing ends in SQL (NULL equals nothing there).
NO_END = dt.date.max
BATCH = 2000

Counted = dict[str, tuple[tuple[duties.Window, int], ...]]


@dataclass(frozen=True)
class Scope:
    """What counting and reading need for semesters of several schools (one each)."""

    semesters: dict[int, Semester]  # by school
    calendars: dict[int, duties.Calendar]  # by semester
    rules: dict[int, list[duties.Rule]]  # by school
    contexts: dict[int, str]  # by semester

    @classmethod
    def of(
        cls, semesters: Iterable[Semester], *, rules: dict[int, list[duties.Rule]] | None = None
    ) -> "Scope":
        """Four queries (three when the caller has the rules)."""
        by_school = {s.school_id: s for s in semesters}
        calendars = calendars_for(by_school.values())
        rules = rules or rules_by_school(by_school)
        return cls(
            semesters=by_school,
            calendars=calendars,
            rules=rules,
            contexts={
                s.pk: context_of(s, calendars[s.pk], rules[school_id])
                for school_id, s in by_school.items()
            },
        )

    def after(self, semester: Semester) -> dt.date:
        return duties.shift(self.calendars[semester.pk].end, 1)

    def fresh(self) -> Q:
        """Stamps counted from these semesters' current calendars and rules."""
        return Q(
            semester_id__in=[s.pk for s in self.semesters.values()],
            context__in=list(self.contexts.values()),
        )


def context_of(semester: Semester, calendar: duties.Calendar, rules: Sequence[duties.Rule]) -> str:
    """The digest of a semester's calendar and its school's rules (titles aside: they count
    nothing). The semester's pk is part of it, so that a digest names one semester."""
    key = (
        VERSION,
        semester.pk,
        calendar.start,
        calendar.end,
        sorted(calendar.holidays),
        sorted(calendar.exams),
        calendar.year_start,
        calendar.year_end,
        sorted((r.key, r.category, r.kind, r.period.value, r.count) for r in rules),
    )
    return hashlib.sha256(repr(key).encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# Counting and storing


@dataclass(frozen=True)
class Tally:
    """A pairing's counted periods rule by rule (by key), and the date of each of its logs."""

    periods: Counted
    log_dates: tuple[dt.date, ...]  # sorted

    def logs_between(self, first: dt.date, last: dt.date) -> int:
        return bisect_right(self.log_dates, last) - bisect_left(self.log_dates, first)


def logs_by_pairing(
    pairings: Sequence[Pairing], calendars: Iterable[duties.Calendar], *, using: str | None = None
) -> dict[int, list[duties.Log]]:
    """The pairings' logs (not withdrawn) from the earliest day the calendars count (a
    school year's start for yearly rules), as the evaluators take them. One query."""
    earliest = min(min(c.start, c.year_start or c.start) for c in calendars)
    logs: dict[int, list[duties.Log]] = defaultdict(list)
    rows = (
        ActivityLog.objects.using(using)
        .filter(pairing__in=[p.pk for p in pairings], withdrawn_at__isnull=True)
        .filter(date__gte=earliest)
        .values_list("pairing_id", "date", "kind")
        .order_by()
    )
    for pairing_id, date, kind in rows:
        logs[pairing_id].append(duties.Log(date, kind))
    return logs


def _count(pairings: Sequence[Pairing], scope: Scope) -> dict[int, Tally]:
    """Each pairing's tally from its logs. One query."""
    if not pairings:
        return {}
    # From the primary even where a page reads a replica: what is counted here is stored, and
    # a lagging replica's logs would be stored as current.
    logs = logs_by_pairing(
        pairings, scope.calendars.values(), using=router.db_for_write(ActivityLog)
    )
    tallies: dict[int, Tally] = {}
    for p in pairings:
        semester = scope.semesters[p.school_id]
        calendar = scope.calendars[semester.pk]
        span = duties.Span(p.start, p.end)
        tallies[p.pk] = Tally(
            periods={
                rule.key: duties.counted_periods(
                    rule, calendar=calendar, span=span, logs=logs[p.pk]
                )
                for rule in scope.rules[p.school_id]
                if rule.category == p.category
            },
            log_dates=tuple(sorted(log.day for log in logs[p.pk])),
        )
    return tallies


def _store(pairings: Sequence[Pairing], counted: Mapping[int, Tally], scope: Scope) -> None:
    """Replaces the pairings' stamps for the scope's semesters. When another request stores
    the same pairings at the same time, the first one's rows stay: both counted the same."""
    if not pairings:
        return
    now = timezone.now()
    using = router.db_for_write(DutyStamp)
    try:
        with transaction.atomic(using=using):
            for chunk in _chunks(list(pairings)):
                _store_chunk(chunk, counted, scope, now=now, using=using)
    except IntegrityError:
        pass


def _store_chunk(
    pairings: Sequence[Pairing],
    counted: Mapping[int, Tally],
    scope: Scope,
    *,
    now: dt.datetime,
    using: str,
) -> None:
    semester_ids = [s.pk for s in scope.semesters.values()]
    pks = [p.pk for p in pairings]
    day = today()
    rules = {school_id: {r.key: r for r in rules} for school_id, rules in scope.rules.items()}
    # The periods first, in one statement: the stamps' delete then has none to collect.
    DutyPeriod.objects.using(using).filter(
        stamp__pairing_id__in=pks, stamp__semester_id__in=semester_ids
    ).delete()
    DutyStamp.objects.using(using).filter(pairing_id__in=pks, semester_id__in=semester_ids).delete()
    stamps = []
    for p in pairings:
        semester = scope.semesters[p.school_id]
        calendar = scope.calendars[semester.pk]
        after = scope.after(semester)
        tally = counted[p.pk]
        met, missed = _completeness(tally.periods, rules[p.school_id].values(), on=min(day, after))
        stamps.append(
            DutyStamp(
                pairing_id=p.pk,
                semester_id=semester.pk,
                school_id=p.school_id,
                context=scope.contexts[semester.pk],
                category=p.category,
                start=p.start,
                end=p.end,
                term_start=calendar.start,
                after=after,
                computed_at=now,
                as_of=day,
                met=met,
                missed=missed,
                logs=tally.logs_between(calendar.start, min(calendar.end, day)),
            )
        )
    DutyStamp.objects.using(using).bulk_create(stamps, batch_size=BATCH)
    periods = [
        DutyPeriod(
            stamp_id=stamp.pk,
            rule_key=key,
            start=window.start,
            end=window.end,
            required=rules[stamp.school_id][key].count,
            done=done,
        )
        for stamp in stamps
        for key, counted_periods in counted[stamp.pairing_id].periods.items()
        for window, done in counted_periods
    ]
    DutyPeriod.objects.using(using).bulk_create(periods, batch_size=BATCH)


def _completeness(
    counted: Counted, rules: Iterable[duties.Rule], *, on: dt.date
) -> tuple[int, int]:
    """Periods met and periods ended unmet by a day, over the rules counted."""
    statuses = [duties.status_of(r, counted[r.key], today=on) for r in rules if r.key in counted]
    met, due = duties.completeness(statuses)
    return met, due - met


def _chunks(items: list[Pairing]) -> Iterable[list[Pairing]]:
    for n in range(0, len(items), BATCH):
        yield items[n : n + BATCH]


def _recount(pairings: Sequence[Pairing], scope: Scope) -> dict[int, Tally]:
    """Counts the pairings again and stores what was counted."""
    counted = _count(pairings, scope)
    _store(pairings, counted, scope)
    return counted


def duty_status_mark_stale(*, pairing_ids: Iterable[int]) -> None:
    """Marks the pairings' stored status stale: a log of theirs changed. One query."""
    DutyStamp.objects.filter(pairing_id__in=list(pairing_ids)).update(context="")


def duty_status_refresh(*, pairings: Iterable[Pairing], on: dt.date | None = None) -> None:
    """Counts the pairings again in every semester they have stored status for and in the
    semester running on the day, after a log of theirs was written."""
    pairings = list(pairings)
    if not pairings:
        return
    day = on or today()
    schools = {p.school_id for p in pairings}
    stored = set(
        DutyStamp.objects.filter(pairing__in=[p.pk for p in pairings])
        .values_list("semester_id", flat=True)
        .order_by()
    )
    semesters = {s.pk: s for s in Semester.objects.filter(pk__in=stored)}
    for school_id in schools:
        running = (
            Semester.objects.filter(school_id=school_id, start__lte=day).order_by("-start").first()
        )
        if running is not None:
            semesters.setdefault(running.pk, running)
    for semester in semesters.values():
        scope = Scope.of([semester])
        _recount([p for p in pairings if p.school_id == semester.school_id], scope)


def duty_status_rebuild(
    *,
    schools: Iterable[School] | None = None,
    force: bool = True,
    latest_only: bool = False,
    on: dt.date | None = None,
) -> int:
    """Counts and stores the duty status of every pairing of the schools (all schools when
    none are named) in each of their semesters that has started by the day (with
    `latest_only`, only the latest of them, the one the pages show first); with `force`
    every pairing, else only those whose stored status is missing or stale. For the
    `rebuild_duty_status` command, the task worker and bulk writers of logs (the demo
    seeder). Returns how many pairing-semesters were counted."""
    day = on or today()
    semesters = Semester.objects.filter(start__lte=day).order_by("school_id", "start")
    if schools is not None:
        semesters = semesters.filter(school__in=[s.pk for s in schools])
    chosen_semesters = list(semesters)
    if latest_only:
        chosen_semesters = list({s.school_id: s for s in chosen_semesters}.values())
    total = 0
    for semester in chosen_semesters:
        scope = Scope.of([semester])
        pairings = Pairing.objects.filter(
            pairing_active_between(*semester.teaching_dates), school_id=semester.school_id
        )
        if not force:
            pairings = pairings.filter(~Exists(_fresh_stamp(scope)))
        chosen = list(pairings.only("pk", "school_id", "category", "start", "end").order_by())
        for chunk in _chunks(chosen):
            _recount(chunk, scope)
        total += len(chosen)
    database = connections[router.db_for_write(DutyStamp)]
    if total and database.vendor == "postgresql":
        # Statistics of the rows just written, so that the planner joins them as it should
        # before autovacuum would get round to it.
        with database.cursor() as cursor:
            cursor.execute(f"ANALYZE {DutyStamp._meta.db_table}, {DutyPeriod._meta.db_table}")
    return total


# ---------------------------------------------------------------------------------------
# Reading


def _fresh_stamp(scope: Scope) -> QuerySet[DutyStamp]:
    """The outer pairing's fresh stamp, for `Exists`."""
    return (
        DutyStamp.objects.filter(scope.fresh())
        .annotate(end_or=Coalesce("end", Value(NO_END, output_field=DateField())))
        .filter(
            pairing=OuterRef("pk"),
            category=OuterRef("category"),
            start=OuterRef("start"),
            end_or=Coalesce(OuterRef("end"), Value(NO_END, output_field=DateField())),
        )
    )


def _stale(pairings: QuerySet[Pairing], scope: Scope) -> list[Pairing]:
    """The pairings without a fresh stamp, counted again and stored. One query when there
    are none."""
    stale = list(
        pairings.filter(~Exists(_fresh_stamp(scope)))
        .only("pk", "school_id", "category", "start", "end")
        .order_by()
    )
    for chunk in _chunks(stale):
        _recount(chunk, scope)
    return stale


def _reader(stale: Sequence[Pairing], rolled: int = 0) -> str | None:
    """Where to read stored rows: where they were just written when any were, so that a
    read replica that lags cannot hide them."""
    return router.db_for_write(DutyStamp) if stale or rolled else None


def statuses_for(
    pairings: Iterable[Pairing],
    *,
    semesters: Iterable[Semester],
    day: dt.date,
    to_end: bool = False,
    rules: dict[int, list[duties.Rule]] | None = None,
) -> dict[int, duties.PairingDuties]:
    """Each pairing's duties on a day (with `to_end`, no later than the day after the
    semester of its school), from the stored status. Six queries (five when the caller has
    the rules) when nothing is stale."""
    pairings = list(pairings)
    scope = Scope.of(semesters, rules=rules)
    pairings = [p for p in pairings if p.school_id in scope.semesters]
    if not pairings:
        return {}
    stored: dict[int, tuple[Any, ...]] = {}
    periods: dict[int, dict[str, list[tuple[duties.Window, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    rows = (
        DutyStamp.objects.filter(scope.fresh(), pairing__in=[p.pk for p in pairings])
        .values_list(
            "pairing_id",
            "category",
            "start",
            "end",
            "periods__rule_key",
            "periods__start",
            "periods__end",
            "periods__done",
        )
        .order_by("pairing_id", "periods__rule_key", "periods__start")
    )
    for pairing_id, category, start, end, key, first, last, done in rows:
        stored[pairing_id] = (category, start, end)
        if key is not None:
            periods[pairing_id][key].append((duties.Window(first, last), done))
    stale = [p for p in pairings if stored.get(p.pk) != (p.category, p.start, p.end)]
    counted: dict[int, Mapping[str, Sequence[tuple[duties.Window, int]]]] = dict(periods)
    counted.update((pk, tally.periods) for pk, tally in _recount(stale, scope).items())
    results = {}
    for p in pairings:
        semester = scope.semesters[p.school_id]
        results[p.pk] = duties.pairing_duties_of(
            scope.rules[p.school_id],
            category=p.category,
            periods=counted.get(p.pk, {}),
            today=min(day, scope.after(semester)) if to_end else day,
        )
    return results


def _roll(stamps: QuerySet[DutyStamp], *, day: dt.date) -> int:
    """Moves the stamps' completeness to a day (no later than the day after the semester)
    where it is for another, and their logs counted to that day, in one UPDATE: the first
    read of a day does it, later ones find nothing to move. Returns how many were moved."""
    after = OuterRef("after")
    periods = DutyPeriod.objects.filter(stamp=OuterRef("pk")).order_by().values("stamp")

    def counted(condition: Q) -> Coalesce:
        number = periods.filter(condition).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(number), 0)

    logs = (
        ActivityLog.objects.filter(
            pairing=OuterRef("pairing"),
            withdrawn_at__isnull=True,
            date__gte=OuterRef("term_start"),
            date__lt=after,
            date__lte=day,
        )
        .order_by()
        .values("pairing")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        stamps.exclude(as_of=day)
        .order_by()
        .update(
            as_of=day,
            met=counted(Q(start__lte=day) & Q(start__lte=after) & Q(done__gte=F("required"))),
            missed=counted(Q(end__lt=day) & Q(end__lt=after) & Q(done__lt=F("required"))),
            logs=Coalesce(Subquery(logs), 0),
        )
    )


def _active_in_semester(day: dt.date) -> Q:
    """Stamps of pairings active in their semester by the day."""
    return (
        Q(start__lte=day)
        & Q(start__lt=F("after"))
        & (Q(end__isnull=True) | Q(end__gte=F("term_start")))
    )


def _owing(day: dt.date) -> Q:
    """Stamps of pairings whose duties count on the day: in a running semester those active
    that day; in a finished one those active in it."""
    running = Q(after__gt=day, start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    return running | (Q(after__lte=day) & _active_in_semester(day))


def _matching_pairing() -> Q:
    """Stamps whose copy of the pairing's category and dates is the pairing's."""
    return Q(category=F("pairing__category"), start=F("pairing__start")) & (
        Q(end=F("pairing__end")) | Q(end__isnull=True, pairing__end__isnull=True)
    )


@dataclass(frozen=True)
class SchoolFigures:
    """A school's duty periods met and come due, and its logs, in a semester by a day."""

    met: int = 0
    due: int = 0
    logs: int = 0


def figures_by_school(semesters: Iterable[Semester], *, day: dt.date) -> dict[int, SchoolFigures]:
    """Per school, for semesters of several schools (one each) that have started by the
    day: the duty periods met and come due (in a running semester of the pairings active
    that day, so far; in a finished one of every pairing of the semester, over the whole
    semester) and the logs dated in the semester by the day, of the pairings active in it
    by then. Seven queries when nothing is stale, however many schools, pairings and logs:
    stamps are added up, not periods or logs."""
    semesters = [s for s in semesters if s.teaching_dates[0] <= day]
    if not semesters:
        return {}
    scope = Scope.of(semesters)
    # Every pairing that may have been active in its school's semester by the day (a few
    # more do no harm: their stamps owe nothing); one condition, not one per school.
    maybe_active = Pairing.objects.filter(
        Q(end__isnull=True) | Q(end__gte=min(s.teaching_dates[0] for s in semesters)),
        school_id__in=list(scope.semesters),
        start__lte=day,
    )
    stale = _stale(maybe_active, scope)
    # From here each stamp's own copy of its pairing's and semester's dates decides; a stamp
    # whose copy no longer matches its pairing belongs to one that was not active.
    stamps = DutyStamp.objects.filter(scope.fresh(), _active_in_semester(day))
    rolled = _roll(stamps, day=day)
    owing = _owing(day)
    rows = (
        stamps.using(_reader(stale, rolled))
        .filter(_matching_pairing())
        .values_list("school_id")
        .annotate(
            met=Sum("met", filter=owing),
            missed=Sum("missed", filter=owing),
            logs=Sum("logs"),
        )
        .order_by()
    )
    figures = {}
    for school_id, met, missed, logs in rows:
        figures[school_id] = SchoolFigures(met or 0, (met or 0) + (missed or 0), logs or 0)
    return {s.school_id: figures.get(s.school_id, SchoolFigures()) for s in semesters}


@dataclass(frozen=True)
class Overdue:
    pairing_id: int
    rule: duties.Rule
    since: dt.date


def completion_by_pairing(
    pairings: QuerySet[Pairing], *, semester: Semester, day: dt.date, overdue: bool
) -> tuple[dict[int, tuple[int, int]], list[Overdue]]:
    """For pairings of one school: duty periods met and come due per pairing by the day
    (no later than the day after the semester), and, when asked, the rules overdue that day
    with the day each fell overdue. Eight queries when nothing is stale (seven without the
    overdue rules), however many pairings: they are a subquery, not a list of ids."""
    chosen = pairings.order_by().values("pk")
    scope = Scope.of([semester])
    stale = _stale(Pairing.objects.filter(pk__in=chosen), scope)
    stamps = DutyStamp.objects.filter(scope.fresh(), pairing__in=chosen)
    rolled = _roll(stamps, day=day)
    using = _reader(stale, rolled)
    completion = {
        pairing_id: (met, met + missed)
        for pairing_id, met, missed in stamps.using(using).values_list(
            "pairing_id", "met", "missed"
        )
    }
    if not overdue:
        return completion, []
    same_rule = {"stamp": OuterRef("stamp"), "rule_key": OuterRef("rule_key")}
    # Overdue: the last period that has ended was missed, and the current one is not met.
    late = (
        DutyPeriod.objects.using(using)
        .filter(stamp__in=stamps, end__lt=day, done__lt=F("required"))
        .exclude(
            Exists(DutyPeriod.objects.filter(**same_rule, end__gt=OuterRef("end"), end__lt=day))
        )
        .exclude(
            Exists(
                DutyPeriod.objects.filter(
                    **same_rule, start__lte=day, end__gte=day, done__gte=F("required")
                )
            )
        )
        .values_list("stamp__pairing_id", "rule_key", "end")
        .order_by()
    )
    rules = {r.key: r for r in scope.rules[semester.school_id]}
    return completion, [
        Overdue(pairing_id, rules[key], duties.shift(end, 1))
        for pairing_id, key, end in late
        if key in rules
    ]
