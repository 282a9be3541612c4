"""The stored duty status (visits.duty_store) equals a fresh evaluation (duties.evaluate) on
random data: random calendars with holiday weeks and exams, random rules of all five periods,
pairings starting and ending mid-semester, random logs with duplicates and withdrawn ones; on
several days, and again after each kind of change to what the status is counted from."""

import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
from governance.retention import student_erase
from pairing import services as pairing_services
from pairing.models import Pairing
from pairing.services import pairing_create, pairing_end
from students.models import Category, Role, School, Semester, Student
from students.selectors import semester_code_for
from students.services import semester_update
from tests import factories
from tests.helpers import today
from visits import duties, duty_store
from visits.duties import Period
from visits.duty_store import SchoolFigures
from visits.models import ActivityLog, DutyPeriod, DutyStamp, Exam, HolidayWeek, Kind
from visits.rules import (
    duty_rules_reset,
    duty_rules_save,
    exam_add,
    exam_remove,
    holiday_week_add,
    holiday_week_remove,
)
from visits.selectors import (
    calendar_for,
    duty_completion_by_pairing,
    duty_figures_by_school,
    rules_for,
)
from visits.services import log_create, log_update, log_withdraw
from visits.tasks import rebuild_duty_status

KINDS = [k for k in Kind.values if k != Kind.OTHER]
ONE_DAY = dt.timedelta(days=1)
# Every field a log of any kind needs, so that any kind can be logged through the services.
LOG_DATA = {
    "content": "聊了学习和生活",
    "aid_items": "书包",
    "visit_place": "家中",
    "exam_name": "期中",
}


# ---------------------------------------------------------------------------------------
# A random school


def last_school_year() -> str:
    """The school year before the current one: every day of it is in the past."""
    year = int(semester_code_for(today())[:4]) - 1
    return f"{year}-{year + 1}"


def random_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def random_rules(rng: random.Random) -> list[dict[str, Any]]:
    rules = []
    for category in Category.values:
        chosen = set()
        for _ in range(rng.randint(1, 3)):
            kind, period = rng.choice(KINDS), rng.choice(list(Period))
            if (kind, period) in chosen:
                continue
            chosen.add((kind, period))
            rules.append(
                {
                    "category": category,
                    "kind": kind,
                    "period": period.value,
                    "count": rng.randint(1, 3),
                    "title": f"{kind} {period}",
                }
            )
    return rules


def identified(school: School, semester: Semester, category: str) -> Student:
    student = cast(Student, factories.StudentFactory(school=school))
    factories.IdentificationFactory(student=student, semester=semester, category=category)
    return student


def random_span(rng: random.Random, semester: Semester) -> tuple[dt.date, dt.date | None]:
    start, end = semester.teaching_dates
    first = random_day(rng, start - dt.timedelta(days=40), end - dt.timedelta(days=3))
    last = None if rng.random() < 0.5 else first + dt.timedelta(days=rng.randint(0, 120))
    return first, last


def random_logs(rng: random.Random, pairing: Pairing, semester: Semester) -> list[ActivityLog]:
    start, end = semester.teaching_dates
    first = max(pairing.start, start - dt.timedelta(days=10))
    last = min(pairing.end or dt.date.max, end + dt.timedelta(days=10), today())
    logs: list[ActivityLog] = []
    for _ in range(rng.randint(0, 40)):
        if logs and rng.random() < 0.2:  # the same activity sent twice
            day, kind = logs[-1].date, logs[-1].kind
        else:
            day, kind = random_day(rng, first, last), rng.choice(KINDS)
            if rng.random() < 0.05:  # outside the pairing's span (an old row, an import)
                day = pairing.start - dt.timedelta(days=rng.randint(1, 20))
        withdrawn = rng.random() < 0.15
        logs.append(
            ActivityLog(
                pairing=pairing,
                author=pairing.teacher,
                kind=kind,
                date=day,
                **LOG_DATA,
                withdrawn_at=timezone.now() if withdrawn else None,
                withdrawn_reason="重复记录" if withdrawn else "",
            )
        )
    return logs


