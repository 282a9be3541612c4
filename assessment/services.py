"""Fetch → score → save: the facts of a school's semester from the database, run through the
pure rules of assessment.scoring, stored as each teacher's sheet, and the sheet's workflow
(draft → submitted → approved, reopened with a reason)."""

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aidcase.audit import COMPUTE_REASON, ISSUE_REASON, tracked_bulk_create, tracked_bulk_update
from assessment import scoring
from assessment.models import QUESTIONS, AssessmentRule, Questionnaire, Score, Sheet, SheetEvent
from assessment.selectors import questionnaire_token_hash
from pairing.models import Pairing
from students.models import School, Semester, Student
from students.selectors import pairing_active_between, previous_semester_code
from visits import duties
from visits.models import INCIDENT_REASONS, Incident, IncidentType
from visits.selectors import duty_record_for


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


def rules_for(*, school: School) -> dict[str, scoring.CategoryRule]:
    """The school's points and thresholds per category, DESIGN's defaults where it has set
    none."""
    rules = dict(scoring.DEFAULT_RULES)
    for rule in AssessmentRule.objects.filter(school=school):
        rules[rule.category] = scoring.CategoryRule(rule.points, rule.threshold)
    return rules


def _pairings_in(*, school: School, semester: Semester) -> QuerySet[Pairing]:
    return Pairing.objects.filter(
        pairing_active_between(semester.start, semester.end), school=school
    ).order_by("teacher__username", "student__student_no", "category", "start")


def _assess(
    *,
    school: School,
    semester: Semester,
    pairings: Iterable[Pairing],
    rules: dict[str, scoring.CategoryRule],
) -> list[scoring.TeacherResult]:
    period = scoring.Period(semester.start, semester.end)
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
        rules=rules,
    )


