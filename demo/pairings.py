"""The demo's pairings: who helps whom, since when, and why the ended ones ended."""

import datetime as dt
import random
from typing import Any

from demo.school import DemoSchool, Pupil, approval_day, demo_bulk_create, in_category_order
from demo.texts import strings, texts
from pairing.models import Pairing
from students.models import Category, Semester, Student

# A teacher helps at most this many students at once (一对多, within reason).
TEACHER_CAPACITY = 6
# Share of the semester's identified students left without a helper, so that the
# dashboards' "unpaired" figures have something to show.
UNPAIRED_SHARE = 0.05

_PAIRINGS = texts("pairings")
GOALS = {Category(k): strings(goals) for k, goals in _PAIRINGS["goals"].items()}
STRUGGLING_GOALS_OVERALL = strings(_PAIRINGS["struggling_goals_overall"])
MEASURES = {Category(k): strings(measures) for k, measures in _PAIRINGS["measures"].items()}


def create_pairings(demo: DemoSchool) -> None:
    """Pairings for the identifications: continuing ones started last semester, new ones this
    semester, some left without a helper yet; those who left a category (or the school) have
    last semester's pairing ended with the reason. Teachers help up to six students, and a
    student in two categories often has two different helpers."""
    rng = demo.rng("pairings")
    assigner = _Assigner(demo=demo, rng=rng)
    tracks = [
        (i, p, c)
        for i, p in enumerate(demo.pupils)
        for c in in_category_order([*p.previous, *p.current])
    ]
    unpaired = _choose_unpaired(demo, rng, tracks)
    # Students in several categories first, while every teacher can still take them.
    order = sorted(
        range(len(demo.pupils)), key=lambda i: (-len(demo.pupils[i].current), rng.random())
    )
    rank = {index: position for position, index in enumerate(order)}
    tracks.sort(key=lambda track: rank[track[0]])
    for index, pupil, category in tracks:
        was, still = category in pupil.previous, category in pupil.current
        if (index, category) in unpaired:
            if was:
                # The helper of last semester left the school over the holidays.
                start = _pairing_start(demo, demo.previous, rng)
                pairing = _pairing(demo, rng, pupil, category, rng.choice(demo.teachers), start)
                pairing.end, pairing.end_reason = demo.previous.end, Pairing.EndReason.OTHER
                demo.pairings.append(pairing)
            continue
        if was and still:
            teacher = assigner.open_for(index, pupil, category)
            start = _pairing_start(demo, demo.previous, rng)
            if rng.random() < 0.04:
                _add_teacher_change(demo, rng, pupil, category, successor=teacher, start=start)
                continue
            demo.pairings.append(_pairing(demo, rng, pupil, category, teacher, start))
        elif was:
            reason = (
                Pairing.EndReason.TRANSFERRED
                if pupil.status == Student.Status.TRANSFERRED
                else Pairing.EndReason.LEFT_CATEGORY
            )
            start = _pairing_start(demo, demo.previous, rng)
            end = demo.previous.end
            if reason == Pairing.EndReason.TRANSFERRED:
                end -= dt.timedelta(days=rng.randint(0, 40))
            pairing = _pairing(demo, rng, pupil, category, rng.choice(demo.teachers), start)
            pairing.end, pairing.end_reason = end, reason
            demo.pairings.append(pairing)
        else:
            teacher = assigner.open_for(index, pupil, category)
            start = _pairing_start(demo, demo.current, rng)
            demo.pairings.append(_pairing(demo, rng, pupil, category, teacher, start))
    demo_bulk_create(Pairing, demo.pairings)


def _choose_unpaired(
    demo: DemoSchool, rng: random.Random, tracks: list[tuple[int, Pupil, str]]
) -> set[tuple[int, str]]:
    """About 5% of this semester's identifications, taken from the newly identified first
    (they are the ones still waiting for a helper); in term 2 there may be too few of them,
    and then some students lost last semester's helper."""
    current = [(i, c) for i, p, c in tracks if c in p.current]
    new = [(i, c) for i, p, c in tracks if c in p.current and c not in p.previous]
    wanted = round(UNPAIRED_SHARE * len(current)) or (1 if len(current) >= 10 else 0)
    chosen = rng.sample(new, min(wanted, len(new)))
    continuing = [track for track in current if track not in new]
    chosen += rng.sample(continuing, min(wanted - len(chosen), len(continuing)))
    return set(chosen)


