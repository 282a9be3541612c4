"""The semester assessment's rules (DESIGN "Semester assessment"), pure: dataclasses in,
results out, no database.

A pairing active in the semester is
- ineffective when, during the semester and while it was active, the student had an incident
  of kind a (truancy…), b (left school…) or c (violence…), or the progress ratio is below the
  category's threshold (d);
- incomplete when the ratio cannot be computed (a score missing, a zero score or average) and
  none of a–c happened: it earns nothing until the data is complete;
- effective otherwise, and then earns its category's points.

progress ratio = (score now ÷ cohort average now) ÷ (score before ÷ cohort average before),
computed exactly with fractions; "below" is strict, so exactly 1.10 is not below 1.10.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

INCIDENT_REASONS = ("truancy", "left_school", "violence")
LOW_PROGRESS = "low_progress"
MISSING_SCORE = "missing_score"


class Status(StrEnum):
    EFFECTIVE = "effective"
    INEFFECTIVE = "ineffective"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class CategoryRule:
    points: int
    threshold: Decimal  # the progress ratio must not be below this


# DESIGN's table: 2 / 1 / 1 / 5 points; struggling students must progress by 10 %, others 5 %.
DEFAULT_RULES: Mapping[str, CategoryRule] = {
    "left_behind": CategoryRule(2, Decimal("1.05")),
    "poor": CategoryRule(1, Decimal("1.05")),
    "struggling": CategoryRule(1, Decimal("1.10")),
    "problem": CategoryRule(5, Decimal("1.05")),
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class PairingFacts:
    """What the rules need to know about one pairing."""

    key: object  # the caller's identifier, returned untouched
    teacher: str
    student: str
    category: str
    start: dt.date
    end: dt.date | None = None
    subject: str = ""  # a struggling pairing's subject; "" means the total

    def active_during(self, period: Period) -> bool:
        return self.start <= period.end and (self.end is None or self.end >= period.start)

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Incident:
    student: str
    day: dt.date
    reason: str  # one of INCIDENT_REASONS


@dataclass(frozen=True)
class Scores:
    """One semester's scores of a subject ("" for the total): student → score, and each
    student's cohort, for the averages."""

    by_student: Mapping[str, Decimal]
    cohort_of: Mapping[str, object]

    def average(self, cohort: object) -> Fraction | None:
        """The mean over every student of the cohort with a score (aided or not)."""
        values = [
            Fraction(score)
            for student, score in self.by_student.items()
            if self.cohort_of.get(student) == cohort
        ]
        return sum(values, Fraction(0)) / len(values) if values else None


@dataclass(frozen=True)
class Ratio:
    value: Fraction | None
    score_now: Decimal | None
    average_now: Fraction | None
    score_before: Decimal | None
    average_before: Fraction | None


@dataclass(frozen=True)
class PairingResult:
    facts: PairingFacts
    status: Status
    reasons: list[str]
    ratio: Ratio
    points: int


@dataclass
class TeacherResult:
    teacher: str
    pairings: list[PairingResult] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(p.points for p in self.pairings)


def progress_ratio(
    *,
    score_now: Decimal | None,
    average_now: Fraction | None,
    score_before: Decimal | None,
    average_before: Fraction | None,
) -> Fraction | None:
    """None when any part is missing or zero (the ratio cannot be computed)."""
    parts = (score_now, average_now, score_before, average_before)
    if any(part is None or part == 0 for part in parts):
        return None
    now = Fraction(score_now) / average_now  # type: ignore[arg-type, operator]
    before = Fraction(score_before) / average_before  # type: ignore[arg-type, operator]
    return now / before


def round_half_up(value: Fraction, places: int) -> str:
    """`value` to `places` decimals, rounded half up exactly (on the fraction, not a float),
    as a string. Scores, averages and ratios are never negative."""
    scaled = value * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return f"{Decimal(whole).scaleb(-places):.{places}f}"


def format_ratio(value: Fraction | None) -> str | None:
    """4 decimals, rounded half up: the JSON contract's form. None stays None."""
    return None if value is None else round_half_up(value, 4)


def assess_pairing(
    facts: PairingFacts,
    *,
    semester: Period,
    incidents: Iterable[Incident],
    now: Mapping[str, Scores],
    before: Mapping[str, Scores],
    cohort: object,
    rules: Mapping[str, CategoryRule] = DEFAULT_RULES,
) -> PairingResult:
    """One pairing's status, reasons, ratio and points for the semester."""
    rule = rules[facts.category]
    subject = facts.subject if facts.category == "struggling" else ""
    scores_now = now.get(subject)
    scores_before = before.get(subject)
    ratio = Ratio(
        value=None,
        score_now=scores_now.by_student.get(facts.student) if scores_now else None,
        average_now=scores_now.average(cohort) if scores_now else None,
        score_before=scores_before.by_student.get(facts.student) if scores_before else None,
        average_before=scores_before.average(cohort) if scores_before else None,
    )
    value = progress_ratio(
        score_now=ratio.score_now,
        average_now=ratio.average_now,
        score_before=ratio.score_before,
        average_before=ratio.average_before,
    )
    ratio = Ratio(
        value, ratio.score_now, ratio.average_now, ratio.score_before, ratio.average_before
    )

    reasons = sorted(
        {
            incident.reason
            for incident in incidents
            if incident.student == facts.student
            and semester.start <= incident.day <= semester.end
            and facts.active_on(incident.day)
        },
        key=INCIDENT_REASONS.index,
    )
    if value is not None and value < Fraction(rule.threshold):
        reasons.append(LOW_PROGRESS)
    if reasons:
        return PairingResult(facts, Status.INEFFECTIVE, reasons, ratio, 0)
    if value is None:
        return PairingResult(facts, Status.INCOMPLETE, [MISSING_SCORE], ratio, 0)
    return PairingResult(facts, Status.EFFECTIVE, [], ratio, rule.points)


def assess(
    pairings: Iterable[PairingFacts],
    *,
    semester: Period,
    incidents: Iterable[Incident],
    now: Mapping[str, Scores],
    before: Mapping[str, Scores],
    cohort_of: Mapping[str, object],
    rules: Mapping[str, CategoryRule] = DEFAULT_RULES,
) -> list[TeacherResult]:
    """Every teacher's results for the semester, teachers in name order. Pairings not active
    at any time during the semester are left out."""
    incidents = list(incidents)
    teachers: dict[str, TeacherResult] = {}
    for facts in pairings:
        if not facts.active_during(semester):
            continue
        result = assess_pairing(
            facts,
            semester=semester,
            incidents=incidents,
            now=now,
            before=before,
            cohort=cohort_of.get(facts.student),
            rules=rules,
        )
        teachers.setdefault(facts.teacher, TeacherResult(facts.teacher)).pairings.append(result)
    return [teachers[name] for name in sorted(teachers)]