class World:
    """A school with a past semester, its calendar, rules, pairings and logs."""

    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.school = cast(School, factories.SchoolFactory())
        self.office = factories.make_user(Role.OFFICE, school=self.school)
        year = last_school_year()
        term = rng.choice(["1", "2"])
        self.semester = self._semester(f"{year}-{term}")
        if rng.random() < 0.5:  # the other term too: it bounds the school year
            self.other = self._semester(f"{year}-{'2' if term == '1' else '1'}")
        start, end = self.semester.teaching_dates
        for _ in range(rng.randint(0, 4)):
            day = random_day(rng, start, end)
            if not self._holiday_taken(day):
                holiday_week_add(school=self.school, day=day, note="", by=self.office)
        for n in range(rng.randint(0, 3)):
            day = random_day(rng, start, end)
            if not Exam.objects.filter(school=self.school, date=day).exists():
                exam_add(semester=self.semester, name=f"考试{n}", date=day, by=self.office)
        if rng.random() < 0.7:
            duty_rules_save(school=self.school, rules=random_rules(rng), by=self.office)
        logs = []
        for n in range(rng.randint(4, 9)):
            first, last = random_span(rng, self.semester)
            last = last if n else None  # one open pairing at least
            category = rng.choice(Category.values)
            pairing = Pairing.objects.create(
                school=self.school,
                teacher=factories.make_user(Role.TEACHER, school=self.school),
                student=identified(self.school, self.semester, category),
                category=category,
                start=first,
                end=last,
                end_reason="other" if last else "",
            )
            logs += random_logs(rng, pairing, self.semester)
        # Bulk-written, as the demo seeder writes them: no signals, so the store is rebuilt.
        ActivityLog.objects.bulk_create(logs)
        duty_store.duty_status_rebuild(schools=[self.school])

    def _semester(self, code: str) -> Semester:
        semester = cast(Semester, factories.SemesterFactory(school=self.school, code=code))
        semester.start += dt.timedelta(days=self.rng.randint(0, 10))
        semester.end -= dt.timedelta(days=self.rng.randint(0, 10))
        semester.save()
        return semester

    def _holiday_taken(self, day: dt.date) -> bool:
        return HolidayWeek.objects.filter(
            school=self.school, monday=day - dt.timedelta(days=day.weekday())
        ).exists()

    def pairings(self) -> list[Pairing]:
        return list(Pairing.objects.filter(school=self.school).order_by("pk"))

    def open_pairing(self) -> Pairing:
        return next(p for p in self.pairings() if p.end is None)

    def days(self) -> list[dt.date]:
        """Before, at the start, inside (random days), at the end and after the semester."""
        start, end = self.semester.teaching_dates
        inside = [random_day(self.rng, start, end) for _ in range(4)]
        return [start - 3 * ONE_DAY, start, *inside, end, end + ONE_DAY, end + 20 * ONE_DAY]


# ---------------------------------------------------------------------------------------
# A fresh evaluation, straight from the logs


def evaluated(world: World, day: dt.date, *, to_end: bool) -> dict[int, duties.PairingDuties]:
    calendar = calendar_for(semester=world.semester)
    rules = rules_for(school=world.school)
    logs: dict[int, list[duties.Log]] = defaultdict(list)
    for pairing_id, date, kind in ActivityLog.objects.filter(
        pairing__school=world.school, withdrawn_at__isnull=True
    ).values_list("pairing_id", "date", "kind"):
        logs[pairing_id].append(duties.Log(date, kind))
    on = min(day, calendar.end + ONE_DAY) if to_end else day
    return {
        p.pk: duties.evaluate_pairing(
            rules,
            category=p.category,
            calendar=calendar,
            span=duties.Span(p.start, p.end),
            logs=logs[p.pk],
            today=on,
        )
        for p in world.pairings()
    }


def completion(result: duties.PairingDuties) -> tuple[int, int]:
    return duties.completeness(result.statuses)


