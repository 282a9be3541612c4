import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessment.models import Score
from students.models import Category
from tests import factories
from visits.models import Incident, IncidentType

pytestmark = pytest.mark.django_db

NOW, BEFORE = "2025-2026-1", "2024-2025-2"


@pytest.fixture
def setting(school):
    """A school with two semesters and a cohort of three students with total scores:
    S1 went from 80 (average 80) to 110 (average 100): ratio 1.1000."""
    now = factories.SemesterFactory(school=school, code=NOW)
    before = factories.SemesterFactory(school=school, code=BEFORE)
    cohort = factories.CohortFactory(school=school, entry_year=2024)
    students = [
        factories.StudentFactory(school=school, cohort=cohort, student_no=f"S{i}")
        for i in (1, 2, 3)
    ]
    for student, score_before, score_now in zip(
        students, ("80", "80", "80"), ("110", "90", "100"), strict=True
    ):
        Score.objects.create(student=student, semester=before, score=Decimal(score_before))
        Score.objects.create(student=student, semester=now, score=Decimal(score_now))
    return {"now": now, "students": students}


def pair(school, student, category, *, teacher=None, start=dt.date(2025, 3, 1), **extra):
    semester = factories.SemesterFactory(school=school, code=BEFORE)
    factories.IdentificationFactory(student=student, semester=semester, category=category)
    return factories.PairingFactory(
        school=school,
        student=student,
        category=category,
        start=start,
        identified=False,
        **({"teacher": teacher} if teacher else {}),
        **extra,
    )


def assess(school, semester=NOW) -> dict:
    out = StringIO()
    call_command("assess", school=school.code, semester=semester, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_assess_prints_the_contract_json(school, setting):
    s1, s2, _s3 = setting["students"]
    teacher = factories.make_user(school=school, user__username="T9")
    pair(school, s1, Category.LEFT_BEHIND, teacher=teacher)
    pair(school, s2, Category.STRUGGLING, teacher=teacher)  # 90 / 100 = 0.9: low progress
    result = assess(school)
    assert result == {
        "school": school.code,
        "semester": NOW,
        "teachers": [
            {
                "teacher": "T9",
                "points": 2,
                "pairings": [
                    {
                        "student": "S1",
                        "category": "left_behind",
                        "status": "effective",
                        "reasons": [],
                        "progress_ratio": "1.1000",
                        "points": 2,
                    },
                    {
                        "student": "S2",
                        "category": "struggling",
                        "status": "ineffective",
                        "reasons": ["low_progress"],
                        "progress_ratio": "0.9000",
                        "points": 0,
                    },
                ],
            }
        ],
    }


def test_an_incident_in_the_semester_makes_the_pairing_ineffective(school, setting):
    s1 = setting["students"][0]
    pair(school, s1, Category.PROBLEM)
    Incident.objects.create(
        student=s1,
        date=dt.date(2025, 10, 8),
        type=IncidentType.GANG_FIGHT,
        recorded_by=factories.make_user("office", school=school),
    )
    pairing = assess(school)["teachers"][0]["pairings"][0]
    assert (pairing["status"], pairing["reasons"], pairing["points"]) == (
        "ineffective",
        ["violence"],
        0,
    )


def test_a_student_without_a_score_is_incomplete(school, setting):
    newcomer = factories.StudentFactory(
        school=school, cohort=setting["students"][0].cohort, student_no="S4"
    )
    pair(school, newcomer, Category.POOR)
    pairing = assess(school)["teachers"][0]["pairings"][0]
    assert (pairing["status"], pairing["reasons"], pairing["progress_ratio"]) == (
        "incomplete",
        ["missing_score"],
        None,
    )


def test_pairings_that_ended_before_the_semester_are_left_out(school, setting):
    s1 = setting["students"][0]
    pair(school, s1, Category.POOR, end=dt.date(2025, 6, 30), end_reason="other")
    assert assess(school)["teachers"] == []


@pytest.mark.parametrize("pairings", [1, 6])
def test_the_number_of_queries_does_not_grow_with_the_school(
    school, setting, pairings, django_assert_num_queries
):
    for student in setting["students"][: min(pairings, 3)]:
        for category in (Category.LEFT_BEHIND, Category.POOR)[: 1 + (pairings > 3)]:
            pair(school, student, category)
    from assessment.services import assessment_json

    with django_assert_num_queries(7):
        assessment_json(school=school, semester=setting["now"])


@pytest.mark.parametrize(
    ("school_code", "semester", "message"),
    [("NOPE", NOW, "学校代码 NOPE 不存在"), (None, "2030-2031-1", "没有学期 2030-2031-1")],
)
def test_bad_arguments_are_refused_in_chinese(school, setting, school_code, semester, message):
    with pytest.raises(CommandError, match=message):
        call_command("assess", school=school_code or school.code, semester=semester, json=True)
