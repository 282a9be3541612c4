"""Reads for the assessment: which sheets a user may see."""

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from aidcase.permissions import SCHOOL_MANAGERS, role_of, school_id_of
from assessment.models import Questionnaire, Sheet, SheetExport
from pairing.models import Pairing
from pairing.selectors import pairing_matching, pairings_visible_to
from students.models import Role, School, Semester
from students.selectors import pairing_active_between


def sheets_visible_to(*, user: Any) -> QuerySet[Sheet]:
    """The aid office and the principal see the school's sheets; a teacher sees their own;
    nobody else sees any."""
    role = role_of(user)
    school_id = school_id_of(user)
    sheets = Sheet.objects.select_related("semester", "teacher__profile", "school")
    if school_id is None:
        return sheets.none()
    if role in SCHOOL_MANAGERS:
        return sheets.filter(school_id=school_id)
    if role == Role.TEACHER:
        return sheets.filter(teacher=user, school_id=school_id)
    return sheets.none()


def sheet_get_for_user(*, user: Any, pk: int) -> Sheet:
    sheet = sheets_visible_to(user=user).filter(pk=pk).first()
    if sheet is None:
        raise Http404
    return sheet


def sheets_of(*, school: School, semester: Semester) -> QuerySet[Sheet]:
    return Sheet.objects.filter(school=school, semester=semester).select_related("teacher__profile")


def export_get_for_user(*, user: Any, pk: int) -> SheetExport:
    """A bulk export is seen by the managers of its school only."""
    school_id = school_id_of(user)
    if role_of(user) not in SCHOOL_MANAGERS or school_id is None:
        raise Http404
    export = SheetExport.objects.filter(pk=pk, school_id=school_id).first()
    if export is None:
        raise Http404
    return export


# Questionnaires

# The office list's states of a pairing's questionnaire in a semester.
NOT_ISSUED, PENDING, EXPIRED, ANSWERED = "not_issued", "pending", "expired", "answered"


class QuestionnaireAnnotations(TypedDict):
    answered: bool
    pending: bool
    semester_questionnaires: list[Questionnaire]


if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

    PairingWithQuestionnaire = WithAnnotations[Pairing, QuestionnaireAnnotations]


def questionnaire_token_hash(token: str) -> str:
    """Only this hash is stored: a copy of the database must not yield working links."""
    return hashlib.sha256(token.encode()).hexdigest()


def questionnaire_for_token(*, token: str) -> Questionnaire | None:
    """The questionnaire a one-time link opens, while it is unanswered and unexpired; None
    for anything else, without saying which."""
    return (
        Questionnaire.objects.filter(
            token_hash=questionnaire_token_hash(token),
            answered_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("semester", "pairing__teacher__profile")
        .first()
    )


def questionnaire_state(questionnaire: Questionnaire | None, *, now: dt.datetime) -> str:
    if questionnaire is None:
        return NOT_ISSUED
    if questionnaire.answered_at is not None:
        return ANSWERED
    if questionnaire.token_hash is None or questionnaire.expires_at is None:
        return NOT_ISSUED
    return PENDING if questionnaire.expires_at > now else EXPIRED


def _in_semester(semester: Semester) -> Q:
    # The pairings the sheets assess (assessment.services._pairings_in): active on any day
    # of the semester.
    return Q(school_id=semester.school_id) & pairing_active_between(semester.start, semester.end)


def _questionnaire_flags(semester: Semester) -> dict[str, Exists]:
    """Whether a pairing's questionnaire of the semester is answered, or has a link out
    that has not expired."""
    of_semester = Questionnaire.objects.filter(pairing=OuterRef("pk"), semester=semester)
    return {
        "answered": Exists(of_semester.filter(answered_at__isnull=False)),
        "pending": Exists(
            of_semester.filter(
                answered_at__isnull=True, token_hash__isnull=False, expires_at__gt=timezone.now()
            )
        ),
    }


def _semester_pairings(*, user: Any, semester: Semester) -> QuerySet[Pairing]:
    return pairings_visible_to(user=user).filter(_in_semester(semester))


def questionnaire_pairings(
    *, user: Any, semester: Semester
) -> QuerySet["PairingWithQuestionnaire"]:
    """The semester's pairings the user may see, each with `semester_questionnaires` (its
    questionnaire of the semester, if any, in a list) and whether it is `answered` or
    `pending`."""
    flags = _questionnaire_flags(semester)
    return (
        _semester_pairings(user=user, semester=semester)
        .annotate(answered=flags["answered"], pending=flags["pending"])
        .prefetch_related(
            Prefetch(
                "questionnaires",
                queryset=Questionnaire.objects.filter(semester=semester),
                to_attr="semester_questionnaires",
            )
        )
        .order_by("teacher__profile__name", "student__name", "category", "pk")
    )


def questionnaire_search(
    *, pairings: QuerySet["PairingWithQuestionnaire"], query: str = "", state: str = ""
) -> QuerySet["PairingWithQuestionnaire"]:
    """Filters `questionnaire_pairings`: by the teacher's or student's name, 工号 or 学籍号,
    and by state (a link out counts as pending; not issued includes expired links)."""
    if query:
        pairings = pairings.filter(pairing_matching(query))
    if state == ANSWERED:
        pairings = pairings.filter(answered=True)
    elif state == PENDING:
        pairings = pairings.filter(pending=True)
    elif state == NOT_ISSUED:
        pairings = pairings.filter(answered=False, pending=False)
    return pairings


def questionnaire_counts(*, user: Any, semester: Semester) -> dict[str, int]:
    """The semester's pairings the user may see, how many have answered, how many have a
    link out, and the rest (not issued or expired): one query."""
    flags = _questionnaire_flags(semester)
    # The conditions are spelled out: an aggregate over the annotations' names loses them.
    counts = (
        _semester_pairings(user=user, semester=semester)
        .order_by()
        .aggregate(
            total=Count("pk"),
            answered=Count("pk", filter=Q(flags["answered"])),
            pending=Count("pk", filter=Q(flags["pending"])),
        )
    )
    counts[NOT_ISSUED] = counts["total"] - counts["answered"] - counts["pending"]
    return counts


def questionnaire_pairing_get_for_user(*, user: Any, semester: Semester, pk: int) -> Pairing:
    """A pairing of the semester the user may see; 404 for anyone else's or another
    semester's."""
    pairing = _semester_pairings(user=user, semester=semester).filter(pk=pk).first()
    if pairing is None:
        raise Http404
    return pairing


def questionnaire_of(*, pairing: Pairing, semester: Semester) -> Questionnaire | None:
    return Questionnaire.objects.filter(pairing=pairing, semester=semester).first()