def assert_stored_equals_evaluated(world: World) -> None:
    world.semester.refresh_from_db()
    semester, pairings = world.semester, world.pairings()
    start, end = semester.teaching_dates
    for day in world.days():
        for to_end in (False, True):
            stored = duty_store.statuses_for(pairings, semesters=[semester], day=day, to_end=to_end)
            assert stored == evaluated(world, day, to_end=to_end), (day, to_end)
        # The county's figure for the school
        capped = evaluated(world, day, to_end=True)
        if day > end:
            counted = [p for p in pairings if p.start <= end and (p.end is None or p.end >= start)]
        else:
            counted = [p for p in pairings if p.start <= day and (p.end is None or p.end >= day)]
        expected = (
            sum(completion(capped[p.pk])[0] for p in counted),
            sum(completion(capped[p.pk])[1] for p in counted),
        )
        # with the logs dated in the semester so far, of the pairings active in it by then
        so_far = min(end, day)
        active = [p.pk for p in pairings if p.start <= so_far and (p.end is None or p.end >= start)]
        logs = ActivityLog.objects.filter(
            pairing__in=active, withdrawn_at__isnull=True, date__range=(start, so_far)
        ).count()
        figures = duty_figures_by_school([semester], on=day)
        assert figures == (
            {world.school.pk: SchoolFigures(*expected, logs)} if start <= day else {}
        ), day
        # The dashboard's figures per pairing, and the overdue list of a running semester
        running = start <= day <= end
        per_pairing, late = duty_completion_by_pairing(
            pairings=Pairing.objects.filter(pk__in=[p.pk for p in pairings]),
            semester=semester,
            on=day,
            overdue=running,
        )
        assert {pk: v for pk, v in per_pairing.items() if v != (0, 0)} == {
            p.pk: completion(capped[p.pk]) for p in pairings if completion(capped[p.pk]) != (0, 0)
        }, day
        now = evaluated(world, day, to_end=False)
        expected_late = (
            sorted(
                (pk, s.rule.key, s.overdue_since)
                for pk, result in now.items()
                for s in result.statuses
                if s.status is duties.Status.OVERDUE
            )
            if running
            else []
        )
        assert sorted((o.pairing_id, o.rule.key, o.since) for o in late) == expected_late, day


# ---------------------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("seed", range(8))
def test_stored_status_equals_a_fresh_evaluation(db, seed):
    world = World(seed)
    assert DutyStamp.objects.filter(school=world.school).exists()
    assert_stored_equals_evaluated(world)


def log_added(world: World) -> None:
    pairing = world.open_pairing()
    start, end = world.semester.teaching_dates
    day = random_day(world.rng, max(start, pairing.start), min(end, today()))
    for kind in world.rng.sample(KINDS, 3):
        log_create(
            pairing=pairing, by=pairing.teacher, data={**LOG_DATA, "kind": kind, "date": day}
        )


def some_log(world: World) -> ActivityLog:
    logs = list(
        ActivityLog.objects.filter(pairing__school=world.school, withdrawn_at__isnull=True)
        .select_related("pairing")
        .order_by("pk")
    )
    if logs:
        return world.rng.choice(logs)
    pairing = world.open_pairing()
    return ActivityLog.objects.create(
        pairing=pairing,
        author=world.office,
        kind=rule_kind(world, pairing),
        date=max(pairing.start, world.semester.teaching_dates[0]),
        **LOG_DATA,
    )


def log_edited(world: World) -> None:
    log = some_log(world)
    start, _end = log.pairing.start, log.pairing.end
    day = random_day(world.rng, start, min(_end or today(), today()))
    log_update(
        log=log, by=world.office, data={**LOG_DATA, "kind": world.rng.choice(KINDS), "date": day}
    )


def log_withdrawn(world: World) -> None:
    log_withdraw(log=some_log(world), by=world.office, reason="重复记录")


def rule_kind(world: World, pairing: Pairing) -> str:
    """A kind the pairing's rules count, so that a change to its logs shows."""
    kinds = [r.kind for r in rules_for(school=world.school) if r.category == pairing.category]
    return world.rng.choice(kinds or KINDS)


def log_written_elsewhere(world: World) -> None:
    """The admin or a script: plain saves and a delete, no service."""
    pairings = [p for p in world.pairings() if p.end is None]
    first, second = pairings[0], pairings[-1]
    start, end = world.semester.teaching_dates
    for _ in range(3):
        ActivityLog.objects.create(
            pairing=first,
            author=world.office,
            kind=rule_kind(world, first),
            date=random_day(world.rng, max(first.start, start), end),
            content="记录",
        )
    for log in ActivityLog.objects.filter(pairing=second):
        log.delete()


