"""The questionnaire (问卷调查反馈评价): the aid office issues one-time slips, follows the
answers and types in the paper ones; a student or parent answers through the slip's link
without an account, and that page shows nothing else of the school."""

from decimal import Decimal
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from aidcase.forms import add_service_errors
from aidcase.params import query_choice, query_id, query_text
from aidcase.permissions import AuthedRequest, is_office, request_school, role_required
from assessment import services
from assessment.forms import QuestionnaireForm
from assessment.models import QUESTIONS, Questionnaire
from assessment.selectors import (
    ANSWERED,
    NOT_ISSUED,
    PENDING,
    questionnaire_counts,
    questionnaire_for_token,
    questionnaire_of,
    questionnaire_pairing_get_for_user,
    questionnaire_pairings,
    questionnaire_search,
    questionnaire_state,
)
from pairing.models import Pairing
from students.models import Role
from students.selectors import semester_get_for_user, semesters_of

PAGE_SIZE = 30
STATE_FILTERS = (ANSWERED, PENDING, NOT_ISSUED)


# The aid office's pages


@role_required(Role.OFFICE, Role.PRINCIPAL)
def questionnaire_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """The semester's pairings with the state of their questionnaire; the principal reads
    it, only the aid office issues slips and types in paper ones."""
    semester = semester_get_for_user(user=request.user, pk=pk)
    pairings = questionnaire_pairings(user=request.user, semester=semester)
    query = query_text(request.GET, "q")
    state = query_choice(request.GET, "state", STATE_FILTERS, "")
    found = questionnaire_search(pairings=pairings, query=query, state=state)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [_row(pairing, now=now) for pairing in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "semester": semester,
        "semesters": semesters_of(school=request_school(request)),
        "counts": questionnaire_counts(user=request.user, semester=semester),
        "page": page,
        "rows": rows,
        "q": query,
        "state": state,
        "query": params.urlencode(),
        "can_manage": is_office(request.user),
        "valid_days": services.QUESTIONNAIRE_VALID_FOR.days,
    }
    return render(request, "assessment/questionnaire_list.html", context)


def _row(pairing: Pairing, *, now: Any) -> dict[str, Any]:
    found = getattr(pairing, "semester_questionnaires", [])
    questionnaire = found[0] if found else None
    state = questionnaire_state(questionnaire, now=now)
    mean = None
    if questionnaire is not None and state == ANSWERED:
        # Five whole ratings: their mean has one decimal at most, so this is exact.
        mean = f"{Decimal(sum(r or 0 for r in questionnaire.ratings)) / len(QUESTIONS):.1f}"
    return {"pairing": pairing, "questionnaire": questionnaire, "state": state, "mean": mean}


@role_required(Role.OFFICE)
@require_POST
def questionnaire_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    """Issues the slips (all unanswered pairings, or the one named by `pairing`) and shows
    them for printing straight away: the raw tokens exist only in this response."""
    semester = semester_get_for_user(user=request.user, pk=pk)
    pairing = None
    pairing_pk = query_id(request.POST, "pairing")
    if pairing_pk is not None:
        pairing = questionnaire_pairing_get_for_user(
            user=request.user, semester=semester, pk=pairing_pk
        )
    try:
        issued = services.questionnaires_issue(
            school=request_school(request), semester=semester, by=request.user, pairing=pairing
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("questionnaire_list", pk=semester.pk)
    if not issued:
        messages.warning(request, _("没有需要发放问卷的结对：本学期的问卷都已填写"))
        return redirect("questionnaire_list", pk=semester.pk)
    slips = [_slip(request, questionnaire, token) for questionnaire, token in issued]
    context = {"semester": semester, "slips": slips, "questions": QUESTIONS, "single": pairing}
    return render(request, "assessment/questionnaire_slips.html", context)


def _slip(request: HttpRequest, questionnaire: Questionnaire, token: str) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("questionnaire_answer", args=[token]))
    pairing = questionnaire.pairing
    profile = getattr(pairing.teacher, "profile", None)
    return {
        "teacher": profile.name if profile else pairing.teacher.username,
        "student": pairing.student.name,
        "url": url,
        "qr": _qr_svg(url),
        "expires_at": questionnaire.expires_at,
    }


def _qr_svg(url: str) -> SafeString:
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=2, dark="#000", omitsize=True, svgclass="qr", title=_("问卷二维码")
    )
    # segno's own markup of a URL built here from a generated token: nothing from the
    # request reaches it unescaped.
    return mark_safe(svg)  # noqa: S308


@role_required(Role.OFFICE)
def questionnaire_enter(request: AuthedRequest, pk: int, pairing_pk: int) -> HttpResponse:
    """The aid office types in a questionnaire answered on the paper slip."""
    semester = semester_get_for_user(user=request.user, pk=pk)
    pairing = questionnaire_pairing_get_for_user(
        user=request.user, semester=semester, pk=pairing_pk
    )
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_enter(
                pairing=pairing,
                semester=semester,
                respondent=form.cleaned_data["respondent"],
                ratings=form.ratings(),
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("已录入 %(name)s 的纸质问卷") % {"name": pairing.student.name}
            )
            return redirect("questionnaire_list", pk=semester.pk)
    existing = questionnaire_of(pairing=pairing, semester=semester)
    context = {
        "semester": semester,
        "pairing": pairing,
        "form": form,
        "answered": existing if existing and existing.answered_at else None,
    }
    return render(request, "assessment/questionnaire_enter.html", context)


# The public page of the one-time link


# No CSRF check: a forged POST would need the token, and whoever holds the token may answer
# anyway. The check would only refuse real parents: the page sends no Referer (the token must
# not leave in one), so Chromium posts the form with `Origin: null`, and phones' in-app
# browsers may drop the cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def questionnaire_answer(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the token is the only key. The page names the semester and the teacher,
    nothing else of the school (no student, no school name, no links into the app). A double
    tap is stored once (aidcase.submissions) and both taps end on the thank-you page."""
    questionnaire = questionnaire_for_token(token=token)
    if questionnaire is None:
        return _invalid_link(request)
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_answer(
                token=token,
                respondent=form.cleaned_data["respondent"],
                ratings=form.ratings(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            # Spent by a second tab between the lookup and the save.
            if not hasattr(error, "error_dict"):
                return _invalid_link(request)
            add_service_errors(form, error)
        else:
            return _public(redirect("questionnaire_thanks"))
    profile = getattr(questionnaire.pairing.teacher, "profile", None)
    context = {
        "form": form,
        "semester_label": questionnaire.semester.label,
        "teacher_name": profile.name if profile else "",
    }
    return _public(render(request, "assessment/public/questionnaire_form.html", context))


@require_http_methods(["GET"])
def questionnaire_thanks(request: HttpRequest) -> HttpResponse:
    return _public(render(request, "assessment/public/thanks.html"))


def _invalid_link(request: HttpRequest) -> HttpResponse:
    # One page for unknown, spent and expired links alike: a guess must learn nothing.
    return _public(render(request, "assessment/public/invalid.html", status=404))


def _public(response: HttpResponse) -> HttpResponse:
    """The link is the key: no cache may keep the page, no Referer may carry the token out,
    no search engine may index it."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
