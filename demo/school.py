"""What every step of the demo generator shares: the school being generated and its pupils,
and the helpers more than one step uses."""

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models, router

from aidcase.audit import BATCH, history_copy
from pairing.models import Pairing
from students.models import Category, School, SchoolClass, Semester, Student
from visits import duties

COUNTY_NAME = "示范县"
# The change reason of the history entries of everything the demo writes in bulk.
DEMO_REASON = "演示数据"


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


def demo_bulk_create[M: models.Model](
    model: type[M], objects: list[M], *, given_times: bool = False
) -> list[M]:
    """Saves `objects` (new rows of a model with an auto-incremented key) in batches and
    sets their keys; a model with a history gets each row's "created" entry, as
    aidcase.audit.tracked_bulk_create writes it (bulk writes send no signals), so that the
    first real change shows as a change of one field. With `given_times` the auto_now(_add)
    fields keep the times the objects were given (when the log was entered, say) instead of
    the moment of the write."""
    if not objects:
        return []
    _insert(model, objects, given_times=given_times)
    if hasattr(model, "history"):
        history_copy(model, [obj.pk for obj in objects], kind="+", by=None, reason=DEMO_REASON)
    return objects


# Parameters per INSERT … VALUES: inside SQLite's usual limit of 32,766.
_PARAMETERS_PER_INSERT = 30_000


def _insert(model: type[models.Model], objects: list[Any], *, given_times: bool) -> None:
    """What bulk_create does for new rows (each field's pre_save and conversion for the
    database, INSERT … RETURNING the keys), without its compiling of every single value,
    which took most of a county-sized demo's writing time. With `given_times` the
    auto_now(_add) fields are saved as the objects hold them, not stamped by pre_save."""
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    auto = meta.auto_field
    if auto is None:
        raise TypeError(f"{meta.label} has no auto-incremented key")
    fields = [f for f in meta.concrete_fields if f is not auto]
    stamped = [
        given_times and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        for f in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
    tail = f" RETURNING {quote(str(auto.column))}"
    unnest = connection.vendor == "postgresql"
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    if unnest:
        # One array a column, as bulk_create does on PostgreSQL: a few parameters instead
        # of one a value, each of which the driver would find in the statement's text.
        arrays = ", ".join(f"(%s)::{str(f.db_type(connection)).split('(')[0]}[]" for f in fields)
        head += f"SELECT * FROM UNNEST({arrays})"  # noqa: S608 — the model's types
        size = BATCH
    else:
        head += "VALUES "
        limit = min(_PARAMETERS_PER_INSERT, connection.features.max_query_params or 65_535)
        size = max(1, min(BATCH, limit // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), size):
            batch = objects[start : start + size]
            rows = [
                [
                    f.get_db_prep_save(
                        getattr(obj, f.attname) if given else f.pre_save(obj, True), connection
                    )
                    for f, given in zip(fields, stamped, strict=True)
                ]
                for obj in batch
            ]
            if unnest:
                cursor.execute(head + tail, [list(column) for column in zip(*rows, strict=True)])
            else:
                values = [value for row_values in rows for value in row_values]
                cursor.execute(head + ", ".join([row] * len(batch)) + tail, values)
            # Both databases return the keys in the order of the rows (bulk_create relies
            # on it as well).
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = using


def demo_bulk_update[M: models.Model](model: type[M], objects: list[M], fields: list[str]) -> None:
    """Saves `fields` of `objects` with one UPDATE statement run for every row (bulk_update's
    CASE expressions grow quadratic with the rows), and writes each row's "changed" entry
    in the history, as the row's save() would have."""
    if not objects:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608 — names from the model
    rows = [
        [
            *(
                column.get_db_prep_save(getattr(obj, column.attname), connection)
                for column in columns
            ),
            obj.pk,
        ]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    history: Any = model.history  # type: ignore[attr-defined]
    history.bulk_history_create(
        objects, batch_size=BATCH, update=True, default_change_reason=DEMO_REASON
    )
