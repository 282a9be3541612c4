"""Reads for the students app. `students_visible_to` is the one place that decides which
students a user may see; every list, page and export starts from it."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from aidcase.permissions import profile_of
from aidcase.roles import COUNTY_ROLES
from students import idcard
from students.fields import lookup_hash
from students.models import (
    CATEGORY_SHORT_LABELS,
    SEMESTER_CODE_RE,
    Category,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
)

User = get_user_model()

# The two accounts of every school that its county's administrator manages.
SCHOOL_ACCOUNT_ROLES = (Role.OFFICE, Role.PRINCIPAL)

# The status filter's value for archived students, who are otherwise left out of searches.
ARCHIVED = "archived"


def today() -> dt.date:
    return timezone.localdate()


def semester_code_for(day: dt.date) -> str:
    """The code of the default semester a day falls in (August belongs to the term before)."""
    if day.month >= 9:
        return f"{day.year}-{day.year + 1}-1"
    if day.month == 1:
        return f"{day.year - 1}-{day.year}-1"
    return f"{day.year - 1}-{day.year}-2"


def county_semester_choices(*, county: Any, current: str) -> list[tuple[str, str]]:
    """(code, label) of every semester any school of the county has, newest first, with the
    one shown (`current`) and today's among them: what the county page offers. One query."""
    codes = set(
        Semester.objects.filter(school__county=county)
        .order_by()
        .values_list("code", flat=True)
        .distinct()
    )
    codes.update((current, semester_code_for(today())))
    return [(code, Semester(code=code).label) for code in sorted(codes, reverse=True)]


def previous_semester_code(code: str) -> str:
    match = SEMESTER_CODE_RE.match(code)
    if not match:
        raise ValueError(code)
    first, second, term = int(match[1]), int(match[2]), match[3]
    if term == "2":
        return f"{first}-{second}-1"
    return f"{first - 1}-{second - 1}-2"


def next_semester_code(code: str) -> str:
    match = SEMESTER_CODE_RE.match(code)
    if not match:
        raise ValueError(code)
    first, second, term = int(match[1]), int(match[2]), match[3]
    if term == "1":
        return f"{first}-{second}-2"
    return f"{first + 1}-{second + 1}-1"


def pairing_active_on(day: dt.date, *, prefix: str = "") -> Q:
    """Pairings running on a day: started by then and not ended before it. With a prefix the
    condition reaches pairings through a relation (e.g. "pairings__" from a student)."""
    return Q(**{f"{prefix}start__lte": day}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day})
    )


def pairing_active_between(first: dt.date, last: dt.date, *, prefix: str = "") -> Q:
    """Pairings running on at least one day from `first` to `last` (a semester, a ledger's
    period): started by its end and not ended before its start."""
    return Q(**{f"{prefix}start__lte": last}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": first})
    )


def schools_visible_to(*, user: Any) -> QuerySet[School]:
    if user.is_superuser:
        return School.objects.all()
    profile = profile_of(user)
    if profile is None:
        return School.objects.none()
    if profile.role in COUNTY_ROLES:
        return School.objects.filter(county=profile.county)
    return School.objects.filter(pk=profile.school_id or 0)


def students_visible_to(*, user: Any, on: dt.date | None = None) -> QuerySet[Student]:
    """Office and principal: their school. County viewers: no student records (aggregates
    only). Teachers: the students they are paired with now and their homeroom classes."""
    if user.is_superuser:
        return Student.objects.all()
    profile = profile_of(user)
    if profile is None or profile.school_id is None:
        return Student.objects.none()
    if profile.role in (Role.OFFICE, Role.PRINCIPAL):
        return Student.objects.filter(school_id=profile.school_id)
    paired = Student.objects.filter(
        Q(pairings__teacher=user) & pairing_active_on(on or today(), prefix="pairings__")
    ).values("pk")
    # An archived student has been gone for the retention period: only the school sees them.
    return Student.objects.filter(school_id=profile.school_id, archived_at__isnull=True).filter(
        Q(pk__in=paired) | Q(school_class__homeroom_teacher=user)
    )


