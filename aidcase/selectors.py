"""Roll-ups across schools for the county viewer: aggregates only, never student records."""

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from pairing.models import Pairing
from students.models import Category, County, Identification, School, Student
from students.selectors import pairing_active_on, today


def county_rollup(
    *, county: County, semester_code: str, on: dt.date | None = None
) -> list[dict[str, Any]]:
    """One row per school of the county: enrolled students, students identified per category
    in the semester with that code, and how many of those have a helper. Three queries."""
    day = on or today()
    schools = list(School.objects.filter(county=county))
    enrolled = dict(
        Student.objects.filter(school__county=county, status=Student.Status.ENROLLED)
        .values_list("school")
        .annotate(n=Count("pk"))
    )
    identifications = Identification.objects.filter(
        student__school__county=county,
        semester__code=semester_code,
        state=Identification.State.APPROVED,
    )
    open_pairing = Pairing.objects.filter(
        pairing_active_on(day), student=OuterRef("student"), category=OuterRef("category")
    )
    counts = (
        identifications.values_list("student__school", "category")
        .annotate(
            identified=Count("student", distinct=True),
            paired=Count("student", distinct=True, filter=Q(Exists(open_pairing))),
        )
        .order_by()
    )
    by_school: dict[int, dict[str, tuple[int, int]]] = {}
    for school_id, category, identified, paired in counts:
        by_school.setdefault(school_id, {})[category] = (identified, paired)
    rows = []
    for school in schools:
        per_category = by_school.get(school.pk, {})
        identified = sum(v[0] for v in per_category.values())
        paired = sum(v[1] for v in per_category.values())
        rows.append(
            {
                "school": school,
                "enrolled": enrolled.get(school.pk, 0),
                "categories": [per_category.get(c.value, (0, 0))[0] for c in Category],
                "identified": identified,
                "paired": paired,
                "rate": round(100 * paired / identified) if identified else None,
            }
        )
    return rows