def pairing_created(world: World) -> None:
    category = world.rng.choice(Category.values)
    start, end = world.semester.teaching_dates
    pairing = pairing_create(
        school=world.school,
        teacher=factories.make_user(Role.TEACHER, school=world.school),
        student=identified(world.school, world.semester, category),
        category=category,
        start=random_day(world.rng, start, end),
        by=world.office,
    )
    ActivityLog.objects.bulk_create(random_logs(world.rng, pairing, world.semester))


def pairing_ended(world: World) -> None:
    pairing = world.open_pairing()
    end = random_day(world.rng, pairing.start, world.semester.teaching_dates[1])
    pairing_end(pairing=pairing, end=end, reason="other", by=world.office)


def pairings_imported(world: World) -> None:
    """The pairings import's bulk writes: new pairings, and ends and categories changed."""
    start, end = world.semester.teaching_dates
    new = []
    for _ in range(2):
        category = world.rng.choice(Category.values)
        new.append(
            Pairing(
                school=world.school,
                teacher=factories.make_user(Role.TEACHER, school=world.school),
                student=identified(world.school, world.semester, category),
                category=category,
                start=random_day(world.rng, start - 20 * ONE_DAY, end),
            )
        )
    tracked_bulk_create(Pairing, new, by=world.office, reason=IMPORT_REASON)
    changed = world.pairings()[:3]
    for pairing in changed:
        pairing.end = random_day(world.rng, pairing.start, pairing.start + 90 * ONE_DAY)
        pairing.end_reason = "other"
        pairing.start -= ONE_DAY * world.rng.randint(0, 10)
    tracked_bulk_update(
        Pairing, changed, ["start", "end", "end_reason"], by=world.office, reason=IMPORT_REASON
    )


def holiday_added(world: World) -> None:
    start, end = world.semester.teaching_dates
    for _ in range(8):
        day = random_day(world.rng, start, end)
        if not world._holiday_taken(day):
            holiday_week_add(school=world.school, day=day, note="", by=world.office)


def holiday_removed(world: World) -> None:
    holiday_added(world)
    assert_stored_equals_evaluated(world)
    for holiday in HolidayWeek.objects.filter(school=world.school):
        holiday_week_remove(holiday=holiday, by=world.office)


def exam_added(world: World) -> None:
    start, end = world.semester.teaching_dates
    for _ in range(5):
        day = random_day(world.rng, start, end)
        if not Exam.objects.filter(school=world.school, date=day).exists():
            exam_add(semester=world.semester, name="月考", date=day, by=world.office)
            return


def exam_removed(world: World) -> None:
    exam_added(world)
    exam = world.rng.choice(list(Exam.objects.filter(school=world.school).order_by("pk")))
    exam_remove(exam=exam, by=world.office)


def semester_dates_changed(world: World) -> None:
    semester = world.semester
    semester_update(
        semester=semester,
        start=semester.start + ONE_DAY * world.rng.randint(1, 12),
        end=semester.end - ONE_DAY * world.rng.randint(1, 12),
    )


def other_term_dates_changed(world: World) -> None:
    """The school year's bounds, which yearly rules count in, move with the other term."""
    year = world.semester.code[:9]
    other_code = f"{year}-{'2' if world.semester.code.endswith('1') else '1'}"
    other = world._semester(other_code)
    semester_update(semester=other, start=other.start + ONE_DAY * 3, end=other.end - ONE_DAY * 5)


def rules_saved(world: World) -> None:
    duty_rules_save(school=world.school, rules=random_rules(world.rng), by=world.office)


def rules_reset(world: World) -> None:
    duty_rules_reset(school=world.school, by=world.office)


def student_erased(world: World) -> None:
    pairing = world.pairings()[0]
    student = pairing.student
    Student.objects.filter(pk=student.pk).update(status=Student.Status.GRADUATED, left_on=today())
    student.refresh_from_db()
    student_erase(student=student, by=world.office, reason="家长于本月书面申请删除资料")
    assert not DutyStamp.objects.filter(pairing_id=pairing.pk).exists()