def assessment_results(*, school: School, semester: Semester) -> list[scoring.TeacherResult]:
    """Every teacher's assessment for the semester, computed from the current records (a
    fixed number of queries, however large the school)."""
    pairings = _pairings_in(school=school, semester=semester).select_related("teacher", "student")
    return _assess(
        school=school, semester=semester, pairings=pairings, rules=rules_for(school=school)
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


# ---------------------------------------------------------------------------------------
# The stored sheets and their workflow


def _score(value: Decimal | None) -> str | None:
    """A score as written on paper: 98.5, not 98.50."""
    return None if value is None else f"{value.normalize():f}"


def _average(value: Fraction | None) -> str | None:
    """A cohort average on the sheet: 2 decimals, rounded half up exactly."""
    return None if value is None else scoring.round_half_up(value, 2)


def questionnaire_summary(questionnaires: Iterable[Questionnaire]) -> dict[str, Any]:
    """Issued and answered counts, each question's mean (2 decimals) and the comments."""
    questionnaires = list(questionnaires)
    answered = [q for q in questionnaires if q.answered_at is not None]
    means = []
    for n in range(len(QUESTIONS)):
        values = [q.ratings[n] or 0 for q in answered]
        means.append(_mean(values))
    overall = _mean([v or 0 for q in answered for v in q.ratings])
    return {
        "issued": len(questionnaires),
        "answered": len(answered),
        "means": means,
        "overall": overall,
        "comments": [q.comment.strip() for q in answered if q.comment.strip()],
    }


def _mean(values: list[int]) -> str | None:
    return scoring.round_half_up(Fraction(sum(values), len(values)), 2) if values else None


def sheet_contents(
    *, school: School, semester: Semester, teacher: User | None = None
) -> dict[str, dict[str, Any]]:
    """What each teacher's sheet shows (one teacher's only, when given), computed from the
    records: per pairing the student (ID masked), the category, the duty record rule by rule,
    the ratio with its numbers, the incidents, the status with its reasons and the points;
    the totals; the questionnaire summary. Keyed by the teacher's username. A fixed number
    of queries; the cohort averages still count every scored student."""
    pairings_in = _pairings_in(school=school, semester=semester)
    if teacher is not None:
        pairings_in = pairings_in.filter(teacher=teacher)
    pairings = list(pairings_in.select_related("teacher__profile", "student__school_class"))
    by_pk = {p.pk: p for p in pairings}
    rules = rules_for(school=school)
    results = _assess(school=school, semester=semester, pairings=pairings, rules=rules)
    record = duty_record_for(
        pairings=[by_pk[r.facts.key] for t in results for r in t.pairings],  # type: ignore[index]
        semester=semester,
    )
    incidents: dict[int, list[Incident]] = defaultdict(list)
    for incident in Incident.objects.filter(
        student__school=school, date__range=(semester.start, semester.end)
    ).order_by("date", "pk"):
        incidents[incident.student_id].append(incident)
    questionnaires: dict[int, list[Questionnaire]] = defaultdict(list)
    for questionnaire in Questionnaire.objects.filter(semester=semester):
        questionnaires[questionnaire.pairing_id].append(questionnaire)

    contents = {}
    with translation.override("zh-hans"):
        for assessed in results:
            lines: list[dict[str, Any]] = []
            own_questionnaires: list[Questionnaire] = []
            for result in assessed.pairings:
                pairing = by_pk[result.facts.key]  # type: ignore[index]
                student = pairing.student
                statuses = record.get(pairing.pk, [])
                met, due = duties.completeness(statuses)
                own_questionnaires += questionnaires[pairing.pk]
                lines.append(
                    {
                        "pairing": pairing.pk,
                        "student_no": student.student_no,
                        "student_name": student.name,
                        "id_number": student.masked_id_number,
                        "class_name": student.school_class.name if student.school_class else "",
                        "category": pairing.category,
                        "subject": pairing.subject,
                        "start": pairing.start.isoformat(),
                        "end": pairing.end.isoformat() if pairing.end else None,
                        "status": str(result.status),
                        "reasons": result.reasons,
                        "ratio": scoring.format_ratio(result.ratio.value),
                        "threshold": f"{rules[pairing.category].threshold:.2f}",
                        "score_now": _score(result.ratio.score_now),
                        "average_now": _average(result.ratio.average_now),
                        "score_before": _score(result.ratio.score_before),
                        "average_before": _average(result.ratio.average_before),
                        "points": result.points,
                        "duties": [
                            {
                                "title": str(s.rule.title),
                                "met": s.met,
                                "due": s.met + s.missed,
                                "owed": s.owed,
                            }
                            for s in statuses
                        ],
                        "duty_met": met,
                        "duty_due": due,
                        "incidents": [
                            {
                                "date": i.date.isoformat(),
                                "type": i.type,
                                "label": str(IncidentType(i.type).label),
                            }
                            for i in incidents[student.pk]
                            if pairing.start <= i.date
                            and (pairing.end is None or i.date <= pairing.end)
                        ],
                    }
                )
            first = by_pk[assessed.pairings[0].facts.key]  # type: ignore[index]
            profile = getattr(first.teacher, "profile", None)
            statuses_of = [line["status"] for line in lines]
            contents[assessed.teacher] = {
                "teacher": {
                    "id": first.teacher_id,
                    "username": assessed.teacher,
                    "name": profile.name if profile else assessed.teacher,
                },
                "pairings": lines,
                "totals": {
                    "points": assessed.points,
                    "pairings": len(lines),
                    "effective": statuses_of.count(scoring.Status.EFFECTIVE),
                    "ineffective": statuses_of.count(scoring.Status.INEFFECTIVE),
                    "incomplete": statuses_of.count(scoring.Status.INCOMPLETE),
                    "duty_met": sum(line["duty_met"] for line in lines),
                    "duty_due": sum(line["duty_due"] for line in lines),
                },
                "questionnaire": questionnaire_summary(own_questionnaires),
            }
    return contents


def _fill(sheet: Sheet, content: dict[str, Any], *, at: Any) -> None:
    totals = content["totals"]
    sheet.content = content
    sheet.points = totals["points"]
    sheet.effective = totals["effective"]
    sheet.ineffective = totals["ineffective"]
    sheet.incomplete = totals["incomplete"]
    sheet.computed_at = at


def sheets_compute(*, school: School, semester: Semester, by: User | None) -> list[Sheet]:
    """Computes every teacher's sheet from the current records and stores it: new sheets
    and drafts are (re)written, submitted and approved sheets are left as they are, and the
    draft of a teacher who no longer has a pairing in the semester is removed. Re-runnable;
    all or nothing. The records are read and scored before the transaction (on SQLite it
    holds the one write lock from its start); which sheets are drafts is read under it."""
    if semester.school_id != school.pk:
        raise ValidationError(_("学期不属于该学校"))
    contents = sheet_contents(school=school, semester=semester)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            sheet.teacher.username: sheet
            for sheet in Sheet.objects.select_for_update()
            .filter(semester=semester)
            .select_related("teacher")
        }
        Sheet.objects.filter(
            semester=semester,
            state=Sheet.State.DRAFT,
            pk__in=[s.pk for name, s in existing.items() if name not in contents],
        ).delete()
        changed, created = [], []
        for username, content in contents.items():
            sheet = existing.get(username)
            if sheet is None:
                sheet = Sheet(school=school, semester=semester, teacher_id=content["teacher"]["id"])
                _fill(sheet, content, at=now)
                created.append(sheet)
            elif sheet.state == Sheet.State.DRAFT:
                _fill(sheet, content, at=now)
                changed.append(sheet)
        tracked_bulk_create(Sheet, created, by=by, reason=COMPUTE_REASON)
        tracked_bulk_update(
            Sheet,
            changed,
            ["content", "points", "effective", "ineffective", "incomplete", "computed_at"],
            by=by,
            reason=COMPUTE_REASON,
        )
        SheetEvent.objects.bulk_create(
            SheetEvent(sheet=sheet, action=SheetEvent.Action.COMPUTED, by=by)
            for sheet in created + changed
        )
    return list(Sheet.objects.filter(semester=semester).select_related("teacher__profile"))