def student_get_for_user(*, user: Any, pk: int) -> Student:
    student = (
        students_visible_to(user=user)
        .select_related(
            "school", "cohort", "school_class", "school_class__homeroom_teacher__profile"
        )
        .filter(pk=pk)
        .first()
    )
    if student is None:
        raise Http404
    return student


def semesters_of(*, school: School) -> QuerySet[Semester]:
    return Semester.objects.filter(school=school).order_by("-start")


def semester_get_for_user(*, user: Any, pk: int) -> Semester:
    semester = Semester.objects.filter(school__in=schools_visible_to(user=user), pk=pk).first()
    if semester is None:
        raise Http404
    return semester


def current_semester(*, school: School, on: dt.date | None = None) -> Semester | None:
    """The semester running on a day, else the latest one that has started, else the
    earliest one to come."""
    day = on or today()
    semesters = Semester.objects.filter(school=school)
    return (
        semesters.filter(start__lte=day).order_by("-start").first()
        or semesters.order_by("start").first()
    )


def classes_of(*, school: School) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(school=school).select_related(
        "cohort", "homeroom_teacher__profile"
    )


def school_class_get_for_user(*, user: Any, pk: int) -> SchoolClass:
    school_class = SchoolClass.objects.filter(
        school__in=schools_visible_to(user=user), pk=pk
    ).first()
    if school_class is None:
        raise Http404
    return school_class


def staff_of(*, school: School) -> QuerySet[Any]:
    """Everyone at the school who can be a helper (any school role may hold pairings)."""
    return (
        User.objects.filter(profile__school=school, is_active=True)
        .select_related("profile")
        .order_by("profile__name", "username")
    )


def staff_list_of(*, school: School) -> QuerySet[Profile]:
    """Every account of the school, active ones first, with their open pairings counted."""
    return (
        Profile.objects.filter(school=school)
        .select_related("user")
        .annotate(open_pairings=Count("user__pairings", filter=Q(user__pairings__end__isnull=True)))
        .order_by("-user__is_active", "name")
    )


def teacher_get_for_user(*, user: Any, pk: int) -> Profile:
    """A teacher account of the user's school, for the office to manage; 404 for anyone else.
    Office and principal accounts are managed by the system administrator, so that the office
    cannot take over a principal's account by resetting its password."""
    profile = (
        Profile.objects.filter(school__in=schools_visible_to(user=user), pk=pk, role=Role.TEACHER)
        .select_related("user")
        .first()
    )
    if profile is None:
        raise Http404
    return profile


def county_schools_with_accounts(*, county: Any, query: str = "") -> QuerySet[School]:
    """The county's schools for its administrator, by code, each with its aid-office and
    principal accounts (`school.accounts`, users joined): three queries for any number of
    schools. `query` narrows them by code, name or 乡镇."""
    schools = School.objects.filter(county=county)
    if query:
        schools = schools.filter(
            Q(code__icontains=query) | Q(name__contains=query) | Q(town__contains=query)
        )
    accounts = (
        Profile.objects.filter(role__in=SCHOOL_ACCOUNT_ROLES)
        .select_related("user")
        .order_by("role", "user__username")
    )
    return schools.order_by("code").prefetch_related(
        Prefetch("staff", queryset=accounts, to_attr="accounts")
    )


def school_account_get_for_county(*, county: Any, pk: int) -> Profile:
    """An aid-office or principal account of a school of the county, for its administrator to
    reset or (de)activate; 404 for anything else (teachers are their school office's)."""
    profile = (
        Profile.objects.filter(pk=pk, role__in=SCHOOL_ACCOUNT_ROLES, school__county=county)
        .select_related("user", "school")
        .first()
    )
    if profile is None:
        raise Http404
    return profile


def identifications_of(*, student: Student) -> QuerySet[Identification]:
    return student.identifications.select_related("semester", "proposed_by__profile").order_by(
        "-semester__start", "category"
    )


