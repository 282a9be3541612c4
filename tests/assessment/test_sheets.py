"""Stored sheets and their workflow: computed from the records (re-runnable, all or
nothing), submitted by the aid office, approved by the principal and then frozen, returned
or reopened only with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessment import rules, scoring, services
from assessment.models import AssessmentRule, Score, Sheet, SheetEvent
from students.models import Category, Role
from tests import factories
from tests.assessment.test_assess import NOW, assess, pair
from tests.assessment.test_assess import setting as setting
from visits.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")


@pytest.fixture
def teacher(school):
    return factories.make_user(school=school, user__username="T9", name="王老师")


@pytest.fixture
def paired(school, setting, teacher):
    """T9 helps S1 (left behind, ratio 1.1000: effective, 2 points) and S2 (struggling,
    ratio 0.9000: ineffective)."""
    s1, s2, _s3 = setting["students"]
    return [
        pair(school, s1, Category.LEFT_BEHIND, teacher=teacher),
        pair(school, s2, Category.STRUGGLING, teacher=teacher),
    ]


def compute(school, setting, by=None) -> list[Sheet]:
    return services.sheets_compute(school=school, semester=setting["now"], by=by)


def truancy(setting, by) -> None:
    """S1 skips school during the semester: the pairing becomes ineffective (2 points less)."""
    from visits.models import Incident, IncidentType

    Incident.objects.create(
        student=setting["students"][0],
        date=dt.date(2025, 11, 3),
        type=IncidentType.TRUANCY,
        recorded_by=by,
    )


def rescore(setting, student_no: str, score: str) -> None:
    Score.objects.filter(
        semester=setting["now"], student__student_no=student_no, subject=""
    ).update(score=Decimal(score))


def test_compute_stores_one_sheet_per_teacher_with_the_assessment(school, setting, paired, office):
    (sheet,) = compute(school, setting, by=office)
    assert (sheet.teacher.username, sheet.state, sheet.points) == ("T9", "draft", 2)
    assert (sheet.effective, sheet.ineffective, sheet.incomplete) == (1, 1, 0)
    lines = sheet.content["pairings"]
    assert [(x["student_no"], x["status"], x["ratio"], x["points"]) for x in lines] == [
        ("S1", "effective", "1.1000", 2),
        ("S2", "ineffective", "0.9000", 0),
    ]
    # The numbers behind the ratio: 110 ÷ 100 now, 80 ÷ 80 before.
    assert (lines[0]["score_now"], lines[0]["average_now"]) == ("110", "100.00")
    assert (lines[0]["score_before"], lines[0]["average_before"]) == ("80", "80.00")
    assert sheet.content["totals"]["points"] == assess(school)["teachers"][0]["points"]
    assert sheet.events.get().action == SheetEvent.Action.COMPUTED


def test_the_sheet_masks_the_id_number(school, setting, paired):
    student = setting["students"][0]
    student.id_number = "11010520120101002X"
    student.save()
    (sheet,) = compute(school, setting)
    line = sheet.content["pairings"][0]
    assert line["id_number"] != student.id_number
    assert line["id_number"].startswith("1101") and line["id_number"].endswith("002X")
    assert "11010520120101002X" not in str(sheet.content)


def test_computing_again_rewrites_drafts_from_the_records(school, setting, paired, office):
    compute(school, setting)
    truancy(setting, office)
    (sheet,) = compute(school, setting)
    assert Sheet.objects.count() == 1
    assert (sheet.points, sheet.effective, sheet.ineffective) == (0, 0, 2)


def test_an_approved_sheet_is_frozen(school, setting, paired, office, principal):
    (sheet,) = compute(school, setting)
    services.sheet_submit(sheet=sheet, by=office, comment="记录齐全")
    services.sheet_approve(sheet=sheet, by=principal, comment="同意")
    before = Sheet.objects.get().content

    rescore(setting, "S1", "60")  # now low progress
    ActivityLog.objects.all().delete()
    compute(school, setting)

    sheet = Sheet.objects.get()
    assert sheet.state == "approved"
    assert sheet.content == before
    assert sheet.points == 2
    # The live assessment moved; the sheet did not.
    assert assess(school)["teachers"][0]["points"] == 0


def test_reopening_needs_a_reason_and_lets_the_sheet_follow_the_records(
    school, setting, paired, office, principal
):
    (sheet,) = compute(school, setting)
    services.sheet_submit(sheet=sheet, by=office)
    services.sheet_approve(sheet=sheet, by=principal)
    rescore(setting, "S1", "60")
    with pytest.raises(ValidationError) as error:
        services.sheet_reopen(sheet=sheet, by=principal, reason="  ")
    assert "原因" in str(error.value)
    assert Sheet.objects.get().state == "approved"

    services.sheet_reopen(sheet=sheet, by=principal, reason="语文成绩录入有误，已更正")
    (sheet,) = compute(school, setting)
    assert (sheet.state, sheet.points, sheet.approved_at) == ("draft", 0, None)
    reopened = sheet.events.get(action=SheetEvent.Action.REOPENED)
    assert (reopened.by, reopened.note) == (principal, "语文成绩录入有误，已更正")


def test_submitting_recomputes_and_records_the_office_comment(school, setting, paired, office):
    (sheet,) = compute(school, setting)
    truancy(setting, office)
    sheet = services.sheet_submit(sheet=sheet, by=office, comment="  已核对成绩  ")
    assert (sheet.state, sheet.points, sheet.office_comment) == ("submitted", 0, "已核对成绩")
    assert (sheet.submitted_by, sheet.submitted_at is not None) == (office, True)


def test_a_submitted_sheet_is_not_recomputed(school, setting, paired, office):
    (sheet,) = compute(school, setting)
    services.sheet_submit(sheet=sheet, by=office)
    truancy(setting, office)
    (sheet,) = compute(school, setting)
    assert (sheet.state, sheet.points) == ("submitted", 2)


def test_returning_needs_a_reason_and_goes_back_to_draft(
    school, setting, paired, office, principal
):
    (sheet,) = compute(school, setting)
    services.sheet_submit(sheet=sheet, by=office)
    with pytest.raises(ValidationError):
        services.sheet_return(sheet=sheet, by=principal, reason="")
    sheet = services.sheet_return(sheet=sheet, by=principal, reason="请补录家访记录")
    assert (sheet.state, sheet.submitted_at) == ("draft", None)
    assert sheet.events.filter(action="returned", note="请补录家访记录").exists()


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "approve"),
        ("draft", "return"),
        ("draft", "reopen"),
        ("submitted", "submit"),
        ("submitted", "reopen"),
        ("approved", "submit"),
        ("approved", "approve"),
        ("approved", "return"),
    ],
)
def test_transitions_out_of_order_are_refused(
    school, setting, paired, office, principal, state, action
):
    (sheet,) = compute(school, setting)
    if state != "draft":
        services.sheet_submit(sheet=sheet, by=office)
    if state == "approved":
        services.sheet_approve(sheet=sheet, by=principal)
    calls = {
        "submit": lambda: services.sheet_submit(sheet=sheet, by=office),
        "approve": lambda: services.sheet_approve(sheet=sheet, by=principal),
        "return": lambda: services.sheet_return(sheet=sheet, by=principal, reason="x"),
        "reopen": lambda: services.sheet_reopen(sheet=sheet, by=principal, reason="x"),
    }
    events = SheetEvent.objects.count()
    with pytest.raises(ValidationError):
        calls[action]()
    assert Sheet.objects.get().state == state
    assert SheetEvent.objects.count() == events


def test_a_teacher_without_pairings_loses_the_draft_but_not_a_submitted_sheet(
    school, setting, paired, office
):
    other = factories.make_user(school=school, user__username="T8")
    s3 = setting["students"][2]
    pair(school, s3, Category.POOR, teacher=other)
    compute(school, setting)
    t9 = Sheet.objects.get(teacher__username="T9")
    services.sheet_submit(sheet=t9, by=office)
    for pairing in [*paired, *other.pairings.all()]:
        pairing.delete()
    assert compute(school, setting) == [Sheet.objects.get(teacher__username="T9")]


def test_a_semester_of_another_school_is_refused(school, setting, other_school):
    semester = factories.SemesterFactory(school=other_school, code=NOW)
    with pytest.raises(ValidationError):
        services.sheets_compute(school=school, semester=semester, by=None)
    assert not Sheet.objects.exists()


def test_compute_writes_nothing_when_it_fails(school, setting, paired, office, monkeypatch):
    compute(school, setting)
    truancy(setting, office)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SheetEvent.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        compute(school, setting)
    assert Sheet.objects.get().points == 2


@pytest.mark.parametrize("teachers", [1, 8])
def test_compute_takes_the_same_number_of_queries_for_a_larger_school(
    school, setting, teachers, django_assert_num_queries
):
    cohort = setting["students"][0].cohort
    for n in range(teachers):
        teacher = factories.make_user(school=school, user__username=f"Q{n}")
        student = factories.StudentFactory(school=school, cohort=cohort)
        pair(school, student, Category.POOR, teacher=teacher)
    compute(school, setting)  # the second run updates instead of creating
    with django_assert_num_queries(21):
        compute(school, setting)


def test_the_duty_record_counts_the_semesters_periods(school, setting, paired):
    # A finished semester (2025-2026-1): every period has come due.
    (sheet,) = compute(school, setting)
    line = sheet.content["pairings"][0]
    talk = line["duties"][0]
    assert talk["title"].startswith("谈心交流")
    assert talk["due"] == talk["owed"] > 0
    assert talk["met"] == 0
    assert line["duty_due"] == sum(d["due"] for d in line["duties"])


def test_incidents_while_paired_are_on_the_sheet(school, setting, paired, office):
    from visits.models import Incident, IncidentType

    s1 = setting["students"][0]
    Incident.objects.create(
        student=s1, date=dt.date(2025, 10, 8), type=IncidentType.TRUANCY, recorded_by=office
    )
    (sheet,) = compute(school, setting)
    line = sheet.content["pairings"][0]
    assert line["incidents"] == [{"date": "2025-10-08", "type": "truancy", "label": "逃学"}]
    assert (line["status"], line["reasons"]) == ("ineffective", ["truancy"])


def test_the_schools_own_points_and_thresholds_are_used(school, setting, paired):
    rules.assessment_rules_save(
        school=school,
        rules={
            **scoring.DEFAULT_RULES,
            "left_behind": scoring.CategoryRule(3, Decimal("1.05")),
            "struggling": scoring.CategoryRule(1, Decimal("0.90")),  # 0.9000 is not below
        },
        by=None,
    )
    (sheet,) = compute(school, setting)
    assert sheet.points == 3 + 1
    assert assess(school)["teachers"][0]["points"] == 4
    rules.assessment_rules_reset(school=school, by=None)
    assert not AssessmentRule.objects.exists()
    assert compute(school, setting)[0].points == 2


def test_rules_with_a_missing_category_or_bad_values_are_refused(school):
    with pytest.raises(ValidationError):
        rules.assessment_rules_save(
            school=school, rules={"poor": scoring.CategoryRule(1, Decimal("1.05"))}, by=None
        )
    with pytest.raises(ValidationError):
        rules.assessment_rules_save(
            school=school,
            rules={**scoring.DEFAULT_RULES, "poor": scoring.CategoryRule(1, Decimal("9"))},
            by=None,
        )
    assert not AssessmentRule.objects.exists()