def _refresh(sheet: Sheet) -> None:
    content = sheet_contents(
        school=sheet.school, semester=sheet.semester, teacher=sheet.teacher
    ).get(sheet.teacher.username)
    if content is None:
        raise ValidationError(_("该教师本学期已没有结对，不能提交考核表"))
    _fill(sheet, content, at=timezone.now())


def _locked(sheet: Sheet) -> Sheet:
    return (
        Sheet.objects.select_for_update()
        .select_related("school", "semester", "teacher")
        .get(pk=sheet.pk)
    )


@transaction.atomic
def sheet_submit(*, sheet: Sheet, by: User, comment: str = "") -> Sheet:
    """The aid office submits a draft for approval, with its comments; the content is
    computed afresh first, so the principal approves what the records say now."""
    sheet = _locked(sheet)
    if sheet.state != Sheet.State.DRAFT:
        raise ValidationError(_("只有草稿状态的考核表可以提交"))
    _refresh(sheet)
    sheet.state = Sheet.State.SUBMITTED
    sheet.office_comment = comment.strip()
    sheet.submitted_by = by
    sheet.submitted_at = timezone.now()
    sheet.full_clean()
    sheet.save()
    SheetEvent.objects.create(
        sheet=sheet, action=SheetEvent.Action.SUBMITTED, by=by, note=sheet.office_comment
    )
    return sheet


