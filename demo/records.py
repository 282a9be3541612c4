"""The rest of a demo school's records: incidents, scores for both semesters, and this
semester's questionnaires and assessment sheets."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from assessment.models import Questionnaire, Score, Sheet, SheetEvent
from assessment.services import questionnaires_issue, sheets_compute
from demo.school import DemoSchool, demo_bulk_create, demo_bulk_update
from demo.texts import strings, texts
from students.models import Category, Semester, Student
from visits import duties
from visits.models import Incident, IncidentType

# About one incident per 40 students a semester, mostly by problem students.
INCIDENT_RATE = 1 / 40
INCIDENT_WEIGHTS = {
    Category.PROBLEM: 80,
    Category.STRUGGLING: 2,
    Category.LEFT_BEHIND: 2,
    Category.POOR: 1,
}
INCIDENT_TYPES = {
    IncidentType.SKIPPING: 26,
    IncidentType.SERIOUS_BREACH: 18,
    IncidentType.LEAVING_SCHOOL: 14,
    IncidentType.GANG_FIGHT: 12,
    IncidentType.NIGHT_OUT: 10,
    IncidentType.TRUANCY: 8,
    IncidentType.BULLYING: 6,
    IncidentType.RUNNING_AWAY: 3,
    IncidentType.QUITTING: 2,
    IncidentType.DROPPING_OUT: 1,
}
# Incidents that happen out of school hours, on any day.
ANY_DAY_INCIDENTS = (IncidentType.NIGHT_OUT, IncidentType.RUNNING_AWAY)
INCIDENT_NOTES = {
    IncidentType(k): strings(notes) for k, notes in texts("incidents")["incident_notes"].items()
}


def create_incidents(demo: DemoSchool) -> None:
    """A few incidents a semester (逃课、打架、夜不归宿…), mostly by problem students, on a
    school day of the semester up to today, recorded by the class's homeroom teacher (or the
    aid office when the class has none)."""
    rng = demo.rng("incidents")
    last_day = min(demo.today, timezone.localdate())
    now = timezone.now().replace(microsecond=0)
    incidents: list[Incident] = []
    for semester, attribute in ((demo.previous, "previous"), (demo.current, "current")):
        calendar = demo.calendars[semester.pk]
        pupils = [
            p
            for p in demo.pupils
            if (p.in_previous if attribute == "previous" else p.status == Student.Status.ENROLLED)
        ]
        count = sum(1 for _p in pupils if rng.random() < INCIDENT_RATE)
        if attribute == "previous":
            count = max(1, count)  # every school shows one
        weights = [
            max([1] + [INCIDENT_WEIGHTS[Category(c)] for c in getattr(p, attribute)])
            for p in pupils
        ]
        # The one every school shows is a problem student's, when there is one.
        problem = [p for p in pupils if Category.PROBLEM in getattr(p, attribute)]
        seen: set[tuple[int, dt.date]] = set()
        for n in range(min(count, len(pupils))):
            if n == 0 and attribute == "previous" and problem:
                pupil = rng.choice(problem)
            else:
                pupil = rng.choices(pupils, weights)[0]
            kind = rng.choices(list(INCIDENT_TYPES), list(INCIDENT_TYPES.values()))[0]
            day = _incident_day(rng, semester, calendar, any_day=kind in ANY_DAY_INCIDENTS)
            if pupil.student is None or day > last_day or (pupil.student.pk, day) in seen:
                continue  # still to come, if at all
            seen.add((pupil.student.pk, day))
            note = rng.choice(INCIDENT_NOTES[kind]).format(period=rng.randint(5, 7))
            incident = Incident(
                student=pupil.student,
                date=day,
                type=kind,
                note=note,
                recorded_by=pupil.school_class.homeroom_teacher or demo.office,
            )
            incident.created_at = min(
                now,
                dt.datetime.combine(
                    day, dt.time(rng.randint(17, 21), rng.randint(0, 59)),
                    tzinfo=timezone.get_current_timezone(),
                ),
            )  # fmt: skip
            incidents.append(incident)
    demo_bulk_create(Incident, incidents, given_times=True)


def _incident_day(
    rng: random.Random, semester: Semester, calendar: duties.Calendar, *, any_day: bool
) -> dt.date:
    """A day of the semester after its first week, a school day unless `any_day`."""
    first = semester.start + dt.timedelta(days=7)
    span = (semester.end - first).days
    day = first
    for _attempt in range(30):
        day = first + dt.timedelta(days=rng.randint(0, span))
        if any_day or (day.weekday() < 5 and not calendar.is_holiday(day)):
            break
    return day


DEMO_SUBJECTS = ("语文", "数学", "英语")
SUBJECT_FULL_MARKS = 120


def create_scores(demo: DemoSchool) -> None:
    """Scores for both semesters: 语文, 数学 and 英语 out of 120 and their total, for every
    student there that semester (the cohort averages need everyone). Each student has an
    ability that drifts between the semesters; aided students drift a little upwards on
    average (the aid works, mostly) and struggling ones start lower, so the assessment shows
    a believable mix of effective and ineffective pairings."""
    rng = demo.rng("scores")
    scores: list[Score] = []
    for pupil in demo.pupils:
        student = pupil.student
        assert student is not None  # noqa: S101 — set by _create_students
        ability = min(0.97, max(0.2, rng.gauss(0.72, 0.12)))
        if Category.STRUGGLING in pupil.current or Category.STRUGGLING in pupil.previous:
            ability -= 0.18
        drift = rng.gauss(0.07 if pupil.current else 0.0, 0.06)
        for semester, level in ((demo.previous, ability), (demo.current, ability + drift)):
            if semester is demo.previous and not pupil.in_previous:
                continue
            marks = {
                subject: min(
                    Decimal(SUBJECT_FULL_MARKS),
                    max(Decimal(0), Decimal(round(SUBJECT_FULL_MARKS * rng.gauss(level, 0.07)))),
                )
                for subject in DEMO_SUBJECTS
            }
            scores += [
                Score(student=student, semester=semester, subject=subject, score=mark)
                for subject, mark in marks.items()
            ]
            scores.append(
                Score(student=student, semester=semester, subject="", score=sum(marks.values()))
            )
    demo_bulk_create(Score, scores)


QUESTIONNAIRE_COMMENTS = strings(texts("assessment")["questionnaire_comments"])
OFFICE_COMMENTS = strings(texts("assessment")["office_comments"])
ANSWER_FIELDS = [
    *("q1", "q2", "q3", "q4", "q5"),
    *("respondent", "comment", "source", "entered_by", "answered_at", "token_hash"),
]
SUBMIT_FIELDS = ["state", "office_comment", "submitted_by", "submitted_at"]


def create_assessment(demo: DemoSchool) -> None:
    """This semester's questionnaires (about half answered, some typed in from paper) and
    the teachers' assessment sheets: drafts, a third of them submitted to the principal.
    Slips are issued and sheets computed by the assessment services; the answers and the
    submissions are then written in bulk, as questionnaire_answer / questionnaire_enter and
    sheet_submit would leave them (nothing changes in between that a fresh computation of
    the submitted sheets would see), without their one-row-at-a-time queries."""
    rng = demo.rng("assessment")
    issued = questionnaires_issue(school=demo.school, semester=demo.current, by=demo.office)
    now = timezone.now()
    answered = []
    for questionnaire, _token in issued:
        if rng.random() > 0.5:
            continue
        questionnaire.respondent = rng.choice(["student", "parent"])
        ratings = [rng.choices([2, 3, 4, 5], [1, 3, 6, 8])[0] for _n in range(5)]
        (
            questionnaire.q1,
            questionnaire.q2,
            questionnaire.q3,
            questionnaire.q4,
            questionnaire.q5,
        ) = ratings
        questionnaire.comment = rng.choice(QUESTIONNAIRE_COMMENTS) if rng.random() < 0.4 else ""
        if rng.random() < 0.3:
            questionnaire.source = Questionnaire.Source.PAPER
            questionnaire.entered_by = demo.office
        else:
            questionnaire.source = Questionnaire.Source.LINK
        questionnaire.answered_at = now
        # Answered: the one-time link is spent.
        questionnaire.token_hash = None
        answered.append(questionnaire)
    demo_bulk_update(Questionnaire, answered, ANSWER_FIELDS)
    sheets = sheets_compute(school=demo.school, semester=demo.current, by=demo.office)
    submitted = sheets[: len(sheets) // 3]
    now = timezone.now()
    for sheet in submitted:
        sheet.state = Sheet.State.SUBMITTED
        sheet.office_comment = rng.choice(OFFICE_COMMENTS).strip()
        sheet.submitted_by = demo.office
        sheet.submitted_at = now
    demo_bulk_update(Sheet, submitted, SUBMIT_FIELDS)
    SheetEvent.objects.bulk_create(
        SheetEvent(
            sheet=sheet,
            action=SheetEvent.Action.SUBMITTED,
            by=demo.office,
            note=sheet.office_comment,
        )
        for sheet in submitted
    )