def _pairing_start(demo: DemoSchool, semester: Semester, rng: random.Random) -> dt.date:
    return min(
        demo.today, approval_day(demo, semester, rng) + dt.timedelta(days=rng.randint(0, 10))
    )


def _add_teacher_change(
    demo: DemoSchool,
    rng: random.Random,
    pupil: Pupil,
    category: str,
    *,
    successor: Any,
    start: dt.date,
) -> None:
    """A helper who left the pairing early this semester, replaced by another teacher."""
    predecessor = rng.choice([t for t in demo.teachers if t is not successor])
    handover = min(demo.today, demo.current.start + dt.timedelta(days=rng.randint(0, 14)))
    ended = _pairing(demo, rng, pupil, category, predecessor, start)
    ended.end, ended.end_reason = handover, Pairing.EndReason.TEACHER_CHANGE
    demo.pairings.append(ended)
    demo.pairings.append(_pairing(demo, rng, pupil, category, successor, handover))


def _pairing(
    demo: DemoSchool,
    rng: random.Random,
    pupil: Pupil,
    category: str,
    teacher: Any,
    start: dt.date,
) -> Pairing:
    subject = pupil.subject if category == Category.STRUGGLING else ""
    goals = GOALS[Category(category)]
    if category == Category.STRUGGLING and not subject:
        goals = STRUGGLING_GOALS_OVERALL
    return Pairing(
        school=demo.school,
        teacher=teacher,
        student=pupil.student,
        category=category,
        subject=subject,
        start=start,
        goals=rng.choice(goals).format(subject=subject),
        measures=rng.choice(MEASURES[Category(category)]),
        created_by=demo.office,
    )


class _Assigner:
    """Chooses helpers for open pairings, keeping each teacher at six students or fewer."""

    def __init__(self, *, demo: DemoSchool, rng: random.Random) -> None:
        self.demo = demo
        self.rng = rng
        self.load: dict[int, set[int]] = {t.pk: set() for t in demo.teachers}
        self.helpers: dict[int, list[Any]] = {}
        self.two_helpers_seen = False

    def open_for(self, index: int, pupil: Pupil, category: str) -> Any:
        helpers = self.helpers.setdefault(index, [])
        if helpers:
            # 多帮一: at least one student surely gets a second helper.
            if self.two_helpers_seen and self.rng.random() < 0.5:
                teacher = helpers[0]
            else:
                teacher = self._choose(pupil, category, avoid=helpers)
                self.two_helpers_seen = self.two_helpers_seen or teacher not in helpers
        else:
            teacher = self._choose(pupil, category, avoid=[])
        if teacher not in helpers:
            helpers.append(teacher)
        self.load[teacher.pk].add(index)
        return teacher

    def _choose(self, pupil: Pupil, category: str, *, avoid: list[Any]) -> Any:
        others = [t for t in self.demo.teachers if t not in avoid] or self.demo.teachers
        free = [t for t in others if len(self.load[t.pk]) < TEACHER_CAPACITY] or others
        if category == Category.STRUGGLING and pupil.subject:
            # A teacher of the subject tutors it best.
            by_subject = [t for t in free if pupil.subject in t.profile.subjects]
            free = by_subject or free
        homeroom = pupil.school_class.homeroom_teacher
        if (
            category in (Category.LEFT_BEHIND, Category.PROBLEM)
            and homeroom in free
            and self.rng.random() < 0.35
        ):
            return homeroom
        lightest = min(len(self.load[t.pk]) for t in free)
        return self.rng.choice([t for t in free if len(self.load[t.pk]) <= lightest + 1])