@transaction.atomic
def sheet_return(*, sheet: Sheet, by: User, reason: str) -> Sheet:
    """The principal sends a submitted sheet back to the aid office; a reason is required."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回的原因")})
    sheet = _locked(sheet)
    if sheet.state != Sheet.State.SUBMITTED:
        raise ValidationError(_("只有待审批的考核表可以退回"))
    sheet.state = Sheet.State.DRAFT
    sheet.submitted_by = None
    sheet.submitted_at = None
    sheet.save()
    SheetEvent.objects.create(sheet=sheet, action=SheetEvent.Action.RETURNED, by=by, note=reason)
    return sheet


@transaction.atomic
def sheet_approve(*, sheet: Sheet, by: User, comment: str = "") -> Sheet:
    """The principal approves a submitted sheet: from now on it is a frozen snapshot."""
    sheet = _locked(sheet)
    if sheet.state != Sheet.State.SUBMITTED:
        raise ValidationError(_("只有待审批的考核表可以审批"))
    sheet.state = Sheet.State.APPROVED
    sheet.principal_comment = comment.strip()
    sheet.approved_by = by
    sheet.approved_at = timezone.now()
    sheet.full_clean()
    sheet.save()
    SheetEvent.objects.create(
        sheet=sheet, action=SheetEvent.Action.APPROVED, by=by, note=sheet.principal_comment
    )
    return sheet


@transaction.atomic
def sheet_reopen(*, sheet: Sheet, by: User, reason: str) -> Sheet:
    """The principal reopens an approved sheet as a draft, e.g. after a score was corrected;
    the reason is required and recorded. The next computation refreshes it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写重新打开的原因")})
    sheet = _locked(sheet)
    if sheet.state != Sheet.State.APPROVED:
        raise ValidationError(_("只有已审批的考核表可以重新打开"))
    sheet.state = Sheet.State.DRAFT
    sheet.submitted_by = sheet.approved_by = None
    sheet.submitted_at = sheet.approved_at = None
    sheet.save()
    SheetEvent.objects.create(sheet=sheet, action=SheetEvent.Action.REOPENED, by=by, note=reason)
    return sheet


# ---------------------------------------------------------------------------------------
# Questionnaires

QUESTIONNAIRE_VALID_FOR = dt.timedelta(days=30)
COMMENT_MAX_LENGTH = 500


