"""Fetch → score: the facts of a school's semester from the database, run through the pure
rules of assessment.scoring."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q

from assessment import scoring
from assessment.models import Score
from pairing.models import Pairing
from students.models import School, Semester, Student
from students.selectors import previous_semester_code
from visits.models import INCIDENT_REASONS, Incident, IncidentType


def _scores(semester: Semester | None) -> dict[str, scoring.Scores]:
    """A semester's scores per subject ("" = total), with every scored student's cohort:
    the cohort averages count all students with a score, aided or not."""
    if semester is None:
        return {}
    by_subject: dict[str, dict[str, Decimal]] = defaultdict(dict)
    cohort_of: dict[str, object] = {}
    rows = Score.objects.filter(semester=semester).values_list(
        "subject", "student__student_no", "student__cohort__entry_year", "score"
    )
    for subject, student_no, entry_year, score in rows:
        by_subject[subject][student_no] = score
        cohort_of[student_no] = entry_year
    return {
        subject: scoring.Scores(by_student=scores, cohort_of=cohort_of)
        for subject, scores in by_subject.items()
    }


def assessment_results(*, school: School, semester: Semester) -> list[scoring.TeacherResult]:
    """Every teacher's assessment for the semester, computed from the current records (five
    queries, however large the school)."""
    period = scoring.Period(semester.start, semester.end)
    pairings = (
        Pairing.objects.filter(school=school, start__lte=semester.end)
        .filter(Q(end__isnull=True) | Q(end__gte=semester.start))
        .select_related("teacher", "student")
        .order_by("teacher__username", "student__student_no", "category", "start")
    )
    facts = [
        scoring.PairingFacts(
            key=p.pk,
            teacher=p.teacher.username,
            student=p.student.student_no,
            category=p.category,
            start=p.start,
            end=p.end,
            subject=p.subject,
        )
        for p in pairings
    ]
    incidents = [
        scoring.Incident(student=student_no, day=day, reason=INCIDENT_REASONS[IncidentType(kind)])
        for student_no, day, kind in Incident.objects.filter(
            student__school=school, date__range=(semester.start, semester.end)
        ).values_list("student__student_no", "date", "type")
    ]
    previous = Semester.objects.filter(
        school=school, code=previous_semester_code(semester.code)
    ).first()
    cohort_of = dict(
        Student.objects.filter(school=school).values_list("student_no", "cohort__entry_year")
    )
    return scoring.assess(
        facts,
        semester=period,
        incidents=incidents,
        now=_scores(semester),
        before=_scores(previous),
        cohort_of=cohort_of,
    )


def assessment_json(*, school: School, semester: Semester) -> dict[str, Any]:
    """The `assess --json` contract (DESIGN "Contracts")."""
    return {
        "school": school.code,
        "semester": semester.code,
        "teachers": [
            {
                "teacher": teacher.teacher,
                "points": teacher.points,
                "pairings": [
                    {
                        "student": result.facts.student,
                        "category": result.facts.category,
                        "status": str(result.status),
                        "reasons": result.reasons,
                        "progress_ratio": scoring.format_ratio(result.ratio.value),
                        "points": result.points,
                    }
                    for result in teacher.pairings
                ],
            }
            for teacher in assessment_results(school=school, semester=semester)
        ],
    }