CHANGES: list[Callable[[World], None]] = [
    log_added,
    log_edited,
    log_withdrawn,
    log_written_elsewhere,
    pairing_created,
    pairing_ended,
    pairings_imported,
    holiday_added,
    holiday_removed,
    exam_added,
    exam_removed,
    semester_dates_changed,
    other_term_dates_changed,
    rules_saved,
    rules_reset,
    student_erased,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
@pytest.mark.parametrize("seed", range(3))
def test_stored_status_follows_every_change(db, seed, change):
    # given a random school whose duty status is stored and read
    world = World(seed)
    assert_stored_equals_evaluated(world)
    # when one of the status's inputs changes
    change(world)
    # then what is read from the store still equals a fresh evaluation
    assert_stored_equals_evaluated(world)


def test_a_log_written_through_the_services_is_counted_at_once(db):
    # given a random school with its status stored
    world = World(0)
    pairing = world.open_pairing()
    before = DutyStamp.objects.get(pairing=pairing, semester=world.semester).computed_at
    # when a log is written through the services
    log_added(world)
    # then the pairing's stamp was counted again, before any read
    stamp = DutyStamp.objects.get(pairing=pairing, semester=world.semester)
    assert stamp.computed_at > before
    assert stamp.context


def test_a_fresh_store_is_read_without_reading_logs(db, django_assert_num_queries):
    # given a random school with its status stored
    world = World(1)
    pairings = world.pairings()
    day = world.semester.teaching_dates[0] + 30 * ONE_DAY
    # when the statuses are read: calendar (3), rules, stored rows; no logs
    with django_assert_num_queries(5) as context:
        duty_store.statuses_for(pairings, semesters=[world.semester], day=day)
    assert not any("visits_activitylog" in q["sql"] for q in context.captured_queries)


def test_rebuild_command_counts_one_school_or_all(db):
    # given two random schools with nothing stored
    first, second = World(2), World(3)
    DutyStamp.objects.all().delete()
    # when the command runs for the first school only
    call_command("rebuild_duty_status", "--school", first.school.code, stdout=io.StringIO())
    # then only its pairings are stored, and the second's after a run for all
    assert set(DutyStamp.objects.values_list("school_id", flat=True)) == {first.school.pk}
    call_command("rebuild_duty_status", "--stale-only", stdout=io.StringIO())
    assert set(DutyStamp.objects.values_list("school_id", flat=True)) == {
        first.school.pk,
        second.school.pk,
    }
    assert DutyPeriod.objects.exists()
    assert_stored_equals_evaluated(second)


def test_rebuild_of_the_latest_semester_only(db):
    # given a random school with a past semester and the current one, nothing stored
    world = World(4)
    current = factories.SemesterFactory(school=world.school)
    DutyStamp.objects.all().delete()
    # when only the latest semesters are counted
    counted = duty_store.duty_status_rebuild(schools=[world.school], latest_only=True)
    # then only the current semester has stored status
    assert set(DutyStamp.objects.values_list("semester_id", flat=True)) == {current.pk}
    assert counted == DutyStamp.objects.count()


REBUILD_TASK = "visits.tasks.rebuild_duty_status"


@pytest.mark.parametrize(
    "change",
    [rules_reset, holiday_added, exam_added, semester_dates_changed, pairings_imported],
    ids=lambda change: change.__name__,
)
def test_a_change_for_the_whole_school_queues_its_rebuild(
    db, change, django_capture_on_commit_callbacks
):
    # given a random school with its status stored
    world = World(5)
    # when its rules, calendar or pairings change in bulk
    with django_capture_on_commit_callbacks(execute=True):
        change(world)
        if change is pairings_imported:  # the pairings import sends it after its bulk writes
            pairing_services.pairings_imported.send(sender=Pairing, school=world.school)
    # then the task worker is asked to count the school again
    queued = DBTaskResult.objects.filter(task_path=REBUILD_TASK)
    assert queued.exists()
    assert {r.args_kwargs["kwargs"]["school_id"] for r in queued} == {world.school.pk}


def test_the_rebuild_task_counts_only_what_is_stale(db):
    # given a random school whose rules changed after its status was stored
    world = World(6)
    rules_saved(world)
    stale = DutyStamp.objects.filter(school=world.school).count()
    # when the task worker runs the rebuild
    counted = rebuild_duty_status.call(school_id=world.school.pk)
    # then every stamp was counted again, and nothing more on a second run
    assert counted >= stale > 0
    assert rebuild_duty_status.call(school_id=world.school.pk) == 0
    assert_stored_equals_evaluated(world)