def _answer_errors(*, respondent: str, ratings: list[int], comment: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if respondent not in Questionnaire.Respondent.values:
        errors["respondent"] = _("请选择填写人")
    padded = [*ratings, *([None] * len(QUESTIONS))][: len(QUESTIONS)]
    for n, rating in enumerate(padded, start=1):
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            errors[f"q{n}"] = _("请选择 1—5 中的一项")
    if len(ratings) > len(QUESTIONS):
        errors["ratings"] = _("问卷共有 %(n)s 题") % {"n": len(QUESTIONS)}
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("意见和建议最多 %(limit)s 字（现在 %(n)s 字）") % {
            "limit": COMMENT_MAX_LENGTH,
            "n": len(comment),
        }
    return errors


def _fill_answer(
    questionnaire: Questionnaire,
    *,
    respondent: str,
    ratings: list[int],
    comment: str,
    source: str,
) -> None:
    errors = _answer_errors(respondent=respondent, ratings=ratings, comment=comment)
    if errors:
        raise ValidationError(errors)
    questionnaire.q1, questionnaire.q2, questionnaire.q3, questionnaire.q4, questionnaire.q5 = (
        ratings
    )
    questionnaire.respondent = respondent
    questionnaire.comment = comment
    questionnaire.source = source
    questionnaire.answered_at = timezone.now()
    # One answer per questionnaire: whatever link was handed out is spent now.
    questionnaire.token_hash = None


def _check_in_semester(*, pairing: Pairing, semester: Semester) -> None:
    if (
        pairing.school_id != semester.school_id
        or not _pairings_in(school=semester.school, semester=semester)
        .filter(pk=pairing.pk)
        .exists()
    ):
        raise ValidationError(_("该结对不在本学期内"))


@transaction.atomic
def questionnaires_issue(
    *, school: School, semester: Semester, by: User, pairing: Pairing | None = None
) -> list[tuple[Questionnaire, str]]:
    """Slips for every pairing active in the semester (or for one of them) whose
    questionnaire is not answered yet: a fresh one-time token each, valid for
    QUESTIONNAIRE_VALID_FOR. A new slip voids the pairing's earlier one. Returns the
    questionnaires with their raw tokens, to be printed at once: only the hashes are kept.
    `by` is the office account that asked (the model keeps no issuer)."""
    if semester.school_id != school.pk:
        raise ValidationError(_("学期不属于该学校"))
    pairings = _pairings_in(school=school, semester=semester).select_related(
        "teacher__profile", "student"
    )
    if pairing is not None:
        _check_in_semester(pairing=pairing, semester=semester)
        pairings = pairings.filter(pk=pairing.pk)
    existing = {
        q.pairing_id: q
        for q in Questionnaire.objects.select_for_update().filter(
            semester=semester, pairing__in=pairings.values("pk")
        )
    }
    if pairing is not None and pairing.pk in existing and existing[pairing.pk].answered_at:
        raise ValidationError(_("该结对本学期的问卷已填写，不能再发放"))
    now = timezone.now()
    created: list[Questionnaire] = []
    renewed: list[Questionnaire] = []
    issued: list[tuple[Questionnaire, str]] = []
    for each in pairings:
        questionnaire = existing.get(each.pk)
        if questionnaire is None:
            questionnaire = Questionnaire(pairing=each, semester=semester)
            created.append(questionnaire)
        elif questionnaire.answered_at is not None:
            continue
        else:
            renewed.append(questionnaire)
        # The slips print the teacher's and student's names: keep the fetched pairing.
        questionnaire.pairing = each
        token = secrets.token_urlsafe(24)
        questionnaire.token_hash = questionnaire_token_hash(token)
        questionnaire.issued_at = now
        questionnaire.expires_at = now + QUESTIONNAIRE_VALID_FOR
        issued.append((questionnaire, token))
    tracked_bulk_create(Questionnaire, created, by=by, reason=ISSUE_REASON)
    tracked_bulk_update(
        Questionnaire,
        renewed,
        ["token_hash", "issued_at", "expires_at"],
        by=by,
        reason=ISSUE_REASON,
    )
    return issued


@transaction.atomic
def questionnaire_answer(
    *, token: str, respondent: str, ratings: list[int], comment: str
) -> Questionnaire:
    """A student or parent answers through the one-time link. An unknown, spent or expired
    token is refused with the same message, so that the answer does not tell which."""
    questionnaire = (
        Questionnaire.objects.select_for_update()
        .filter(
            token_hash=questionnaire_token_hash(token),
            answered_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if questionnaire is None:
        raise ValidationError(_("此问卷链接无效、已过期或已填写"), code="invalid_link")
    _fill_answer(
        questionnaire,
        respondent=respondent,
        ratings=ratings,
        comment=comment.strip(),
        source=Questionnaire.Source.LINK,
    )
    questionnaire.full_clean()
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_enter(
    *,
    pairing: Pairing,
    semester: Semester,
    respondent: str,
    ratings: list[int],
    comment: str,
    by: User,
) -> Questionnaire:
    """The aid office types in a paper slip. Refused when the pairing's questionnaire of the
    semester is already answered (by link or on paper); an outstanding link is spent."""
    _check_in_semester(pairing=pairing, semester=semester)
    questionnaire = (
        Questionnaire.objects.select_for_update().filter(pairing=pairing, semester=semester).first()
    ) or Questionnaire(pairing=pairing, semester=semester)
    if questionnaire.answered_at is not None:
        raise ValidationError(_("该结对本学期的问卷已填写，不能重复录入"))
    _fill_answer(
        questionnaire,
        respondent=respondent,
        ratings=ratings,
        comment=comment.strip(),
        source=Questionnaire.Source.PAPER,
    )
    questionnaire.entered_by = by
    questionnaire.full_clean()
    questionnaire.save()
    return questionnaire
