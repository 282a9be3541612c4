"""What every step of the demo generator shares: the school being generated and its pupils,
and the helpers more than one step uses."""

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from pairing.models import Pairing
from students.models import Category, School, SchoolClass, Semester, Student
from visits import duties

COUNTY_NAME = "示范县"


@dataclass
class Pupil:
    """A student slot before it is saved: who they are and what they were identified as."""

    entry_year: int
    school_class: SchoolClass
    male: bool
    in_previous: bool
    status: str = Student.Status.ENROLLED
    current: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    subject: str = ""
    student: Student | None = None


@dataclass
class DemoSchool:
    """Everything generated for one school so far; each step adds to it."""

    seed: int
    school: School
    today: dt.date
    current: Semester
    previous: Semester
    password_hash: str
    size: int
    id_numbers: set[str]
    principal: Any = None
    office: Any = None
    teachers: list[Any] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)
    calendars: dict[int, duties.Calendar] = field(default_factory=dict)
    exam_names: dict[dt.date, str] = field(default_factory=dict)

    @property
    def first_year(self) -> int:
        return int(self.current.code[:4])

    @property
    def previous_term_same_year(self) -> bool:
        """In term 2 last semester was the same school year, so every cohort was here."""
        return self.current.code.endswith("-2")

    def rng(self, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.school.code}:{kind}")  # noqa: S311 — demo data


def left_behind(pupil: Pupil) -> bool:
    return Category.LEFT_BEHIND in pupil.current or Category.LEFT_BEHIND in pupil.previous


def in_category_order(categories: Iterable[str]) -> list[str]:
    chosen = set(categories)
    return [c.value for c in Category if c.value in chosen]


def approval_day(demo: DemoSchool, semester: Semester, rng: random.Random) -> dt.date:
    return min(demo.today, semester.start + dt.timedelta(days=rng.randint(7, 20)))


def bulk_create_with_times(model: Any, objects: list[Any]) -> None:
    """bulk_create stamps the auto_now(_add) fields with the current time, whatever the
    objects hold; this puts back the times they were given."""
    fields = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    fields += [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    given = [tuple(getattr(o, name) for name in fields) for o in objects]
    model.objects.bulk_create(objects, batch_size=1000)
    # One statement run for every row: bulk_update's CASE expressions grow quadratic.
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 — names from the model
    rows = []
    for obj, values in zip(objects, given, strict=True):
        for name, value in zip(fields, values, strict=True):
            setattr(obj, name, value)
        prepared = [
            c.get_db_prep_value(v, connection) for c, v in zip(columns, values, strict=True)
        ]
        rows.append([*prepared, obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