def identification_get_for_user(*, user: Any, pk: int) -> Identification:
    identification = (
        Identification.objects.filter(student__in=students_visible_to(user=user), pk=pk)
        .select_related("student", "semester")
        .first()
    )
    if identification is None:
        raise Http404
    return identification


def identifications_pending(*, school: School) -> QuerySet[Identification]:
    return (
        Identification.objects.filter(student__school=school, state=Identification.State.PROPOSED)
        .select_related("student", "student__school_class", "semester", "proposed_by__profile")
        .order_by("semester__start", "student__student_no")
    )


def student_search(
    *,
    students: QuerySet[Student],
    query: str = "",
    category: str = "",
    school_class_id: int | None = None,
    status: str = "",
    paired: str = "",
    semester: Semester | None = None,
    on: dt.date | None = None,
) -> QuerySet[Student]:
    """Filters a visible set of students: by name, 学籍号 or a whole ID number (an exact match
    through its keyed hash: the number itself is stored encrypted), by category identified in
    the semester, by class, by status, and by whether an identified student has a helper.
    Archived students are found only by the status ARCHIVED."""
    result = students
    if query:
        matches = Q(name__contains=query) | Q(student_no__startswith=query)
        if idcard.looks_like_id_number(query):
            matches |= Q(id_number_hash=lookup_hash(query))
        result = result.filter(matches)
    if category and semester is not None:
        result = result.filter(
            identifications__semester=semester,
            identifications__category=category,
            identifications__state=Identification.State.APPROVED,
        )
    if school_class_id:
        result = result.filter(school_class_id=school_class_id)
    if status == ARCHIVED:
        result = result.filter(archived_at__isnull=False)
    else:
        result = result.filter(archived_at__isnull=True)
        if status:
            result = result.filter(status=status)
    if paired in ("yes", "no"):
        condition = pairing_active_on(on or today(), prefix="pairings__")
        if category:
            condition &= Q(pairings__category=category)
        with_helper = Student.objects.filter(condition).values("pk")
        result = (
            result.filter(pk__in=with_helper)
            if paired == "yes"
            else result.exclude(pk__in=with_helper)
        )
    return result.distinct()


def identified_and_paired(
    identifications: QuerySet[Identification], *group_by: str, on: dt.date | None = None
) -> QuerySet[Any]:
    """Rows of `group_by` values followed by the students identified and, of those, the ones
    with a pairing open on the day in the identified category: the coverage counts of the
    school and county dashboards, in one query."""
    # Through the student's pairings (one filter, so one pairing meets every condition): the
    # pairing app sits above this one.
    open_pairing = Student.objects.filter(
        pairing_active_on(on or today(), prefix="pairings__"),
        pk=OuterRef("student"),
        pairings__category=OuterRef("category"),
    )
    return (
        identifications.values_list(*group_by)
        .annotate(
            identified=Count("student", distinct=True),
            paired=Count("student", distinct=True, filter=Q(Exists(open_pairing))),
        )
        .order_by()
    )


def category_coverage(
    *,
    school: School,
    semester: Semester,
    on: dt.date | None = None,
    school_class: SchoolClass | None = None,
) -> list[dict[str, Any]]:
    """Per category: students identified (approved) in the semester, how many of them have
    an open pairing in that category, and how many have none. One query."""
    approved = Identification.objects.filter(
        semester=semester, student__school=school, state=Identification.State.APPROVED
    )
    if school_class is not None:
        approved = approved.filter(student__school_class=school_class)
    counts = identified_and_paired(approved, "category", on=on)
    identified = {category: n for category, n, _paired in counts}
    paired = {category: n for category, _identified, n in counts}
    rows = []
    for category in Category:
        total = identified.get(category.value, 0)
        done = paired.get(category.value, 0)
        rows.append(
            {
                "category": category,
                "short": CATEGORY_SHORT_LABELS[category],
                "identified": total,
                "paired": done,
                "unpaired": total - done,
                "rate": round(100 * done / total) if total else None,
            }
        )
    return rows
