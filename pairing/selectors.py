"""Reads for pairings, always starting from the students the user may see."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from pairing.models import Pairing
from students.models import Identification, School, SchoolClass, Semester
from students.selectors import pairing_active_on, students_visible_to, today


def pairings_visible_to(*, user: Any) -> QuerySet[Pairing]:
    """Pairings of the students the user may see: a teacher also sees who else helps their
    student (多帮一), never another teacher's other students."""
    return Pairing.objects.filter(student__in=students_visible_to(user=user)).select_related(
        "student", "student__school_class", "teacher__profile"
    )


def pairing_get_for_user(*, user: Any, pk: int) -> Pairing:
    pairing = pairings_visible_to(user=user).filter(pk=pk).first()
    if pairing is None:
        raise Http404
    return pairing


def pairings_of_teacher(*, teacher: Any, on: dt.date | None = None) -> QuerySet[Pairing]:
    """The teacher's own pairings active on a day (today by default)."""
    return (
        Pairing.objects.filter(teacher=teacher)
        .filter(pairing_active_on(on or today()))
        .select_related("student", "student__school_class", "student__cohort")
        .order_by("student__school_class__name", "student__name", "category")
    )


def pairings_of_school(
    *, school: School, active: bool | None = True, on: dt.date | None = None
) -> QuerySet[Pairing]:
    pairings = Pairing.objects.filter(school=school).select_related(
        "student", "student__school_class", "teacher__profile"
    )
    if active is True:
        pairings = pairings.filter(pairing_active_on(on or today()))
    elif active is False:
        pairings = pairings.exclude(pairing_active_on(on or today()))
    return pairings


def pairing_matching(query: str) -> Q:
    """Pairings found by a search box: the student's or the teacher's name (anywhere in it),
    or the start of a 学籍号 or 工号."""
    return (
        Q(student__name__contains=query)
        | Q(student__student_no__startswith=query)
        | Q(teacher__profile__name__contains=query)
        | Q(teacher__username__startswith=query)
    )


@dataclass(frozen=True, slots=True)
class TeacherLoad:
    pk: int
    name: str
    username: str
    load: int


def teacher_loads(*, school: School, on: dt.date | None = None) -> list[TeacherLoad]:
    """Pairings per helper, busiest first (one query; rows, not a user and a profile built
    for each of a large school's 160 teachers)."""
    day = on or today()
    rows = (
        get_user_model()
        .objects.filter(profile__school=school)
        .annotate(load=Count("pairings", filter=pairing_active_on(day, prefix="pairings__")))
        .filter(load__gt=0)
        .order_by("-load", "profile__name")
        .values_list("pk", "profile__name", "username", "load")
    )
    return [TeacherLoad(pk, name or username, username, load) for pk, name, username, load in rows]


def unpaired_students(
    *,
    school: School,
    semester: Semester,
    school_class: SchoolClass | None = None,
    category: str | None = None,
    on: dt.date | None = None,
) -> QuerySet[Identification]:
    """Approved identifications of the semester whose student has no open pairing in that
    category: who still needs a helper."""
    open_pairing = Pairing.objects.filter(
        pairing_active_on(on or today()), student=OuterRef("student"), category=OuterRef("category")
    )
    found = (
        Identification.objects.filter(
            semester=semester, student__school=school, state=Identification.State.APPROVED
        )
        .exclude(Exists(open_pairing))
        .select_related("student__school_class")
        .order_by("category", "student__school_class__name", "student__name")
    )
    if school_class is not None:
        found = found.filter(student__school_class=school_class)
    if category:
        found = found.filter(category=category)
    return found
