"""Table tests of the scoring rules: no database. Semester 2025-2026-1 (1 Sep – 31 Jan); the
cohort is 2024 unless a case says otherwise."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from assessment.scoring import (
    Incident,
    PairingFacts,
    Period,
    Scores,
    Status,
    assess,
    assess_pairing,
    format_ratio,
    progress_ratio,
)

SEMESTER = Period(dt.date(2025, 9, 1), dt.date(2026, 1, 31))
D = Decimal


def pairing(category="left_behind", **changes) -> PairingFacts:
    values = {
        "key": 1,
        "teacher": "T001",
        "student": "S1",
        "category": category,
        "start": dt.date(2025, 3, 1),
    }
    values.update(changes)
    return PairingFacts(**values)


def cohort_scores(own: str, others: list[str], *, subject_cohort: int = 2024) -> Scores:
    """S1 scores `own`; the others are classmates (S2, S3…) of the same cohort."""
    by_student = {"S1": D(own)} if own else {}
    by_student.update({f"S{i + 2}": D(score) for i, score in enumerate(others)})
    return Scores(by_student=by_student, cohort_of=dict.fromkeys(by_student, subject_cohort))


def run(facts, *, now, before, incidents=()):
    return assess_pairing(
        facts,
        semester=SEMESTER,
        incidents=incidents,
        now={facts.subject if facts.category == "struggling" else "": now},
        before={facts.subject if facts.category == "struggling" else "": before},
        cohort=2024,
    )


# Before: S1 scored 80 where the cohort averaged 80 (ratio 1). Now the cohort averages 100.
RATIO_CASES = [
    # (id, category, score now, status, ratio string, points)
    ("left-behind exactly 1.05 is not below", "left_behind", "105", Status.EFFECTIVE, "1.0500", 2),
    ("left-behind just below 1.05", "left_behind", "104.99", Status.INEFFECTIVE, "1.0499", 0),
    ("poor above the threshold", "poor", "120", Status.EFFECTIVE, "1.2000", 1),
    ("problem exactly 1.05", "problem", "105", Status.EFFECTIVE, "1.0500", 5),
    ("struggling exactly 1.10 is not below", "struggling", "110", Status.EFFECTIVE, "1.1000", 1),
    ("struggling 1.09 is below 1.10", "struggling", "109", Status.INEFFECTIVE, "1.0900", 0),
]


@pytest.mark.parametrize(
    ("category", "score", "status", "ratio", "points"),
    [case[1:] for case in RATIO_CASES],
    ids=[case[0] for case in RATIO_CASES],
)
def test_thresholds_are_exact(category, score, status, ratio, points):
    # The cohort now: S1 and one classmate whose score keeps the average at exactly 100.
    classmate = str(200 - Decimal(score))
    result = run(
        pairing(category),
        now=cohort_scores(score, [classmate]),
        before=cohort_scores("80", ["80"]),
    )
    assert (result.status, format_ratio(result.ratio.value), result.points) == (
        status,
        ratio,
        points,
    )


def test_a_ratio_a_float_gets_wrong_is_compared_exactly():
    # (65 / 60) / (65 / 66) is exactly 1.1, but in floats it comes out as 1.0999999999999999,
    # which a float comparison would call below 1.10.
    assert (65 / 60) / (65 / 66) < 1.1
    ratio = progress_ratio(
        score_now=D("65"),
        average_now=Fraction(60),
        score_before=D("65"),
        average_before=Fraction(66),
    )
    assert ratio == Fraction(11, 10)
    assert format_ratio(ratio) == "1.1000"
    result = run(
        pairing("struggling"),
        now=cohort_scores("65", ["55"]),  # average 60
        before=cohort_scores("65", ["67"]),  # average 66
    )
    assert (result.status, result.points) == (Status.EFFECTIVE, 1)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(10500, 10000), "1.0500"),
        (Fraction(108325, 100000), "1.0833"),  # 1.08325: half rounds up
        (Fraction(108335, 100000), "1.0834"),  # 1.08335: half rounds up, not to even
        (Fraction(2, 3), "0.6667"),
        (Fraction(1, 3), "0.3333"),
        (None, None),
    ],
)
def test_ratio_strings_round_half_up_to_4_decimals(value, text):
    assert format_ratio(value) == text


@pytest.mark.parametrize(
    ("now", "before", "why"),
    [
        (cohort_scores("", ["90"]), cohort_scores("80", ["80"]), "no score this semester"),
        (cohort_scores("90", ["90"]), cohort_scores("", ["80"]), "no score last semester"),
        (cohort_scores("0", ["90"]), cohort_scores("80", ["80"]), "a zero score"),
        (cohort_scores("0", ["0"]), cohort_scores("80", ["80"]), "a zero average"),
        (cohort_scores("90", ["90"]), Scores({}, {}), "nobody scored last semester"),
    ],
    ids=lambda case: case if isinstance(case, str) else "",
)
def test_missing_data_makes_a_pairing_incomplete(now, before, why):
    result = run(pairing(), now=now, before=before)
    assert (result.status, result.reasons, result.points) == (
        Status.INCOMPLETE,
        ["missing_score"],
        0,
    )
    assert result.ratio.value is None


def test_cohort_average_counts_only_students_with_a_score_in_that_cohort():
    scores = Scores(
        by_student={"S1": D("60"), "S2": D("90"), "S9": D("10")},
        cohort_of={"S1": 2024, "S2": 2024, "S3": 2024, "S9": 2023},
    )
    # S3 has no score and S9 is another cohort: (60 + 90) / 2
    assert scores.average(2024) == Fraction(75)


def test_subject_scores_are_used_for_a_struggling_pairing_with_a_subject():
    facts = pairing("struggling", subject="数学")
    result = assess_pairing(
        facts,
        semester=SEMESTER,
        incidents=(),
        now={"": cohort_scores("50", ["50"]), "数学": cohort_scores("110", ["90"])},
        before={"": cohort_scores("90", ["90"]), "数学": cohort_scores("80", ["80"])},
        cohort=2024,
    )
    # 数学: (110 / 100) / (80 / 80) = 1.10; the total would have given 1.0
    assert (result.status, format_ratio(result.ratio.value)) == (Status.EFFECTIVE, "1.1000")


GOOD = {"now": cohort_scores("120", ["80"]), "before": cohort_scores("80", ["80"])}


@pytest.mark.parametrize(
    ("incident", "status", "reasons"),
    [
        (Incident("S1", dt.date(2025, 10, 8), "truancy"), Status.INEFFECTIVE, ["truancy"]),
        (Incident("S1", dt.date(2025, 12, 1), "left_school"), Status.INEFFECTIVE, ["left_school"]),
        (Incident("S1", dt.date(2026, 1, 31), "violence"), Status.INEFFECTIVE, ["violence"]),
        (Incident("S1", dt.date(2025, 6, 1), "violence"), Status.EFFECTIVE, []),  # last semester
        (Incident("S1", dt.date(2026, 2, 1), "violence"), Status.EFFECTIVE, []),  # next semester
        (Incident("S2", dt.date(2025, 10, 8), "truancy"), Status.EFFECTIVE, []),  # someone else
    ],
)
def test_incidents_count_inside_the_semester_only(incident, status, reasons):
    result = run(pairing(), incidents=[incident], **GOOD)
    assert (result.status, result.reasons) == (status, reasons)


def test_incidents_before_the_pairing_started_do_not_count():
    late = pairing(start=dt.date(2025, 11, 1))
    early = Incident("S1", dt.date(2025, 10, 8), "truancy")
    assert run(late, incidents=[early], **GOOD).status == Status.EFFECTIVE


def test_every_reason_is_listed_in_order():
    incidents = [
        Incident("S1", dt.date(2025, 10, 8), "violence"),
        Incident("S1", dt.date(2025, 10, 9), "truancy"),
        Incident("S1", dt.date(2025, 10, 10), "truancy"),
    ]
    result = run(
        pairing(), incidents=incidents, now=cohort_scores("80", ["120"]), before=GOOD["before"]
    )
    assert result.reasons == ["truancy", "violence", "low_progress"]


def test_an_incident_makes_a_pairing_ineffective_even_without_scores():
    result = run(
        pairing(),
        incidents=[Incident("S1", dt.date(2025, 10, 8), "truancy")],
        now=cohort_scores("", ["90"]),
        before=cohort_scores("80", ["80"]),
    )
    assert (result.status, result.reasons) == (Status.INEFFECTIVE, ["truancy"])


def test_teacher_totals_cover_several_categories_and_leave_out_ended_pairings():
    # S1 is left-behind and poor with the same teacher; S2's problem pairing ended in June.
    facts = [
        pairing("left_behind", key=1),
        pairing("poor", key=2),
        pairing("problem", key=3, student="S2", end=dt.date(2025, 6, 30)),
        pairing("problem", key=4, student="S3", teacher="T002"),
    ]
    now = Scores(
        {"S1": D("120"), "S2": D("120"), "S3": D("80")}, dict.fromkeys(["S1", "S2", "S3"], 2024)
    )
    before = Scores(
        {"S1": D("80"), "S2": D("80"), "S3": D("80")}, dict.fromkeys(["S1", "S2", "S3"], 2024)
    )
    results = assess(
        facts,
        semester=SEMESTER,
        incidents=[],
        now={"": now},
        before={"": before},
        cohort_of=dict.fromkeys(["S1", "S2", "S3"], 2024),
    )
    by_teacher = {r.teacher: r for r in results}
    assert [p.facts.key for p in by_teacher["T001"].pairings] == [1, 2]
    assert by_teacher["T001"].points == 2 + 1
    # S3: (80 / 106.67) / (80 / 80) = 0.75 → low progress, no points
    assert by_teacher["T002"].points == 0
    assert by_teacher["T002"].pairings[0].reasons == ["low_progress"]
